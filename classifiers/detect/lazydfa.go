package detect

import (
	"regexp/syntax"
	"slices"
	"sync"
	"unicode/utf8"
)

// lazyDFA decides whether a whole text belongs to a regular language,
// with a DFA built as texts need it (each DFA state a set of program
// states). Go's matchers keep one thread per program state for every
// byte; the prefix languages of the secret rules (prefix.go) have hundreds
// of them, live at once in text that keeps a match possible. A DFA reads
// a byte with one table lookup once warm. Safe for concurrent use.
type lazyDFA struct {
	prog *syntax.Prog
	mu   sync.Mutex
	st   []*dfaState
	idx  map[string]int32
	dead int32
	// scratch for the closure
	seen []bool
	todo []uint32
	mark []uint32
}

type dfaState struct {
	pcs   []uint32 // rune-consuming and match instructions, sorted
	match bool
	ascii [utf8.RuneSelf]int32 // next state + 1 per ASCII rune (0: not computed)
	other map[rune]int32
}

// maxDFAStates bounds a DFA's cache; past it the cache starts over (a
// variable for tests).
var maxDFAStates = 1024

func newLazyDFA(re *syntax.Regexp) (*lazyDFA, error) {
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	d := &lazyDFA{prog: prog, seen: make([]bool, len(prog.Inst))}
	d.reset()
	return d, nil
}

// reset empties the cache, keeping the start state (state 0) and the dead
// state (no program state left).
func (d *lazyDFA) reset() {
	d.st = d.st[:0]
	d.idx = map[string]int32{}
	d.intern(d.closure([]uint32{uint32(d.prog.Start)}))
	d.dead = d.intern(nil)
}

// closure follows empty transitions from pcs and returns the set of
// consuming and matching instructions reached, sorted. Assertions are
// taken as satisfied (the languages here have none but \A-like starts).
func (d *lazyDFA) closure(pcs []uint32) []uint32 {
	var out []uint32
	d.todo = append(d.todo[:0], pcs...)
	d.mark = d.mark[:0]
	for len(d.todo) > 0 {
		pc := d.todo[len(d.todo)-1]
		d.todo = d.todo[:len(d.todo)-1]
		if d.seen[pc] {
			continue
		}
		d.seen[pc] = true
		d.mark = append(d.mark, pc)
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			d.todo = append(d.todo, in.Arg, in.Out)
		case syntax.InstNop, syntax.InstCapture, syntax.InstEmptyWidth:
			d.todo = append(d.todo, in.Out)
		case syntax.InstFail:
		default: // runes, match
			out = append(out, pc)
		}
	}
	for _, pc := range d.mark {
		d.seen[pc] = false
	}
	slices.Sort(out)
	return out
}

func (d *lazyDFA) intern(pcs []uint32) int32 {
	key := make([]byte, 0, 4*len(pcs))
	for _, pc := range pcs {
		key = append(key, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	if id, ok := d.idx[string(key)]; ok {
		return id
	}
	s := &dfaState{pcs: pcs}
	for _, pc := range pcs {
		if d.prog.Inst[pc].Op == syntax.InstMatch {
			s.match = true
		}
	}
	id := int32(len(d.st))
	d.st = append(d.st, s)
	d.idx[string(key)] = id
	return id
}

// next is the state after reading r in state s.
func (d *lazyDFA) next(s int32, r rune) int32 {
	st := d.st[s]
	if r < utf8.RuneSelf {
		if n := st.ascii[r]; n != 0 {
			return n - 1
		}
	} else if n, ok := st.other[r]; ok {
		return n
	}
	var outs []uint32
	for _, pc := range st.pcs {
		in := &d.prog.Inst[pc]
		ok := false
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1:
			ok = in.MatchRune(r)
		case syntax.InstRuneAny:
			ok = true
		case syntax.InstRuneAnyNotNL:
			ok = r != '\n'
		}
		if ok {
			outs = append(outs, in.Out)
		}
	}
	n := d.intern(d.closure(outs))
	if r < utf8.RuneSelf {
		st.ascii[r] = n + 1
	} else {
		if st.other == nil {
			st.other = map[rune]int32{}
		}
		st.other[r] = n
	}
	return n
}

// accepts reports whether the whole of text is in the language. It stops
// at the first byte after which no text can be.
func (d *lazyDFA) accepts(text string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.st) > maxDFAStates {
		d.reset()
	}
	s := int32(0)
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		i += size
		if s = d.next(s, r); s == d.dead {
			return false
		}
	}
	return d.st[s].match
}
