package textnorm

import (
	"unicode"
	"unicode/utf8"
)

// census is one cheap pass over a text that tells which transformations
// could apply, so that Derive runs only those (most texts need none).
type census struct {
	encoded    bool // a base64-like run, or hex bytes
	leet       bool // a token mixing letters with digits or leet symbols
	chain      int  // longest chain of one-letter tokens with short gaps
	nonASCII   bool // look-alike letters are possible
	strange    int  // longest run of ASCII words whose first three letters start no common word
	odd        int  // ASCII words whose first three letters start no common word
	words      int  // ASCII words of three letters or more
	backward   int  // ASCII words whose last three letters, reversed, start a common word
	escapes    int  // "&#" character references and \u escapes
	symbols    int  // emoji and other symbols
	longRun    int  // longest run of ASCII letters alone
	runLetters int  // ASCII letters in tokens with a run of minRunLetters or more
	fieldJoins int  // most ASCII letters joined by a separator ("a.b", "a_b") between two white spaces
	marks      int  // combining marks after Latin letters
	accented   int  // accented Latin letters
	letters    int  // ASCII letters
	braille    int  // Braille cells
	nato       int  // longest run of words that start like a NATO code word
}

// isJoin reports the separators that join words run together
// (joinSeparators).
func isJoin(c byte) bool { return asciiClass[c]&clJoin != 0 }

// letterAround reports whether s[i] sits between two ASCII letters.
func letterAround(s string, i int) bool {
	return i > 0 && i+1 < len(s) && isASCIILetter(s[i-1]) && isASCIILetter(s[i+1])
}

// combiningMark reports the combining diacritical marks (the blocks
// U+0300, U+1AB0, U+1DC0, U+20D0 and U+FE20) that pile up on letters in
// "Zalgo" text.
func combiningMark(r rune) bool {
	return (r >= 0x0300 && r <= 0x036F) || (r >= 0x1AB0 && r <= 0x1AFF) || (r >= 0x1DC0 && r <= 0x1DFF) ||
		(r >= 0x20D0 && r <= 0x20FF) || (r >= 0xFE20 && r <= 0xFE2F)
}

// longestLetterRun is the longest run of ASCII letters in s.
func longestLetterRun(s string) int {
	best, run := 0, 0
	for k := 0; k < len(s); k++ {
		if isASCIILetter(s[k]) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// sepLetters is the number of letters of a token that spaces out single
// letters with one separator ("i-g-n-o-r-e", "i_g_n"), else 0.
func sepLetters(t string) int {
	if len(t) < 3 || len(t)%2 == 0 {
		return 0
	}
	sep := t[1]
	if sep != '-' && sep != '_' && sep != '+' && sep != '|' && sep != '/' {
		return 0
	}
	for k := 0; k < len(t); k++ {
		if k%2 == 1 {
			if t[k] != sep {
				return 0
			}
		} else if asciiClass[t[k]]&(clLetter|clDigit) == 0 {
			return 0
		}
	}
	return (len(t) + 1) / 2
}

// takeCensus scans s once. Tokens are maximal runs of ASCII letters,
// digits and base64/leet symbols, and of non-ASCII letters.
func takeCensus(s string) census {
	var c census
	hexTokens := 0
	chain, lastSingle := 0, -1 // lastSingle: end of the last one-letter token
	strange := 0               // current run of strange words
	nato := 0                  // current run of NATO-like words
	fj := 0                    // joins since the last white space
	for i := 0; i < len(s); {
		b := s[i]
		if b < 0x80 && asciiClass[b]&clToken == 0 {
			if b == '\\' && i+1 < len(s) && s[i+1] == 'x' {
				c.encoded = true
			}
			if b == '%' && i+1 < len(s) {
				if _, ok := hexVal(s[i+1]); ok {
					c.encoded = true
				}
			}
			if (b == '&' && i+1 < len(s) && s[i+1] == '#') || (b == '\\' && i+1 < len(s) && s[i+1]|0x20 == 'u') {
				c.escapes++
			}
			if isJoin(b) && letterAround(s, i) {
				fj++
				c.fieldJoins = max(c.fieldJoins, fj)
			} else if asciiClass[b]&clSpace != 0 {
				fj = 0
			}
			i++
			continue
		}
		if b >= 0x80 {
			c.nonASCII = true
			if r, n := utf8.DecodeRuneInString(s[i:]); !atom(r) {
				if r >= 0x2800 && r <= 0x28FF {
					c.braille++
				}
				if unicode.Is(unicode.So, r) {
					c.symbols++
				}
				i += n
				continue
			}
		}
		// A token s[i:j].
		j := i
		runes, letters, digits, other, syms := 0, 0, 0, 0, 0
		var seen uint8 // union of the classes of the token's ASCII bytes
		hexOnly := true
		latinEnd := -1 // end of the last accented Latin letter or mark on one
		for j < len(s) {
			ch := s[j]
			if ch >= 0x80 {
				r, n := utf8.DecodeRuneInString(s[j:])
				if !atom(r) {
					break
				}
				switch {
				case latinLetter(r):
					c.accented++
					latinEnd = j + n
				case combiningMark(r) && (latinEnd == j || (j > i && isASCIILetter(s[j-1]))):
					c.marks++
					latinEnd = j + n
				}
				other++
				c.nonASCII = true
				hexOnly = false
				j += n
				runes++
				continue
			}
			cl := asciiClass[ch]
			if cl&clToken == 0 {
				break
			}
			seen |= cl
			hexOnly = hexOnly && cl&clHex != 0
			switch {
			case cl&clLetter != 0:
				letters++
			case cl&clDigit != 0:
				digits++
			default:
				syms++
				if cl&clJoin != 0 && letterAround(s, j) {
					fj++
					c.fieldJoins = max(c.fieldJoins, fj)
				}
			}
			j++
			runes++
		}
		upper, lower := seen&clUpper != 0, seen&clLower != 0
		c.letters += letters
		if letters >= minRunLetters {
			run := letters
			if letters != runes {
				run = longestLetterRun(s[i:j])
			}
			if run >= minRunLetters {
				c.longRun = max(c.longRun, run)
				c.runLetters += letters
			}
		}
		// A single letter, or single letters joined by a separator
		// ("i-g-n-o-r-e"), extends the chain.
		k := 0
		switch {
		case runes == 1 && syms == 0:
			k = 1
		case other == 0 && syms > 0:
			k = sepLetters(s[i:j])
		}
		if k > 0 {
			if lastSingle >= 0 && i-lastSingle <= 4*maxGapRunes {
				chain += k
			} else {
				chain = k
			}
			c.chain = max(c.chain, chain)
			lastSingle = j
		} else {
			chain, lastSingle = 0, -1
		}
		if other == 0 && digits == 0 && syms == 0 && letters >= 3 {
			if l0, l1, l2 := s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20; l0-'a' < 26 && l1-'a' < 26 && l2-'a' < 26 && natoPrefix[prefixIndex(l0, l1, l2)] {
				nato++
				c.nato = max(c.nato, nato)
			} else {
				nato = 0
			}
			c.words++
			if hasPrefix(s[j-1]|0x20, s[j-2]|0x20, s[j-3]|0x20) {
				c.backward++
			}
			if !hasPrefix(s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20) {
				c.odd++
				strange++
				c.strange = max(c.strange, strange)
			} else {
				strange = 0
			}
		}
		if letters > 0 && (digits > 0 || syms > 0) {
			c.leet = true
		}
		if letters+digits+syms >= minBase64 && ((upper && lower) || (digits > 0 && letters > 0)) {
			c.encoded = true
		}
		if hexOnly && other == 0 && syms == 0 {
			switch {
			case runes >= 2*minHexBytes:
				c.encoded = true
			case runes == 2 || (runes == 4 && s[i] == '0' && s[i+1]|0x20 == 'x'):
				if hexTokens++; hexTokens >= minHexBytes {
					c.encoded = true
				}
			}
		}
		i = j
	}
	return c
}
