package detect

import (
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// ruleSpec is one secret rule as ported from gitleaks (see gitleaks_rules.go).
type ruleSpec struct {
	ID    string
	Regex string
	// Entropy is the minimum Shannon entropy (bits per character) of the
	// secret; 0 disables the check. As in gitleaks, a secret must exceed it.
	Entropy float64
	// SecretGroup is the capture group holding the secret; 0 means the
	// first non-empty group, or the whole match when there is none.
	SecretGroup int
	// PathOnly is the rule's gitleaks path filter; Warden scans texts, not
	// files, and applies such rules everywhere.
	PathOnly string
	Keywords []string
	Allow    []allowSpec
}

// allowSpec is a gitleaks allowlist: a match is dropped when (Condition OR,
// the default) any regex matches its target or the secret contains a
// stopword, or (AND) all of them do.
type allowSpec struct {
	Description     string
	Condition       string
	Target          string // "" or "secret", "match", "line"
	Regexes         []string
	Stopwords       []string
	HasPathOrCommit bool
}

type allowlist struct {
	and       bool
	target    string
	regexes   []*regexp.Regexp
	stopwords []string
	stops     *acMatcher // the stopwords, for lists too long to loop over
	// lowered are regexps run on the lower-cased target (see splitFolded).
	lowered []foldedBranch
}

// matches reports whether the allowlist drops this finding.
func (a *allowlist) matches(secret, match, line string) bool {
	target := secret
	switch a.target {
	case "match":
		target = match
	case "line":
		target = line
	}
	reHit := false
	if !a.and && len(a.stopwords) > 0 {
		// Cheap test first.
		hit := false
		a.stops.scan(secret, func(int32, int) { hit = true })
		if hit {
			return true
		}
	}
	for _, re := range a.regexes {
		if re.MatchString(target) {
			reHit = true
			break
		}
	}
	if !reHit && len(a.lowered) > 0 {
		lt := strings.ToLower(target)
		for _, b := range a.lowered {
			if (b.lit == "" || strings.Contains(lt, b.lit)) && b.re.MatchString(lt) {
				reHit = true
				break
			}
		}
	}
	if reHit && !a.and {
		return true
	}
	swHit := false
	if len(a.stopwords) > 0 {
		// Stopwords are matched ASCII case-insensitively (gitleaks lowers
		// the secret; stopwords are lower-case ASCII).
		a.stops.scan(secret, func(int32, int) { swHit = true })
	}
	if a.and {
		return (len(a.regexes)+len(a.lowered) == 0 || reHit) && (len(a.stopwords) == 0 || swHit)
	}
	return reHit || swHit
}

func compileAllow(a allowSpec) (*allowlist, error) {
	if a.HasPathOrCommit && a.Condition == "AND" && len(a.Regexes)+len(a.Stopwords) > 0 {
		// Needs a path or commit too, which a text never has.
		return nil, nil
	}
	if len(a.Regexes)+len(a.Stopwords) == 0 {
		return nil, nil
	}
	al := &allowlist{and: a.Condition == "AND", target: a.Target, stopwords: a.Stopwords}
	if len(a.Stopwords) > 0 {
		al.stops = newACMatcher(a.Stopwords)
	}
	for _, r := range a.Regexes {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, fmt.Errorf("allowlist regex %q: %w", r, err)
		}
		if parts := splitFolded(r); parts != nil {
			al.lowered = append(al.lowered, parts...)
			continue
		}
		al.regexes = append(al.regexes, re)
	}
	return al, nil
}

// secretRule is a compiled ruleSpec.
type secretRule struct {
	id       string
	detector string // "gitleaks:<id>", or "warden:<id>" for Warden's own
	typ      string
	score    float64
	re       *regexp.Regexp
	entropy  float64
	group    int
	allow    []*allowlist
	maxLen   int  // longest match in bytes, capped at maxRuleSpan
	open     bool // the pattern has no length limit
	anchored bool // every match starts at \b or ^
	plan     *anchorPlan
	// need is a lower-case literal every match contains: a window without
	// it is skipped (windowed rules).
	need string
	// deferred rules (generic ones) run after the others and skip values
	// another rule already reported.
	deferred bool
}

// assignValue bounds the part of a value an anchored semi-generic rule
// reads (the rules' value patterns are at most 150 long, the generic rule's
// base64 branch unbounded — a longer value is extended, see emit).
const assignValue = 256

// maxRuleSpan caps the window a rule without a length limit is run on
// around each keyword. A secret that runs past the window is still found:
// its finding is extended over the rest of the run of non-space bytes.
const maxRuleSpan = 1024

// windowSlack is how far a window edge may move to reach white space, so
// that patterns see the real character before and after the window.
const windowSlack = 32

// secretEngine runs the ported rules: one Aho–Corasick pass finds keyword
// hits, and each rule's regexp runs only on merged windows around its hits.
type secretEngine struct {
	rules   []*secretRule
	global  *allowlist
	ac      *acMatcher
	kwRules [][]int32 // keyword id -> rules
	always  []int32   // rules without keywords
	// maxMatch is the longest match of a rule with a length limit. Rules
	// without one end in a run of token characters (which a stream holds
	// back whole, see Detector.Releasable) or are line-oriented (curl
	// commands, config values).
	maxMatch int
	// rel is the streaming hold-back analysis (release_secrets.go).
	rel *releaseIndex
}

func newSecretEngine(specs []ruleSpec, global allowSpec) (*secretEngine, error) {
	e := &secretEngine{}
	g, err := compileAllow(global)
	if err != nil {
		return nil, fmt.Errorf("gitleaks global allowlist: %w", err)
	}
	e.global = g
	kwIndex := map[string]int32{}
	var keywords []string
	for _, s := range specs {
		re, err := regexp.Compile(s.Regex)
		if err != nil {
			return nil, fmt.Errorf("secret rule %s: %w", s.ID, err)
		}
		parsed, err := syntax.Parse(s.Regex, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("secret rule %s: %w", s.ID, err)
		}
		det := "gitleaks:" + s.ID
		if strings.HasPrefix(s.ID, "warden-") {
			det = "warden:" + strings.TrimPrefix(s.ID, "warden-")
		}
		r := &secretRule{id: s.ID, detector: det, typ: secretType(s.ID), score: secretScore(s), re: re, entropy: s.Entropy, group: s.SecretGroup, anchored: startsAnchored(parsed.Simplify())}
		if n := maxMatchLen(parsed); n == unbounded || n > maxRuleSpan {
			r.maxLen, r.open = maxRuleSpan, true
		} else {
			r.maxLen = n
			if !tokenOnly(parsed) {
				e.maxMatch = max(e.maxMatch, r.maxLen)
			}
		}
		for _, a := range s.Allow {
			al, err := compileAllow(a)
			if err != nil {
				return nil, fmt.Errorf("secret rule %s: %w", s.ID, err)
			}
			if al != nil {
				r.allow = append(r.allow, al)
			}
		}
		r.plan = planAnchor(s.Regex, s.Keywords)
		if r.plan == nil {
			r.need = requiredLower(s.Regex)
		}
		r.deferred = r.score < 0.75
		idx := int32(len(e.rules))
		e.rules = append(e.rules, r)
		if len(s.Keywords) == 0 {
			e.always = append(e.always, idx)
		}
		for _, k := range s.Keywords {
			id, ok := kwIndex[k]
			if !ok {
				id = int32(len(keywords))
				kwIndex[k] = id
				keywords = append(keywords, k)
				e.kwRules = append(e.kwRules, nil)
			}
			if !slices.Contains(e.kwRules[id], idx) {
				e.kwRules[id] = append(e.kwRules[id], idx)
			}
		}
	}
	e.ac = newACMatcher(keywords)
	if err := e.buildRelease(specs); err != nil {
		return nil, err
	}
	return e, nil
}

// typeOverrides names the finding types of well-known rules after the API
// vocabulary (DESIGN §4.1); other rules become their upper-cased id.
var typeOverrides = map[string]string{
	"aws-access-token": "AWS_ACCESS_KEY",
	"generic-api-key":  "API_KEY",
	// Warden's own rules.
	"warden-password-assignment": "PASSWORD",
}

var typePrefixes = []struct{ prefix, typ string }{
	{"github-", "GITHUB_TOKEN"},
	{"gitlab-", "GITLAB_TOKEN"},
	{"slack-", "SLACK_TOKEN"},
	{"stripe-", "STRIPE_KEY"},
}

func secretType(id string) string {
	if t, ok := typeOverrides[id]; ok {
		return t
	}
	for _, p := range typePrefixes {
		if strings.HasPrefix(id, p.prefix) {
			return p.typ
		}
	}
	return strings.ToUpper(strings.ReplaceAll(id, "-", "_"))
}

// secretScore grades the evidence: a distinctive token format (a fixed
// prefix such as ghp_ or AKIA) is strong; a value recognised only by the
// name it is assigned to is weaker; the generic rule is weakest.
func secretScore(s ruleSpec) float64 {
	switch {
	case strings.HasPrefix(s.ID, "generic"):
		return 0.6
	case s.ID == "warden-password-assignment":
		return 0.7
	case strings.Contains(s.Regex, `(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`):
		return 0.8
	}
	return 0.95
}

type window struct{ start, end int }

// scan appends the findings of every rule to dst. Rules with an anchor
// plan run at each keyword hit; the others on merged windows around hits.
func (e *secretEngine) scan(text string, dst []types.Finding) []types.Finding {
	if len(text) == 0 {
		return dst
	}
	var wins map[int32][]window
	addWindow := func(ri int32, start, end int) {
		r := e.rules[ri]
		if wins == nil {
			wins = map[int32][]window{}
		}
		ws := max(0, start-r.maxLen-windowSlack)
		we := min(len(text), end+r.maxLen+windowSlack)
		w := wins[ri]
		if n := len(w); n > 0 && ws <= w[n-1].end && ws >= w[n-1].start {
			w[n-1].end = max(w[n-1].end, we)
			return
		}
		wins[ri] = append(w, window{ws, we})
	}
	// A rule runs anchored at up to budget keyword hits; past that (a text
	// flooded with its keyword) the remaining hits become windows scanned in
	// one pass each, which bounds the work per byte.
	budget := 1024 + len(text)/256
	attempts := map[int32]int{}
	// lastEnd[rule]: end of the rule's last anchored match (matches do not
	// overlap, as with a left-to-right regexp scan).
	lastEnd := map[int32]int{}
	type pending struct {
		rule       int32
		start, end int
	}
	var later []pending
	memo := &runMemo{}
	e.ac.scan(text, func(id int32, end int) {
		start := end - e.ac.kwLen[id]
		for _, ri := range e.kwRules[id] {
			r := e.rules[ri]
			if r.plan == nil {
				addWindow(ri, start, end)
				continue
			}
			if r.deferred {
				// worth depends on the text alone: asked now, only the hits
				// worth a run wait (a text flooded with a keyword would
				// otherwise queue every hit)
				if r.plan.worth(text, start, memo) {
					later = append(later, pending{ri, start, end})
				}
				continue
			}
			if le, ok := lastEnd[ri]; ok && start < le || !r.plan.worth(text, start, memo) {
				continue
			}
			if attempts[ri]++; attempts[ri] > budget {
				addWindow(ri, start, end)
				continue
			}
			var me int
			dst, me = e.runAnchored(r, text, start, dst, nil)
			if me > 0 {
				lastEnd[ri] = me
			}
		}
	})
	// Generic rules last, skipping values other rules found.
	runLater := func() {
		if len(later) == 0 {
			return
		}
		found := coverage(dst)
		var over map[int32][]window
		for _, p := range later {
			if le, ok := lastEnd[p.rule]; ok && p.start < le {
				continue
			}
			if attempts[p.rule]++; attempts[p.rule] > budget {
				r := e.rules[p.rule]
				if over == nil {
					over = map[int32][]window{}
				}
				over[p.rule] = append(over[p.rule], window{max(0, p.start-r.maxLen-windowSlack), min(len(text), p.end+r.maxLen+windowSlack)})
				continue
			}
			var me int
			dst, me = e.runAnchored(e.rules[p.rule], text, p.start, dst, found)
			if me > 0 {
				lastEnd[p.rule] = me
			}
		}
		for ri, ws := range over {
			for _, w := range mergeWindows(ws) {
				dst = e.runRuleFound(e.rules[ri], text, w, dst, found)
			}
		}
	}
	for _, ri := range e.always {
		if wins == nil {
			wins = map[int32][]window{}
		}
		wins[ri] = []window{{0, len(text)}}
	}
	for ri, ws := range wins {
		ws = mergeWindows(ws)
		r := e.rules[ri]
		for _, w := range ws {
			dst = e.runRule(r, text, w, dst)
		}
	}
	runLater()
	return dst
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }

// worth applies the plan's cheap necessary conditions at a keyword hit.
func (p *anchorPlan) worth(text string, ks int, memo *runMemo) bool {
	if p.boundary {
		before := ks > 0 && isWordByte(text[ks-1])
		if before == isWordByte(text[ks]) {
			return false
		}
	}
	if p.assign {
		return hasAssignment(text, ks) && (!p.genericValue || plausibleGenericValue(text, ks, memo))
	}
	return true
}

// runAnchored runs a planned rule at a keyword starting at ks. It returns
// the end of the match (0 when none).
func (e *secretEngine) runAnchored(r *secretRule, text string, ks int, dst []types.Finding, found *spanSet) ([]types.Finding, int) {
	p := r.plan // callers checked p.worth
	end := min(len(text), ks+p.maxLen+windowSlack)
	if p.assign {
		// The value is one run of non-space bytes that starts within
		// assignReach: stop at the first white space after that (a longer
		// run is cut, and a match reaching the cut is extended to the
		// end of the run).
		e := min(len(text), ks+assignReach)
		for e < len(text) && e < ks+assignReach+assignValue && !isSpace(text[e]) {
			e++
		}
		end = min(len(text), e+1)
	}
	_, end, _, cutEnd := snapWindow(text, window{ks, end})
	m := p.re.FindStringSubmatchIndex(text[ks:end])
	if m == nil {
		return dst, 0
	}
	ms := ks
	if p.prefix > 0 {
		for ms > 0 && ks-ms < p.prefix && (isWordByte(text[ms-1]) || text[ms-1] == '.' || text[ms-1] == '-') {
			ms--
		}
	}
	n := len(dst)
	dst = e.emit(r, text, ks, m, ms, cutEnd && ks+m[1] == end, dst, found)
	if len(dst) == n {
		return dst, 0
	}
	return dst, ks + m[1]
}

func mergeWindows(ws []window) []window {
	if len(ws) < 2 {
		return ws
	}
	slices.SortFunc(ws, func(a, b window) int { return a.start - b.start })
	out := ws[:1]
	for _, w := range ws[1:] {
		if last := &out[len(out)-1]; w.start <= last.end {
			last.end = max(last.end, w.end)
			continue
		}
		out = append(out, w)
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// snapWindow moves the window's edges outwards to white space (at most
// windowSlack bytes) and onto rune boundaries. It reports whether each
// edge is a cut through non-space text.
func snapWindow(text string, w window) (ws, we int, cutStart, cutEnd bool) {
	ws, we = w.start, w.end
	if ws > 0 && !isSpace(text[ws-1]) {
		cutStart = true
		for i := ws - 1; i >= max(0, w.start-windowSlack); i-- {
			if isSpace(text[i]) {
				ws, cutStart = i+1, false
				break
			}
			if i == 0 {
				ws, cutStart = 0, false
			}
		}
		for ws > 0 && !utf8.RuneStart(text[ws]) {
			ws--
		}
	}
	if we < len(text) && !isSpace(text[we-1]) {
		cutEnd = true
		for i := we; i < min(len(text), w.end+windowSlack); i++ {
			if isSpace(text[i]) {
				we, cutEnd = i+1, false
				break
			}
			if i == len(text)-1 {
				we, cutEnd = len(text), false
			}
		}
		for we < len(text) && !utf8.RuneStart(text[we]) {
			we++
		}
	}
	return ws, we, cutStart, cutEnd
}

func (e *secretEngine) runRule(r *secretRule, text string, w window, dst []types.Finding) []types.Finding {
	return e.runRuleFound(r, text, w, dst, nil)
}

// runRuleFound runs a rule's regexp over a window; values inside found
// are skipped.
func (e *secretEngine) runRuleFound(r *secretRule, text string, w window, dst []types.Finding, found *spanSet) []types.Finding {
	ws, we, cutStart, cutEnd := snapWindow(text, w)
	sub := text[ws:we]
	if r.need != "" && !containsFold(sub, r.need) {
		return dst
	}
	for _, m := range r.re.FindAllStringSubmatchIndex(sub, -1) {
		if cutStart && m[0] == 0 && r.anchored {
			continue // a word boundary the full text does not have
		}
		atCut := cutEnd && ws+m[1] == we
		if atCut && !r.open {
			continue // may be an artefact of the cut ($ matches there)
		}
		dst = e.emit(r, text, ws, m, ws+m[0], atCut, dst, found)
	}
	return dst
}

// emit turns a match (offsets m relative to base; the whole match starts
// at matchStart in text) into a finding, unless its secret is too
// predictable or allowlisted. atCut: the match ends where the scanned
// span was cut through a run of non-space bytes, so the secret may go on.
func (e *secretEngine) emit(r *secretRule, text string, base int, m []int, matchStart int, atCut bool, dst []types.Finding, found *spanSet) []types.Finding {
	ss, se := m[0], m[1]
	if len(m) > 2 {
		if r.group > 0 {
			ss, se = m[2*r.group], m[2*r.group+1]
		} else {
			for g := 1; 2*g < len(m); g++ {
				if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
					ss, se = m[2*g], m[2*g+1]
					break
				}
			}
		}
	}
	if ss < 0 || se <= ss {
		return dst
	}
	start, end := base+ss, base+se
	if found.covers(start, end) {
		return dst // another rule reported this value
	}
	secret := text[start:end]
	if r.entropy > 0 && shannon(secret) <= r.entropy {
		return dst
	}
	match := text[matchStart : base+m[1]]
	line := lineAround(text, matchStart, base+m[1])
	if e.global != nil && e.global.matches(secret, match, line) {
		return dst
	}
	for _, a := range r.allow {
		if a.matches(secret, match, line) {
			return dst
		}
	}
	if atCut && end == base+m[1] {
		for end < len(text) && !isSpace(text[end]) {
			end++
		}
		for end < len(text) && !utf8.RuneStart(text[end]) {
			end++
		}
	}
	return append(dst, types.Finding{Type: r.typ, Class: ClassSecret, Start: start, End: end, Score: r.score, Detector: r.detector})
}

// maxLineContext bounds the line around a match that an allowlist reads
// (gitleaks' regexTarget "line") to this many bytes on either side. The
// line allowlists look for a construct next to the value (a Docker
// "--mount=type=secret," or an import statement); reading whole lines
// made a megabyte line with a candidate every few bytes quadratic.
const maxLineContext = 1024

// lineAround is the line of s around s[a:b], at most maxLineContext bytes
// on each side of it.
func lineAround(s string, a, b int) string {
	lo, hi := max(0, a-maxLineContext), min(len(s), b+maxLineContext)
	i := lo + strings.LastIndexByte(s[lo:a], '\n') + 1
	j := strings.IndexByte(s[b:hi], '\n')
	if j < 0 {
		return s[i:hi]
	}
	return s[i : b+j]
}

// shannon is the Shannon entropy of s in bits per character (rune), as
// gitleaks computes it.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var ascii [128]int
	var other map[rune]int
	n := 0
	for _, c := range s {
		n++
		if c < 128 {
			ascii[c]++
			continue
		}
		if other == nil {
			other = map[rune]int{}
		}
		other[c]++
	}
	h := 0.0
	f := float64(n)
	for _, c := range ascii {
		if c > 0 {
			p := float64(c) / f
			h -= p * math.Log2(p)
		}
	}
	for _, c := range other {
		p := float64(c) / f
		h -= p * math.Log2(p)
	}
	return h
}

// containsFold reports whether s contains the lower-case ASCII literal lit,
// ASCII case-insensitively.
func containsFold(s, lit string) bool {
	if len(lit) == 0 {
		return true
	}
	c0 := lit[0]
	for i := 0; i+len(lit) <= len(s); i++ {
		if lowerASCII(s[i]) != c0 {
			continue
		}
		j := 1
		for j < len(lit) && lowerASCII(s[i+j]) == lit[j] {
			j++
		}
		if j == len(lit) {
			return true
		}
	}
	return false
}

// spanSet answers "is [a, b) inside a span already found?".
type spanSet struct{ spans [][2]int }

func coverage(fs []types.Finding) *spanSet {
	s := &spanSet{}
	for _, f := range fs {
		s.spans = append(s.spans, [2]int{f.Start, f.End})
	}
	slices.SortFunc(s.spans, func(a, b [2]int) int { return a[0] - b[0] })
	return s
}

func (s *spanSet) covers(a, b int) bool {
	if s == nil {
		return false
	}
	// The last span starting at or before a.
	i, _ := slices.BinarySearchFunc(s.spans, a+1, func(x [2]int, t int) int { return x[0] - t })
	for k := i - 1; k >= 0 && k >= i-8; k-- {
		if s.spans[k][0] <= a && s.spans[k][1] >= b {
			return true
		}
	}
	return false
}
