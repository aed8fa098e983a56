// Package nerfeat turns text into the tokens and hashed features of Warden's
// PERSON/LOCATION tagger. The same code featurises text for training
// (models/nertrain) and for serving (package detect), so the two cannot
// disagree; the feature definition is part of the model's contract and its
// version is recorded in the model manifest.
//
// Tokens are maximal runs of letters, marks and digits (an apostrophe or a
// hyphen between letters stays inside: O'Brien, Jean-Luc); every other
// non-space rune is a token of its own. Each token gets Slots feature ids:
// the hash of "tag\x00value" (64-bit FNV-1a) mapped to 1 + h mod
// (Buckets-1); id 0 is padding. Features look at the token, its shape,
// prefixes and suffixes, and the words up to two tokens away.
package nerfeat

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Version names the feature definition below; a model records it.
const Version = "nerfeat-1"

// Slots is the number of feature ids per token.
const Slots = 16

// Window is how many tokens on each side a token's features read.
const Window = 2

// maxWordRunes truncates long words inside features.
const maxWordRunes = 20

// Config is stored in the model manifest.
type Config struct {
	Version string `json:"version"`
	Buckets int    `json:"buckets"`
}

// Validate reports a config this code cannot serve.
func (c Config) Validate() error {
	if c.Version != Version {
		return fmt.Errorf("nerfeat: feature version %q, this build has %q", c.Version, Version)
	}
	if c.Buckets < 2 {
		return fmt.Errorf("nerfeat: buckets %d < 2", c.Buckets)
	}
	return nil
}

// Token is one token: byte offsets into the text, End exclusive.
type Token struct {
	Start, End int
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// Tokenize appends the tokens of text to dst.
func Tokenize(text string, dst []Token) []Token {
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		if !isWordRune(r) {
			dst = append(dst, Token{i, i + n})
			i += n
			continue
		}
		j := i + n
		for j < len(text) {
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if isWordRune(r2) {
				j += n2
				continue
			}
			if (r2 == '\'' || r2 == '-' || r2 == '’') && j+n2 < len(text) {
				r3, _ := utf8.DecodeRuneInString(text[j+n2:])
				if unicode.IsLetter(r3) {
					j += n2
					continue
				}
			}
			break
		}
		dst = append(dst, Token{i, j})
		i = j
	}
	return dst
}

// Shape maps upper-case letters to X, lower-case to x, digits to d, keeps
// other runes, and collapses repeats: "McDonald" -> "XxXx", "2024" -> "d".
func Shape(w string) string {
	var buf [64]byte
	b := buf[:0]
	var last rune = -1
	for _, r := range w {
		c := r
		switch {
		case unicode.IsUpper(r):
			c = 'X'
		case unicode.IsLower(r) || unicode.IsLetter(r):
			c = 'x'
		case unicode.IsDigit(r):
			c = 'd'
		}
		if c != last {
			b = utf8.AppendRune(b, c)
			last = c
		}
	}
	if s, ok := commonShapes[string(b)]; ok { // no allocation for the usual shapes
		return s
	}
	return string(b)
}

// commonShapes interns the shapes most words have.
var commonShapes = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{"", "x", "X", "Xx", "d", "xX", "XxX", "XxXx", "x-x", "Xx-Xx", "x'x", "Xx'x", "X'Xx", "dx", "xd", "Xd", "dX", "XdX", "d.d", "d,d", "d:d", "x.x", "X.X", "XxXxX"} {
		m[s] = s
	}
	return m
}()

// IsCapitalized reports a word starting with an upper-case letter.
func IsCapitalized(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// SentenceStart reports whether token i starts a sentence (first token, or
// after . ! ? : or a line break).
func SentenceStart(text string, toks []Token, i int) bool {
	if i == 0 {
		return true
	}
	p := text[toks[i-1].Start:toks[i-1].End]
	if p == "." || p == "!" || p == "?" || p == ":" || p == "\"" || p == "“" {
		return true
	}
	return strings.ContainsAny(text[toks[i-1].End:toks[i].Start], "\n")
}

func lowerTrunc(w string) string {
	if utf8.RuneCountInString(w) > maxWordRunes {
		k := 0
		for i := range w {
			if k == maxWordRunes {
				w = w[:i]
				break
			}
			k++
		}
	}
	return strings.ToLower(w)
}

func prefix(w string, n int) string {
	k := 0
	for i := range w {
		if k == n {
			return w[:i]
		}
		k++
	}
	return w
}

func suffix(w string, n int) string {
	k := 0
	for i := len(w); i > 0; {
		_, sz := utf8.DecodeLastRuneInString(w[:i])
		i -= sz
		k++
		if k == n {
			return w[i:]
		}
	}
	return w
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (c Config) id(tag string, val ...string) int64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(tag); i++ {
		h = (h ^ uint64(tag[i])) * fnvPrime
	}
	h *= fnvPrime // the separator byte 0 (h ^ 0 == h)
	// the value is the concatenation of the parts
	for _, v := range val {
		for i := 0; i < len(v); i++ {
			h = (h ^ uint64(v[i])) * fnvPrime
		}
	}
	return int64(1 + h%uint64(c.Buckets-1))
}

func capClass(w string) string {
	sh := Shape(w)
	switch {
	case sh == "d":
		return "num"
	case !IsCapitalized(w):
		if sh == "x" {
			return "lower"
		}
		return "other"
	case isUpper(w) && utf8.RuneCountInString(w) > 1:
		return "upper"
	}
	return "title"
}

// isUpper reports whether upper-casing w leaves it unchanged
// (strings.ToUpper(w) == w for valid UTF-8, without building the copy).
func isUpper(w string) bool {
	for _, r := range w {
		if unicode.ToUpper(r) != r {
			return false
		}
	}
	return true
}

// Featurize appends Slots ids per token (tokens[a:b]) to dst. Features may
// read up to Window tokens outside [a, b) from toks. Each token's lowered
// word and shape are computed once (a token is also the context of its
// neighbours), and joined features are hashed piece by piece instead of
// being concatenated first; the ids are the same.
func (c Config) Featurize(text string, toks []Token, a, b int, dst []int64) []int64 {
	if a >= b {
		return dst
	}
	lo, hi := max(a-Window, 0), min(b+Window, len(toks))
	words := make([]string, hi-lo)
	shapes := make([]string, hi-lo)
	for i := lo; i < hi; i++ {
		raw := text[toks[i].Start:toks[i].End]
		words[i-lo] = lowerTrunc(raw)
		shapes[i-lo] = Shape(prefix(raw, maxWordRunes))
	}
	word := func(i int) string {
		if i < 0 {
			return "<s>"
		}
		if i >= len(toks) {
			return "</s>"
		}
		return words[i-lo]
	}
	shape := func(i int) string {
		if i < 0 || i >= len(toks) {
			return "<b>"
		}
		return shapes[i-lo]
	}
	for i := a; i < b; i++ {
		raw := text[toks[i].Start:toks[i].End]
		w, sh := words[i-lo], shapes[i-lo]
		ss := "0"
		if SentenceStart(text, toks, i) {
			ss = "1"
		}
		cc := capClass(raw)
		n := utf8.RuneCountInString(raw)
		lb := "l1"
		switch {
		case n > 8:
			lb = "l9"
		case n > 4:
			lb = "l5"
		case n > 1:
			lb = "l2"
		}
		wm1, wp1 := word(i-1), word(i+1)
		dst = append(dst,
			c.id("w", w),
			c.id("p3", prefix(w, 3)),
			c.id("s3", suffix(w, 3)),
			c.id("s2", suffix(w, 2)),
			c.id("sh", sh),
			c.id("cc", cc, lb),
			c.id("ss", ss, cc),
			c.id("w-1", wm1),
			c.id("w+1", wp1),
			c.id("w-2", word(i-2)),
			c.id("w+2", word(i+2)),
			c.id("sh-1", shape(i-1), "|", sh),
			c.id("sh+1", sh, "|", shape(i+1)),
			c.id("w-1w", wm1, "|", w),
			c.id("ww+1", w, "|", wp1),
			c.id("b", ""),
		)
	}
	return dst
}
