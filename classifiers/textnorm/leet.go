package textnorm

import "strings"

// leetOf maps a leetspeak character to the letter it stands for (0: none).
// '1' is ambiguous (i or l) and resolved per word.
func leetOf(c byte) byte {
	switch c {
	case '0':
		return 'o'
	case '1', '!':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	case '|':
		return 'l'
	}
	return 0
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// edgeSymbol reports leet symbols that are punctuation at a word's edge.
func edgeSymbol(c byte) bool { return c == '!' || c == '|' || c == '@' || c == '$' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }

// leetToken reports bytes that can be part of a leetspeak word.
func leetToken(c byte) bool {
	return asciiClass[c]&(clLetter|clDigit) != 0 || c == '@' || c == '$' || c == '!' || c == '|'
}

// maxLeetToken bounds the words undoLeet looks at (longer runs are ids,
// hashes or data, not words).
const maxLeetToken = 40

// undoLeet replaces leetspeak words by the words they spell ("1gn0r3" →
// "ignore", "j41lbr34k" → "jailbreak"). A word qualifies when a digit or
// symbol sits between its letters and it is not a hex string, or when the
// replacement is a known English word (for words with digits only at an
// edge, such as "1gnore" or "0n", which would otherwise catch "python3",
// "4k" or "10am"). Hex strings, mixed-case runs (base64) and e-mail
// addresses are left alone. It reports whether anything changed.
func undoLeet(s string) (string, bool) {
	out, n := undoLeetPass(s, false)
	if n >= 2 {
		// Leetspeak context: numbers that spell words are words too.
		out, _ = undoLeetPass(out, true)
	}
	return out, n > 0
}

// undoLeetPass is one pass of undoLeet; it returns how many words it
// replaced.
func undoLeetPass(s string, numbers bool) (string, int) {
	replaced := 0
	var b strings.Builder
	changed := false
	start := 0
	var word [maxLeetToken]byte
	for i := 0; i < len(s); {
		if !leetToken(s[i]) {
			i++
			continue
		}
		j := i
		mixed := false // any digit or symbol: worth a look
		for j < len(s) && leetToken(s[j]) {
			mixed = mixed || asciiClass[s[j]]&clLetter == 0
			j++
		}
		if !mixed {
			i = j
			continue
		}
		// The token must not run into other letters (non-ASCII words).
		if (i > 0 && s[i-1] >= 0x80) || (j < len(s) && s[j] >= 0x80) {
			i = j
			continue
		}
		lo, hi := i, j
		// An '@' before a domain is an e-mail address.
		email := j+1 < len(s) && s[j] == '.' && isASCIILetter(s[j+1]) && strings.IndexByte(s[i:j], '@') >= 0
		// Symbols at the edges are usually punctuation ("hello!", "@name",
		// "$5"), but may be leet ("@ll", "!nstructions", "rule$"): the
		// whole token is taken when it spells a known word.
		w, ok := []byte(nil), false
		if !email && (j-i >= 2 || numbers) && j-i <= maxLeetToken {
			if w, ok = leetWord(s[i:j], word[:0], numbers); ok && !known(w) && (edgeSymbol(s[i]) || edgeSymbol(s[j-1])) {
				ok = false
			}
		}
		if !ok {
			for lo < hi && (edgeSymbol(s[lo]) && !(s[lo] == '$' && lo+1 < hi && isASCIILetter(s[lo+1]))) {
				lo++
			}
			for hi > lo && edgeSymbol(s[hi-1]) {
				hi--
			}
			if !email && (hi-lo >= 2 || numbers) && hi-lo <= maxLeetToken {
				w, ok = leetWord(s[lo:hi], word[:0], numbers)
			}
		}
		if ok {
			if !changed {
				b.Grow(len(s))
				changed = true
			}
			b.WriteString(s[start:lo])
			b.Write(w)
			start = hi
			replaced++
		}
		i = j
	}
	if !changed {
		return s, 0
	}
	b.WriteString(s[start:])
	return b.String(), replaced
}

// leetWord decodes one token, appending to buf; ok is false when the token
// is not leetspeak.
//
// A token without letters ("7311", "@11", "$0") or of two characters ("0n",
// "1s") is taken only when numbers is set (the text has other leetspeak
// words) and it spells a known word ("tell", "all", "on").
func leetWord(t string, buf []byte, numbers bool) ([]byte, bool) {
	letters, leet, interior := 0, 0, false
	hex := true
	firstLetter, lastLetter := -1, -1
	humps := 0 // lower-case letter followed by an upper-case one
	for k := 0; k < len(t); k++ {
		c := t[k]
		if isASCIILetter(c) {
			letters++
			if c <= 'Z' && lastLetter >= 0 && t[lastLetter] >= 'a' {
				humps++
			}
			if firstLetter < 0 {
				firstLetter = k
			}
			lastLetter = k
			if (c | 0x20) > 'f' {
				hex = false
			}
			continue
		}
		if !isDigit(c) {
			hex = false
		}
		if leetOf(c) != 0 {
			leet++
		} else if isDigit(c) {
			return nil, false // 2, 6: not leetspeak here
		}
	}
	number := letters == 0 || len(t) <= 2 // "7311", "$0", "@11"; "0n", "1s"
	if leet == 0 || humps >= 2 || (number && !numbers) {
		return nil, false // no leet, mixed case like base64, or a number
	}
	for k := firstLetter + 1; k < lastLetter; k++ {
		if leetOf(t[k]) != 0 {
			interior = true
			break
		}
	}
	// Decode; each '1' becomes 'i', or 'l' when that spells a known word.
	var ones []int
	for k := 0; k < len(t); k++ {
		c := t[k]
		if c == '1' {
			ones = append(ones, len(buf))
		}
		if l := leetOf(c); l != 0 {
			buf = append(buf, l)
		} else {
			buf = append(buf, c|0x20)
		}
	}
	isKnown := known(buf)
	if !isKnown && len(ones) > 0 && len(ones) <= 4 {
		for mask := 1; mask < 1<<len(ones); mask++ {
			for bit, at := range ones {
				buf[at] = "il"[mask>>bit&1]
			}
			if known(buf) {
				isKnown = true
				break
			}
		}
		if !isKnown {
			// Neither spelling is known: a '1' next to another '1' is an
			// l ("a11"), and so is one before a vowel ("1ove", "p1ay");
			// else it is an i ("1gnore", "w1th").
			for _, at := range ones {
				l := (at > 0 && t[at-1] == '1') || (at+1 < len(t) && t[at+1] == '1')
				if at+1 < len(buf) {
					switch buf[at+1] {
					case 'a', 'e', 'o', 'u':
						l = true
					}
				}
				buf[at] = "il"[b2i(l)]
			}
		}
	}
	if !isKnown && ((hex && len(t) >= 6) || formula(t)) {
		return nil, false // hashes, colours, ids; chemical formulas
	}
	if number {
		return buf, isKnown
	}
	if isKnown || (interior && letters >= 2 && (leet >= 2 || letters >= 3)) {
		// (Tokens without letters, "@11", only when known.)
		return buf, true
	}
	return nil, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// formula reports tokens shaped like chemical formulas ("C17H19NO3",
// "H2O"): element symbols (an upper-case letter, maybe a lower-case one)
// each followed by an optional count.
func formula(t string) bool {
	k := 0
	for k < len(t) {
		if t[k] < 'A' || t[k] > 'Z' {
			return false
		}
		k++
		if k < len(t) && t[k] >= 'a' && t[k] <= 'z' {
			k++
		}
		for k < len(t) && isDigit(t[k]) {
			k++
		}
	}
	return len(t) > 0
}
