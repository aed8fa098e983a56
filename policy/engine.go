// Package policy turns scores and findings into a typed decision with Rego,
// using OPA as a library.
//
// A bundle is a directory of .rego modules, data.json documents, an optional
// OPA .manifest (its "revision" names the policy revision) and _test.rego
// tests. The default bundle is embedded in the binary; a directory can be
// configured instead and is hot-reloaded: a changed bundle becomes active
// only after it compiles and its own tests pass, otherwise the running
// revision stays and the failure is reported (log, metric, readiness detail).
//
// Policies are compiled once (rego.PrepareForEval) and evaluated per request.
// The query is data.warden.decision, which must be an object:
//
//	{"action": "allow"|"redact"|"escalate"|"block",
//	 "reasons": ["..."], "rules": ["..."],
//	 "redactions": [{"type": "EMAIL", "mode": "mask"}],
//	 "restore": false}
//
// An undefined or ill-typed decision is an error, never an allow. Besides
// OPA's built-ins, bundles (and their tests) can call Warden's own,
// declared in builtins.go.
package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wardenhq/warden/internal/types"
)

// ErrDecision marks a policy result that is undefined or ill-typed.
var ErrDecision = errors.New("invalid policy decision")

// ErrNotLoaded is returned by Decide before a bundle is active.
var ErrNotLoaded = errors.New("no policy loaded")

// RedactionModes are the modes a decision may ask for.
var RedactionModes = map[string]bool{"mask": true, "partial": true, "hash": true, "vault": true}

// Options configure an Engine.
type Options struct {
	// Dir is a bundle directory on disk. Empty means the embedded default.
	Dir string
	// FS overrides both (used by tests and by callers with their own fs).
	FS fs.FS
	// ReloadInterval is how often Dir is checked for changes (0: 2s).
	ReloadInterval time.Duration
	// Logger receives reload outcomes; never request text.
	Logger *slog.Logger
}

// Engine evaluates the active bundle. The active bundle is swapped through an
// atomic pointer, so Decide never blocks on a reload.
type Engine struct {
	opts    Options
	fsys    fs.FS
	current atomic.Pointer[compiled]

	mu      sync.Mutex // serialises reloads
	lastErr atomic.Pointer[reloadError]

	reloads        metric.Int64Counter
	reloadFailures metric.Int64Counter
	evalLatency    metric.Float64Histogram
}

type reloadError struct {
	err    error
	when   time.Time
	digest string
}

// New returns an Engine; it loads nothing until Load.
func New(opts Options) *Engine {
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{opts: opts}
	switch {
	case opts.FS != nil:
		e.fsys = opts.FS
	case opts.Dir != "":
		e.fsys = os.DirFS(opts.Dir)
	default:
		e.fsys = DefaultBundle()
	}
	m := otel.Meter("github.com/wardenhq/warden/policy")
	e.reloads, _ = m.Int64Counter("warden.policy.reloads", metric.WithDescription("Policy bundles activated."))
	e.reloadFailures, _ = m.Int64Counter("warden.policy.reload_failures", metric.WithDescription("Policy bundles rejected (parse, compile or test failure); the previous revision kept running."))
	e.evalLatency, _ = m.Float64Histogram("warden.policy.eval.duration", metric.WithUnit("s"),
		metric.WithDescription("Policy evaluation time."),
		metric.WithExplicitBucketBoundaries(10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3))
	// Exported from the start at 0 (Prometheus: a counter that appears only
	// once it first counts breaks rate() and absence alerts).
	e.reloadFailures.Add(context.Background(), 0)
	return e
}

// Load compiles, tests and activates the bundle. It is used at start-up,
// where a bad bundle is fatal.
func (e *Engine) Load(ctx context.Context) error {
	_, err := e.Reload(ctx)
	return err
}

// Reload recompiles the bundle if it changed. It reports whether a new
// revision became active. On failure the previous revision stays active.
func (e *Engine) Reload(ctx context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	digest, err := digestFS(e.fsys)
	if err == nil {
		if cur := e.current.Load(); cur != nil && digest == cur.digest {
			return false, nil
		}
		// A bundle that already failed is not retried (or logged) again
		// until it changes.
		if le := e.lastErr.Load(); le != nil && le.digest == digest {
			return false, le.err
		}
	}
	c, _, err := compile(ctx, e.fsys)
	if err != nil {
		e.lastErr.Store(&reloadError{err: err, when: time.Now(), digest: digest})
		e.reloadFailures.Add(ctx, 1)
		rev := ""
		if cur := e.current.Load(); cur != nil {
			rev = cur.revision
		}
		e.opts.Logger.Error("policy bundle rejected; previous revision keeps running", "err", err, "active_revision", rev)
		return false, err
	}
	e.current.Store(c)
	e.lastErr.Store(nil)
	e.reloads.Add(ctx, 1)
	e.opts.Logger.Info("policy bundle active", "revision", c.revision, "tests_passed", c.tests)
	return true, nil
}

// Watch polls the bundle for changes until ctx ends. Only a directory
// bundle is watched; the embedded default never changes.
func (e *Engine) Watch(ctx context.Context) {
	if e.opts.Dir == "" && e.opts.FS == nil {
		return
	}
	t := time.NewTicker(e.opts.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, _ = e.Reload(ctx)
		}
	}
}

// Status describes the active bundle for readiness checks.
type Status struct {
	Loaded    bool      `json:"loaded"`
	Revision  string    `json:"revision,omitempty"`
	LoadedAt  time.Time `json:"loaded_at,omitzero"`
	Tests     int       `json:"tests_passed"`
	LastError string    `json:"last_reload_error,omitempty"`
	LastErrAt time.Time `json:"last_reload_error_at,omitzero"`
}

// Status reports the active revision and the last reload failure, if any.
func (e *Engine) Status() Status {
	var s Status
	if c := e.current.Load(); c != nil {
		s.Loaded, s.Revision, s.LoadedAt, s.Tests = true, c.revision, c.loadedAt, c.tests
	}
	if le := e.lastErr.Load(); le != nil {
		s.LastError, s.LastErrAt = le.err.Error(), le.when
	}
	return s
}

// Revision is the active revision ("" before Load).
func (e *Engine) Revision() string {
	if c := e.current.Load(); c != nil {
		return c.revision
	}
	return ""
}

// Input is what the policy sees. It never carries the text itself: only
// scores, finding types and offsets, signals and sizes.
type Input struct {
	Stage      types.Stage
	Tenant     string
	Source     string
	Scores     types.Scores
	Findings   []types.Finding
	Signals    []string
	TextLength int
	Metadata   map[string]any
	// Stream holds stream context (bytes delivered so far) for the
	// streaming filter; nil for whole texts.
	Stream *StreamInput
	// Tiers names, per category routed to a second-tier model, the tier
	// (1 or 2) whose score is in Scores.
	Tiers map[string]int
}

// StreamInput is the stream context of a decision.
type StreamInput struct {
	Delivered int  `json:"delivered"`
	Final     bool `json:"final"`
}

// Decide evaluates the active bundle for in. The returned decision has
// Action, Reasons, RuleIDs, Redactions and PolicyRevision set.
func (e *Engine) Decide(ctx context.Context, in Input) (types.Decision, error) {
	c := e.current.Load()
	if c == nil {
		return types.Decision{}, ErrNotLoaded
	}
	start := time.Now()
	rs, err := c.query.Eval(ctx, rego.EvalParsedInput(in.value(c.input)), rego.EvalGenerateJSON(keepAST), rego.EvalMetrics(noMetrics))
	e.evalLatency.Record(ctx, time.Since(start).Seconds(), stageAttr(in.Stage))
	if err != nil {
		return types.Decision{PolicyRevision: c.revision}, fmt.Errorf("evaluating %s (revision %s): %w", Query, c.revision, err)
	}
	d, err := parseDecision(rs)
	d.PolicyRevision = c.revision
	if err != nil {
		return d, fmt.Errorf("revision %s: %w", c.revision, err)
	}
	return d, nil
}

// stageAttrs are the evaluation metric's attributes per stage, built once.
var stageAttrs = map[types.Stage]metric.MeasurementOption{
	types.StagePrompt:   metric.WithAttributes(attribute.String("stage", types.StagePrompt.String())),
	types.StageResponse: metric.WithAttributes(attribute.String("stage", types.StageResponse.String())),
}

func stageAttr(s types.Stage) metric.MeasurementOption {
	if o, ok := stageAttrs[s]; ok {
		return o
	}
	return metric.WithAttributes(attribute.String("stage", s.String()))
}

// value builds the input document: the keys u says the bundle reads
// (all of them for a bundle that reads input as a whole), so that a
// policy that never looks at the findings one by one does not pay for
// building them.
func (in Input) value(u inputUse) ast.Value {
	obj := ast.NewObjectWithCapacity(u.size())
	if u.uses("scores") {
		scores := ast.NewObjectWithCapacity(len(in.Scores))
		for k, v := range in.Scores {
			scores.Insert(term(k), ast.FloatNumberTerm(v))
		}
		obj.Insert(keyScores, ast.NewTerm(scores))
	}
	needFindings, needTypes := u.uses("findings"), u.uses("finding_types")
	var scored []*ast.Term // each finding's score term
	if needFindings || needTypes {
		scored = make([]*ast.Term, len(in.Findings))
		for i, f := range in.Findings {
			scored[i] = scoreTerm(f.Score)
		}
	}
	if needFindings {
		findings := make([]*ast.Term, len(in.Findings))
		for i, f := range in.Findings {
			findings[i] = ast.ObjectTerm(
				ast.Item(keyType, term(f.Type)),
				ast.Item(keyClass, term(f.Class)),
				ast.Item(keyStart, ast.IntNumberTerm(f.Start)),
				ast.Item(keyEnd, ast.IntNumberTerm(f.End)),
				ast.Item(keyScore, scored[i]),
				ast.Item(keyDetector, term(f.Detector)),
			)
		}
		obj.Insert(keyFindings, ast.ArrayTerm(findings...))
	}
	if needTypes {
		// finding_types summarises the findings by type, so that a policy
		// can decide per type rather than per finding: {"EMAIL": {"class":
		// "pii", "count": 2, "scores": [1, 1]}}.
		byType := ast.NewObjectWithCapacity(4)
		for i, f := range in.Findings {
			k := term(f.Type)
			if byType.Get(k) != nil {
				continue
			}
			var sc []*ast.Term
			for j := i; j < len(in.Findings); j++ {
				if in.Findings[j].Type == f.Type {
					sc = append(sc, scored[j])
				}
			}
			byType.Insert(k, ast.ObjectTerm(
				ast.Item(keyClass, term(f.Class)),
				ast.Item(keyCount, ast.IntNumberTerm(len(sc))),
				ast.Item(keyScores, ast.ArrayTerm(sc...)),
			))
		}
		obj.Insert(keyFindingTypes, ast.NewTerm(byType))
	}
	if u.uses("signals") {
		signals := make([]*ast.Term, len(in.Signals))
		for i, s := range in.Signals {
			signals[i] = term(s)
		}
		obj.Insert(keySignals, ast.ArrayTerm(signals...))
	}
	if u.uses("stage") {
		obj.Insert(keyStage, term(in.Stage.String()))
	}
	if u.uses("tenant") {
		obj.Insert(keyTenant, term(in.Tenant))
	}
	if u.uses("source") {
		obj.Insert(keySource, term(in.Source))
	}
	if u.uses("text_length") {
		obj.Insert(keyTextLength, ast.IntNumberTerm(in.TextLength))
	}
	if in.Metadata != nil && u.uses("metadata") {
		if v, err := ast.InterfaceToValue(in.Metadata); err == nil {
			obj.Insert(ast.StringTerm("metadata"), ast.NewTerm(v))
		}
	}
	if len(in.Tiers) > 0 && u.uses("tiers") {
		tiers := ast.NewObject()
		for k, v := range in.Tiers {
			tiers.Insert(term(k), ast.IntNumberTerm(v))
		}
		obj.Insert(ast.StringTerm("tiers"), ast.NewTerm(tiers))
	}
	if in.Stream != nil && u.uses("stream") {
		obj.Insert(ast.StringTerm("stream"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("delivered"), ast.IntNumberTerm(in.Stream.Delivered)),
			ast.Item(ast.StringTerm("final"), ast.BooleanTerm(in.Stream.Final)),
		))
	}
	return obj
}

// Keys of the input document, built once.
var (
	keyType, keyClass, keyStart, keyEnd = ast.StringTerm("type"), ast.StringTerm("class"), ast.StringTerm("start"), ast.StringTerm("end")
	keyScore, keyDetector               = ast.StringTerm("score"), ast.StringTerm("detector")
	keyStage, keyTenant, keySource      = ast.StringTerm("stage"), ast.StringTerm("tenant"), ast.StringTerm("source")
	keyScores, keyFindings, keySignals  = ast.StringTerm("scores"), ast.StringTerm("findings"), ast.StringTerm("signals")
	keyTextLength, keyCount             = ast.StringTerm("text_length"), ast.StringTerm("count")
	keyFindingTypes                     = ast.StringTerm("finding_types")
)

// terms caches the string terms of input values drawn from small
// vocabularies (categories, finding types, classes, detectors, stages,
// tenants), so that building the input allocates less. It stops growing at
// maxCachedTerms, so arbitrary caller-chosen strings cannot inflate it.
var terms sync.Map

var cachedTerms atomic.Int64

const maxCachedTerms = 4096

func term(s string) *ast.Term {
	if t, ok := terms.Load(s); ok {
		return t.(*ast.Term)
	}
	t := ast.StringTerm(s)
	if cachedTerms.Load() < maxCachedTerms {
		if _, loaded := terms.LoadOrStore(s, t); !loaded {
			cachedTerms.Add(1)
		}
	}
	return t
}

// scoreTerm avoids formatting the most common finding score.
func scoreTerm(f float64) *ast.Term {
	if f == 1 {
		return ast.IntNumberTerm(1)
	}
	return ast.FloatNumberTerm(f)
}

// keepAST makes Eval return the decision as the AST term OPA computed,
// which parseDecision reads directly, instead of converting it to Go maps
// first.
func keepAST(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// noMetrics spares each evaluation OPA's per-query metrics (maps and
// timers nobody reads); Decide records its own latency.
var noMetrics = metrics.NoOp()

// parseDecision checks the shape of data.warden.decision strictly.
func parseDecision(rs rego.ResultSet) (types.Decision, error) {
	var d types.Decision
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return d, fmt.Errorf("%w: %s is undefined", ErrDecision, Query)
	}
	if len(rs) > 1 {
		return d, fmt.Errorf("%w: %s has %d results", ErrDecision, Query, len(rs))
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return d, fmt.Errorf("%w: %s is %T, want an AST term", ErrDecision, Query, rs[0].Expressions[0].Value)
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return d, fmt.Errorf("%w: %s is %s, want object", ErrDecision, Query, ast.ValueName(t.Value))
	}
	as, err := str(obj.Get(keyAction), "action")
	if err != nil {
		return d, err
	}
	a, err := types.ParseAction(as)
	if err != nil {
		return d, fmt.Errorf("%w: %w", ErrDecision, err)
	}
	d.Action = a
	if d.Reasons, err = stringList(obj, keyReasons); err != nil {
		return d, err
	}
	if d.RuleIDs, err = stringList(obj, keyRules); err != nil {
		return d, err
	}
	if raw := obj.Get(keyRedactions); raw != nil {
		list, ok := raw.Value.(*ast.Array)
		if !ok {
			return d, fmt.Errorf("%w: redactions is %s, want array", ErrDecision, ast.ValueName(raw.Value))
		}
		for i := range list.Len() {
			r := list.Elem(i)
			ro, ok := r.Value.(ast.Object)
			if !ok {
				return d, fmt.Errorf("%w: redactions[%d] is %s, want object", ErrDecision, i, ast.ValueName(r.Value))
			}
			typ, err1 := str(ro.Get(keyType), "type")
			mode, err2 := str(ro.Get(keyMode), "mode")
			if err1 != nil || err2 != nil || typ == "" || !RedactionModes[mode] {
				return d, fmt.Errorf("%w: redactions[%d] needs a type and a mode in mask|partial|hash|vault", ErrDecision, i)
			}
			red := types.Redaction{Type: typ, Mode: mode}
			if ms := ro.Get(keyMinScore); ms != nil {
				n, ok := ms.Value.(ast.Number)
				if !ok {
					return d, fmt.Errorf("%w: redactions[%d].min_score is %s, want number", ErrDecision, i, ast.ValueName(ms.Value))
				}
				v, ok := n.Float64()
				if !ok || v < 0 || v > 1 {
					return d, fmt.Errorf("%w: redactions[%d].min_score must be in [0, 1]", ErrDecision, i)
				}
				red.MinScore = v
			}
			d.Redactions = append(d.Redactions, red)
		}
	}
	if raw := obj.Get(keyRestore); raw != nil {
		b, ok := raw.Value.(ast.Boolean)
		if !ok {
			return d, fmt.Errorf("%w: restore is %s, want boolean", ErrDecision, ast.ValueName(raw.Value))
		}
		d.Restore = bool(b)
	}
	if d.Action != types.ActionAllow && len(d.Reasons) == 0 {
		return d, fmt.Errorf("%w: action %s without reasons", ErrDecision, d.Action)
	}
	if d.Action == types.ActionRedact && len(d.Redactions) == 0 {
		return d, fmt.Errorf("%w: action redact without redactions", ErrDecision)
	}
	return d, nil
}

// Keys of the decision document.
var (
	keyAction, keyReasons, keyRules = ast.StringTerm("action"), ast.StringTerm("reasons"), ast.StringTerm("rules")
	keyRedactions, keyRestore       = ast.StringTerm("redactions"), ast.StringTerm("restore")
	keyMode, keyMinScore            = ast.StringTerm("mode"), ast.StringTerm("min_score")
)

func str(t *ast.Term, name string) (string, error) {
	if t == nil {
		return "", fmt.Errorf("%w: %s is missing, want string", ErrDecision, name)
	}
	s, ok := t.Value.(ast.String)
	if !ok {
		return "", fmt.Errorf("%w: %s is %s, want string", ErrDecision, name, ast.ValueName(t.Value))
	}
	return string(s), nil
}

func stringList(obj ast.Object, key *ast.Term) ([]string, error) {
	raw := obj.Get(key)
	if raw == nil {
		return []string{}, nil
	}
	list, ok := raw.Value.(*ast.Array)
	if !ok {
		return nil, fmt.Errorf("%w: %s is %s, want array of strings", ErrDecision, key.Value, ast.ValueName(raw.Value))
	}
	out := make([]string, list.Len())
	for i := range out {
		s, ok := list.Elem(i).Value.(ast.String)
		if !ok {
			return nil, fmt.Errorf("%w: %s[%d] is %s, want string", ErrDecision, key.Value, i, ast.ValueName(list.Elem(i).Value))
		}
		out[i] = string(s)
	}
	return out, nil
}

// Test compiles the bundle opts names and runs its tests without
// activating anything. It returns the test summary and the revision.
func Test(ctx context.Context, opts Options) (TestResult, string, error) {
	e := New(opts)
	c, tr, err := compile(ctx, e.fsys)
	if err != nil {
		return tr, "", err
	}
	return tr, c.revision, nil
}
