package textnorm

import (
	"encoding/ascii85"
	"encoding/base32"
	"strings"
	"unicode/utf8"
)

// Encodings that vulnerability scanners (garak's encoding probes among
// them) hide instructions in, beyond base64, hex and rot13: base32,
// Ascii85 and Base85, uuencode (signal "encoding"); Braille and the NATO
// spelling alphabet (signal "cipher", with Morse). Each decoded text must
// read as text (textLike) or spell words.

const (
	minBase32  = 16 // characters of a base32 run
	minBase85  = 20 // characters of an Ascii85 or Base85 run
	minUULine  = 8  // bytes encoded on a uuencoded line
	minBraille = 6  // Braille cells in a run
	minNATO    = 6  // code words in a run
)

// decodeEncodings decodes base32 and Ascii85/Base85 fields of s.
func decodeEncodings(s string) (out, payload string, ok bool) {
	var sp splice
	forFields(s, func(i, j int) {
		f := s[i:j]
		if len(f) < minBase32 {
			return
		}
		dec, ok := decodeBase32(f)
		if !ok {
			dec, ok = decodeBase85(f)
		}
		if ok {
			sp.replace(s, i, j, string(dec))
		}
	})
	return sp.result(s)
}

// decodeBase32 decodes a field of the standard base32 alphabet (upper
// case, padded or not).
func decodeBase32(f string) ([]byte, bool) {
	digits := false
	for k := 0; k < len(f); k++ {
		c := f[k]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= '2' && c <= '7':
			digits = true
		case c == '=' && k >= len(f)-6:
		default:
			return nil, false
		}
	}
	if !digits {
		return nil, false // a shouted word, not base32 of text
	}
	enc := base32.StdEncoding
	if !strings.HasSuffix(f, "=") {
		enc = base32.StdEncoding.WithPadding(base32.NoPadding)
	}
	d, err := enc.DecodeString(f)
	if err != nil || !textLike(d) {
		return nil, false
	}
	return d, true
}

// base85Alphabet is RFC 1924's (Python's b85encode, git's binary patches).
const base85Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"

// decodeBase85 decodes a field of Ascii85 ("<~...~>" or bare, as Python's
// a85encode writes it) or of RFC 1924 Base85 (read by mapping it onto the
// Ascii85 alphabet). A field of letters and digits alone is left to
// base64 and hex.
func decodeBase85(f string) ([]byte, bool) {
	if len(f) < minBase85 {
		return nil, false
	}
	body := strings.TrimSuffix(strings.TrimPrefix(f, "<~"), "~>")
	punct := 0
	a85 := true
	for k := 0; k < len(body); k++ {
		c := body[k]
		if !isAlnum(c) {
			punct++
		}
		if (c < '!' || c > 'u') && c != 'z' {
			a85 = false
		}
	}
	if punct == 0 {
		return nil, false
	}
	if a85 {
		if d, ok := ascii85Text(body); ok {
			return d, true
		}
	}
	mapped := make([]byte, len(body))
	for k := 0; k < len(body); k++ {
		i := strings.IndexByte(base85Alphabet, body[k])
		if i < 0 {
			return nil, false
		}
		mapped[k] = '!' + byte(i)
	}
	return ascii85Text(string(mapped))
}

func ascii85Text(s string) ([]byte, bool) {
	dst := make([]byte, 4*len(s)/5+4)
	n, _, err := ascii85.Decode(dst, []byte(s), true)
	if err != nil || !textLike(dst[:n]) {
		return nil, false
	}
	return dst[:n], true
}

// decodeUU decodes runs of uuencoded lines: a length character (' ' + n)
// then n bytes in groups of four characters (' ' or '`' + 6 bits). It
// looks at each line's length first, so most texts cost one scan for
// newlines.
func decodeUU(s string) (out, payload string, ok bool) {
	var sp splice
	var run []byte
	runStart, runEnd := -1, -1
	flush := func() {
		if runStart >= 0 && textLike(run) {
			sp.replace(s, runStart, runEnd, string(run))
		}
		run, runStart, runEnd = run[:0], -1, -1
	}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			j = len(s)
		} else {
			j += i
		}
		line := strings.TrimRight(s[i:j], "\r")
		d, at, ok := uuLineIn(line, runStart < 0)
		if ok {
			if runStart < 0 {
				runStart = i + at
			}
			run = append(run, d...)
			runEnd = i + len(line)
		} else {
			flush()
		}
		i = j + 1
	}
	flush()
	return sp.result(s)
}

// uuLineIn decodes a uuencoded line; the first line of a run may follow a
// few words on the same line ("Encoded: M26=..."), and at is where it
// starts.
func uuLineIn(line string, first bool) (d []byte, at int, ok bool) {
	if d, ok := uuLine(line); ok || !first {
		return d, 0, ok
	}
	for k, tries := 0, 0; k < len(line) && tries < 4; k++ {
		if line[k] != ' ' {
			continue
		}
		tries++
		if d, ok := uuLine(line[k+1:]); ok {
			return d, k + 1, true
		}
	}
	return nil, 0, false
}

// uuLine decodes one uuencoded line.
func uuLine(line string) ([]byte, bool) {
	if len(line) < 2 {
		return nil, false
	}
	n := int(line[0]) - ' '
	if n < minUULine || n > 45 || len(line) != 1+4*((n+2)/3) {
		return nil, false
	}
	val := func(c byte) (byte, bool) {
		if c == '`' {
			return 0, true
		}
		if c < ' ' || c > '_' {
			return 0, false
		}
		return c - ' ', true
	}
	out := make([]byte, 0, n+2)
	for k := 1; k+4 <= len(line); k += 4 {
		var v [4]byte
		for q := range v {
			x, ok := val(line[k+q])
			if !ok {
				return nil, false
			}
			v[q] = x
		}
		out = append(out, v[0]<<2|v[1]>>4, v[1]<<4|v[2]>>2, v[2]<<6|v[3])
	}
	return out[:n], true
}

// brailleLetter is Grade 1 Braille (the six-dot cells U+2800-U+283F) as
// letters and punctuation; digits are letters a-j after the number sign.
var brailleLetter = func() (t [64]byte) {
	for i, c := range []rune("⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚⠅⠇⠍⠝⠕⠏⠟⠗⠎⠞⠥⠧⠺⠭⠽⠵") {
		t[c-0x2800] = 'a' + byte(i)
	}
	for c, p := range map[rune]byte{'⠲': '.', '⠄': '\'', '⠂': ',', '⠤': '-', '⠌': '/', '⠖': '!', '⠦': '?', '⠒': ':', '⠰': ';', '⠶': '('} {
		t[c-0x2800] = p
	}
	return t
}()

const (
	brailleCaps   = 0x2820
	brailleNumber = 0x283C
	brailleBlank  = 0x2800
)

// decodeBraille replaces runs of Braille cells (with the spaces between
// them) by the text they spell.
func decodeBraille(s string) (out, payload string, ok bool) {
	var sp splice
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x2800 || r > 0x283F {
			i += n
			continue
		}
		var dec []byte
		cells := 0
		caps, number := false, false
		j, end := i, i
	cells:
		for j < len(s) {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			switch {
			case r2 == ' ' || r2 == brailleBlank:
				dec = append(dec, ' ')
				number = false
			case r2 == brailleCaps:
				caps = true
			case r2 == brailleNumber:
				number = true
			case r2 > 0x2800 && r2 <= 0x283F:
				c := brailleLetter[r2-0x2800]
				switch {
				case c == 0:
					c = '?'
				case number && c >= 'a' && c <= 'j':
					c = "1234567890"[c-'a']
				case caps && c >= 'a' && c <= 'z':
					c -= 'a' - 'A'
				}
				dec = append(dec, c)
				caps = false
				cells++
			default:
				break cells
			}
			j += n2
			if r2 != ' ' {
				end = j
			}
		}
		if cells >= minBraille {
			sp.replace(s, i, end, strings.TrimSpace(string(dec)))
		}
		i = max(end, i+n)
	}
	return sp.result(s)
}

// natoLetter maps the NATO spelling alphabet (lower case, and the common
// spellings "alpha", "juliet", "x-ray") to letters.
var natoLetter = map[string]byte{
	"alfa": 'a', "alpha": 'a', "bravo": 'b', "charlie": 'c', "delta": 'd', "echo": 'e', "foxtrot": 'f',
	"golf": 'g', "hotel": 'h', "india": 'i', "juliett": 'j', "juliet": 'j', "kilo": 'k', "lima": 'l',
	"mike": 'm', "november": 'n', "oscar": 'o', "papa": 'p', "quebec": 'q', "romeo": 'r', "sierra": 's',
	"tango": 't', "uniform": 'u', "victor": 'v', "whiskey": 'w', "whisky": 'w', "xray": 'x', "x-ray": 'x',
	"yankee": 'y', "zulu": 'z',
}

// natoPrefix holds the first three letters of the NATO code words: the
// census counts runs of words that start like one.
var natoPrefix = func() (t [26 * 26 * 26]bool) {
	for w := range natoLetter {
		if isASCIILetter(w[1]) { // not "x-ray": "xray" covers it
			t[prefixIndex(w[0], w[1], w[2])] = true
		}
	}
	return t
}()

// decodeNATO replaces runs of NATO code words ("Hotel Echo Lima Lima
// Oscar") by their letters, split into words when they spell English.
func decodeNATO(s string) (out, payload string, ok bool) {
	var sp splice
	runStart, runEnd := -1, -1
	var letters []byte
	var buf [8]byte
	flush := func() {
		if len(letters) >= minNATO {
			// Spelled letters carry no spaces: find the words (segment
			// keeps the letters when they are not mostly English).
			sp.replace(s, runStart, runEnd, segment(string(letters)))
		}
		letters, runStart, runEnd = letters[:0], -1, -1
	}
	forFields(s, func(i, j int) {
		w := strings.TrimRight(s[i:j], ".,;:!?")
		c, ok := byte(0), false
		if len(w) <= len(buf) {
			lw := buf[:len(w)]
			for k := range lw {
				lw[k] = w[k] | 0x20
			}
			c, ok = natoLetter[string(lw)]
		}
		if !ok {
			flush()
			return
		}
		if runStart < 0 {
			runStart = i
		}
		letters = append(letters, c)
		runEnd = i + len(w)
	})
	flush()
	return sp.result(s)
}
