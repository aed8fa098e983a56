package detect

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// Most rules can be run anchored at a keyword hit instead of over a window
// around it: every match of the pattern starts with one of the rule's
// keywords, once two harmless leading parts are set aside — a word
// boundary (checked by hand at the hit) and gitleaks' "[\w.-]{0,50}?"
// prefix, which only widens the match to the left and never changes the
// secret (it is rebuilt by hand for allowlists that look at the whole
// match). An anchored run reads a few bytes past the keyword in the usual
// case, so the cost is per keyword hit, not per byte of window.

// anchorPlan is how a rule runs at a keyword hit.
type anchorPlan struct {
	re *regexp.Regexp // ^(rest of the pattern)
	// boundary: the pattern began with \b.
	boundary bool
	// prefix: the pattern began with a lazy [\w.-]{0,prefix}? run.
	prefix int
	// maxLen bounds the anchored match (unbounded patterns: maxRuleSpan).
	maxLen int
	open   bool
	// assign: the pattern is gitleaks' "semi-generic" form — a keyword of
	// [\w.-] characters, up to 20 more of [ \t\w.-], up to 3 of [\s'"]
	// and an assignment operator — so a hit without an operator within
	// assignReach bytes cannot match, and the value is one run of
	// non-space bytes starting before assignReach.
	assign bool
	// genericValue: the value is gitleaks' generic one (see
	// plausibleGenericValue).
	genericValue bool
	// rest is the parsed pattern after the boundary and prefix: every
	// match of it starts with a keyword (read while building the streaming
	// hold-back analysis, then dropped).
	rest *syntax.Regexp
}

// genericValuePattern is the value and terminator of gitleaks'
// generic-api-key rule.
const genericValuePattern = `([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

func isGenericValueByte(c byte) bool { return isWordByte(c) || c == '.' || c == '=' || c == '-' }

func isGenericTerminator(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	switch c := text[i]; {
	case c == '`' || c == '\'' || c == '"' || c == ';' || isSpace(c):
		return true
	case c == '\\':
		return i+1 < len(text) && (text[i+1]|0x20 == 'n' || text[i+1]|0x20 == 'r')
	}
	return false
}

// plausibleGenericValue is a necessary condition for the generic rule at a
// keyword hit ks: after an operator, up to five quoting bytes and a value
// that is either 10–150 bytes of [\w.=-] or 12+ of [a-z0-9+/] (then up to
// three '='), followed by a terminator. The two value classes and the
// terminators are disjoint, so each candidate start is decided by one run.
// It keeps a text flooded with "key=key=…" from costing a regexp run per
// hit.
func plausibleGenericValue(text string, ks int, memo *runMemo) bool {
	// The operator is the first byte after the keyword that the padding
	// ([ \t\w.-] and [\s'"]) cannot absorb.
	o := ks
	for o < len(text) && o < ks+assignReach && (isWordByte(text[o]) || text[o] == '.' || text[o] == '-' || text[o] == '\'' || text[o] == '"' || isSpace(text[o])) {
		o++
	}
	if o >= len(text) || o >= ks+assignReach || strings.IndexByte(assignOps, text[o]) < 0 {
		return false
	}
	for v := o + 1; v < len(text) && v <= o+8; v++ {
		if n := memo.valueRun(text, v); n >= 10 && n <= 150 && isGenericTerminator(text, v+n) {
			return true
		}
		if m := memo.b64Run(text, v); m >= 12 {
			if m > assignValue {
				return true // a cut run: let the regexp decide
			}
			e := v + m
			for k := 0; k < 3 && e < len(text) && text[e] == '='; k++ {
				e++
			}
			if isGenericTerminator(text, e) {
				return true
			}
		}
	}
	return false
}

// runMemo remembers the last maximal runs of value bytes, so that a text
// full of keywords is measured once, not once per keyword.
type runMemo struct {
	vStart, vEnd int // a run of [\w.=-]
	bStart, bEnd int // a run of [A-Za-z0-9+/]
}

func (m *runMemo) valueRun(text string, v int) int {
	if v < m.vStart || v >= m.vEnd {
		if !isGenericValueByte(text[v]) {
			return 0
		}
		m.vStart, m.vEnd = v, v
		for m.vEnd < len(text) && isGenericValueByte(text[m.vEnd]) {
			m.vEnd++
		}
	}
	return m.vEnd - v
}

func (m *runMemo) b64Run(text string, v int) int {
	isB := func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }
	if v < m.bStart || v >= m.bEnd {
		if !isB(text[v]) {
			return 0
		}
		m.bStart, m.bEnd = v, v
		for m.bEnd < len(text) && isB(text[m.bEnd]) {
			m.bEnd++
		}
	}
	return m.bEnd - v
}

// assignReach bounds keyword + padding + operator + quoting in the
// semi-generic form (longest keyword 28 + 20 + 3 + 3 + 5 < 64).
const assignReach = 64

// assignOps are the first bytes of gitleaks' assignment operators.
const assignOps = "=>:|?,"

// hasAssignment is the cheap necessary condition of the semi-generic form.
func hasAssignment(text string, ks int) bool {
	for i := ks; i < len(text) && i < ks+assignReach; i++ {
		c := text[i]
		if strings.IndexByte(assignOps, c) >= 0 {
			return true
		}
		if !(isWordByte(c) || c == '.' || c == '-' || c == '\'' || c == '"' || isSpace(c)) {
			return false
		}
	}
	return false
}

// semiGenericOps is how gitleaks writes the operator group.
const semiGenericOps = `(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

// planAnchor returns a plan, or nil when the rule must run on windows.
func planAnchor(src string, keywords []string) *anchorPlan {
	if len(keywords) == 0 {
		return nil
	}
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	p := &anchorPlan{}
	for len(subs) > 0 {
		s := subs[0]
		if s.Op == syntax.OpWordBoundary && !p.boundary && p.prefix == 0 {
			p.boundary = true
			subs = subs[1:]
			continue
		}
		if s.Op == syntax.OpRepeat && s.Min == 0 && s.Max > 0 && s.Max <= 64 && s.Flags&syntax.NonGreedy != 0 && isWordDotDash(s.Sub[0]) && p.prefix == 0 && !p.boundary {
			p.prefix = s.Max
			subs = subs[1:]
			continue
		}
		break
	}
	if len(subs) == 0 {
		return nil
	}
	rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: subs, Flags: re.Flags}
	if len(subs) == 1 {
		rest = subs[0]
	}
	n := 0
	for _, k := range keywords {
		n = max(n, len(k))
	}
	ex := expander{n: n, kws: keywords}
	pfx, ok := ex.prefixes(rest, n)
	if !ok || len(pfx) == 0 {
		return nil
	}
	for _, s := range pfx {
		if !startsWithKeyword(s.s, keywords) {
			return nil
		}
	}
	anch, err := regexp.Compile(`^(?:` + rest.String() + `)`)
	if err != nil {
		return nil
	}
	if anch.NumSubexp() != regexp.MustCompile(src).NumSubexp() {
		return nil
	}
	p.re = anch
	p.rest = rest
	p.genericValue = strings.Contains(src, genericValuePattern)
	p.assign = p.prefix > 0 && strings.Contains(src, semiGenericOps) && strings.Contains(src, `(?:[ \t\w.-]{0,20})[\s'"]{0,3}`+semiGenericOps)
	if l := maxMatchLen(rest); l == unbounded || l > maxRuleSpan {
		p.maxLen, p.open = maxRuleSpan, true
	} else {
		p.maxLen = l
	}
	return p
}

// isWordDotDash reports the class [\w.-] (as gitleaks writes it).
func isWordDotDash(re *syntax.Regexp) bool {
	if re.Op != syntax.OpCharClass {
		return false
	}
	want := regexp.MustCompile(`^[\w.-]$`)
	for c := rune(0); c < 128; c++ {
		in := false
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if c >= re.Rune[i] && c <= re.Rune[i+1] {
				in = true
			}
		}
		if in != want.MatchString(string(c)) {
			return false
		}
	}
	return true
}

func startsWithKeyword(s string, keywords []string) bool {
	for _, k := range keywords {
		if strings.HasPrefix(s, k) {
			return true
		}
	}
	return false
}

// pfx is a possible beginning of a match, lower-cased: done means the
// pattern is fully consumed by s (s is a whole match); otherwise len(s)
// reached the limit.
type pfx struct {
	s    string
	done bool
}

const maxPrefixSet = 512

// expander lists the beginnings of matches. A beginning that already
// starts with a keyword is frozen: what follows does not matter.
type expander struct {
	n   int
	kws []string
}

// prefixes lists every beginning (up to n bytes) a match of re can have,
// or reports false when the set is too large or unknowable (any-char).
func (e expander) prefixes(re *syntax.Regexp, n int) ([]pfx, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpBeginText, syntax.OpBeginLine, syntax.OpEndText, syntax.OpEndLine:
		return []pfx{{"", true}}, true
	case syntax.OpLiteral:
		s := strings.ToLower(string(re.Rune))
		if len(s) >= n {
			return []pfx{{s[:n], len(s) == n}}, true
		}
		return []pfx{{s, true}}, true
	case syntax.OpCharClass:
		var out []pfx
		seen := map[string]bool{}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for c := re.Rune[i]; c <= re.Rune[i+1]; c++ {
				s := string(unicode.ToLower(c))
				if !seen[s] {
					seen[s] = true
					out = append(out, pfx{s, true})
				}
				if len(out) > 64 {
					return nil, false
				}
			}
		}
		return trim(out, n), true
	case syntax.OpCapture:
		return e.prefixes(re.Sub[0], n)
	case syntax.OpAlternate:
		var out []pfx
		for _, s := range re.Sub {
			p, ok := e.prefixes(s, n)
			if !ok {
				return nil, false
			}
			out = append(out, p...)
			if len(out) > maxPrefixSet {
				return nil, false
			}
		}
		return out, true
	case syntax.OpQuest:
		p, ok := e.prefixes(re.Sub[0], n)
		return append(p, pfx{"", true}), ok
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		lo, hi := 0, -1
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
		}
		// Unroll up to n copies: enough for n bytes of beginning.
		var out []pfx
		cur := []pfx{{"", true}}
		for k := 0; k <= n && (hi < 0 || k <= hi); k++ {
			if k >= lo {
				out = append(out, cur...)
			}
			var next []pfx
			var ok bool
			next, ok = e.concat(cur, re.Sub[0], n)
			if !ok || len(next) > maxPrefixSet {
				return nil, false
			}
			// Entries that reached n stay as they are.
			grew := false
			for _, p := range next {
				if p.done {
					grew = true
				}
			}
			cur = next
			if !grew {
				if k+1 >= lo {
					out = append(out, cur...)
				}
				break
			}
		}
		return dedupe(out), len(out) <= maxPrefixSet
	case syntax.OpConcat:
		cur := []pfx{{"", true}}
		for _, s := range re.Sub {
			var ok bool
			cur, ok = e.concat(cur, s, n)
			if !ok {
				return nil, false
			}
		}
		return cur, true
	}
	return nil, false
}

// concat extends the done entries of cur by the beginnings of re.
func (e expander) concat(cur []pfx, re *syntax.Regexp, n int) ([]pfx, bool) {
	var out []pfx
	for _, p := range cur {
		if !p.done {
			out = append(out, p)
			continue
		}
		q, ok := e.prefixes(re, n-len(p.s))
		if !ok {
			return nil, false
		}
		for _, x := range q {
			out = append(out, pfx{p.s + x.s, x.done})
		}
		if len(out) > maxPrefixSet {
			return nil, false
		}
	}
	for i := range out {
		if len(out[i].s) >= n {
			out[i].s = out[i].s[:n]
			out[i].done = false
		}
		if out[i].done && startsWithKeyword(out[i].s, e.kws) {
			out[i].done = false // frozen
		}
	}
	return dedupe(out), true
}

func trim(ps []pfx, n int) []pfx {
	for i := range ps {
		if len(ps[i].s) >= n {
			ps[i] = pfx{ps[i].s[:n], false}
		}
	}
	return ps
}

func dedupe(ps []pfx) []pfx {
	seen := map[pfx]bool{}
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// splitFolded rewrites a large case-insensitive alternation (gitleaks'
// allowlists) into one regexp per branch over lower-cased input: case
// folding and a wide alternation both slow Go's matcher down, while most
// branches then start with a literal, which regexp skips to with a fast
// substring search. It returns nil when the pattern does not have that
// shape.
func splitFolded(src string) []foldedBranch {
	if !strings.HasPrefix(src, "(?i)") {
		return nil
	}
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpAlternate {
		return nil
	}
	var out []foldedBranch
	for _, b := range re.Sub {
		lowerLiterals(b)
		r, err := regexp.Compile(b.String())
		if err != nil {
			return nil
		}
		out = append(out, foldedBranch{re: r, lit: requiredLiteral(b, false)})
	}
	return out
}

// foldedBranch is one branch of a split alternation: lit, when set, is a
// literal every match contains, tested before running the regexp.
type foldedBranch struct {
	re  *regexp.Regexp
	lit string
}

// requiredLiteral returns a literal every match of re contains, or "".
// With folded, case-insensitive literals count too (lower-cased), for
// callers that compare lower-cased text.
func requiredLiteral(re *syntax.Regexp, folded bool) string {
	switch re.Op {
	case syntax.OpCapture:
		return requiredLiteral(re.Sub[0], folded)
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return string(re.Rune)
		}
		if folded {
			return strings.ToLower(string(re.Rune))
		}
	case syntax.OpPlus:
		return requiredLiteral(re.Sub[0], folded)
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiteral(re.Sub[0], folded)
		}
	case syntax.OpConcat:
		best := ""
		for _, s := range re.Sub {
			if l := requiredLiteral(s, folded); len(l) > len(best) {
				best = l
			}
		}
		return best
	case syntax.OpAlternate:
		common := ""
		for i, s := range re.Sub {
			l := requiredLiteral(s, folded)
			if l == "" || i > 0 && l != common {
				return ""
			}
			common = l
		}
		return common
	}
	return ""
}

// lowerLiterals makes case-folded literals lower-case and exact.
func lowerLiterals(re *syntax.Regexp) {
	if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase != 0 {
		for i, r := range re.Rune {
			re.Rune[i] = unicode.ToLower(r)
		}
		re.Flags &^= syntax.FoldCase
	}
	for _, s := range re.Sub {
		lowerLiterals(s)
	}
}

// requiredLower returns a lower-case literal that every match of pattern
// contains (compared with lower-cased text), or "".
func requiredLower(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	l := strings.ToLower(requiredLiteral(re, true))
	if len(l) < 3 {
		return ""
	}
	return l
}
