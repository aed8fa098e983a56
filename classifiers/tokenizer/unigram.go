package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"
)

// unigram is SentencePiece's unigram language model: the segmentation of a
// word with the highest total log-probability (Viterbi), as in the Rust
// library's Lattice.
type unigram struct {
	trie         *byteTrie
	scores       []float64
	orig         map[string]int32
	unkID        int32
	unkScore     float64
	byteFallback bool
	byteIDs      [256]int32
	maxLen       int // longest piece, bytes
	cache        *wordCache
}

func newUnigram(raw json.RawMessage) (*unigram, error) {
	var c struct {
		Vocab        [][2]json.RawMessage `json:"vocab"`
		UnkID        *int                 `json:"unk_id"`
		ByteFallback bool                 `json:"byte_fallback"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if len(c.Vocab) == 0 {
		return nil, fmt.Errorf("empty vocabulary")
	}
	u := &unigram{
		scores: make([]float64, len(c.Vocab)),
		orig:   make(map[string]int32, len(c.Vocab)), unkID: -1, byteFallback: c.ByteFallback, cache: newWordCache(),
	}
	minScore := math.Inf(1)
	b := newTrieBuilder()
	for i, e := range c.Vocab {
		var piece string
		var score float64
		if err := json.Unmarshal(e[0], &piece); err != nil {
			return nil, fmt.Errorf("vocab[%d]: %w", i, err)
		}
		if err := json.Unmarshal(e[1], &score); err != nil {
			return nil, fmt.Errorf("vocab[%d]: %w", i, err)
		}
		u.scores[i] = score
		minScore = math.Min(minScore, score)
		if _, dup := u.orig[piece]; !dup {
			u.orig[piece] = int32(i)
		}
		if piece == "" {
			continue
		}
		u.maxLen = max(u.maxLen, len(piece))
		b.insert(piece, int32(i))
	}
	u.trie = b.build()
	if c.UnkID != nil {
		if *c.UnkID < 0 || *c.UnkID >= len(c.Vocab) {
			return nil, fmt.Errorf("unk_id %d outside the vocabulary", *c.UnkID)
		}
		u.unkID = int32(*c.UnkID)
	}
	// kUnkPenalty in SentencePiece.
	u.unkScore = minScore - 10
	if c.ByteFallback {
		u.byteIDs, _ = byteTokens(u.orig)
	}
	return u, nil
}

func (u *unigram) kind() string               { return "Unigram" }
func (u *unigram) vocabMap() map[string]int32 { return copyVocab(u.orig) }
func (u *unigram) size() int                  { return len(u.scores) }
func (u *unigram) unk() int32                 { return u.unkID }

type unigramScratch struct {
	best  []float64
	from  []int32 // start byte of the best node ending here, -1 unreachable
	id    []int32
	nodes []uniNode
}

type uniNode struct {
	start, end int32
	id         int32
}

func (u *unigram) encode(dst []int32, word string, s *scratch) []int32 {
	if len(word) > maxCachedWord {
		return u.viterbi(dst, word, s)
	}
	if ids, ok := u.cache.get(word); ok {
		return append(dst, ids...)
	}
	n0 := len(dst)
	dst = u.viterbi(dst, word, s)
	u.cache.put(word, dst[n0:])
	return dst
}

func (u *unigram) viterbi(dst []int32, word string, s *scratch) []int32 {
	n := len(word)
	us := &s.uni
	if cap(us.best) < n+1 {
		us.best = make([]float64, n+1)
		us.from = make([]int32, n+1)
		us.id = make([]int32, n+1)
	}
	best, from, ids := us.best[:n+1], us.from[:n+1], us.id[:n+1]
	for i := range from {
		from[i] = -1
	}
	from[0] = 0
	best[0] = 0
	for i := 0; i < n; {
		_, size := utf8.DecodeRuneInString(word[i:])
		if from[i] < 0 {
			i += size
			continue
		}
		single := false
		base := best[i]
		node := int32(0)
		for j := i + 1; j <= n; j++ {
			if node = u.trie.child(node, word[j-1]); node < 0 {
				break
			}
			id := u.trie.nodes[node].id
			if id < 0 {
				continue
			}
			if j-i == size {
				single = true
			}
			if sc := base + u.scores[id]; from[j] < 0 || sc > best[j] {
				best[j], from[j], ids[j] = sc, int32(i), id
			}
		}
		if !single && u.unkID >= 0 {
			j := i + size
			if sc := base + u.unkScore; from[j] < 0 || sc > best[j] {
				best[j], from[j], ids[j] = sc, int32(i), u.unkID
			}
		}
		i += size
	}
	if from[n] < 0 {
		return dst // no segmentation (no unknown token)
	}
	nodes := us.nodes[:0]
	for j := n; j > 0; j = int(from[j]) {
		nodes = append(nodes, uniNode{start: from[j], end: int32(j), id: ids[j]})
	}
	for l, r := 0, len(nodes)-1; l < r; l, r = l+1, r-1 {
		nodes[l], nodes[r] = nodes[r], nodes[l]
	}
	// Fuse runs of unknown pieces, then byte fallback.
	for k := 0; k < len(nodes); k++ {
		nd := nodes[k]
		if nd.id != u.unkID {
			dst = append(dst, nd.id)
			continue
		}
		end := nd.end
		for k+1 < len(nodes) && nodes[k+1].id == u.unkID {
			k++
			end = nodes[k].end
		}
		if u.byteFallback {
			dst = appendBytes(dst, word[nd.start:end], &u.byteIDs, u.unkID)
		} else {
			dst = append(dst, u.unkID)
		}
	}
	us.nodes = nodes[:0]
	return dst
}

// byteTrie is a read-only trie over bytes: the root's children in a table,
// the others' in sorted edge lists.
type byteTrie struct {
	root  [256]int32
	nodes []trieNode
	edges []trieEdge
}

type trieNode struct {
	id    int32 // piece id, or -1
	first int32 // first edge
	n     int32 // number of edges
}

type trieEdge struct {
	b     byte
	child int32
}

func (t *byteTrie) child(node int32, b byte) int32 {
	if node == 0 {
		return t.root[b]
	}
	nd := &t.nodes[node]
	es := t.edges[nd.first : nd.first+nd.n]
	lo, hi := 0, len(es)
	for lo < hi {
		m := (lo + hi) / 2
		if es[m].b < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].b == b {
		return es[lo].child
	}
	return -1
}

type trieBuilder struct {
	ids  []int32
	kids []map[byte]int32
}

func newTrieBuilder() *trieBuilder {
	return &trieBuilder{ids: []int32{-1}, kids: []map[byte]int32{{}}}
}

// insert adds s; the first id inserted for a string wins.
func (b *trieBuilder) insert(s string, id int32) {
	n := int32(0)
	for i := 0; i < len(s); i++ {
		c, ok := b.kids[n][s[i]]
		if !ok {
			c = int32(len(b.ids))
			b.ids = append(b.ids, -1)
			b.kids = append(b.kids, map[byte]int32{})
			b.kids[n][s[i]] = c
		}
		n = c
	}
	if b.ids[n] < 0 {
		b.ids[n] = id
	}
}

func (b *trieBuilder) build() *byteTrie {
	t := &byteTrie{nodes: make([]trieNode, len(b.ids))}
	for i := range t.root {
		t.root[i] = -1
	}
	for n, kids := range b.kids {
		t.nodes[n] = trieNode{id: b.ids[n], first: int32(len(t.edges)), n: int32(len(kids))}
		keys := make([]int, 0, len(kids))
		for k := range kids {
			keys = append(keys, int(k))
		}
		sort.Ints(keys)
		for _, k := range keys {
			t.edges = append(t.edges, trieEdge{b: byte(k), child: kids[byte(k)]})
			if n == 0 {
				t.root[k] = kids[byte(k)]
			}
		}
	}
	return t
}
