package textnorm

import "strings"

// ASCII byte classes, looked up once per byte by the scanners.
const (
	clLower  uint8 = 1 << iota // a-z
	clUpper                    // A-Z
	clDigit                    // 0-9
	clSym                      // + / - _ @ $ ! | (base64 and leetspeak symbols)
	clHex                      // 0-9 a-f A-F
	clGap                      // space, punctuation or symbol: may separate spaced letters
	clJoin                     // joinSeparators: may join words run together
	clSpace                    // ASCII white space
	clLetter = clLower | clUpper
	clToken  = clLetter | clDigit | clSym
)

var asciiClass = func() (t [256]uint8) {
	for c := 0; c < 0x80; c++ {
		b := byte(c)
		switch {
		case b >= 'a' && b <= 'z':
			t[c] |= clLower
		case b >= 'A' && b <= 'Z':
			t[c] |= clUpper
		case b >= '0' && b <= '9':
			t[c] |= clDigit
		}
		switch b {
		case '+', '/', '-', '_', '@', '$', '!', '|':
			t[c] |= clSym
		}
		if (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
			t[c] |= clHex
		}
		if b == ' ' || (b >= '\t' && b <= '\r') {
			t[c] |= clSpace
		}
		if strings.IndexByte(joinSeparators, b) >= 0 {
			t[c] |= clJoin
		}
		if b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f' ||
			(b > ' ' && b < 0x7F && t[c]&(clLetter|clDigit) == 0) {
			t[c] |= clGap
		}
	}
	return t
}()
