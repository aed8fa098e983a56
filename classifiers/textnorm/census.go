package textnorm

import (
	"unicode/utf8"
)

// census is one cheap pass over a text that tells which transformations
// could apply, so that Derive runs only those (most texts need none).
type census struct {
	encoded  bool // a base64-like run, or hex bytes
	leet     bool // a token mixing letters with digits or leet symbols
	chain    int  // longest chain of one-letter tokens with short gaps
	nonASCII bool // look-alike letters are possible
	strange  int  // longest run of ASCII words whose first three letters start no common word
}

// takeCensus scans s once. Tokens are maximal runs of ASCII letters,
// digits and base64/leet symbols, and of non-ASCII letters.
func takeCensus(s string) census {
	var c census
	hexTokens := 0
	chain, lastSingle := 0, -1 // lastSingle: end of the last one-letter token
	strange := 0               // current run of strange words
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
			i++
			continue
		}
		if b >= 0x80 {
			c.nonASCII = true
			if r, _ := utf8.DecodeRuneInString(s[i:]); !atom(r) {
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
				continue
			}
		}
		// A token s[i:j].
		j := i
		runes, letters, digits, other, syms := 0, 0, 0, 0, 0
		var seen uint8 // union of the classes of the token's ASCII bytes
		hexOnly := true
		for j < len(s) {
			ch := s[j]
			if ch >= 0x80 {
				r, n := utf8.DecodeRuneInString(s[j:])
				if !atom(r) {
					break
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
			}
			j++
			runes++
		}
		upper, lower := seen&clUpper != 0, seen&clLower != 0
		if runes == 1 && syms == 0 {
			if lastSingle >= 0 && i-lastSingle <= 4*maxGapRunes {
				chain++
			} else {
				chain = 1
			}
			c.chain = max(c.chain, chain)
			lastSingle = j
		} else {
			chain, lastSingle = 0, -1
		}
		if other == 0 && digits == 0 && syms == 0 && letters >= 3 {
			if !hasPrefix(s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20) {
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
