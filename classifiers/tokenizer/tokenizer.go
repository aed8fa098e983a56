// Package tokenizer reads a Hugging Face tokenizer.json and turns text into
// the token ids the model was trained on.
//
// It implements the pipeline of the Rust `tokenizers` library: added
// (special) tokens are split out first, the rest is normalised,
// pre-tokenised into words, and each word is encoded by the model
// (WordPiece, BPE — byte-level as in GPT-2/RoBERTa, or SentencePiece-style
// with byte fallback — or Unigram); a post-processor wraps the ids in the
// special tokens of a single sequence. Truncation and padding are left to
// the caller: [Tokenizer.Windows] cuts long texts into overlapping windows
// that each fit the model.
//
// Where the reference implementations disagree, the Rust library (what the
// model was trained with) wins; see DIVERGENCES.md beside this file for the
// cases where transformers.js differs.
package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"
)

// ErrUnsupported marks a tokenizer.json that uses a component this package
// does not implement.
var ErrUnsupported = errors.New("unsupported tokenizer component")

// Tokenizer encodes text to token ids. It is safe for concurrent use.
type Tokenizer struct {
	norm   normalizer   // nil: none
	pre    preTokenizer // nil: the whole section is one word
	model  model
	post   template
	added  *addedVocab
	vocab  int // one past the largest id
	padID  int32
	unkID  int32 // -1 when the model has no unknown token
	kind   string
	tokens map[string]int32
	pool   sync.Pool
}

// scratch is reused between Encode calls.
type scratch struct {
	words []string
	tmp   []string
	bpe   bpeScratch
	uni   unigramScratch
}

type fileJSON struct {
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	Model         json.RawMessage  `json:"model"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Padding       *struct {
		PadID int32 `json:"pad_id"`
	} `json:"padding"`
}

type typed struct {
	Type string `json:"type"`
}

// Load parses the contents of a tokenizer.json file.
func Load(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	t := &Tokenizer{unkID: -1}
	var err error
	if t.norm, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json normalizer: %w", err)
	}
	if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json pre_tokenizer: %w", err)
	}
	byteLevel := endsWithByteLevel(t.pre)
	if t.model, err = parseModel(f.Model, byteLevel); err != nil {
		return nil, fmt.Errorf("tokenizer.json model: %w", err)
	}
	t.kind = t.model.kind()
	t.tokens = t.model.vocabMap()
	t.vocab = t.model.size()
	t.unkID = t.model.unk()
	if t.added, err = newAddedVocab(f.AddedTokens, t.norm); err != nil {
		return nil, fmt.Errorf("tokenizer.json added_tokens: %w", err)
	}
	for _, a := range f.AddedTokens {
		if int(a.ID) >= t.vocab {
			t.vocab = int(a.ID) + 1
		}
		if _, ok := t.tokens[a.Content]; !ok {
			t.tokens[a.Content] = a.ID
		}
	}
	if t.post, err = parsePostProcessor(f.PostProcessor); err != nil {
		return nil, fmt.Errorf("tokenizer.json post_processor: %w", err)
	}
	for _, id := range append(append([]int32(nil), t.post.prefix...), t.post.suffix...) {
		if id < 0 || int(id) >= t.vocab {
			return nil, fmt.Errorf("tokenizer.json post_processor: special token id %d outside the vocabulary (%d)", id, t.vocab)
		}
	}
	if f.Padding != nil {
		t.padID = f.Padding.PadID
	} else if id, ok := t.findPad(); ok {
		t.padID = id
	}
	t.pool.New = func() any { return new(scratch) }
	return t, nil
}

func (t *Tokenizer) findPad() (int32, bool) {
	for _, name := range []string{"[PAD]", "<pad>", "<|pad|>", "<|endoftext|>"} {
		if id, ok := t.tokens[name]; ok {
			return id, true
		}
	}
	return 0, false
}

// Model names the tokenisation model: "WordPiece", "BPE" or "Unigram".
func (t *Tokenizer) Model() string { return t.kind }

// VocabSize is one past the largest token id.
func (t *Tokenizer) VocabSize() int { return t.vocab }

// PadID is the id used to pad a batch (from the tokenizer's padding
// settings, else a pad token of the vocabulary, else 0).
func (t *Tokenizer) PadID() int32 { return t.padID }

// TokenID returns the id of a token of the vocabulary or the added tokens.
func (t *Tokenizer) TokenID(token string) (int32, bool) {
	id, ok := t.tokens[token]
	return id, ok
}

// NumSpecial is the number of special tokens the post-processor adds to a
// single sequence.
func (t *Tokenizer) NumSpecial() int { return len(t.post.prefix) + len(t.post.suffix) }

// AppendIDs appends the ids of text, without special tokens, to dst.
func (t *Tokenizer) AppendIDs(dst []int32, text string) []int32 {
	s := t.pool.Get().(*scratch)
	dst = t.appendIDs(dst, text, s)
	t.pool.Put(s)
	return dst
}

// Encode returns the ids of text as the model sees a single sequence: with
// the post-processor's special tokens, without truncation.
func (t *Tokenizer) Encode(text string) []int32 {
	ids := append([]int32(nil), t.post.prefix...)
	ids = t.AppendIDs(ids, text)
	return append(ids, t.post.suffix...)
}

func (t *Tokenizer) appendIDs(dst []int32, text string, s *scratch) []int32 {
	if !utf8.ValidString(text) {
		text = toValidUTF8(text)
	}
	first := true
	t.added.split(text, false, func(section string, id int32) {
		if id >= 0 {
			dst = append(dst, id)
			first = false
			return
		}
		if t.norm != nil {
			section = t.norm.normalize(section)
		}
		t.added.split(section, true, func(sub string, id int32) {
			if id >= 0 {
				dst = append(dst, id)
				first = false
				return
			}
			dst = t.encodeSection(dst, sub, first, s)
			first = false
		})
	})
	return dst
}

// encodeSection pre-tokenises one normalised section and encodes its words.
func (t *Tokenizer) encodeSection(dst []int32, section string, first bool, s *scratch) []int32 {
	if section == "" {
		return dst
	}
	words := append(s.words[:0], section)
	if t.pre != nil {
		words = t.pre.split(words, &preState{first: first, tmp: &s.tmp})
	}
	for _, w := range words {
		if w != "" {
			dst = t.model.encode(dst, w, s)
		}
	}
	s.words = words[:0]
	return dst
}

// toValidUTF8 replaces invalid bytes with U+FFFD, as Go's string
// conversion of the text would.
func toValidUTF8(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r)
	}
	return string(out)
}
