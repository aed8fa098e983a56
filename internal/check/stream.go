package check

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/text/unicode/norm"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review/incident"
)

// This file is the response-stage check of a text that arrives in pieces
// (the streaming output filter) and of the same text whole. Both go
// through Stream, so that a text gets the same decision however it was
// chunked:
//
//   - Normalisation is incremental (textnorm.Stripper works rune by rune,
//     NFKC goes through norm's streaming writer), so the normalised text,
//     and its signals, do not depend on the chunking.
//   - Classifier windows are fixed by a Plan over the normalised text: a
//     boundary every StepRunes runes, each window the last WindowRunes runes
//     before its boundary, plus one window at the end of every segment. The
//     set of windows depends only on the text, and each window is scored on
//     its own (ONNX Runtime results differ in the last bits between batch
//     sizes), so max over windows is identical streamed or not.
//   - The final decision sees the findings of one detector pass over the
//     whole text, as Check does.
//
// Mid-stream decisions see a prefix: its findings, the windows completed so
// far and its signals. Scores only grow with the text, so with a policy
// that is monotone in scores, findings and signals (the default is) a block
// on a prefix is a block on the whole text.

// Plan fixes the classifier windows of a response-stage text.
type Plan struct {
	// WindowRunes is the length of a scored window in normalised runes.
	WindowRunes int
	// StepRunes is the distance between window boundaries.
	StepRunes int
}

// DefaultPlan scores a 512-rune window every 256 runes.
var DefaultPlan = Plan{WindowRunes: 512, StepRunes: 256}

// Validate checks that windows overlap or touch (every rune is scored).
func (p Plan) Validate() error {
	if p.WindowRunes < 16 || p.StepRunes < 1 || p.StepRunes > p.WindowRunes {
		return fmt.Errorf("%w: scoring plan %d-rune windows every %d runes: want windows >= 16 runes and 1 <= step <= window", ErrInvalid, p.WindowRunes, p.StepRunes)
	}
	return nil
}

// Detector returns the service's detector (nil when there is none), so that
// the streaming filter can ask it how far to hold text back.
func (s *Service) Detector() Detector { return s.det }

// Detect runs the detector over text (no findings without a detector).
func (s *Service) Detect(ctx context.Context, text string) ([]types.Finding, error) {
	if s.det == nil {
		return nil, nil
	}
	return s.det.Detect(ctx, text)
}

// Redact rewrites the findings of text the way decision dec asks (only
// the findings its redactions act on: type named, score high enough).
func (s *Service) Redact(tenant, text string, findings []types.Finding, dec types.Decision) (string, error) {
	var acted []types.Finding
	for _, f := range findings {
		if Redacts(dec, f) {
			acted = append(acted, f)
		}
	}
	if len(acted) == 0 {
		return text, nil
	}
	r, err := s.opts.Redactor.Apply(tenant, text, acted, redact.Modes(dec.Redactions))
	if err != nil {
		return "", err
	}
	return r.Text, nil
}

// Redacts reports whether decision dec rewrites finding f.
func Redacts(dec types.Decision, f types.Finding) bool {
	if !types.Applies(dec.Redactions, f) {
		return false
	}
	m := redact.Modes(dec.Redactions)(f.Type)
	return m != "" && m != "none"
}

// Restore restores vault tokens in an enforced text when the decision asks
// for it and the service has a restorer.
func (s *Service) Restore(tenant, text string, dec types.Decision) string {
	if !dec.Restore || s.opts.Restorer == nil || dec.Action == types.ActionBlock {
		return text
	}
	return s.opts.Restorer.Restore(tenant, text)
}

// ValidText returns s with every byte that is not part of a valid UTF-8
// sequence replaced by U+FFFD, one per byte, so that the result does not
// depend on where s was split.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// Stream is the incremental response-stage check of one text. It is not
// safe for concurrent use.
type Stream struct {
	s    *Service
	req  Request
	plan Plan

	// Normalisation: textnorm's own rune-local stripper, then NFKC.
	strip textnorm.Stripper
	nfkc  io.WriteCloser
	// Signals of the variants the classifier derived from scored windows.
	variantSig []string

	// Normalised tail: the last runes, enough for one window.
	tail   []byte
	starts []int32 // byte offset of each rune of tail
	count  int     // normalised runes so far
	next   int     // next window boundary
	scored int     // count at the last scored window (-1: none)

	scores  types.Scores
	version int // bumps whenever scores change
	windows int // windows scored
	err     error
	cause   string
	done    bool
	words   []string
	// routes gathers, over every scored window, which tier's score was
	// kept per category (a Router with a second tier reports here).
	routes *classifiers.RouteLog
}

// NewStream starts the incremental check of a response text. req carries
// the tenant, source, prompt context and metadata; its Text and Messages
// are ignored.
func (s *Service) NewStream(req Request, plan Plan) (*Stream, error) {
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	req.Stage = types.StageResponse
	req.Text, req.Messages = "", nil
	if req.Tenant == "" {
		req.Tenant = "default"
	}
	if req.Source == "" {
		req.Source = incident.SourceStream
	}
	st := &Stream{s: s, req: req, plan: plan, next: plan.StepRunes, scored: -1, scores: types.Scores{}, routes: classifiers.NewRouteLog()}
	st.nfkc = norm.NFKC.Writer(normSink{st})
	return st, nil
}

// Request is the stream's request (stage response).
func (st *Stream) Request() Request { return st.req }

// normSink receives normalised text from the NFKC writer.
type normSink struct{ st *Stream }

func (w normSink) Write(p []byte) (int, error) {
	w.st.emit(p)
	return len(p), nil
}

// Append feeds text, which must be valid UTF-8 made of whole runes (see
// ValidText), and scores every window it completes. A classifier failure
// is kept and turns the next decision into the fail mode.
func (st *Stream) Append(ctx context.Context, text string) {
	if st.done {
		return
	}
	chunkStart := 0
	for i, r := range text {
		out, keep := st.strip.Rune(r)
		if keep && out == r {
			continue
		}
		// Write what precedes the stripped rune, then its replacement.
		st.write(text[chunkStart:i])
		chunkStart = i + utf8.RuneLen(r)
		if keep {
			st.write(string(out))
		}
	}
	st.write(text[chunkStart:])
	st.scoreWords(ctx)
}

func (st *Stream) write(s string) {
	if s == "" {
		return
	}
	_, _ = io.WriteString(st.nfkc, s)
}

// emit takes normalised runes and queues each window they complete.
func (st *Stream) emit(p []byte) {
	for len(p) > 0 {
		_, n := utf8.DecodeRune(p)
		st.starts = append(st.starts, int32(len(st.tail)))
		st.tail = append(st.tail, p[:n]...)
		p = p[n:]
		st.count++
		if st.count == st.next {
			st.words = append(st.words, st.window())
			st.scored = st.count
			st.next += st.plan.StepRunes
		}
		st.trim()
	}
}

// window is the last WindowRunes normalised runes.
func (st *Stream) window() string {
	k := max(0, len(st.starts)-st.plan.WindowRunes)
	if len(st.starts) == 0 {
		return ""
	}
	return string(st.tail[st.starts[k]:])
}

// trim drops runes no future window needs (amortised: when a quarter
// window more than needed is kept).
func (st *Stream) trim() {
	if len(st.starts) <= st.plan.WindowRunes+st.plan.WindowRunes/4+1 {
		return
	}
	k := len(st.starts) - st.plan.WindowRunes
	off := st.starts[k]
	n := copy(st.tail, st.tail[off:])
	st.tail = st.tail[:n]
	m := copy(st.starts, st.starts[k:])
	st.starts = st.starts[:m]
	for i := range st.starts {
		st.starts[i] -= off
	}
}

// scoreWords scores the queued windows one at a time.
func (st *Stream) scoreWords(ctx context.Context) {
	if len(st.words) == 0 {
		return
	}
	ws := st.words
	st.words = st.words[:0]
	if st.err != nil {
		return
	}
	ctx, cancel := st.s.withTimeout(ctx)
	defer cancel()
	for _, w := range ws {
		t0 := time.Now()
		sc, sigs, err := classify(st.routes.Attach(ctx), st.s.cls, types.StageResponse, []string{w})
		st.s.classify.Record(ctx, time.Since(t0).Seconds(), metric.WithAttributes(attribute.String("stage", "response")))
		if err != nil {
			st.err, st.cause = err, classifierCause(ctx, err)
			return
		}
		st.windows++
		if merged := textnorm.MergeSignals(st.variantSig, sigs[0]); len(merged) != len(st.variantSig) {
			st.variantSig = merged
			st.version++
		}
		for k, v := range sc[0] {
			if old, ok := st.scores[k]; !ok || v > old {
				st.scores[k] = v
				st.version++
			}
		}
	}
}

// EndSegment marks the end of a segment of the text (an Anthropic content
// block, an OpenAI content run before tool calls, the end of the text): it
// flushes normalisation and scores the window that ends there.
func (st *Stream) EndSegment(ctx context.Context) {
	if st.done {
		return
	}
	_ = st.nfkc.Close()
	st.nfkc = norm.NFKC.Writer(normSink{st})
	if st.count != st.scored {
		st.words = append(st.words, st.window())
		st.scored = st.count
	}
	st.scoreWords(ctx)
}

// Version changes whenever the evidence the policy sees from scores or
// signals changes; with the findings it tells the filter whether a new
// policy evaluation is needed.
func (st *Stream) Version() int {
	return st.version<<textnorm.StripperBits | int(st.strip.Bits())
}

// Windows is the number of windows scored so far.
func (st *Stream) Windows() int { return st.windows }

// Scores are the maximum scores over the windows scored so far.
func (st *Stream) Scores() types.Scores { return st.scores }

// Signals are the normalisation signals so far and those of the variants
// of the windows scored so far, in textnorm's order.
func (st *Stream) Signals() []string {
	return textnorm.MergeSignals(st.strip.Signals(), st.variantSig)
}

// Evidence is what a decision is taken on besides scores and signals.
type Evidence struct {
	// Findings in the text so far (byte offsets into it).
	Findings []types.Finding
	// TextLength is the length in bytes of the text so far.
	TextLength int
	// Delivered counts the bytes already released to the client.
	Delivered int
	// Final is set for the decision on the whole text.
	Final bool
	// Streamed is set when the text was delivered as a stream; it adds
	// stream context to the policy input and the incident.
	Streamed bool
}

// Decide asks the policy about the text so far. It never fails: a
// classifier or policy error yields the response stage's fail mode.
func (st *Stream) Decide(ctx context.Context, ev Evidence) Result {
	res := Result{ID: newID(), Scores: cloneScores(st.scores), Findings: ev.Findings, Signals: st.Signals(), ModelVersions: st.s.versions(), Tiers: st.routes.Routes()}
	if res.Findings == nil {
		res.Findings = []types.Finding{}
	}
	var dec types.Decision
	var err error
	cause := st.cause
	if err = st.err; err == nil {
		ctx, cancel := st.s.withTimeout(ctx)
		in := policy.Input{
			Stage: types.StageResponse, Tenant: st.req.Tenant, Source: st.req.Source,
			Scores: res.Scores, Findings: res.Findings, Signals: res.Signals,
			TextLength: ev.TextLength, Metadata: st.req.Metadata,
			Tiers: st.routes.Tiers(),
		}
		if ev.Streamed {
			in.Stream = &policy.StreamInput{Delivered: ev.Delivered, Final: ev.Final}
		}
		dec, err = st.s.pol.Decide(ctx, in)
		res.PolicyRevision = dec.PolicyRevision
		if err != nil {
			cause = causeOf(ctx, "policy_error")
		}
		cancel()
	}
	if err != nil {
		dec = st.s.failDecision(ctx, types.StageResponse, cause, err, &res)
	}
	dec.ID = res.ID
	dec.ModelVersions = res.ModelVersions
	res.Decision = dec
	res.Action, res.Reasons, res.RuleIDs, res.PolicyRevision = dec.Action, dec.Reasons, dec.RuleIDs, dec.PolicyRevision
	return res
}

// Fail turns res into the response stage's fail mode for cause (for
// example a hold-back overflow in the filter).
func (st *Stream) Fail(ctx context.Context, cause string, err error, res *Result) {
	dec := st.s.failDecision(ctx, types.StageResponse, cause, err, res)
	dec.ID = res.ID
	dec.ModelVersions = res.ModelVersions
	res.Decision = dec
	res.Action, res.Reasons, res.RuleIDs = dec.Action, dec.Reasons, dec.RuleIDs
}

// Conclude ends the stream with the deciding result res: the decision on
// the whole text, a block on a prefix, or the last decision of a stream cut
// short. text is the text seen so far. It records the incident of a block
// or escalation (an incident that cannot be recorded turns res into the
// fail mode) and counts the decision. Call it once.
func (st *Stream) Conclude(ctx context.Context, text string, res *Result, ev Evidence) {
	if st.done {
		return
	}
	st.done = true
	_ = st.nfkc.Close()
	req := st.req
	if ev.Streamed {
		req.Stream = &policy.StreamInput{Delivered: ev.Delivered, Final: ev.Final}
	}
	// An incident must not be lost to a client that went away.
	rctx := context.WithoutCancel(ctx)
	if res.Action.Incident() && res.FailMode == "" && st.s.rec != nil {
		if err := st.s.record(rctx, req, text, res, trace.SpanFromContext(ctx)); err != nil {
			st.Fail(rctx, "incident_unrecorded", err, res)
		}
	}
	st.s.decisions.Add(rctx, 1, metric.WithAttributes(attribute.String("stage", "response"), attribute.String("action", res.Action.String()), attribute.String("source", req.Source)))
}

// CheckResponse checks a whole response text made of segments (one
// segment for most texts; Anthropic text blocks are one segment each) the
// way the streaming filter checks it when it arrives in pieces: same
// normalisation, same classifier windows (plan), findings from one detector
// pass over the whole text. The Result's Text is the enforced text (all
// segments joined; see Segments for each one redacted on its own).
func (s *Service) CheckResponse(ctx context.Context, req Request, plan Plan, segments ...string) (Result, []string, error) {
	return s.checkResponse(ctx, req, plan, false, segments...)
}

// checkResponse is CheckResponse; with refuseOverload, a classifier queue
// found full is returned as the error (POST /v1/check answers it 503 with
// Retry-After, as at the prompt stage) instead of taking the fail mode.
func (s *Service) checkResponse(ctx context.Context, req Request, plan Plan, refuseOverload bool, segments ...string) (Result, []string, error) {
	st, err := s.NewStream(req, plan)
	if err != nil {
		return Result{}, nil, err
	}
	if req.Source == "" {
		st.req.Source = incident.SourceProxy
	}
	ctx, span := s.tracer.Start(ctx, "warden.check", trace.WithAttributes(
		attribute.String("warden.stage", "response"),
		attribute.String("warden.source", st.req.Source),
		attribute.String("warden.tenant", st.req.Tenant)))
	defer span.End()
	start := time.Now()
	bounds := make([]int, 0, len(segments)+1)
	var b strings.Builder
	bounds = append(bounds, 0)
	for _, seg := range segments {
		seg = ValidText(seg)
		b.WriteString(seg)
		bounds = append(bounds, b.Len())
		st.Append(ctx, seg)
		st.EndSegment(ctx)
	}
	if len(segments) == 0 {
		st.EndSegment(ctx)
	}
	if refuseOverload && st.cause == "overloaded" {
		// Nothing was decided: no fail mode, no decision counted.
		st.done = true
		_ = st.nfkc.Close()
		return Result{}, nil, st.err
	}
	text := b.String()
	findings, derr := s.Detect(ctx, text)
	var res Result
	if derr != nil {
		res = st.Decide(ctx, Evidence{TextLength: len(text), Final: true})
		st.Fail(ctx, causeOf(ctx, "detector_error"), derr, &res)
	} else {
		res = st.Decide(ctx, Evidence{Findings: findings, TextLength: len(text), Final: true})
	}
	out := make([]string, len(segments))
	if res.Action != types.ActionBlock {
		for i := range segments {
			lo, hi := bounds[i], bounds[i+1]
			local := ClipFindings(res.Findings, lo, hi)
			r, err := s.Redact(st.req.Tenant, text[lo:hi], local, res.Decision)
			if err != nil {
				st.Fail(ctx, "redaction_error", err, &res)
				if res.Action == types.ActionBlock {
					break
				}
				r = text[lo:hi]
			}
			out[i] = s.Restore(st.req.Tenant, r, res.Decision)
		}
	}
	if res.Action == types.ActionBlock {
		clear(out)
	}
	res.Text = strings.Join(out, "")
	st.Conclude(ctx, text, &res, Evidence{Final: true, TextLength: len(text)})
	s.duration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("stage", "response"), attribute.String("action", res.Action.String())))
	span.SetAttributes(attribute.String("warden.action", res.Action.String()), attribute.String("warden.decision_id", res.ID))
	return res, out, nil
}

// ClipFindings returns the findings that overlap [lo, hi), clipped to it
// and shifted to offsets relative to lo.
func ClipFindings(fs []types.Finding, lo, hi int) []types.Finding {
	var out []types.Finding
	for _, f := range fs {
		if f.End <= lo || f.Start >= hi {
			continue
		}
		f.Start = max(f.Start, lo) - lo
		f.End = min(f.End, hi) - lo
		out = append(out, f)
	}
	return out
}

func (s *Service) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.Timeout > 0 {
		return context.WithTimeout(ctx, s.opts.Timeout)
	}
	return ctx, func() {}
}

func cloneScores(sc types.Scores) types.Scores {
	out := make(types.Scores, len(sc))
	for k, v := range sc {
		out[k] = v
	}
	return out
}
