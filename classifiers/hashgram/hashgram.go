// Package hashgram turns text into hashed word and character n-gram ids, the
// input of Warden's shipped ONNX classifiers.
//
// The same code featurises text for training (models/featurize) and for
// serving, so the two can never disagree. The feature definition is part of
// a model's contract and is recorded in its manifest:
//
//   - the text is lower-cased rune by rune (unicode.ToLower) and every run
//     of white space becomes one space; leading and trailing space is dropped;
//   - word tokens are maximal runs of letters, marks, digits and '_'; every
//     other non-space rune is a token of its own;
//   - word n-grams of each order in WordNgrams join tokens with one space;
//   - character n-grams of each order in CharNgrams run over the code points
//     of " " + text + " ";
//   - each n-gram is hashed with 64-bit FNV-1a over the byte 'w' (word
//     n-grams) or 'c' (character n-grams) followed by the n-gram's UTF-8
//     bytes, and mapped to 1 + h mod (Buckets-1). Id 0 is padding.
//
// With Markup on, tags of common HTML elements, the delimiters of HTML
// comments and a plain "<!DOCTYPE html>" are read as white space before all
// of this; the tags' attribute values and the names of uncommon attributes
// are kept as text (markup.go).
//
// Ids are emitted word n-grams first (by start, then order), then character
// n-grams (by start, then order).
package hashgram

import (
	"errors"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Config defines the features. Its JSON form is stored in model manifests.
type Config struct {
	// Buckets is the number of embedding rows, padding row 0 included.
	Buckets int `json:"buckets"`
	// WordNgrams lists the word n-gram orders to emit, e.g. [1, 2].
	WordNgrams []int `json:"word_ngrams"`
	// CharNgrams lists the character n-gram orders to emit, e.g. [3, 4, 5].
	CharNgrams []int `json:"char_ngrams"`
	// MaxRunes cuts longer text; callers window long text before featurising.
	MaxRunes int `json:"max_runes"`
	// Markup reads tags of common HTML elements as white space, keeping
	// their attribute values and uncommon attribute names, and the
	// delimiters of HTML comments likewise (markup.go). Off in manifests
	// written before it existed.
	Markup bool `json:"markup,omitempty"`
}

// Validate reports a config that cannot be used.
func (c Config) Validate() error {
	if c.Buckets < 2 {
		return fmt.Errorf("hashgram: buckets %d < 2", c.Buckets)
	}
	if len(c.WordNgrams) == 0 && len(c.CharNgrams) == 0 {
		return errors.New("hashgram: no n-gram orders")
	}
	for _, n := range append(append([]int{}, c.WordNgrams...), c.CharNgrams...) {
		if n < 1 || n > 8 {
			return fmt.Errorf("hashgram: n-gram order %d outside 1..8", n)
		}
	}
	if c.MaxRunes < 1 {
		return fmt.Errorf("hashgram: max_runes %d < 1", c.MaxRunes)
	}
	return nil
}

// Featurizer is safe for concurrent use; it holds only the config.
type Featurizer struct {
	cfg                Config
	wantWord, wantChar [9]bool
}

// New validates cfg and returns a Featurizer.
func New(cfg Config) (*Featurizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Featurizer{cfg: cfg}
	for _, n := range cfg.WordNgrams {
		f.wantWord[n] = true
	}
	for _, n := range cfg.CharNgrams {
		f.wantChar[n] = true
	}
	return f, nil
}

// Config returns the featurizer's configuration.
func (f *Featurizer) Config() Config { return f.cfg }

// Scratch holds reusable buffers; one per goroutine (use a sync.Pool).
type Scratch struct {
	strip  []byte // the text with its markup read as white space (Markup)
	buf    []byte
	runes  []int32 // byte offset of each rune in buf, plus len(buf)
	tokens [][2]int32
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func fnvBytes(h uint64, p []byte) uint64 {
	for _, b := range p {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// isWord reports whether r belongs inside a word token.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// prepare lower-cases and collapses white space into s.buf, with one
// leading and one trailing space, and records rune offsets and tokens.
func (f *Featurizer) prepare(text string, s *Scratch) {
	if f.cfg.Markup && hasMarkup(text) {
		s.strip = stripMarkup(s.strip[:0], text)
		text = string(s.strip)
	}
	s.buf = append(s.buf[:0], ' ')
	s.runes = s.runes[:0]
	s.tokens = s.tokens[:0]
	s.runes = append(s.runes, 0)
	n := 0
	space := true // a space was just written
	tokStart := int32(-1)
	endTok := func() {
		if tokStart >= 0 {
			s.tokens = append(s.tokens, [2]int32{tokStart, int32(len(s.buf))})
			tokStart = -1
		}
	}
	for _, r := range text {
		if n >= f.cfg.MaxRunes {
			break
		}
		if unicode.IsSpace(r) {
			endTok()
			if !space {
				s.runes = append(s.runes, int32(len(s.buf)))
				s.buf = append(s.buf, ' ')
				space = true
				n++
			}
			continue
		}
		r = unicode.ToLower(r)
		start := int32(len(s.buf))
		if isWord(r) {
			if tokStart < 0 {
				tokStart = start
			}
		} else {
			endTok()
			s.tokens = append(s.tokens, [2]int32{start, start + int32(utf8.RuneLen(r))})
		}
		s.runes = append(s.runes, start)
		s.buf = utf8.AppendRune(s.buf, r)
		space = false
		n++
	}
	endTok()
	if !space {
		s.runes = append(s.runes, int32(len(s.buf)))
		s.buf = append(s.buf, ' ')
	}
	s.runes = append(s.runes, int32(len(s.buf))) // sentinel
}

// Append featurises text and appends its ids to dst. It returns dst.
//
// N-grams that start at the same place share a hash prefix: the hash of an
// n-gram of order n+1 extends that of order n, so each start is hashed once.
func (f *Featurizer) Append(dst []int64, text string, s *Scratch) []int64 {
	f.prepare(text, s)
	mod := uint64(f.cfg.Buckets - 1)
	wmax, cmax := maxOrder(f.cfg.WordNgrams), maxOrder(f.cfg.CharNgrams)
	// At most one id per wanted order at each token and each rune: grow
	// dst once instead of doubling it through the loops.
	dst = slices.Grow(dst, len(s.tokens)*len(f.cfg.WordNgrams)+len(s.runes)*len(f.cfg.CharNgrams))
	wseed, cseed := fnvByte(fnvOffset, 'w'), fnvByte(fnvOffset, 'c')
	for i := range s.tokens {
		h := wseed
		for j := 0; j < wmax && i+j < len(s.tokens); j++ {
			if j > 0 {
				h = fnvByte(h, ' ')
			}
			t := s.tokens[i+j]
			h = fnvBytes(h, s.buf[t[0]:t[1]])
			if f.wantWord[j+1] {
				dst = append(dst, int64(1+h%mod))
			}
		}
	}
	nr := len(s.runes) - 1 // runes in buf
	if nr == 1 {
		// Only the leading space: empty text has no character n-grams.
		nr = 0
	}
	for i := 0; i < nr; i++ {
		h := cseed
		for j := 0; j < cmax && i+j < nr; j++ {
			h = fnvBytes(h, s.buf[s.runes[i+j]:s.runes[i+j+1]])
			if f.wantChar[j+1] {
				dst = append(dst, int64(1+h%mod))
			}
		}
	}
	return dst
}

func maxOrder(orders []int) int {
	m := 0
	for _, n := range orders {
		m = max(m, n)
	}
	return m
}

// Prepared returns the lower-cased, space-collapsed text the n-grams are
// taken from (with its padding spaces). It is meant for tests and tools.
func (f *Featurizer) Prepared(text string) string {
	var s Scratch
	f.prepare(text, &s)
	return string(s.buf)
}
