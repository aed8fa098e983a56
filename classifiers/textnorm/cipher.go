package textnorm

import "strings"

// Classical ciphers that jailbreaks ask a model to decode: Caesar shifts
// other than 13 and Atbash (found by letter frequencies, confirmed by the
// word list like rot13), and Morse code.

// englishFreq is the frequency of each letter in English text, per mille
// (the usual tables; only the ranking matters here).
var englishFreq = [26]int{82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24, 67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1}

// substitution maps lower-case letters ('a'+i → 'a'+m[i]).
type substitution [26]byte

func caesar(shift int) (m substitution) {
	for i := range m {
		m[i] = byte((i + shift) % 26)
	}
	return m
}

func atbash() (m substitution) {
	for i := range m {
		m[i] = byte(25 - i)
	}
	return m
}

// apply maps an ASCII letter, keeping its case; other bytes are returned
// as they are.
func (m *substitution) apply(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return 'a' + m[c-'a']
	case c >= 'A' && c <= 'Z':
		return 'A' + m[c-'A']
	}
	return c
}

// minCipherLetters is the fewest letters frequencies are read from.
const minCipherLetters = 20

// likelySubstitution picks, by the letter frequencies of the words of s
// that start no common word, the Caesar shift (other than 0 and 13: rot13
// is tried on its own) or Atbash that makes them read most like English.
// ok is false when there are too few such letters or when no candidate
// reads clearly more like English than they do.
func likelySubstitution(s string) (m substitution, ok bool) {
	// Letters of the words that start no common word: the cipher text,
	// not the English request around it.
	var count [26]int
	n := 0
	for i := 0; i < len(s); {
		if !isASCIILetter(s[i]) {
			i++
			continue
		}
		j := letterRunEnd(s, i)
		if j-i >= 3 && !hasPrefix(s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20) {
			for k := i; k < j; k++ {
				count[(s[k]|0x20)-'a']++
			}
			n += j - i
		}
		i = j
	}
	if n < minCipherLetters {
		return m, false
	}
	score := func(m *substitution) int {
		t := 0
		for i, k := range count {
			t += k * englishFreq[m[i]]
		}
		return t
	}
	// A candidate must beat the text as it stands by a quarter: letters of
	// another language's words fit some shift a little better by chance.
	id := caesar(0)
	best := score(&id) * 5 / 4
	for shift := 1; shift < 26; shift++ {
		if shift == 13 {
			continue
		}
		c := caesar(shift)
		if v := score(&c); v > best {
			best, m, ok = v, c, true
		}
	}
	if a := atbash(); score(&a) > best {
		m, ok = a, true
	}
	return m, ok
}

// decodeSubstitution decodes the spans of s that read as English only
// after m (as decodeRot13 does for ROT13).
func decodeSubstitution(s string, m substitution) (string, bool) {
	return decodeWordSpans(s, func(w []byte) {
		for k := range w {
			w[k] = m.apply(w[k])
		}
	}, func(b *strings.Builder, span string) {
		for k := 0; k < len(span); k++ {
			b.WriteByte(m.apply(span[k]))
		}
	})
}

// morse maps International Morse code to letters and digits.
var morse = map[string]byte{
	".-": 'a', "-...": 'b', "-.-.": 'c', "-..": 'd', ".": 'e', "..-.": 'f', "--.": 'g', "....": 'h',
	"..": 'i', ".---": 'j', "-.-": 'k', ".-..": 'l', "--": 'm', "-.": 'n', "---": 'o', ".--.": 'p',
	"--.-": 'q', ".-.": 'r', "...": 's', "-": 't', "..-": 'u', "...-": 'v', ".--": 'w', "-..-": 'x',
	"-.--": 'y', "--..": 'z', "-----": '0', ".----": '1', "..---": '2', "...--": '3', "....-": '4',
	".....": '5', "-....": '6', "--...": '7', "---..": '8', "----.": '9',
	".-.-.-": '.', "--..--": ',', "..--..": '?', ".----.": '\'', "-.-.--": '!', "-..-.": '/',
}

// minMorseLetters is the fewest codes a Morse run is decoded from.
const minMorseLetters = 6

// maybeMorse is the cheap test for Morse code in s.
func maybeMorse(s string) bool {
	return strings.Count(s, ".-")+strings.Count(s, "-.") >= 3
}

// decodeMorse replaces runs of Morse code by the text they spell. A run
// is made of codes of dots and dashes (also "·", "•", "−", "–", "_")
// separated by white space, with "/", "|" or two spaces or more between
// words; it is decoded when it has at least minMorseLetters codes, three
// different letters, and nearly all of its codes are valid.
func decodeMorse(s string) (out, payload string, ok bool) {
	var sp splice
	var dec, code []byte
	for i := 0; i < len(s); {
		if n, _ := morseMark(s, i); n == 0 {
			i++
			continue
		}
		// A run starting at i: codes and separators.
		dec, code = dec[:0], code[:0]
		codes, bad, spaced := 0, 0, false
		var seen [26]bool
		distinct := 0
		flush := func() {
			c, ok := morse[string(code)]
			if !ok {
				c = '?'
				bad++
			} else if c >= 'a' && c <= 'z' && !seen[c-'a'] {
				seen[c-'a'] = true
				distinct++
			}
			dec = append(dec, c)
			codes++
			code = code[:0]
		}
		j, end, gap := i, i, 0
	run:
		for j < len(s) {
			if n, sym := morseMark(s, j); n > 0 {
				if len(code) == 0 && gap >= 2 && len(dec) > 0 && dec[len(dec)-1] != ' ' {
					dec = append(dec, ' ')
				}
				if len(code) == 0 && gap > 0 {
					spaced = true
				}
				code = append(code, sym)
				j += n
				end, gap = j, 0
				continue
			}
			if len(code) > 0 {
				flush()
			}
			switch c := s[j]; {
			case c == ' ' || c == '\t':
				gap++
				j++
			case (c == '/' || c == '|') && len(dec) > 0:
				if dec[len(dec)-1] != ' ' {
					dec = append(dec, ' ')
				}
				gap = 0
				j++
			default:
				break run
			}
		}
		if len(code) > 0 {
			flush()
		}
		if codes >= minMorseLetters && distinct >= 3 && spaced && 10*bad <= codes {
			sp.replace(s, i, end, strings.TrimSpace(string(dec)))
		}
		i = max(end, i+1)
	}
	return sp.result(s)
}

// morseMark reads the dot or dash at s[i]: its length in bytes (0 when
// there is none) and whether it is a dot ('.') or a dash ('-').
func morseMark(s string, i int) (n int, sym byte) {
	switch c := s[i]; {
	case c == '.':
		return 1, '.'
	case c == '-' || c == '_':
		return 1, '-'
	case c < 0x80:
		return 0, 0
	}
	for _, m := range []struct {
		mark string
		sym  byte
	}{{"·", '.'}, {"•", '.'}, {"−", '-'}, {"–", '-'}} {
		if strings.HasPrefix(s[i:], m.mark) {
			return len(m.mark), m.sym
		}
	}
	return 0, 0
}
