package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// bpe is a byte-pair-encoding model. With a ByteLevel pre-tokenizer its
// vocabulary is mapped back from GPT-2's printable byte alphabet to raw
// bytes at load, so words are encoded byte by byte without re-mapping text.
type bpe struct {
	vocab        map[string]int32 // model space (raw bytes when byteLevel)
	orig         map[string]int32 // as written in tokenizer.json
	merges       map[uint64]merge
	unkID        int32
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	contPrefix   string
	endSuffix    string
	byteLevel    bool
	byteSym      [256]int32 // byte-level: id of each single byte
	byteIDs      [256]int32 // byte fallback: id of <0xXX>
	n            int
	cache        *wordCache
	// splitMeta: no token has ▁ after its first character, so no merge
	// crosses the start of a SentencePiece word and a pre-tokenizer-less
	// text can be encoded word by word (same ids, cacheable, far faster).
	splitMeta bool
}

type merge struct{ rank, id int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newBPE(raw json.RawMessage, byteLevel bool) (*bpe, error) {
	var c struct {
		Vocab        map[string]int32  `json:"vocab"`
		Merges       []json.RawMessage `json:"merges"`
		Unk          *string           `json:"unk_token"`
		FuseUnk      bool              `json:"fuse_unk"`
		ByteFallback bool              `json:"byte_fallback"`
		IgnoreMerges bool              `json:"ignore_merges"`
		ContPrefix   *string           `json:"continuing_subword_prefix"`
		EndSuffix    *string           `json:"end_of_word_suffix"`
		Dropout      *float64          `json:"dropout"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Dropout != nil && *c.Dropout > 0 {
		return nil, fmt.Errorf("%w: BPE dropout (a training-time option)", ErrUnsupported)
	}
	n, err := vocabSize(c.Vocab)
	if err != nil {
		return nil, err
	}
	m := &bpe{
		orig: c.Vocab, unkID: -1, fuseUnk: c.FuseUnk, byteFallback: c.ByteFallback,
		ignoreMerges: c.IgnoreMerges, byteLevel: byteLevel, n: n, cache: newWordCache(),
	}
	if c.ContPrefix != nil {
		m.contPrefix = *c.ContPrefix
	}
	if c.EndSuffix != nil {
		m.endSuffix = *c.EndSuffix
	}
	toModel := func(tok string) (string, bool) { return tok, true }
	if byteLevel {
		toModel = fromByteAlphabet
		m.vocab = make(map[string]int32, len(c.Vocab))
		for tok, id := range c.Vocab {
			if b, ok := fromByteAlphabet(tok); ok {
				m.vocab[b] = id
			}
		}
		for b := range 256 {
			id, ok := m.vocab[string([]byte{byte(b)})]
			if !ok {
				id = -1
			}
			m.byteSym[b] = id
		}
	} else {
		m.vocab = c.Vocab
	}
	if c.Unk != nil && *c.Unk != "" {
		id, ok := c.Vocab[*c.Unk]
		if !ok {
			return nil, fmt.Errorf("unk_token %q is not in the vocabulary", *c.Unk)
		}
		m.unkID = id
	}
	if c.ByteFallback {
		m.byteIDs, _ = byteTokens(c.Vocab)
	}
	if !byteLevel && m.contPrefix == "" && m.endSuffix == "" {
		m.splitMeta = true
		for tok := range c.Vocab {
			if i := strings.Index(tok, metaSpace); i > 0 {
				m.splitMeta = false
				break
			}
		}
	}
	m.merges = make(map[uint64]merge, len(c.Merges))
	for rank, r := range c.Merges {
		var a, b string
		var pair []string
		if err := json.Unmarshal(r, &pair); err == nil {
			if len(pair) != 2 {
				return nil, fmt.Errorf("merge %d: %s is not a pair", rank, r)
			}
			a, b = pair[0], pair[1]
		} else {
			var line string
			if err := json.Unmarshal(r, &line); err != nil {
				return nil, fmt.Errorf("merge %d: %s", rank, r)
			}
			parts := strings.Split(line, " ")
			if len(parts) != 2 {
				return nil, fmt.Errorf("merge %d: %q is not two tokens", rank, line)
			}
			a, b = parts[0], parts[1]
		}
		ida, oka := c.Vocab[a]
		idb, okb := c.Vocab[b]
		idm, okm := c.Vocab[a+b]
		if !oka || !okb || !okm {
			return nil, fmt.Errorf("merge %d (%q %q): a token is not in the vocabulary", rank, a, b)
		}
		if _, ok := toModel(a + b); !ok {
			continue
		}
		k := pairKey(ida, idb)
		if _, dup := m.merges[k]; !dup {
			m.merges[k] = merge{rank: int32(rank), id: idm}
		}
	}
	return m, nil
}

func (m *bpe) kind() string               { return "BPE" }
func (m *bpe) vocabMap() map[string]int32 { return copyVocab(m.orig) }
func (m *bpe) size() int                  { return m.n }
func (m *bpe) unk() int32                 { return m.unkID }

// bpeScratch holds the working symbols of one word.
type bpeScratch struct {
	syms []symbol
	heap []mergeCand
}

type symbol struct {
	id         int32
	prev, next int32
	gone       bool
}

type mergeCand struct {
	rank, pos, id int32
}

const metaSpace = "\u2581"

func (m *bpe) encode(dst []int32, word string, s *scratch) []int32 {
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(dst, id)
		}
	}
	if m.splitMeta && len(word) > len(metaSpace) {
		if i := strings.Index(word[1:], metaSpace); i >= 0 {
			for len(word) > 0 {
				j := strings.Index(word[1:], metaSpace)
				if j < 0 {
					return m.encodeWord(dst, word, s)
				}
				dst = m.encodeWord(dst, word[:j+1], s)
				word = word[j+1:]
			}
			return dst
		}
	}
	return m.encodeWord(dst, word, s)
}

func (m *bpe) encodeWord(dst []int32, word string, s *scratch) []int32 {
	cacheable := len(word) <= maxCachedWord
	if cacheable {
		if ids, ok := m.cache.get(word); ok {
			return append(dst, ids...)
		}
	}
	n0 := len(dst)
	syms := m.symbols(s.bpe.syms[:0], word)
	syms = m.mergeAll(syms, &s.bpe)
	for i := 0; i >= 0 && i < len(syms); i = int(syms[i].next) {
		dst = append(dst, syms[i].id)
	}
	s.bpe.syms = syms[:0]
	if cacheable {
		m.cache.put(word, dst[n0:])
	}
	return dst
}

// symbols splits word into its initial symbols.
func (m *bpe) symbols(syms []symbol, word string) []symbol {
	add := func(id int32) {
		n := int32(len(syms))
		syms = append(syms, symbol{id: id, prev: n - 1, next: n + 1})
	}
	lastUnk := false
	if m.byteLevel {
		for i := 0; i < len(word); i++ {
			id := m.byteSym[word[i]]
			if id < 0 {
				if m.unkID >= 0 && !(m.fuseUnk && lastUnk) {
					add(m.unkID)
				}
				lastUnk = true
				continue
			}
			add(id)
			lastUnk = false
		}
	} else {
		var buf []byte
		for i := 0; i < len(word); {
			_, size := utf8.DecodeRuneInString(word[i:])
			ch := word[i : i+size]
			key := ch
			if (m.contPrefix != "" && i > 0) || (m.endSuffix != "" && i+size == len(word)) {
				buf = buf[:0]
				if i > 0 {
					buf = append(buf, m.contPrefix...)
				}
				buf = append(buf, ch...)
				if i+size == len(word) {
					buf = append(buf, m.endSuffix...)
				}
				key = string(buf)
			}
			i += size
			if id, ok := m.vocab[key]; ok {
				add(id)
				lastUnk = false
				continue
			}
			if m.byteFallback {
				ok := true
				for j := 0; j < len(ch); j++ {
					ok = ok && m.byteIDs[ch[j]] >= 0
				}
				if ok {
					for j := 0; j < len(ch); j++ {
						add(m.byteIDs[ch[j]])
					}
					lastUnk = false
					continue
				}
			}
			if m.unkID >= 0 && !(m.fuseUnk && lastUnk) {
				add(m.unkID)
			}
			lastUnk = true
		}
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// mergeAll applies merges lowest rank first, leftmost first on ties (the
// Rust library's Word::merge_all without dropout).
func (m *bpe) mergeAll(syms []symbol, s *bpeScratch) []symbol {
	if len(syms) < 2 {
		return syms
	}
	h := s.heap[:0]
	for i := 0; i+1 < len(syms); i++ {
		if mg, ok := m.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h = heapPush(h, mergeCand{rank: mg.rank, pos: int32(i), id: mg.id})
		}
	}
	for len(h) > 0 {
		var top mergeCand
		top, h = heapPop(h)
		cur := &syms[top.pos]
		if cur.gone || cur.next < 0 {
			continue
		}
		right := syms[cur.next]
		if mg, ok := m.merges[pairKey(cur.id, right.id)]; !ok || mg.id != top.id {
			continue
		}
		cur.id = top.id
		syms[cur.next].gone = true
		cur.next = right.next
		if right.next >= 0 {
			syms[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if mg, ok := m.merges[pairKey(syms[cur.prev].id, cur.id)]; ok {
				h = heapPush(h, mergeCand{rank: mg.rank, pos: cur.prev, id: mg.id})
			}
		}
		if cur.next >= 0 {
			if mg, ok := m.merges[pairKey(cur.id, syms[cur.next].id)]; ok {
				h = heapPush(h, mergeCand{rank: mg.rank, pos: top.pos, id: mg.id})
			}
		}
	}
	s.heap = h[:0]
	return syms
}

func less(a, b mergeCand) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func heapPush(h []mergeCand, c mergeCand) []mergeCand {
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []mergeCand) (mergeCand, []mergeCand) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[l], h[m]) {
			m = l
		}
		if r < len(h) && less(h[r], h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

// GPT-2's byte alphabet: printable bytes stand for themselves, the others
// are shifted to U+0100 and up.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			b2r[b] = rune(b)
		} else {
			b2r[b] = rune(256 + n)
			n++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}()

// fromByteAlphabet maps a byte-level token back to raw bytes.
func fromByteAlphabet(tok string) (string, bool) {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := runeToByte[r]
		if !ok {
			return "", false
		}
		out = append(out, b)
	}
	return string(out), true
}

// ToByteAlphabet maps raw bytes to GPT-2's printable byte alphabet (the
// form byte-level vocabularies are written in).
func ToByteAlphabet(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// wordCache remembers the ids of recent words. It is bounded: when full it
// is cleared, so memory stays flat whatever the traffic.
type wordCache struct {
	mu sync.RWMutex
	m  map[string][]int32
}

const (
	maxCachedWord  = 64
	maxCachedWords = 1 << 14
)

func newWordCache() *wordCache { return &wordCache{m: make(map[string][]int32)} }

func (c *wordCache) get(w string) ([]int32, bool) {
	c.mu.RLock()
	ids, ok := c.m[w]
	c.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(w string, ids []int32) {
	c.mu.Lock()
	if len(c.m) >= maxCachedWords {
		clear(c.m)
	}
	c.m[w] = append([]int32(nil), ids...)
	c.mu.Unlock()
}
