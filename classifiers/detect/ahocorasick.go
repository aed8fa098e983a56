package detect

// acMatcher finds every occurrence of a set of lower-case ASCII keywords in
// a text, ASCII case-insensitively, in one pass (Aho–Corasick, compiled to
// a DFA over the byte classes that occur in keywords).
type acMatcher struct {
	class  [256]uint8 // byte (lower-cased) -> class; 0 is "not in any keyword"
	nclass int
	delta  []int32   // state*nclass + class -> state
	out    [][]int32 // state -> keyword ids ending here (fail links folded in)
	kwLen  []int
	depth  []int32 // state -> length of the keyword prefix it stands for
	fail   []int32 // state -> the state of its longest proper suffix
}

func newACMatcher(keywords []string) *acMatcher {
	m := &acMatcher{kwLen: make([]int, len(keywords))}
	m.nclass = 1
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := lowerASCII(k[i])
			if m.class[c] == 0 {
				m.class[c] = uint8(m.nclass)
				m.nclass++
			}
		}
	}
	// Upper-case letters share their lower-case class.
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	// Trie.
	type node struct {
		next  map[uint8]int32
		out   []int32
		depth int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for id, k := range keywords {
		m.kwLen[id] = len(k)
		s := int32(0)
		for i := 0; i < len(k); i++ {
			c := m.class[lowerASCII(k[i])]
			nx, ok := nodes[s].next[c]
			if !ok {
				nodes = append(nodes, node{next: map[uint8]int32{}, depth: nodes[s].depth + 1})
				nx = int32(len(nodes) - 1)
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	// BFS to build the DFA.
	n := len(nodes)
	m.delta = make([]int32, n*m.nclass)
	m.out = make([][]int32, n)
	fail := make([]int32, n)
	queue := make([]int32, 0, n)
	for c := 0; c < m.nclass; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			m.delta[c] = nx
			fail[nx] = 0
			queue = append(queue, nx)
		}
	}
	m.out[0] = nodes[0].out
	m.depth = make([]int32, n)
	for i := range nodes {
		m.depth[i] = nodes[i].depth
	}
	m.fail = fail
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(append([]int32(nil), nodes[s].out...), m.out[fail[s]]...)
		for c := 0; c < m.nclass; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				fail[nx] = m.delta[int(fail[s])*m.nclass+c]
				m.delta[int(s)*m.nclass+c] = nx
				queue = append(queue, nx)
			} else {
				m.delta[int(s)*m.nclass+c] = m.delta[int(fail[s])*m.nclass+c]
			}
		}
	}
	return m
}

// scan calls hit(keyword id, end offset) for every occurrence.
func (m *acMatcher) scan(text string, hit func(id int32, end int)) { m.scanState(text, hit) }

// scanState is scan, and returns the state at the end of text: the
// longest suffix of text that is a prefix of a keyword has length
// depth[state].
func (m *acMatcher) scanState(text string, hit func(id int32, end int)) int32 {
	s := int32(0)
	nc := m.nclass
	for i := 0; i < len(text); i++ {
		s = m.delta[int(s)*nc+int(m.class[text[i]])]
		if o := m.out[s]; len(o) > 0 {
			for _, id := range o {
				hit(id, i+1)
			}
		}
	}
	return s
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
