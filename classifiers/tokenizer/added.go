package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

type addedTokenJSON struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized *bool  `json:"normalized"`
	Special    bool   `json:"special"`
}

type addedToken struct {
	content                    string
	id                         int32
	singleWord, lstrip, rstrip bool
}

// addedSet finds added tokens in text, leftmost-longest.
type addedSet struct {
	byFirst [256][]addedToken // by first byte, longest first
	n       int
}

// addedVocab holds the tokens matched on the raw text and those matched on
// the normalised text.
type addedVocab struct {
	raw, normalized addedSet
}

func newAddedVocab(tokens []addedTokenJSON, n normalizer) (*addedVocab, error) {
	v := &addedVocab{}
	for _, t := range tokens {
		if t.Content == "" {
			return nil, fmt.Errorf("added token %d is empty", t.ID)
		}
		if t.ID < 0 {
			return nil, fmt.Errorf("added token %q has id %d", t.Content, t.ID)
		}
		normalized := !t.Special
		if t.Normalized != nil {
			normalized = *t.Normalized
		}
		at := addedToken{content: t.Content, id: t.ID, singleWord: t.SingleWord, lstrip: t.LStrip, rstrip: t.RStrip}
		set := &v.raw
		if normalized && n != nil {
			at.content = n.normalize(t.Content)
			set = &v.normalized
			if at.content == "" {
				continue
			}
		}
		set.byFirst[at.content[0]] = append(set.byFirst[at.content[0]], at)
		set.n++
	}
	for _, set := range []*addedSet{&v.raw, &v.normalized} {
		for _, list := range set.byFirst {
			sort.SliceStable(list, func(i, j int) bool { return len(list[i].content) > len(list[j].content) })
		}
	}
	return v, nil
}

// split calls fn for each section of text in order: runs of plain text
// with id -1, and added tokens with their id.
func (v *addedVocab) split(text string, normalized bool, fn func(section string, id int32)) {
	set := &v.raw
	if normalized {
		set = &v.normalized
	}
	if set.n == 0 {
		fn(text, -1)
		return
	}
	last := 0
	for i := 0; i < len(text); {
		if set.byFirst[text[i]] == nil {
			i++
			continue
		}
		t, ok := set.match(text, i)
		if !ok {
			i++
			continue
		}
		start, end := i, i+len(t.content)
		if t.lstrip {
			for start > last {
				r, size := utf8.DecodeLastRuneInString(text[:start])
				if !unicode.IsSpace(r) {
					break
				}
				start -= size
			}
		}
		if t.rstrip {
			for end < len(text) {
				r, size := utf8.DecodeRuneInString(text[end:])
				if !unicode.IsSpace(r) {
					break
				}
				end += size
			}
		}
		if start > last {
			fn(text[last:start], -1)
		}
		fn(text[start:end], t.id)
		last, i = end, end
	}
	if last < len(text) {
		fn(text[last:], -1)
	}
}

func (s *addedSet) match(text string, i int) (addedToken, bool) {
	for _, t := range s.byFirst[text[i]] {
		if !strings.HasPrefix(text[i:], t.content) {
			continue
		}
		if t.singleWord {
			if r, _ := utf8.DecodeLastRuneInString(text[:i]); i > 0 && isWordRune(r) {
				continue
			}
			if end := i + len(t.content); end < len(text) {
				if r, _ := utf8.DecodeRuneInString(text[end:]); isWordRune(r) {
					continue
				}
			}
		}
		return t, true
	}
	return addedToken{}, false
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}
