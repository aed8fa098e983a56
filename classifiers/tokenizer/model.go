package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// model encodes one pre-tokenised word.
type model interface {
	encode(dst []int32, word string, s *scratch) []int32
	kind() string
	// vocabMap maps the vocabulary's tokens, as written in tokenizer.json,
	// to ids. The caller may add to it.
	vocabMap() map[string]int32
	size() int
	unk() int32
}

type modelHeader struct {
	Type  string          `json:"type"`
	Vocab json.RawMessage `json:"vocab"`
}

func parseModel(raw json.RawMessage, byteLevel bool) (model, error) {
	if isNull(raw) {
		return nil, fmt.Errorf("no model")
	}
	var h modelHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	typ := h.Type
	if typ == "" { // old files: infer from the fields, as transformers.js does
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, err
		}
		switch {
		case strings.HasPrefix(strings.TrimSpace(string(h.Vocab)), "["):
			typ = "Unigram"
		case probe["merges"] != nil:
			typ = "BPE"
		case probe["continuing_subword_prefix"] != nil:
			typ = "WordPiece"
		default:
			typ = "WordLevel"
		}
	}
	var m model
	var err error
	switch typ {
	case "WordPiece":
		m, err = newWordPiece(raw)
	case "BPE":
		m, err = newBPE(raw, byteLevel)
	case "Unigram":
		m, err = newUnigram(raw)
	case "WordLevel":
		m, err = newWordLevel(raw)
	default:
		return nil, fmt.Errorf("%w: model %q", ErrUnsupported, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	if byteLevel && typ != "BPE" {
		return nil, fmt.Errorf("%w: ByteLevel pre-tokenizer with a %s model", ErrUnsupported, typ)
	}
	return m, nil
}

func vocabSize(v map[string]int32) (int, error) {
	n := 0
	for tok, id := range v {
		if id < 0 {
			return 0, fmt.Errorf("token %q has negative id %d", tok, id)
		}
		n = max(n, int(id)+1)
	}
	return n, nil
}

func copyVocab(v map[string]int32) map[string]int32 {
	out := make(map[string]int32, len(v))
	for k, id := range v {
		out[k] = id
	}
	return out
}

// byteTokens returns the ids of SentencePiece's byte tokens <0x00>..<0xFF>
// (-1 where missing).
func byteTokens(v map[string]int32) (ids [256]int32, all bool) {
	all = true
	for b := range 256 {
		id, ok := v[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id, all = -1, false
		}
		ids[b] = id
	}
	return ids, all
}

// appendBytes appends the byte tokens of s, or unk when one is missing.
func appendBytes(dst []int32, s string, ids *[256]int32, unk int32) []int32 {
	for i := 0; i < len(s); i++ {
		if ids[s[i]] < 0 {
			if unk >= 0 {
				dst = append(dst, unk)
			}
			return dst
		}
	}
	for i := 0; i < len(s); i++ {
		dst = append(dst, ids[s[i]])
	}
	return dst
}

// --- WordPiece ---------------------------------------------------------

type wordPiece struct {
	vocab    map[string]int32
	cont     map[string]int32 // continuation pieces, keyed without the prefix
	unkID    int32
	maxChars int
	n        int
	cache    *wordCache
}

func newWordPiece(raw json.RawMessage) (*wordPiece, error) {
	var c struct {
		Vocab    map[string]int32 `json:"vocab"`
		Unk      string           `json:"unk_token"`
		Prefix   *string          `json:"continuing_subword_prefix"`
		MaxChars *int             `json:"max_input_chars_per_word"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	n, err := vocabSize(c.Vocab)
	if err != nil {
		return nil, err
	}
	unk, ok := c.Vocab[c.Unk]
	if !ok {
		return nil, fmt.Errorf("unk_token %q is not in the vocabulary", c.Unk)
	}
	prefix := "##"
	if c.Prefix != nil {
		prefix = *c.Prefix
	}
	w := &wordPiece{vocab: c.Vocab, cont: map[string]int32{}, unkID: unk, maxChars: 100, n: n, cache: newWordCache()}
	if c.MaxChars != nil {
		w.maxChars = *c.MaxChars
	}
	for tok, id := range c.Vocab {
		if rest, ok := strings.CutPrefix(tok, prefix); ok && rest != "" {
			w.cont[rest] = id
		}
	}
	return w, nil
}

func (w *wordPiece) kind() string               { return "WordPiece" }
func (w *wordPiece) vocabMap() map[string]int32 { return copyVocab(w.vocab) }
func (w *wordPiece) size() int                  { return w.n }
func (w *wordPiece) unk() int32                 { return w.unkID }

func (w *wordPiece) encode(dst []int32, word string, _ *scratch) []int32 {
	if utf8.RuneCountInString(word) > w.maxChars {
		return append(dst, w.unkID)
	}
	if id, ok := w.vocab[word]; ok {
		return append(dst, id)
	}
	if len(word) > maxCachedWord {
		return w.greedy(dst, word)
	}
	if ids, ok := w.cache.get(word); ok {
		return append(dst, ids...)
	}
	n0 := len(dst)
	dst = w.greedy(dst, word)
	w.cache.put(word, dst[n0:])
	return dst
}

// greedy is WordPiece's longest-match-first segmentation.
func (w *wordPiece) greedy(dst []int32, word string) []int32 {
	n0 := len(dst)
	for start := 0; start < len(word); {
		end := len(word)
		found := false
		for start < end {
			var id int32
			var ok bool
			if start == 0 {
				id, ok = w.vocab[word[:end]]
			} else {
				id, ok = w.cont[word[start:end]]
			}
			if ok {
				dst = append(dst, id)
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if !found {
			return append(dst[:n0], w.unkID)
		}
		start = end
	}
	return dst
}

// --- WordLevel ---------------------------------------------------------

type wordLevel struct {
	vocab map[string]int32
	unkID int32
	n     int
}

func newWordLevel(raw json.RawMessage) (*wordLevel, error) {
	var c struct {
		Vocab map[string]int32 `json:"vocab"`
		Unk   string           `json:"unk_token"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	n, err := vocabSize(c.Vocab)
	if err != nil {
		return nil, err
	}
	unk, ok := c.Vocab[c.Unk]
	if !ok {
		return nil, fmt.Errorf("unk_token %q is not in the vocabulary", c.Unk)
	}
	return &wordLevel{vocab: c.Vocab, unkID: unk, n: n}, nil
}

func (w *wordLevel) kind() string               { return "WordLevel" }
func (w *wordLevel) vocabMap() map[string]int32 { return copyVocab(w.vocab) }
func (w *wordLevel) size() int                  { return w.n }
func (w *wordLevel) unk() int32                 { return w.unkID }

func (w *wordLevel) encode(dst []int32, word string, _ *scratch) []int32 {
	if id, ok := w.vocab[word]; ok {
		return append(dst, id)
	}
	return append(dst, w.unkID)
}
