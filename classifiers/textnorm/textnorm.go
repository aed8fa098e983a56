// Package textnorm normalises text before it is scored: Unicode NFKC,
// removal of invisible format characters, and signals that record what was
// removed so that the policy can treat obfuscation as evidence.
//
// Normalisation only affects what classifiers see. Offsets of findings and
// redactions always refer to the caller's original text.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Signals raised by Normalize.
const (
	// SignalInvisible: zero-width or other invisible format characters were removed.
	SignalInvisible = "invisible_chars"
	// SignalBidi: bidirectional control characters were removed.
	SignalBidi = "bidi_control"
	// SignalTagChars: Unicode tag characters (U+E0000 block), which can
	// smuggle hidden ASCII, were removed.
	SignalTagChars = "tag_chars"
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

// Normalize applies NFKC and strips invisible format characters. The input
// must be valid UTF-8 (the API rejects anything else); invalid bytes are
// replaced by U+FFFD.
func Normalize(s string) Result {
	var sig signals
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if needsStrip(s) {
		s = strip(s, &sig)
	}
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
	}
	return Result{Text: s, Signals: sig.list()}
}

type signals struct{ invisible, bidi, tags bool }

func (s signals) list() []string {
	var out []string
	if s.invisible {
		out = append(out, SignalInvisible)
	}
	if s.bidi {
		out = append(out, SignalBidi)
	}
	if s.tags {
		out = append(out, SignalTagChars)
	}
	return out
}

func isBidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

func isTag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

// removable reports whether r is an invisible character to drop. Format
// characters (Cf) cover zero-width spaces and joiners, the BOM, bidi
// controls and tag characters; a few default-ignorable fillers are added.
func removable(r rune) bool {
	if r < 0x80 {
		return false
	}
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x180E:
		return true
	}
	return unicode.Is(unicode.Cf, r) || (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF)
}

func needsStrip(s string) bool {
	for _, r := range s {
		if removable(r) {
			return true
		}
	}
	return false
}

// benign reports whether removing r says nothing about obfuscation:
// variation selectors, and a zero-width joiner inside an emoji sequence.
func benign(r, prev rune) bool {
	if (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) {
		return true
	}
	return r == 0x200D && unicode.Is(unicode.So, prev)
}

func strip(s string, sig *signals) string {
	var b strings.Builder
	b.Grow(len(s))
	var prev rune
	for _, r := range s {
		if !removable(r) {
			b.WriteRune(r)
			prev = r
			continue
		}
		switch {
		case benign(r, prev):
		case isBidi(r):
			sig.bidi = true
		case isTag(r):
			sig.tags = true
		default:
			sig.invisible = true
		}
	}
	return b.String()
}
