package detect

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// Prefix languages of a pattern, for the streaming hold-back (see
// release.go). For a pattern R whose match starts at a given place:
//
//   - pre(R) holds every prefix of a string of R: text that more text may
//     still turn into a match, or into a different one;
//   - ent(R) holds the prefixes that reach the start of a group carrying
//     the secret: text in which the finding may already have begun;
//   - thru(R) (a helper) holds the strings of R whose match passed through
//     such a group.
//
// A text that is not in pre(R) cannot take part in a match that reaches
// past its end, so no text to come changes what R matches there; a text
// not in ent(R) has not reached the secret yet, so the finding starts
// after it. Assertions (\b, ^, $) are read as empty, bounds of repeats
// beyond repCap are dropped (x{10,150} is read as x{10,}, x{250,} as
// x{32,}: Go's matcher keeps a thread per counted copy) and bounded repeats
// around a secret group are widened: the languages only grow, so every
// test against them errs towards holding text back.
//
// Repeats of any character up to anyRepCap keep their bounds: gitleaks
// writes "within n bytes" as (?s:.){0,n}? (kubernetes-secret-yaml:
// "data:" then a key and value then "kind: Secret" within 200 bytes), and
// read as (?s:.)* such a window never closes, so the text after "data:"
// stays in the prefix language, and held, for as long as the branch's
// reach. Every byte matches such a repeat, so the copies live at once are
// one per place the repeat may have begun, and the lazy DFA (lazydfa.go)
// adds at most one state per byte read.

// repCap: repeat bounds above it are dropped (see above).
const repCap = 32

// anyRepCap: repeats of any character keep bounds up to it (see above).
const anyRepCap = 256

// capRep widens the bounds of the repeat re to at most repCap counted
// copies (anyRepCap for a repeat of any character).
func capRep(re *syntax.Regexp) (int, int) {
	lo, hi := re.Min, re.Max
	if op := re.Sub[0].Op; (op == syntax.OpAnyChar || op == syntax.OpAnyCharNotNL) && hi >= 0 && hi <= anyRepCap {
		return lo, hi
	}
	if hi < 0 || hi > repCap {
		hi = -1
	}
	return min(lo, repCap), hi
}

var (
	reNone  = &syntax.Regexp{Op: syntax.OpNoMatch}
	reEmpty = &syntax.Regexp{Op: syntax.OpEmptyMatch}
)

func isNone(re *syntax.Regexp) bool { return re.Op == syntax.OpNoMatch }

// reCat concatenates, dropping empty parts; any part that matches nothing
// makes the whole match nothing.
func reCat(subs ...*syntax.Regexp) *syntax.Regexp {
	var out []*syntax.Regexp
	for _, s := range subs {
		switch s.Op {
		case syntax.OpNoMatch:
			return reNone
		case syntax.OpEmptyMatch:
			continue
		case syntax.OpConcat:
			out = append(out, s.Sub...)
			continue
		}
		out = append(out, s)
	}
	switch len(out) {
	case 0:
		return reEmpty
	case 1:
		return out[0]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: out}
}

// reAlt is the alternation of the parts that match something.
func reAlt(subs ...*syntax.Regexp) *syntax.Regexp {
	var out []*syntax.Regexp
	for _, s := range subs {
		if !isNone(s) {
			out = append(out, s)
		}
	}
	switch len(out) {
	case 0:
		return reNone
	case 1:
		return out[0]
	}
	return &syntax.Regexp{Op: syntax.OpAlternate, Sub: out}
}

func reRep(re *syntax.Regexp, lo, hi int) *syntax.Regexp {
	switch {
	case hi == 0 || re.Op == syntax.OpEmptyMatch:
		return reEmpty
	case isNone(re):
		if lo == 0 {
			return reEmpty
		}
		return reNone
	case lo == 1 && hi == 1:
		return re
	case hi < 0:
		if lo == 0 {
			return &syntax.Regexp{Op: syntax.OpStar, Sub: []*syntax.Regexp{re}}
		}
		if lo == 1 {
			return &syntax.Regexp{Op: syntax.OpPlus, Sub: []*syntax.Regexp{re}}
		}
	case lo == 0 && hi == 1:
		return &syntax.Regexp{Op: syntax.OpQuest, Sub: []*syntax.Regexp{re}}
	}
	return &syntax.Regexp{Op: syntax.OpRepeat, Sub: []*syntax.Regexp{re}, Min: lo, Max: hi}
}

func reStar(re *syntax.Regexp) *syntax.Regexp { return reRep(re, 0, -1) }

// prefixer builds the languages; secret reports the capture groups that
// carry the secret.
type prefixer struct {
	secret func(cap int) bool
}

// full is re with assertions read as empty and captures dropped.
func (p prefixer) full(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
		return reEmpty
	case syntax.OpNoMatch:
		return reNone
	case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return re
	case syntax.OpCapture:
		return p.full(re.Sub[0])
	case syntax.OpConcat:
		subs := make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = p.full(s)
		}
		return reCat(subs...)
	case syntax.OpAlternate:
		subs := make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = p.full(s)
		}
		return reAlt(subs...)
	case syntax.OpStar:
		return reRep(p.full(re.Sub[0]), 0, -1)
	case syntax.OpPlus:
		return reRep(p.full(re.Sub[0]), 1, -1)
	case syntax.OpQuest:
		return reRep(p.full(re.Sub[0]), 0, 1)
	case syntax.OpRepeat:
		lo, hi := capRep(re)
		return reRep(p.full(re.Sub[0]), lo, hi)
	}
	return re
}

// pre is the language of the prefixes of re's strings (the empty one
// included).
func (p prefixer) pre(re *syntax.Regexp) *syntax.Regexp {
	switch re.Op {
	case syntax.OpNoMatch:
		return reNone
	case syntax.OpLiteral:
		// r1 (r2 (r3)?)? ... nested, so the size stays linear.
		out := reEmpty
		for i := len(re.Rune) - 1; i >= 0; i-- {
			lit := &syntax.Regexp{Op: syntax.OpLiteral, Flags: re.Flags, Rune: []rune{re.Rune[i]}}
			out = reRep(reCat(lit, out), 0, 1)
		}
		return out
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return reRep(re, 0, 1)
	case syntax.OpCapture:
		return p.pre(re.Sub[0])
	case syntax.OpConcat:
		return p.preCat(re.Sub)
	case syntax.OpAlternate:
		subs := make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = p.pre(s)
		}
		return reAlt(subs...)
	case syntax.OpStar, syntax.OpPlus:
		return reCat(reStar(p.full(re.Sub[0])), p.pre(re.Sub[0]))
	case syntax.OpQuest:
		return p.pre(re.Sub[0])
	case syntax.OpRepeat:
		if _, hi := capRep(re); hi >= 0 {
			return reCat(reRep(p.full(re.Sub[0]), 0, hi-1), p.pre(re.Sub[0]))
		}
		return reCat(reStar(p.full(re.Sub[0])), p.pre(re.Sub[0]))
	}
	return reEmpty // assertions, empty
}

// preCat: pre(A B...) = pre(A) | A pre(B...).
func (p prefixer) preCat(subs []*syntax.Regexp) *syntax.Regexp {
	if len(subs) == 0 {
		return reEmpty
	}
	if len(subs) == 1 {
		return p.pre(subs[0])
	}
	return reAlt(p.pre(subs[0]), reCat(p.full(subs[0]), p.preCat(subs[1:])))
}

// has reports whether re contains a secret group.
func (p prefixer) has(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture && p.secret(re.Cap) {
		return true
	}
	return slices.ContainsFunc(re.Sub, p.has)
}

// thru is the language of re's strings whose match entered a secret group.
func (p prefixer) thru(re *syntax.Regexp) *syntax.Regexp {
	if !p.has(re) {
		return reNone
	}
	switch re.Op {
	case syntax.OpCapture:
		if p.secret(re.Cap) {
			return p.full(re.Sub[0])
		}
		return p.thru(re.Sub[0])
	case syntax.OpConcat:
		return p.thruCat(re.Sub)
	case syntax.OpAlternate:
		subs := make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = p.thru(s)
		}
		return reAlt(subs...)
	case syntax.OpQuest:
		return p.thru(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		around := p.around(re)
		return reCat(around, p.thru(re.Sub[0]), around)
	}
	return reNone
}

// around is what may surround the copy of a repeated part in which the
// group was entered: any number of copies up to the repeat's maximum
// (a superset of the exact language, which is all a hold-back needs).
func (p prefixer) around(re *syntax.Regexp) *syntax.Regexp {
	f := p.full(re.Sub[0])
	if re.Op == syntax.OpRepeat {
		if _, hi := capRep(re); hi >= 0 {
			return reRep(f, 0, hi-1)
		}
	}
	return reStar(f)
}

func (p prefixer) thruCat(subs []*syntax.Regexp) *syntax.Regexp {
	if len(subs) == 1 {
		return p.thru(subs[0])
	}
	a, rest := subs[0], subs[1:]
	return reAlt(reCat(p.thru(a), p.full(&syntax.Regexp{Op: syntax.OpConcat, Sub: rest})), reCat(p.full(a), p.thruCat(rest)))
}

// ent is the language of the prefixes of re's strings that reach the
// start of a secret group.
func (p prefixer) ent(re *syntax.Regexp) *syntax.Regexp {
	if !p.has(re) {
		return reNone
	}
	switch re.Op {
	case syntax.OpCapture:
		if p.secret(re.Cap) {
			return p.pre(re.Sub[0])
		}
		return p.ent(re.Sub[0])
	case syntax.OpConcat:
		return p.entCat(re.Sub)
	case syntax.OpAlternate:
		subs := make([]*syntax.Regexp, len(re.Sub))
		for i, s := range re.Sub {
			subs[i] = p.ent(s)
		}
		return reAlt(subs...)
	case syntax.OpQuest:
		return p.ent(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		around := p.around(re)
		return reAlt(reCat(around, p.ent(re.Sub[0])), reCat(around, p.thru(re.Sub[0]), around, p.pre(re.Sub[0])))
	}
	return reNone
}

// entCat: ent(A B...) = ent(A) | thru(A) pre(B...) | A ent(B...).
func (p prefixer) entCat(subs []*syntax.Regexp) *syntax.Regexp {
	if len(subs) == 1 {
		return p.ent(subs[0])
	}
	a, rest := subs[0], subs[1:]
	restRe := &syntax.Regexp{Op: syntax.OpConcat, Sub: rest}
	return reAlt(p.ent(a), reCat(p.thru(a), p.pre(restRe)), reCat(p.full(a), p.entCat(rest)))
}

// bypass reports whether re can match without putting text in a secret
// group (each group skipped or empty): then the finding is the whole
// match (see secretEngine.emit).
func (p prefixer) bypass(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpCapture:
		if p.secret(re.Cap) {
			return nullable(re.Sub[0])
		}
		return p.bypass(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !p.bypass(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		return slices.ContainsFunc(re.Sub, p.bypass)
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpPlus:
		return p.bypass(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || p.bypass(re.Sub[0])
	}
	return true
}

// nullable reports whether re matches the empty string.
func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpNoMatch:
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !nullable(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		return slices.ContainsFunc(re.Sub, nullable)
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	}
	return true // star, quest, empty, assertions
}

// reString writes re as a pattern. (syntax.Regexp.String recomputes
// flags at every level, which is slow on the shared subtrees built here.)
func reString(re *syntax.Regexp) string {
	var b strings.Builder
	memo := map[*syntax.Regexp]string{}
	writeRe(&b, re, memo)
	return b.String()
}

func writeRe(b *strings.Builder, re *syntax.Regexp, memo map[*syntax.Regexp]string) {
	if s, ok := memo[re]; ok {
		b.WriteString(s)
		return
	}
	start := b.Len()
	group := func(s *syntax.Regexp) {
		b.WriteString("(?:")
		writeRe(b, s, memo)
		b.WriteString(")")
	}
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				b.WriteString("(?i:")
				b.WriteString(regexp.QuoteMeta(string(r)))
				b.WriteString(")")
			} else {
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			b.WriteString(`[^\x00-\x{10FFFF}]`)
			break
		}
		b.WriteString("[")
		for i := 0; i+1 < len(re.Rune); i += 2 {
			fmt.Fprintf(b, `\x{%x}`, re.Rune[i])
			if re.Rune[i+1] != re.Rune[i] {
				fmt.Fprintf(b, `-\x{%x}`, re.Rune[i+1])
			}
		}
		b.WriteString("]")
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`(?-s:.)`)
	case syntax.OpBeginLine:
		b.WriteString(`(?m:^)`)
	case syntax.OpEndLine:
		b.WriteString(`(?m:$)`)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		b.WriteString(`\z`)
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		group(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			group(s)
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			writeRe(b, s, memo)
		}
		b.WriteString(")")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		group(re.Sub[0])
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op])
	case syntax.OpRepeat:
		group(re.Sub[0])
		switch {
		case re.Max < 0:
			fmt.Fprintf(b, "{%d,}", re.Min)
		case re.Min == re.Max:
			fmt.Fprintf(b, "{%d}", re.Min)
		default:
			fmt.Fprintf(b, "{%d,%d}", re.Min, re.Max)
		}
	default:
		b.WriteString(re.String())
	}
	memo[re] = b.String()[start:]
}
