package detect

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// The streaming hold-back of the secret rules (see Releasable). A rule's
// match begins, after an optional word boundary and gitleaks' lazy
// "[\w.-]{0,n}?" prefix, with one of a few anchor strings: its keywords
// for the rules run anchored (anchorPlan), strings read off the pattern
// for the others. So a match still incomplete at the end of a buffer
// either starts at an anchor in the buffer from which the pattern's
// prefix language (prefix.go) still reaches the end, or at a partial
// anchor that ends the buffer. At such an anchor:
//
//   - if the text from it has reached a secret group (ent), the finding
//     may have begun: hold from the anchor;
//   - otherwise the secret starts after the buffer's end: nothing needs
//     holding, except findings already reported from that anchor (a longer
//     match may replace them), and the anchor must stay within LookBehind
//     of the release point so that the detector still sees it.
//
// A rule whose matches have no such anchors (a pattern starting with a
// wide class) is a run of its own bytes: the trailing run of those bytes
// is held, and when the rule's keyword need not lie inside the match (it
// may follow it) complete matches near the end are held too, since the
// keyword arriving later makes them findings.

// relBranch is one way a rule's matches begin.
type relBranch struct {
	rule     *secretRule
	boundary bool // a word boundary before the anchor
	prefix   int  // a [\w.-]{0,prefix} run may precede the anchor
	// whole: the finding may be the whole match (no secret group, or one
	// that can stay empty), so it starts with the prefix run.
	whole bool
	// reach: past this many bytes from the anchor to the end, the scanned
	// window is all in the buffer and the match is settled; maxLen bounds
	// a match of rest.
	reach, maxLen int
	// opReach > 0: the rule is run anchored in gitleaks' semi-generic form
	// (anchorPlan.assign): no match, and no finding, without an assignment
	// operator at most opReach bytes after the keyword, past padding only.
	opReach int
	// rest is the parsed pattern after the boundary and the prefix, with
	// the rule's capture groups and their numbers (group, the rule's
	// secret group, 0: the first non-empty, names one of them); its
	// languages (prefix.go) are built and compiled on first use (most
	// anchors never occur). It is kept as parsed: a pattern written back
	// as source (reString) has no capture groups, so its ent language
	// would be empty and a secret that has begun would be released.
	rest      *syntax.Regexp
	group     int
	once      sync.Once
	viable    *lazyDFA       // pre(rest)
	entered   *lazyDFA       // ent(rest) (viable when whole)
	complete  *regexp.Regexp // \A(?:rest), only for rules whose keyword may follow the match
	contained bool
	err       error
}

func (b *relBranch) prefixer() prefixer {
	group := b.group
	return prefixer{secret: func(c int) bool { return group == 0 || c == group }}
}

// compile builds the branch's matchers. A pattern that does not compile
// (none does not: TestReleaseIndexCompiles) leaves them nil, which the
// caller reads as "may match": the anchor is held.
func (b *relBranch) compile() {
	b.once.Do(func() {
		var err1, err2, err3 error
		px := b.prefixer()
		b.viable, err1 = newLazyDFA(px.pre(b.rest))
		if b.whole {
			b.entered = b.viable
		} else {
			b.entered, err2 = newLazyDFA(px.ent(b.rest))
		}
		if !b.contained {
			b.complete, err3 = regexp.Compile(`\A(?:` + reString(b.rest) + `)`)
		}
		if b.err = errors.Join(err1, err2, err3); b.err != nil {
			b.viable, b.entered, b.complete = nil, nil, nil
		}
	})
}

// relToken is a rule without anchors: matches are runs of alpha bytes.
type relToken struct {
	rule  *secretRule
	alpha [256]bool
	// minLen is the shortest match; region > 0 scans the last region bytes
	// for complete matches (the rule's keyword may come after the match).
	minLen, region int
	// span > 0: the match may hold white space; hold the last span bytes.
	span int
}

// lineAllowReach bounds how long a finding waits for the rest of its line
// (about the hold-back of a fixed window).
const lineAllowReach = 512

type releaseIndex struct {
	ac       *acMatcher
	anchors  []string
	byAnchor [][]int32 // anchor id -> branches
	branches []*relBranch
	// holdDepth[state]: the longest suffix of the text that is a proper
	// prefix of an anchor with which a finding may begin (held whole);
	// holdPrefix[state]: the [\w.-] run before it goes with it.
	holdDepth  []int32
	holdPrefix []int32
	tokens     []relToken
	// lineAllow: detectors with an allowlist on the whole line (the rest of
	// the line may still drop their findings).
	lineAllow map[string]bool
	maxReach  int
	maxAnchor int
}

// stripLead removes a leading word boundary and [\w.-]{0,n} prefixes.
func stripLead(re *syntax.Regexp) (boundary bool, prefix int, rest *syntax.Regexp) {
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	for len(subs) > 0 {
		s := subs[0]
		switch {
		case s.Op == syntax.OpConcat:
			subs = append(slices.Clone(s.Sub), subs[1:]...)
			continue
		case s.Op == syntax.OpWordBoundary && prefix == 0:
			boundary = true
		case s.Op == syntax.OpRepeat && s.Min == 0 && s.Max > 0 && s.Max <= 64 && isWordDotDash(s.Sub[0]):
			prefix += s.Max
		default:
			return boundary, prefix, reCat(subs...)
		}
		subs = subs[1:]
	}
	return boundary, prefix, reEmpty
}

// deriveAnchors lists strings every match of re starts with (lower-case
// ASCII, at least 3 bytes, at most 64 of them), or nil.
func deriveAnchors(re *syntax.Regexp) []string {
	for n := 8; n >= 3; n-- {
		ps, ok := expander{n: n}.prefixes(re, n)
		if !ok || len(ps) == 0 || len(ps) > 64 {
			continue
		}
		var out []string
		good := true
		for _, p := range ps {
			if len(p.s) < 3 || strings.IndexFunc(p.s, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
				good = false
				break
			}
			if !slices.Contains(out, p.s) {
				out = append(out, p.s)
			}
		}
		if good {
			return out
		}
	}
	return nil
}

// mustContain reports whether every match of re contains one of the
// keywords (lower-case; compared ASCII case-insensitively).
func mustContain(re *syntax.Regexp, kws []string) bool {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return mustContain(re.Sub[0], kws)
	case syntax.OpRepeat:
		return re.Min > 0 && mustContain(re.Sub[0], kws)
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !mustContain(s, kws) {
				return false
			}
		}
		return len(re.Sub) > 0
	case syntax.OpLiteral:
		return containsAny(strings.ToLower(string(re.Rune)), kws)
	case syntax.OpConcat:
		var run strings.Builder
		for _, s := range re.Sub {
			if mustContain(s, kws) {
				return true
			}
			if s.Op == syntax.OpLiteral {
				run.WriteString(strings.ToLower(string(s.Rune)))
				if containsAny(run.String(), kws) {
					return true
				}
				continue
			}
			run.Reset()
		}
	}
	return false
}

func containsAny(s string, kws []string) bool {
	for _, k := range kws {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// byteAlphabet marks every byte a match of re can contain (all bytes from
// 0x80 when it can match a rune beyond ASCII).
func byteAlphabet(re *syntax.Regexp, a *[256]bool) {
	markHigh := func() {
		for c := 0x80; c < 256; c++ {
			a[c] = true
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				markHigh()
				continue
			}
			a[r] = true
			if re.Flags&syntax.FoldCase != 0 {
				a[lowerASCII(byte(r))] = true
				a[upperASCIIByte(byte(r))] = true
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			for c := lo; c <= hi && c < utf8.RuneSelf; c++ {
				a[c] = true
			}
			// Case folding adds the long s and the Kelvin sign to ASCII
			// classes; no credential holds them (as in maxMatchLen).
			if hi >= utf8.RuneSelf && !(lo == hi && (lo == 0x17F || lo == 0x212A)) {
				markHigh()
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		for c := range a {
			a[c] = true
		}
	}
	for _, s := range re.Sub {
		byteAlphabet(s, a)
	}
}

func upperASCIIByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// minMatchLen is the shortest match of re in bytes.
func minMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minMatchLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minMatchLen(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if m := minMatchLen(s); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// tokenCore drops a leading context character and a trailing terminator
// ("(?:^|[\s'"=])", "(?:[\x60'"\s;]|\\[nr]|$)"): what remains is where the
// secret lies.
func tokenCore(re *syntax.Regexp) *syntax.Regexp {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return re
	}
	subs := re.Sub
	if isTerminator(subs[len(subs)-1]) {
		subs = subs[:len(subs)-1]
	}
	if len(subs) > 1 && isTerminator(subs[0]) {
		subs = subs[1:]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: subs, Flags: re.Flags}
}

// buildRelease prepares the hold-back analysis of every rule.
func (e *secretEngine) buildRelease(specs []ruleSpec) error {
	ix := &releaseIndex{lineAllow: map[string]bool{}}
	anchorID := map[string]int32{}
	var anchors []string
	var hold []bool
	var holdPfx []int32
	maxKw := 0
	for _, s := range specs {
		for _, k := range s.Keywords {
			maxKw = max(maxKw, len(k))
		}
	}
	for i, r := range e.rules {
		spec := specs[i]
		for _, a := range spec.Allow {
			if a.Target == "line" {
				ix.lineAllow[r.detector] = true
			}
		}
		parsed, err := syntax.Parse(spec.Regex, syntax.Perl)
		if err != nil {
			return fmt.Errorf("secret rule %s: %w", r.id, err)
		}
		group := r.group
		kws := make([]string, len(spec.Keywords))
		for k, w := range spec.Keywords {
			kws[k] = strings.ToLower(w)
		}
		type lead struct {
			boundary bool
			prefix   int
			rest     *syntax.Regexp
			anchors  []string
		}
		var leads []lead
		contained := true
		if r.plan != nil {
			leads = []lead{{r.plan.boundary, r.plan.prefix, r.plan.rest, kws}}
		} else {
			contained = mustContain(parsed, kws)
			alts := []*syntax.Regexp{parsed}
			if parsed.Op == syntax.OpAlternate {
				alts = parsed.Sub
			}
			for _, a := range alts {
				b, p, rest := stripLead(a)
				as := deriveAnchors(rest)
				if as == nil {
					leads = nil
					break
				}
				leads = append(leads, lead{b, p, rest, as})
			}
			if leads == nil {
				ix.tokens = append(ix.tokens, tokenRule(r, parsed, contained, maxKw))
				continue
			}
		}
		for _, l := range leads {
			b := relBranch{rule: r, boundary: l.boundary, prefix: l.prefix, rest: l.rest, group: group, contained: contained}
			px := b.prefixer()
			b.whole = parsed.MaxCap() == 0 || group == 0 && px.bypass(l.rest)
			ent := px.pre(l.rest)
			if !b.whole {
				ent = px.ent(l.rest)
			}
			ml := maxMatchLen(l.rest)
			if ml == unbounded || ml > maxRuleSpan {
				ml = maxRuleSpan
			}
			b.maxLen = ml
			b.reach = ml + 2*windowSlack + 1
			if r.plan != nil && r.plan.assign {
				// The window ends at the first white space after
				// assignReach+assignValue bytes (see runAnchored).
				b.reach = min(b.reach, assignReach+assignValue+2*windowSlack+2)
				b.opReach = opReach(l.rest)
			}
			if r.plan == nil {
				// Windows around keywords: a match may sit a window away.
				b.reach = 2*ml + maxKw + 3*windowSlack + 1
			}
			ix.maxReach = max(ix.maxReach, b.reach)
			// A partial anchor is held when the secret may begin inside it
			// (ghp_, AKIA: the token starts with its keyword): when the
			// shortest text reaching the secret is shorter than the anchor.
			entry := minMatchLen(ent)
			if isNone(ent) {
				entry = maxRuleSpan
			}
			bi := int32(len(ix.branches))
			ix.branches = append(ix.branches, &b)
			for _, a := range l.anchors {
				id, ok := anchorID[a]
				if !ok {
					id = int32(len(anchors))
					anchorID[a] = id
					anchors = append(anchors, a)
					ix.byAnchor = append(ix.byAnchor, nil)
					hold = append(hold, false)
					holdPfx = append(holdPfx, 0)
					ix.maxAnchor = max(ix.maxAnchor, len(a))
				}
				ix.byAnchor[id] = append(ix.byAnchor[id], bi)
				if entry < len(a) {
					hold[id] = true
					if b.whole {
						holdPfx[id] = max(holdPfx[id], int32(l.prefix))
					}
				}
			}
		}
	}
	for _, r := range e.rules {
		if r.plan != nil {
			r.plan.rest = nil // the branches hold it now
		}
	}
	ix.ac, ix.anchors = newACMatcher(anchors), anchors
	// Per state: the longest suffix (this state or one down its fail
	// chain) that is a prefix of a held anchor. A trie node is such a
	// prefix when a held anchor passes through it.
	n := len(ix.ac.depth)
	need := make([]bool, n)
	pfx := make([]int32, n)
	for id, a := range anchors {
		if !hold[id] {
			continue
		}
		s := int32(0)
		for i := 0; i < len(a); i++ {
			s = ix.ac.delta[int(s)*ix.ac.nclass+int(ix.ac.class[a[i]])]
			if ix.ac.depth[s] != int32(i+1) {
				break // not the trie node (cannot happen: the trie holds a)
			}
			need[s] = true
			pfx[s] = max(pfx[s], holdPfx[id])
		}
	}
	ix.holdDepth = make([]int32, n)
	ix.holdPrefix = make([]int32, n)
	// States in order of depth, so that fail targets come first.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return int(ix.ac.depth[a] - ix.ac.depth[b]) })
	for _, s := range order {
		if s == 0 {
			continue
		}
		if need[s] {
			ix.holdDepth[s], ix.holdPrefix[s] = ix.ac.depth[s], pfx[s]
		} else {
			f := ix.ac.fail[s]
			ix.holdDepth[s], ix.holdPrefix[s] = ix.holdDepth[f], ix.holdPrefix[f]
		}
	}
	e.rel = ix
	return nil
}

// tokenRule describes a rule without anchors.
func tokenRule(r *secretRule, parsed *syntax.Regexp, contained bool, maxKw int) relToken {
	t := relToken{rule: r}
	core := tokenCore(parsed)
	ml := r.maxLen
	if canMatchSpace(core) {
		t.span = ml + 2*windowSlack
		return t
	}
	byteAlphabet(parsed, &t.alpha)
	for c := range t.alpha {
		if isSpace(byte(c)) {
			t.alpha[c] = false
		}
	}
	t.minLen = minMatchLen(core)
	if !contained {
		t.region = 2*ml + maxKw + 3*windowSlack
	}
	return t
}

// pending returns the earliest offset of text where a secret finding may
// still begin or change; lookBehind is the released context the caller
// keeps before the unreleased text.
func (e *secretEngine) pending(text string, findings []types.Finding, lookBehind int) int {
	ix := e.rel
	n := len(text)
	p := n
	from := max(0, n-ix.maxReach-ix.maxAnchor)
	type hit struct{ b, start int32 }
	var done [16]hit
	seen := done[:0]
	state := ix.ac.scanState(text[from:], func(id int32, end int) {
		start := from + end - ix.ac.kwLen[id]
		for _, bi := range ix.byAnchor[id] {
			b := ix.branches[bi]
			if n-start > b.reach || start-b.prefix >= p {
				continue
			}
			if slices.Contains(seen, hit{bi, int32(start)}) {
				continue
			}
			seen = append(seen, hit{bi, int32(start)})
			if b.boundary && start > 0 && isWordByte(text[start-1]) == isWordByte(text[start]) {
				continue
			}
			if b.opReach > 0 {
				switch assignState(text, start, b.opReach) {
				case assignDead:
					continue
				case assignOpen:
					// No operator yet: the secret starts after the text,
					// and nothing was reported from here.
					p = min(p, start+lookBehind)
					continue
				}
			}
			rest := text[start:]
			b.compile()
			if b.complete != nil && b.complete.MatchString(runePrefix(rest, b.maxLen+utf8.UTFMax)) {
				p = min(p, b.findingStart(text, start))
				continue
			}
			if b.viable != nil && !b.viable.accepts(rest) {
				continue
			}
			if b.entered == nil || b.entered.accepts(rest) {
				p = min(p, b.findingStart(text, start))
				continue
			}
			// The secret is not reached yet. Findings already reported
			// from here may give way to a longer match; the anchor must
			// stay in the scanned context.
			for _, f := range findings {
				if f.Class == ClassSecret && f.Start >= start && f.Start < start+b.reach {
					p = min(p, f.Start)
				}
			}
			p = min(p, start+lookBehind)
		}
	})
	if d := int(ix.holdDepth[state]); d > 0 {
		s := n - d
		for k := int(ix.holdPrefix[state]); k > 0 && s > 0 && (isWordByte(text[s-1]) || text[s-1] == '.' || text[s-1] == '-'); k-- {
			s--
		}
		p = min(p, s)
	}
	for i := range ix.tokens {
		p = min(p, ix.tokens[i].pending(text))
	}
	// A finding whose line is not complete may still be allowlisted by
	// what follows on the line: held until the line ends, or for
	// lineAllowReach bytes (a line may run on for kilobytes of prose).
	for _, f := range findings {
		if ix.lineAllow[f.Detector] && f.Start < p && n-f.End < lineAllowReach && strings.IndexByte(text[min(f.End, n):], '\n') < 0 {
			p = f.Start
		}
	}
	return p
}

const (
	assignDead = iota
	assignOpen
	assignOp
)

// assignState reads the text after a semi-generic keyword at ks as
// hasAssignment does (the engine runs the rule only when it holds): an
// operator within opReach bytes past padding (assignOp), padding up to the
// end of the text (assignOpen), or neither (assignDead: no text to come
// makes a match from here).
func assignState(text string, ks, opReach int) int {
	for i := ks; i <= ks+opReach; i++ {
		if i >= len(text) {
			return assignOpen
		}
		c := text[i]
		if strings.IndexByte(assignOps, c) >= 0 {
			return assignOp
		}
		if !(isWordByte(c) || c == '.' || c == '-' || c == '\'' || c == '"' || isSpace(c)) {
			return assignDead
		}
	}
	return assignDead
}

// opReach bounds where the operator of a semi-generic pattern starts:
// the longest text the parts before it match (keyword, padding, quotes),
// at most assignReach.
func opReach(rest *syntax.Regexp) int {
	subs := []*syntax.Regexp{rest}
	if rest.Op == syntax.OpConcat {
		subs = rest.Sub
	}
	n := 0
	for _, s := range subs {
		var a [256]bool
		byteAlphabet(s, &a)
		for i := 0; i < len(assignOps); i++ {
			if a[assignOps[i]] {
				return min(n, assignReach)
			}
		}
		l := maxMatchLen(s)
		if l == unbounded {
			return assignReach
		}
		n += l
	}
	return assignReach
}

// runePrefix is the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func runePrefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// findingStart is where a finding from a match at the anchor start can
// begin.
func (b *relBranch) findingStart(text string, start int) int {
	if !b.whole {
		return start
	}
	s := start
	for k := b.prefix; k > 0 && s > 0 && (isWordByte(text[s-1]) || text[s-1] == '.' || text[s-1] == '-'); k-- {
		s--
	}
	return s
}

func (t *relToken) pending(text string) int {
	n := len(text)
	if t.span > 0 {
		return max(0, n-t.span)
	}
	p := n
	for p > 0 && t.alpha[text[p-1]] {
		p--
	}
	if t.region > 0 {
		lo := max(0, n-t.region)
		// Only a run of the rule's bytes as long as a match can hold one.
		run, long := 0, false
		for i := lo; i < n && !long; i++ {
			if t.alpha[text[i]] {
				run++
				long = run >= t.minLen
			} else {
				run = 0
			}
		}
		if long {
			if loc := t.rule.re.FindStringIndex(text[lo:]); loc != nil {
				p = min(p, lo+loc[0])
			}
		}
	}
	return p
}
