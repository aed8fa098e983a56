package classifiers

import (
	"github.com/wardenhq/warden/classifiers/textnorm"
)

// Variants: every text a Suite scores is scored together with the
// de-obfuscated variants textnorm.Derive finds in it (decoded base64, hex
// and rot13 segments, escapes and classical ciphers; reversed text read
// forwards; homoglyphs folded, spaced letters joined, words run together
// split, diacritics stripped, leetspeak undone; a split payload
// assembled), and each category keeps its maximum over the text and its
// variants. Variants are computed per scored text — for the response stage,
// per window of the check plan — so a text gets the same variants whether it
// was checked whole or streamed. Most texts have none and cost one cheap
// scan; a text has at most textnorm.MaxVariants, each no longer than the
// text (plus a little), so the scoring work grows at most 1 + MaxVariants
// times (in practice: a decoded text, its payload alone, one de-obfuscated,
// one assembled).

// WithVariants returns a Suite over the same models that scores variants
// (on, the default) or only the texts themselves (off: for measuring what
// variants add). The two share the models: close only one of them.
func (s *Suite) WithVariants(on bool) *Suite {
	c := *s
	c.noVariants = !on
	return &c
}

// expanded is a batch of texts with their variants: texts[i] belongs to
// the caller's text owner[i]; signals are per caller's text.
type expanded struct {
	texts   []string
	owner   []int
	signals [][]string
}

// expand lists each text followed by its variants.
func (s *Suite) expand(texts []string) expanded {
	x := expanded{signals: make([][]string, len(texts))}
	if s.noVariants {
		x.texts = texts
		x.owner = make([]int, len(texts))
		for i := range x.owner {
			x.owner[i] = i
		}
		return x
	}
	x.texts = make([]string, 0, len(texts))
	x.owner = make([]int, 0, len(texts))
	for i, t := range texts {
		x.texts = append(x.texts, t)
		x.owner = append(x.owner, i)
		v := textnorm.Derive(t)
		for _, vt := range v.Texts {
			x.texts = append(x.texts, vt)
			x.owner = append(x.owner, i)
		}
		x.signals[i] = v.Signals
	}
	return x
}
