package streams

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
)

// HoldBacker is implemented by detectors that bound the text they can
// match: MaxMatch is the longest match in bytes. The filter holds back that
// much text (plus one rune of look-ahead), so that no match is ever
// released in part.
type HoldBacker interface{ MaxMatch() int }

// Releaser is implemented by detectors that know better than a fixed
// window how much of a buffer is safe to release (classifiers/detect's
// Detector): Releasable returns the length of the prefix of buf that takes
// part in no finding still to come, given findings = Detect(buf) (offsets
// relative to buf) — with classifiers/detect, everything before the
// earliest place where an incomplete match could begin; LookBehind is how
// much released text must precede the unreleased text passed to Detect
// (a keyword before its value, context words). When the detector
// implements it, the filter releases up to Releasable instead of
// len - MaxMatch; MaxHoldBackBytes still bounds what is held.
type Releaser interface {
	Releasable(buf string, findings []types.Finding, final bool) int
	LookBehind() int
}

// DetectReleaser is a Releaser that finds and computes the release point
// in one pass (classifiers/detect's Detector: its name tagger reads only
// the released context it needs, and its labels narrow the hold-back).
// The first released bytes of buf are text already released (context):
// DetectReleasable may leave out findings that lie wholly in them, and
// must otherwise agree with Detect(ctx, buf) and Releasable of its
// findings (or release less). The filter uses it when the detector has it.
type DetectReleaser interface {
	Releaser
	DetectReleasable(ctx context.Context, buf string, released int, final bool) ([]types.Finding, int, error)
}

// TokenRestorer restores vault tokens in text that arrives in pieces
// (internal/redact's *Restorer): the values the prompt's vault redaction
// replaced by tokens are put back in the model's answer, after filtering.
type TokenRestorer interface {
	// Write takes released text and returns the text to deliver; a possible
	// token cut at the end is kept until the next Write or Flush.
	Write(text string) string
	// Flush returns what is kept, at the end of a segment.
	Flush() string
}

// ErrNotReady is returned while models and policy are still loading.
var ErrNotReady = errors.New("streams: models or policy not loaded yet")

// errOverflow describes a hold-back overflow (never the text).
var errOverflow = errors.New("hold-back overflow")

// Engine creates filters. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	service  func() *check.Service
	restorer func(tenant string) TokenRestorer
	log      *slog.Logger
	m        *metrics
}

// NewEngine returns an Engine for deps.Config. deps.Service returns the
// check service, or nil while it loads.
func NewEngine(deps Deps) (*Engine, error) {
	cfg := deps.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Service == nil {
		return nil, errors.New("streams: Deps.Service is required")
	}
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Engine{cfg: cfg, service: deps.Service, restorer: deps.NewRestorer, log: log, m: newMetrics()}, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

type metrics struct {
	step      metric.Float64Histogram
	overflows metric.Int64Counter
	released  metric.Int64Counter
	active    metric.Int64UpDownCounter
	ends      metric.Int64Counter
	leaks     metric.Int64Counter
}

func newMetrics() *metrics {
	m := otel.Meter("github.com/wardenhq/warden/streams")
	var x metrics
	x.step, _ = m.Float64Histogram("warden.stream.step.duration", metric.WithUnit("s"),
		metric.WithDescription("Filter cost of one step (a chunk or a batch of chunks): detect, score, decide, redact."),
		metric.WithExplicitBucketBoundaries(10e-6, 25e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 5e-3, 25e-3))
	x.overflows, _ = m.Int64Counter("warden.stream.holdback.overflows",
		metric.WithDescription("Hold-back overflows by kind (bytes: a match longer than the window; time: text held too long); the response fail mode applied."))
	x.released, _ = m.Int64Counter("warden.stream.released", metric.WithUnit("By"),
		metric.WithDescription("Text bytes released to clients by the streaming filter."))
	x.active, _ = m.Int64UpDownCounter("warden.stream.active", metric.WithDescription("Open filtered streams by API."))
	x.ends, _ = m.Int64Counter("warden.stream.ends", metric.WithDescription("Filtered streams ended, by API and outcome."))
	x.leaks, _ = m.Int64Counter("warden.stream.late_findings",
		metric.WithDescription("Findings the whole-text pass found in text already released unredacted (should stay 0)."))
	return &x
}

// FilterOptions describe one filtered text.
type FilterOptions struct {
	// Tenant selects the policy's tenant settings ("default" if empty).
	Tenant string
	// Prompt is the prompt the text answers (incident context; redacted
	// before it is recorded).
	Prompt string
	// Source is incident.SourceStream (default) or incident.SourceProxy.
	Source   string
	Metadata map[string]any
}

// NewFilter starts filtering one text. It fails only with ErrNotReady.
func (e *Engine) NewFilter(opts FilterOptions) (*Filter, error) {
	svc := e.service()
	if svc == nil {
		return nil, ErrNotReady
	}
	src := opts.Source
	if src == "" {
		src = incident.SourceStream
	}
	st, err := svc.NewStream(check.Request{Tenant: opts.Tenant, Prompt: opts.Prompt, Source: src, Metadata: opts.Metadata}, e.cfg.Plan())
	if err != nil {
		return nil, fmt.Errorf("streams: %w", err)
	}
	f := &Filter{e: e, svc: svc, st: st, tenant: st.Request().Tenant, hold: e.cfg.HoldBackBytes}
	if det := svc.Detector(); det != nil {
		if hb, ok := det.(HoldBacker); ok {
			f.hold = hb.MaxMatch() + utf8.UTFMax
		}
		f.rel, _ = det.(Releaser)
		f.drel, _ = det.(DetectReleaser)
	} else {
		f.hold = 0
	}
	f.hold = min(f.hold, e.cfg.MaxHoldBackBytes)
	f.ctxBytes = min(f.hold, 256)
	if f.rel != nil {
		f.ctxBytes = max(0, f.rel.LookBehind()-f.hold)
	}
	if e.restorer != nil {
		f.restore = e.restorer(f.tenant)
	}
	return f, nil
}

// HoldBack is the filter's fixed hold-back window in bytes: what it holds
// for a detector without Releaser (with one, Held says what is held).
func (f *Filter) HoldBack() int { return f.hold }

// Output is what a filter step releases.
type Output struct {
	// Text is released text (redacted, restored), possibly empty.
	Text string
	// Action is the policy's current action for the text so far.
	Action types.Action
	// Done is set once the filter has concluded: blocked, or closed.
	Done bool
	// Blocked is set when the text was blocked: release nothing more and
	// end with the wire format's block signal.
	Blocked bool
	// Result is the deciding result when Done (or a mid-stream block): the
	// decision id, reasons, incident id, fail mode.
	Result *check.Result
}

// Filter filters one text that arrives in pieces: it holds back enough to
// never release part of a match, redacts what the policy asks, stops at a
// block. It is not safe for concurrent use.
//
// Use Write for each piece (or Feed several, then Step), EndSegment at a
// segment boundary (an Anthropic content block's end, OpenAI content
// before tool calls), and Close at the end of the text. Call Tick when Due
// says (a step that ran the classifiers leaves its decision to the next
// step; the hold-back time bound); Abort ends a stream cut short.
type Filter struct {
	e        *Engine
	svc      *check.Service
	st       *check.Stream
	rel      Releaser
	drel     DetectReleaser
	restore  TokenRestorer
	tenant   string
	hold     int
	ctxBytes int

	text      []byte // text so far (valid UTF-8)
	partial   []byte // an incomplete rune at the end of the input
	fed       int    // bytes of text given to the check stream
	released  int    // bytes of text released
	delivered int    // bytes delivered (after redaction and restore)
	committed []types.Finding
	redacted  [][2]int // released ranges of text that were rewritten
	arrivals  []arrival

	last     *check.Result
	lastKey  evKey
	deferred bool // a window was scored; decide and release at the next step
	action   types.Action
	done     bool
	blocked  bool
	result   *check.Result
	overflow string
}

type arrival struct {
	end int
	t   time.Time
}

type evKey struct {
	types   uint64
	version int
}

// typeSet hashes the set of finding types (order and repeats ignored).
func typeSet(fs []types.Finding) uint64 {
	var sum uint64
	seen := map[string]bool{}
	for _, fd := range fs {
		if seen[fd.Type] {
			continue
		}
		seen[fd.Type] = true
		h := fnv.New64a()
		h.Write([]byte(fd.Type))
		sum += h.Sum64() * 0x9E3779B97F4A7C15
	}
	return sum
}

// Feed appends a piece of text without deciding. Bytes that do not form
// valid UTF-8 become U+FFFD, one per byte (a rune split across pieces is
// joined first).
func (f *Filter) Feed(piece string) {
	if f.done || piece == "" {
		return
	}
	if len(f.partial) > 0 {
		piece = string(f.partial) + piece
		f.partial = f.partial[:0]
	}
	// Keep a possibly incomplete rune at the end for the next piece.
	cut := len(piece)
	for i := len(piece) - 1; i >= 0 && i >= len(piece)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(piece[i]) {
			if !utf8.FullRuneInString(piece[i:]) {
				cut = i
			}
			break
		}
	}
	f.partial = append(f.partial, piece[cut:]...)
	f.text = append(f.text, check.ValidText(piece[:cut])...)
	// Arrival times bound the hold-back in time. Pieces that arrive close
	// together share one entry (the earlier time: the bound errs early by
	// at most 1/64 of it).
	n, now := len(f.text), time.Now()
	switch last := len(f.arrivals) - 1; {
	case last >= 0 && f.arrivals[last].end == n:
	case last >= 0 && now.Sub(f.arrivals[last].t) < f.e.cfg.MaxHoldBackTime/64:
		f.arrivals[last].end = n
	default:
		f.arrivals = append(f.arrivals, arrival{end: n, t: now})
	}
}

// Write feeds a piece and steps.
func (f *Filter) Write(ctx context.Context, piece string) Output {
	f.Feed(piece)
	return f.Step(ctx)
}

// Step decides on the text fed so far and releases what is safe.
func (f *Filter) Step(ctx context.Context) Output {
	return f.run(ctx, false, false)
}

// EndSegment releases everything held (the segment is complete) after
// scoring the window that ends it. Text that follows is checked with it:
// a match across the boundary is a hold-back overflow.
func (f *Filter) EndSegment(ctx context.Context) Output {
	f.flushPartial()
	return f.run(ctx, true, false)
}

// Deadline is when the oldest held byte exceeds the hold-back time bound
// (ok is false when nothing is held).
func (f *Filter) Deadline() (time.Time, bool) {
	if f.done || len(f.arrivals) == 0 || f.released >= len(f.text) {
		return time.Time{}, false
	}
	return f.arrivals[0].t.Add(f.e.cfg.MaxHoldBackTime), true
}

// Due is when Tick must be called: at once after a step that scored a
// classifier window (its decision was left to the next step), otherwise at
// the hold-back time bound. ok is false when nothing is pending.
func (f *Filter) Due() (time.Time, bool) {
	if f.done {
		return time.Time{}, false
	}
	if f.deferred {
		return time.Now(), true
	}
	return f.Deadline()
}

// Tick runs a step left pending (see Due) and applies the hold-back time
// bound at now: text held longer than MaxHoldBackTime is an overflow
// (fail closed: block; fail open: release).
func (f *Filter) Tick(ctx context.Context, now time.Time) Output {
	if f.deferred {
		return f.run(ctx, false, false)
	}
	d, ok := f.Deadline()
	if !ok || now.Before(d) {
		return Output{Action: f.action}
	}
	f.e.m.overflows.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", "time")))
	f.overflow = "holdback_timeout"
	return f.run(ctx, false, true)
}

// Len is the number of bytes of text fed so far.
func (f *Filter) Len() int { return len(f.text) + len(f.partial) }

// Delivered is the number of bytes released to the client so far.
func (f *Filter) Delivered() int { return f.delivered }

// Held is the number of bytes of text fed but not released yet.
func (f *Filter) Held() int { return f.Len() - f.released }

// Done reports whether the filter has concluded.
func (f *Filter) Done() bool { return f.done }

func (f *Filter) flushPartial() {
	if len(f.partial) > 0 {
		// An incomplete rune at the end of a segment: one U+FFFD per byte.
		f.text = append(f.text, check.ValidText(string(f.partial))...)
		f.partial = f.partial[:0]
	}
}

func (f *Filter) doneOutput() Output {
	return Output{Done: true, Blocked: f.blocked, Action: f.action, Result: f.result}
}

// runeStart moves i back to the start of the rune it is in.
func (f *Filter) runeStart(i int) int {
	for i > 0 && i < len(f.text) && !utf8.RuneStart(f.text[i]) {
		i--
	}
	return i
}

// covered reports whether [lo, hi) lies inside ranges already redacted.
func covered(ranges [][2]int, lo, hi int) bool {
	for lo < hi {
		ok := false
		for _, r := range ranges {
			if r[0] <= lo && lo < r[1] {
				lo = r[1]
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *Filter) overlapsRedacted(lo, hi int) bool {
	for _, r := range f.redacted {
		if r[0] < hi && lo < r[1] {
			return true
		}
	}
	return false
}

// run is one step. segmentEnd releases everything after scoring the
// segment's end window; releaseAll (a fail-open overflow) releases
// everything without it.
func (f *Filter) run(ctx context.Context, segmentEnd, releaseAll bool) Output {
	if f.done {
		return f.doneOutput()
	}
	t0 := time.Now()
	defer func() { f.e.m.step.Record(ctx, time.Since(t0).Seconds()) }()
	scored := f.st.Windows()
	if f.fed < len(f.text) {
		f.st.Append(ctx, string(f.text[f.fed:]))
		f.fed = len(f.text)
	}
	if segmentEnd {
		f.st.EndSegment(ctx)
	}
	n, r := len(f.text), f.released
	if !segmentEnd && !releaseAll && f.overflow == "" && f.last != nil && f.st.Windows() != scored && !f.deferred {
		// A step that ran the classifiers leaves the decision, and the
		// release, to the next step (Due is now): no single step pays for
		// both ONNX Runtime and the policy. Never twice in a row, so that a
		// fast upstream cannot starve the release.
		f.deferred = true
		return Output{Action: f.action}
	}
	wasDeferred := f.deferred
	f.deferred = false
	if n == r && !segmentEnd && f.last != nil && f.overflow == "" && !wasDeferred {
		return Output{Action: f.action}
	}

	// Detect over the unreleased text and a window before it, counted as a
	// reader sees it: hidden characters between a keyword and its value do
	// not push the keyword out (a scan of the whole text skips them too).
	win := f.hold + f.ctxBytes
	p := textnorm.VisibleStart(f.text, r, win, textnorm.HiddenReach*win)
	buf := string(f.text[p:n])
	var found []types.Finding
	var derr error
	relX := -1
	switch {
	case f.drel != nil && !segmentEnd && !releaseAll:
		var rel int
		if found, rel, derr = f.drel.DetectReleasable(ctx, buf, r-p, false); derr == nil {
			relX = p + rel
		}
	default:
		found, derr = f.svc.Detect(ctx, buf)
		if f.rel != nil && derr == nil && !segmentEnd && !releaseAll {
			relX = p + f.rel.Releasable(buf, found, false)
		}
	}
	var current []types.Finding
	for _, fd := range found {
		fd.Start += p
		fd.End += p
		if fd.End <= r {
			continue
		}
		if fd.Start < r {
			// A match that began in released text: the continuation of a
			// match already redacted, or a match longer than the window.
			if !f.overlapsRedacted(fd.Start, r) {
				f.e.m.overflows.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", "bytes")))
				f.overflow = "holdback_overflow"
			}
			fd.Start = r
		}
		current = append(current, fd)
	}
	slices.SortFunc(current, func(a, b types.Finding) int { return a.Start - b.Start })

	// Where to cut: hold back the window, never inside a finding.
	x := n
	if !segmentEnd && !releaseAll {
		x = n - f.hold
		if relX >= 0 {
			x = relX
		}
		if n-x > f.e.cfg.MaxHoldBackBytes {
			x = n - f.e.cfg.MaxHoldBackBytes
			f.e.m.overflows.Add(ctx, 1, metric.WithAttributes(attribute.String("kind", "bytes")))
			f.overflow = "holdback_overflow"
		}
		x = f.runeStart(max(x, r))
		for moved := true; moved; {
			moved = false
			for _, fd := range current {
				if fd.Start < x && x < fd.End {
					x, moved = fd.Start, true
				}
			}
		}
		x = max(x, r)
	}

	// Decide when the kinds of evidence changed: a finding type not seen
	// before, a higher classifier score, a new signal. (A policy is not
	// re-evaluated for every new finding of a kind already decided on, nor
	// for length alone: evaluation costs more than the rest of a step. It
	// always is at segment ends and at the end.)
	all := append(slices.Clip(f.committed), current...)
	key := evKey{version: f.st.Version(), types: typeSet(all)}
	if f.last == nil || key != f.lastKey || derr != nil || segmentEnd {
		res := f.st.Decide(ctx, check.Evidence{Findings: all, TextLength: n, Delivered: f.delivered, Streamed: true})
		if derr != nil {
			f.st.Fail(ctx, "detector_error", derr, &res)
		}
		f.last, f.lastKey = &res, key
	}
	res := f.last
	if f.overflow != "" {
		res = f.failOver(ctx, f.overflow, errOverflow, res)
		f.overflow = ""
	}
	f.action = res.Action
	if res.Action == types.ActionBlock {
		return f.conclude(ctx, res, false)
	}

	// Release [r, x), redacted.
	out, err := f.svc.Redact(f.tenant, string(f.text[r:x]), check.ClipFindings(current, r, x), res.Decision)
	if err != nil {
		if res = f.failOver(ctx, "redaction_error", err, res); res.Action == types.ActionBlock {
			return f.conclude(ctx, res, false)
		}
		out = string(f.text[r:x])
	}
	for _, fd := range current {
		if fd.End <= x {
			f.committed = append(f.committed, fd)
			if check.Redacts(res.Decision, fd) {
				f.redacted = append(f.redacted, [2]int{fd.Start, fd.End})
			}
		}
	}
	f.released = x
	k := 0
	for k < len(f.arrivals) && f.arrivals[k].end <= x {
		k++
	}
	f.arrivals = f.arrivals[:copy(f.arrivals, f.arrivals[k:])]
	out = f.restored(out, res.Decision, segmentEnd)
	f.delivered += len(out)
	f.e.m.released.Add(ctx, int64(len(out)))
	return Output{Text: out, Action: res.Action}
}

// Close ends the text: the decision on the whole text (findings from one
// detector pass over it, every window scored), then the rest is released
// unless that decision blocks. The Output is Done and carries the final
// result.
func (f *Filter) Close(ctx context.Context) Output {
	if f.done {
		return f.doneOutput()
	}
	t0 := time.Now()
	defer func() { f.e.m.step.Record(ctx, time.Since(t0).Seconds()) }()
	f.flushPartial()
	if f.fed < len(f.text) {
		f.st.Append(ctx, string(f.text[f.fed:]))
		f.fed = len(f.text)
	}
	f.st.EndSegment(ctx)
	text := string(f.text)
	n, r := len(f.text), f.released
	whole, derr := f.svc.Detect(ctx, text)
	res := f.st.Decide(ctx, check.Evidence{Findings: whole, TextLength: n, Delivered: f.delivered, Final: true, Streamed: true})
	if derr != nil {
		f.st.Fail(ctx, "detector_error", derr, &res)
	}
	// Audit: a finding the policy redacts must not lie in released text
	// that was not redacted.
	for _, fd := range whole {
		if fd.Start < r && check.Redacts(res.Decision, fd) && !covered(f.redacted, fd.Start, min(fd.End, r)) {
			f.e.m.leaks.Add(ctx, 1, metric.WithAttributes(attribute.String("type", fd.Type)))
			f.e.log.Warn("stream: finding in text already released", "type", fd.Type, "decision_id", res.ID, "start", fd.Start, "end", fd.End, "released", r)
			if fd.End > r {
				res = *f.failOver(ctx, "holdback_overflow", errOverflow, &res)
			}
		}
	}
	if res.Action == types.ActionBlock {
		return f.conclude(ctx, &res, true)
	}
	out, err := f.svc.Redact(f.tenant, text[r:], check.ClipFindings(whole, r, n), res.Decision)
	if err != nil {
		if res = *f.failOver(ctx, "redaction_error", err, &res); res.Action == types.ActionBlock {
			return f.conclude(ctx, &res, true)
		}
		out = text[r:]
	}
	f.st.Conclude(ctx, text, &res, check.Evidence{Delivered: f.delivered, Final: true, Streamed: true, TextLength: n})
	if res.Action == types.ActionBlock { // the incident could not be recorded
		f.done, f.blocked, f.result, f.action = true, true, &res, res.Action
		return f.doneOutput()
	}
	out = f.restored(out, res.Decision, true)
	f.released = n
	f.delivered += len(out)
	f.e.m.released.Add(ctx, int64(len(out)))
	f.done, f.result, f.action = true, &res, res.Action
	o := f.doneOutput()
	o.Text = out
	return o
}

// restored puts vault values back in released text when the decision asks
// for it (Decision.Restore) and a restorer is configured; a token cut at
// the end waits for the next release (or the end of the segment).
func (f *Filter) restored(out string, dec types.Decision, flush bool) string {
	if f.restore == nil {
		return out
	}
	if dec.Restore {
		out = f.restore.Write(out)
	} else {
		out = f.restore.Flush() + out
	}
	if flush {
		out += f.restore.Flush()
	}
	return out
}

// failOver applies the response stage's fail mode to a failure of the
// filter itself: closed returns a block; open returns res unchanged (the
// policy's redactions still apply) after counting the fail-open.
func (f *Filter) failOver(ctx context.Context, cause string, err error, res *check.Result) *check.Result {
	tmp := *res
	f.st.Fail(ctx, cause, err, &tmp)
	if tmp.Action == types.ActionBlock {
		return &tmp
	}
	return res
}

// recordable is the text an incident may carry before the text is
// complete: up to the end of the released text or of the last complete
// finding, whichever is later. What lies beyond may be the start of a
// match not yet complete, which redaction could not mask.
func (f *Filter) recordable(res *check.Result, final bool) string {
	if final {
		return string(f.text)
	}
	end := f.released
	for _, fd := range res.Findings {
		end = max(end, fd.End)
	}
	return string(f.text[:min(end, len(f.text))])
}

// conclude ends the filter with a block.
func (f *Filter) conclude(ctx context.Context, res *check.Result, final bool) Output {
	f.st.Conclude(ctx, f.recordable(res, final), res, check.Evidence{Delivered: f.delivered, Final: final, Streamed: true, TextLength: len(f.text)})
	f.done, f.blocked, f.result, f.action = true, true, res, types.ActionBlock
	return f.doneOutput()
}

// Abort ends a text cut short (the upstream failed, the client went away):
// nothing more is released. An escalation seen so far still raises its
// incident; the last decision is counted.
func (f *Filter) Abort(ctx context.Context) {
	if f.done {
		return
	}
	f.done = true
	if f.last != nil {
		res := *f.last
		f.st.Conclude(ctx, f.recordable(&res, false), &res, check.Evidence{Delivered: f.delivered, Streamed: true, TextLength: len(f.text)})
		f.result = &res
	}
}

func apiAttr(api string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("api", api))
}

func outcomeAttr(o string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("outcome", o))
}
