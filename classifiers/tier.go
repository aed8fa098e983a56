package classifiers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wardenhq/warden/internal/types"
)

// Band is a closed score interval [Lo, Hi] in which the first tier is
// unsure of a category.
type Band struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Contains reports whether score s lies in the band.
func (b Band) Contains(s float64) bool { return s >= b.Lo && s <= b.Hi }

// TierOptions configure second-tier routing.
type TierOptions struct {
	// Bands is the uncertain band per category: only these categories
	// are routed. Empty: every label of the second tier, each with a band
	// from the first tier's manifest thresholds (DefaultBand). Bands
	// should bracket the policy's thresholds: only scores inside a band
	// are re-scored.
	Bands map[string]Band
	// Budget bounds the second tier's time per Score call (default 25ms;
	// never more than half of what is left of the caller's deadline).
	// Past it the run is cancelled and the first tier's scores stand.
	Budget time.Duration
}

// DefaultTierBudget is the second tier's default latency budget.
const DefaultTierBudget = 25 * time.Millisecond

// Validate checks bands and budget.
func (o TierOptions) Validate() error {
	var errs []error
	for c, b := range o.Bands {
		if !(b.Lo >= 0 && b.Lo <= b.Hi && b.Hi <= 1) {
			errs = append(errs, fmt.Errorf("tier 2 band for %s [%v, %v]: want 0 <= lo <= hi <= 1", c, b.Lo, b.Hi))
		}
	}
	if o.Budget < 0 {
		errs = append(errs, fmt.Errorf("tier 2 budget %v is negative", o.Budget))
	}
	return errors.Join(errs...)
}

// ParseBands parses "category=lo:hi,category=lo:hi" (the form of an
// environment variable), e.g. "prompt_injection=0.3:0.95,jailbreak=0.2:0.9".
func ParseBands(s string) (map[string]Band, error) {
	out := map[string]Band{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		cat, rng, ok := strings.Cut(part, "=")
		lo, hi, ok2 := strings.Cut(rng, ":")
		if !ok || !ok2 || strings.TrimSpace(cat) == "" {
			return nil, fmt.Errorf("tier 2 band %q: want category=lo:hi", part)
		}
		l, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		h, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("tier 2 band %q: bounds must be numbers", part)
		}
		out[strings.TrimSpace(cat)] = Band{Lo: l, Hi: h}
	}
	if err := (TierOptions{Bands: out}).Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

// DefaultBand derives an uncertain band from a manifest's thresholds for a
// category: from half the lowest threshold to halfway between the highest
// threshold and 1. ok is false when the manifest has no threshold for it.
func DefaultBand(man *Manifest, category string) (b Band, ok bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range man.Thresholds[category] {
		lo, hi = math.Min(lo, t), math.Max(hi, t)
	}
	if math.IsInf(lo, 1) {
		return Band{}, false
	}
	return Band{Lo: lo / 2, Hi: hi + (1-hi)/2}, true
}

// Scale maps a second-tier score onto the first tier's scale. The policy's
// thresholds for a category are set for the first tier's model; each
// shipped manifest chooses its own escalate and block points by the same
// rule (a benign false-positive rate), and a second tier's probabilities
// meet that rule at other numbers. Scale is monotone and piecewise linear
// through (0, 0), the second tier's escalate and block thresholds onto the
// first tier's, and (1, 1), so a second-tier score at its own escalate
// point reaches the policy as the first tier's escalate point.
type Scale struct {
	from, to []float64 // knots, strictly increasing in both
}

// NewScale builds the Scale from the second tier's thresholds (from) to
// the first tier's (to) for one category. ok is false when either lacks
// an escalate or block threshold in (0, 1) with escalate < block, or when
// the two are the same (the identity needs no scale).
func NewScale(from, to map[string]float64) (s Scale, ok bool) {
	fe, fb, ok1 := thresholdPair(from)
	te, tb, ok2 := thresholdPair(to)
	if !ok1 || !ok2 || (fe == te && fb == tb) {
		return Scale{}, false
	}
	return Scale{from: []float64{0, fe, fb, 1}, to: []float64{0, te, tb, 1}}, true
}

func thresholdPair(t map[string]float64) (esc, block float64, ok bool) {
	esc, ok1 := t["escalate"]
	block, ok2 := t["block"]
	return esc, block, ok1 && ok2 && esc > 0 && esc < block && block < 1
}

// Apply maps x (clamped to [0, 1]).
func (s Scale) Apply(x float64) float64 {
	if s.from == nil {
		return x
	}
	x = math.Min(math.Max(x, 0), 1)
	for i := 1; i < len(s.from); i++ {
		if x <= s.from[i] {
			f := (x - s.from[i-1]) / (s.from[i] - s.from[i-1])
			return s.to[i-1] + f*(s.to[i]-s.to[i-1])
		}
	}
	return 1
}

// Route says which tier's score stands for a category.
type Route struct {
	// Tier is 1 or 2: the tier whose score the decision uses.
	Tier int `json:"tier"`
	// Model names the second-tier model (tier 2, or tier 2 skipped).
	Model string `json:"model,omitempty"`
	// Tier1 is the first tier's score when it fell in the band.
	Tier1 *float64 `json:"tier1_score,omitempty"`
	// Tier2 is the second tier's own score when a Scale mapped it onto
	// the first tier's scale (the score that stands).
	Tier2 *float64 `json:"tier2_score,omitempty"`
	// Skipped says why tier 2 did not decide a score in its band:
	// "budget" (latency budget spent), "overloaded" (its queue was full)
	// or "error" (it failed; the first tier's score stands).
	Skipped string `json:"skipped,omitempty"`
}

// Router scores with the first tier and re-scores with the second tier
// only the categories whose first-tier score falls in their uncertain
// band. It implements the check's Classifier and is safe for concurrent
// use. Without a second tier it is the first tier.
type Router struct {
	first, second *Suite
	final         *Suite // the first tier's Final models (nil if none)
	bands         map[string]Band
	scales        map[string]Scale
	budget        time.Duration
	name          string

	routed   metric.Int64Counter
	duration metric.Float64Histogram
}

// NewRouter routes between first and an optional second-tier model, which
// the Router then owns (Close closes both). The routed categories are
// those of o.Bands or, without bands, every label of the second tier that
// DefaultBand finds thresholds for in a first-tier manifest; a second
// tier with no routed category is an error.
func NewRouter(first *Suite, second Scorer, o TierOptions) (*Router, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	r := &Router{first: first, budget: o.Budget, bands: map[string]Band{}, scales: map[string]Scale{}}
	if r.budget == 0 {
		r.budget = DefaultTierBudget
	}
	m := otel.Meter("github.com/wardenhq/warden/classifiers")
	r.routed, _ = m.Int64Counter("warden.tier2.routed", metric.WithDescription("Texts whose first-tier score fell in an uncertain band, by outcome (scored, budget, overloaded, error)."))
	r.duration, _ = m.Float64Histogram("warden.tier2.duration", metric.WithUnit("s"), metric.WithDescription("Time spent in the second tier per routed Score call."),
		metric.WithExplicitBucketBoundaries(250e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3))
	if second == nil {
		if len(o.Bands) > 0 {
			return nil, errors.New("tier 2 bands given without a tier 2 model")
		}
		return r, nil
	}
	man := second.Manifest()
	r.second, r.name = NewSuite(second), man.Name
	r.final = first.finalOnly()
	for c, b := range o.Bands {
		if !contains(man.Labels, c) {
			return nil, fmt.Errorf("tier 2 band for %s: model %s has no such label (labels: %s)", c, man.Name, strings.Join(man.Labels, ", "))
		}
		r.bands[c] = b
	}
	if len(o.Bands) == 0 {
		for _, c := range man.Labels {
			if fm := first.thresholdsFor(c); fm != nil {
				r.bands[c], _ = DefaultBand(fm, c)
			}
		}
	}
	if len(r.bands) == 0 {
		return nil, fmt.Errorf("tier 2 model %s: no band for any of its labels (%s); give bands", man.Name, strings.Join(man.Labels, ", "))
	}
	for c := range r.bands {
		if fm := first.thresholdsFor(c); fm != nil {
			if sc, ok := NewScale(man.Thresholds[c], fm.Thresholds[c]); ok {
				r.scales[c] = sc
			}
		}
	}
	return r, nil
}

// finalOnly is a Suite over the suite's Final models, sharing them (nil if
// there are none).
func (s *Suite) finalOnly() *Suite {
	var ms []Scorer
	for _, m := range s.models {
		if m.Manifest().Final {
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 {
		return nil
	}
	c := *s
	c.models = ms
	return &c
}

// thresholdsFor is the manifest of the suite's first model with
// thresholds for category c (nil if none has).
func (s *Suite) thresholdsFor(c string) *Manifest {
	for _, m := range s.models {
		if man := m.Manifest(); len(man.Thresholds[c]) > 0 {
			return man
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Detach removes the model named name from the suite and returns it (to
// become a second tier). Call it before the suite is used.
func (s *Suite) Detach(name string) (Scorer, error) {
	var names []string
	for i, m := range s.models {
		if m.Manifest().Name == name {
			if len(s.models) == 1 {
				return nil, fmt.Errorf("model %s is the only model: the first tier would be empty", name)
			}
			s.models = append(s.models[:i:i], s.models[i+1:]...)
			return m, nil
		}
		names = append(names, m.Manifest().Name)
	}
	return nil, fmt.Errorf("no model named %q to use as tier 2 (loaded: %s)", name, strings.Join(names, ", "))
}

// First is the first tier.
func (r *Router) First() *Suite { return r.first }

// Second is the second tier (nil without one).
func (r *Router) Second() *Suite { return r.second }

// Bands are the routed categories and their bands.
func (r *Router) Bands() map[string]Band { return r.bands }

// Scales are the routed categories whose second-tier scores are mapped onto
// the first tier's scale (see Scale).
func (r *Router) Scales() map[string]Scale { return r.scales }

// Versions maps model name to version over both tiers.
func (r *Router) Versions() map[string]string {
	v := r.first.Versions()
	if r.second != nil {
		for k, ver := range r.second.Versions() {
			v[k] = ver
		}
	}
	return v
}

// Categories lists the categories the first tier produces.
func (r *Router) Categories() []string { return r.first.Categories() }

// Close closes both tiers.
func (r *Router) Close() error {
	err := r.first.Close()
	if r.second != nil {
		err = errors.Join(err, r.second.Close())
	}
	return err
}

// Score scores texts with the first tier, then re-scores with the second
// tier, within the budget, the texts with a category in its band; for
// those categories the second tier's score, mapped onto the first tier's
// scale when both manifests have thresholds for it (Scale), replaces the
// first's, except that a first-tier model marked Final keeps its score
// when it is higher (the route then says tier 1). A second tier that runs
// out of budget, is overloaded or fails leaves the first
// tier's scores (and says so in the routes); only the end of ctx fails
// the call. Routes are reported to a RouteLog in ctx (RecordRoutes).
func (r *Router) Score(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, error) {
	out, _, err := r.ScoreSignals(ctx, stage, texts)
	return out, err
}

// ScoreSignals is Score that also returns the first tier's variant
// signals per text (Suite.ScoreSignals).
func (r *Router) ScoreSignals(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, [][]string, error) {
	out, sig, err := r.first.ScoreSignals(ctx, stage, texts)
	if err != nil {
		return nil, nil, err
	}
	if r.second == nil || !r.second.models[0].Manifest().AppliesTo(stage.String()) {
		r.log(ctx, out, nil)
		return out, sig, nil
	}
	routes := make([]map[string]Route, len(texts))
	var idx []int
	for i, sc := range out {
		for c, b := range r.bands {
			if s, ok := sc[c]; ok && b.Contains(s) {
				if routes[i] == nil {
					routes[i] = map[string]Route{}
					idx = append(idx, i)
				}
				t1 := s
				routes[i][c] = Route{Tier: 1, Model: r.name, Tier1: &t1}
			}
		}
	}
	if len(idx) == 0 {
		r.log(ctx, out, nil)
		return out, sig, nil
	}
	sub := make([]string, len(idx))
	for k, i := range idx {
		sub[k] = texts[i]
	}
	budget := r.budget
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)/2)
	}
	bctx, cancel := context.WithTimeout(ctx, budget)
	t0 := time.Now()
	s2, err2 := r.second.Score(bctx, stage, sub)
	cancel()
	r.duration.Record(ctx, time.Since(t0).Seconds())
	outcome := "scored"
	switch {
	case err2 == nil:
	case ctx.Err() != nil:
		return nil, nil, err2
	case errors.Is(err2, ErrOverloaded):
		outcome = "overloaded"
	case errors.Is(err2, context.DeadlineExceeded):
		outcome = "budget"
	default:
		outcome = "error"
	}
	r.routed.Add(ctx, int64(len(idx)), metric.WithAttributes(attribute.String("outcome", outcome), attribute.String("stage", stage.String())))
	var kept []types.Scores
	if outcome == "scored" && r.final != nil {
		// the final models' scores of the routed texts (scored again:
		// the first tier's scores are merged over its models)
		if kept, err = r.final.Score(ctx, stage, sub); err != nil {
			return nil, nil, err
		}
	}
	for k, i := range idx {
		for c, rt := range routes[i] {
			if outcome != "scored" {
				rt.Skipped = outcome
			} else if s, ok := s2[k][c]; ok {
				rt.Tier = 2
				if sc, ok := r.scales[c]; ok {
					own := s
					rt.Tier2 = &own
					s = sc.Apply(s)
				}
				if kept != nil {
					if f, ok := kept[k][c]; ok && f > s {
						s, rt.Tier = f, 1 // a final model's finding stands
					}
				}
				out[i][c] = s
			}
			routes[i][c] = rt
		}
	}
	r.log(ctx, out, routes)
	return out, sig, nil
}

func (r *Router) log(ctx context.Context, scores []types.Scores, routes []map[string]Route) {
	l, _ := ctx.Value(routeKey{}).(*RouteLog)
	if l == nil {
		return
	}
	for i, sc := range scores {
		var rt map[string]Route
		if routes != nil {
			rt = routes[i]
		}
		l.add(sc, rt)
	}
}

type routeKey struct{}

// RouteLog collects the routes of the Score calls made with its context:
// for each category, the route of the highest score seen (the score a
// check keeps when it takes the maximum over windows). Safe for
// concurrent use.
type RouteLog struct {
	mu  sync.Mutex
	cat map[string]loggedRoute
}

type loggedRoute struct {
	score float64
	route Route
}

// RecordRoutes returns a context whose Router.Score calls report their
// routes to the returned log.
func RecordRoutes(ctx context.Context) (context.Context, *RouteLog) {
	l := NewRouteLog()
	return l.Attach(ctx), l
}

// NewRouteLog returns an empty log. One log can gather the routes of many
// Score calls (the windows of a streamed response), each made with a
// context from Attach.
func NewRouteLog() *RouteLog { return &RouteLog{cat: map[string]loggedRoute{}} }

// Attach returns a context whose Router.Score calls report to l.
func (l *RouteLog) Attach(ctx context.Context) context.Context {
	return context.WithValue(ctx, routeKey{}, l)
}

func (l *RouteLog) add(sc types.Scores, routes map[string]Route) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c, s := range sc {
		rt, ok := routes[c]
		if !ok {
			rt = Route{Tier: 1}
		}
		if old, seen := l.cat[c]; !seen || s > old.score {
			l.cat[c] = loggedRoute{score: s, route: rt}
		}
	}
}

// Routes maps each category scored to the route of its kept score (nil
// when nothing was routed through a Router).
func (l *RouteLog) Routes() map[string]Route {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.cat) == 0 {
		return nil
	}
	out := make(map[string]Route, len(l.cat))
	for c, e := range l.cat {
		out[c] = e.route
	}
	return out
}

// Tiers maps each category to the tier that decided it.
func (l *RouteLog) Tiers() map[string]int {
	rs := l.Routes()
	if rs == nil {
		return nil
	}
	out := make(map[string]int, len(rs))
	for c, r := range rs {
		out[c] = r.Tier
	}
	return out
}

// RoutedCategories lists, sorted, the categories whose kept score was
// in a band (tier 2 decided or was skipped).
func (l *RouteLog) RoutedCategories() []string {
	var out []string
	for c, r := range l.Routes() {
		if r.Tier1 != nil {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
