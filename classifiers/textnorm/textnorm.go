// Package textnorm normalises text before it is scored and derives the
// de-obfuscated variants that are scored beside it.
//
// Normalize is cheap, rune-local and incremental-friendly: it strips
// invisible format characters, controls other than white space,
// noncharacters and private-use characters (Stripper, one rune at a time;
// Ignorable says which), decodes
// Unicode tag characters into the ASCII they hide, and applies NFKC. The
// streaming filter runs the same Stripper rune by rune and NFKC through
// norm's streaming writer, so a streamed text normalises exactly as a whole
// one.
//
// Variants (variants.go) holds the transformations that are not rune-local:
// decoding base64, hex and rot13 segments, HTML character references, \u
// escapes, Morse code, Caesar shifts and Atbash (cipher.go), base32,
// Ascii85, Base85, uuencode, Braille and the NATO alphabet (encodings.go);
// reading text written backwards; folding confusable homoglyphs in
// mixed-script words; joining spaced-out letters; splitting words run
// together (joined.go); stripping diacritics piled on Latin letters;
// undoing leetspeak; and assembling payloads split into quoted parts
// (split.go). They never replace the normalised text: each variant is an
// extra text that the classifiers score too (the maximum per category is
// kept), so a wrong guess can only add a score, never hide the original.
//
// Signals record what was found, for the policy (see the Signal constants).
// Normalisation only affects what classifiers see. Offsets of findings and
// redactions always refer to the caller's original text.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Signals raised by Normalize. Each is evidence of obfuscation that the
// policy can act on (data.json signals.<stage>.escalate).
const (
	// SignalInvisible: zero-width or other invisible format characters were
	// removed (zero-width space, word joiner, soft hyphen, BOM, fillers...),
	// or control characters other than white space, or noncharacters.
	SignalInvisible = "invisible_chars"
	// SignalBidi: bidirectional control characters (LRE, RLO, isolates,
	// marks) were removed.
	SignalBidi = "bidi_control"
	// SignalTagChars: Unicode tag characters (U+E0000 block), which can
	// smuggle hidden ASCII, were found; the ASCII they encode is kept in the
	// normalised text (so it is scored) and the rest removed. Tag sequences
	// that form an emoji flag (after U+1F3F4) are removed quietly.
	SignalTagChars = "tag_chars"
	// SignalVariationSelectors: supplementary variation selectors
	// (U+E0100-U+E01EF) that do not follow a Han ideograph were found.
	// Each can hide one byte (VS17 + b - 16, after an emoji: "😈" and a
	// run of them); the printable ASCII they encode is kept in the
	// normalised text and the rest removed. After an ideograph they form an
	// ideographic variation sequence and are removed quietly.
	SignalVariationSelectors = "variation_selectors"
)

// Result is normalised text plus the signals raised while producing it.
type Result struct {
	Text    string
	Signals []string
}

// Has reports whether the result carries signal s.
func (r Result) Has(s string) bool {
	for _, x := range r.Signals {
		if x == s {
			return true
		}
	}
	return false
}

// Normalize strips invisible format characters (see Stripper) and applies
// NFKC. The input must be valid UTF-8 (the API rejects anything else);
// invalid bytes are replaced by U+FFFD.
func Normalize(s string) Result {
	var st Stripper
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if needsStrip(s) {
		s = st.String(s)
	}
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
	}
	return Result{Text: s, Signals: st.Signals()}
}

// Stripper is the rune-local first step of Normalize: it drops invisible
// format characters and decodes tag characters, and remembers which
// signals that raised. Feed it a text's runes in order, in one call or many
// (the streaming filter does); the zero value is ready to use.
type Stripper struct {
	prev rune  // the last rune kept
	flag uint8 // tag characters in the emoji flag sequence after prev
	bits uint8
	// A UTF-8 sequence being read from variation selectors: its bytes
	// so far and how many it has in all.
	pend  [utf8.UTFMax]byte
	npend uint8
	need  uint8
}

// Signal bits of Stripper.Bits, in Signals order.
const (
	BitInvisible uint8 = 1 << iota
	BitBidi
	BitTags
	BitVariation
)

// StripperBits is how many signal bits Stripper.Bits uses.
const StripperBits = 4

const (
	blackFlag   = 0x1F3F4 // base of emoji tag sequences (subdivision flags)
	maxFlagTags = 7       // longest tag spec of a subdivision flag
)

// Rune returns what replaces r in the stripped text: r itself, another
// rune (the ASCII character a tag character encodes), or nothing (keep
// false).
func (s *Stripper) Rune(r rune) (out rune, keep bool) {
	if !removable(r) {
		s.prev, s.flag, s.npend = r, 0, 0
		return r, true
	}
	switch {
	case isTag(r):
		if s.prev == blackFlag && s.flag < maxFlagTags {
			// An emoji tag sequence (a subdivision flag such as
			// England's): up to 7 tag digits or lower-case letters, then
			// the cancel tag. Anything else after the flag is smuggling.
			switch {
			case r >= 0xE0030 && r <= 0xE0039, r >= 0xE0061 && r <= 0xE007A:
				s.flag++
				return 0, false
			case r == 0xE007F && s.flag > 0:
				s.flag = maxFlagTags
				return 0, false
			}
		}
		s.flag = maxFlagTags
		s.bits |= BitTags
		if r >= 0xE0020 && r <= 0xE007E {
			s.prev = r - 0xE0000
			return s.prev, true
		}
	case r >= 0xE0100 && r <= 0xE01EF && (s.npend > 0 || !unicode.Is(unicode.Han, s.prev)):
		// A byte smuggled in a variation selector: VS17 is 16.
		s.bits |= BitVariation
		if out, ok := s.smuggled(byte(r - 0xE0100 + 16)); ok {
			s.prev = out
			return out, true
		}
		return 0, false
	case benign(r, s.prev):
	case isBidi(r):
		s.bits |= BitBidi
	default:
		s.bits |= BitInvisible
	}
	return 0, false
}

// smuggled reads one byte hidden in a variation selector: printable
// ASCII is kept, a multi-byte UTF-8 sequence is kept once complete
// ("über" hides five bytes), anything else is dropped.
func (s *Stripper) smuggled(b byte) (rune, bool) {
	switch {
	case s.npend > 0 && b&0xC0 == 0x80:
		s.pend[s.npend] = b
		if s.npend++; s.npend < s.need {
			return 0, false
		}
		r, _ := utf8.DecodeRune(s.pend[:s.npend])
		s.npend = 0
		return r, r != utf8.RuneError && unicode.IsPrint(r)
	case b >= 0xC2 && b <= 0xF4:
		s.pend[0], s.npend = b, 1
		s.need = 2
		if b >= 0xE0 {
			s.need = 3
		}
		if b >= 0xF0 {
			s.need = 4
		}
		return 0, false
	}
	s.npend = 0
	if b >= 0x20 && b < 0x7F {
		return rune(b), true
	}
	return 0, false
}

// String strips a whole text (continuing from the runes seen before).
func (s *Stripper) String(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		if out, ok := s.Rune(r); ok {
			b.WriteRune(out)
		}
	}
	return b.String()
}

// Bits are the signals raised so far as a bit set (BitInvisible...).
func (s *Stripper) Bits() uint8 { return s.bits }

// Signals lists the signals raised so far, in a fixed order.
func (s *Stripper) Signals() []string {
	var out []string
	if s.bits&BitInvisible != 0 {
		out = append(out, SignalInvisible)
	}
	if s.bits&BitBidi != 0 {
		out = append(out, SignalBidi)
	}
	if s.bits&BitTags != 0 {
		out = append(out, SignalTagChars)
	}
	if s.bits&BitVariation != 0 {
		out = append(out, SignalVariationSelectors)
	}
	return out
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

func isTag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

// removable reports whether r is a character that Stripper drops (or, for
// tag characters and smuggling variation selectors, decodes): nothing a
// reader sees, so nothing a classifier should read between the letters of
// a word. Format characters (Cf) cover zero-width spaces and joiners, the
// BOM, bidi controls and tag characters; a few default-ignorable fillers
// and the invisible Khmer vowels are added; so are control characters
// other than white space (C0 but tab, line feed, vertical tab, form feed
// and carriage return; DEL; C1 but next-line), noncharacters (U+FDD0 to
// U+FDEF and the last two code points of every plane) and private-use
// characters, which no standard font draws and which can be interleaved
// with a word's letters as freely as a zero-width space.
func removable(r rune) bool {
	if r < 0x80 {
		return asciiControl(byte(r))
	}
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x180E:
		return true
	}
	if r < 0x0600 {
		return r == 0x00AD || (r <= 0x9F && r != 0x85) // soft hyphen; C1 controls but NEL
	}
	return unicode.Is(unicode.Cf, r) || (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) ||
		noncharacter(r) || privateUse(r)
}

// Ignorable reports whether Normalize drops r (or decodes it into the ASCII
// it hides): invisible format characters, control characters other than
// white space, noncharacters and private-use characters. A detector that
// reads the caller's original text can skip them to see "jane\u200b@x.io"
// as the address it displays as.
func Ignorable(r rune) bool { return removable(r) }

// asciiControl reports the C0 controls other than white space, and DEL.
func asciiControl(b byte) bool {
	return (b < 0x20 && (b < '\t' || b > '\r')) || b == 0x7F
}

func noncharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}

func privateUse(r rune) bool {
	return (r >= 0xE000 && r <= 0xF8FF) || (r >= 0xF0000 && r <= 0xFFFFD) || (r >= 0x100000 && r <= 0x10FFFD)
}

func needsStrip(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			if asciiControl(s[i]) {
				return true
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if removable(r) {
			return true
		}
		i += n - 1
	}
	return false
}

// benign reports whether removing r says nothing about obfuscation:
// variation selectors, private-use characters (icon fonts put their
// symbols there), and a zero-width joiner inside an emoji sequence.
func benign(r, prev rune) bool {
	if (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) || privateUse(r) {
		return true
	}
	return r == 0x200D && unicode.Is(unicode.So, prev)
}
