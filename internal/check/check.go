// Package check is the inline path: it normalises a text, runs detectors
// and classifiers, asks the policy for a decision, enforces it (redaction
// or block) and records an incident for every block and escalation.
//
// The HTTP API and the streaming filter both call Service.Check. Failures
// inside a check (classifier error, deadline, policy error, incident not
// recorded) never turn into an allow by accident: each stage has a fail
// mode, closed (block) by default, and every fail-open is counted.
package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review/incident"
)

// Classifier scores normalised texts.
type Classifier interface {
	Score(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, error)
	Versions() map[string]string
}

// SignalScorer is a Classifier that also reports, per text, the signals
// raised while scoring it (classifiers.Suite: the variants it derived,
// such as base64 or homoglyphs).
type SignalScorer interface {
	ScoreSignals(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, [][]string, error)
}

// classify scores texts, with their signals when the classifier has them.
func classify(ctx context.Context, cls Classifier, stage types.Stage, texts []string) ([]types.Scores, [][]string, error) {
	if ss, ok := cls.(SignalScorer); ok {
		sc, sigs, err := ss.ScoreSignals(ctx, stage, texts)
		if err == nil && (len(sc) != len(texts) || len(sigs) != len(texts)) {
			err = fmt.Errorf("classifier returned %d score sets and %d signal sets for %d texts", len(sc), len(sigs), len(texts))
		}
		return sc, sigs, err
	}
	sc, err := cls.Score(ctx, stage, texts)
	if err == nil && len(sc) != len(texts) {
		err = fmt.Errorf("classifier returned %d score sets for %d texts", len(sc), len(texts))
	}
	return sc, make([][]string, len(texts)), err
}

// Detector finds PII and secrets; offsets are byte offsets into text.
type Detector interface {
	Detect(ctx context.Context, text string) ([]types.Finding, error)
}

// Decider is the policy engine.
type Decider interface {
	Decide(ctx context.Context, in policy.Input) (types.Decision, error)
}

// Restorer replaces reversible vault tokens in a text by their values.
type Restorer interface {
	Restore(tenant, text string) string
}

// versioned is implemented by detectors that carry models.
type versioned interface {
	Versions() map[string]string
}

// Recorder durably records an incident (the outbox). It must not block on
// the network: Kafka is never on the request path.
type Recorder interface {
	Record(ctx context.Context, inc *incident.Incident) error
}

// ErrInvalid marks a request that cannot be checked; the API maps it to 400.
var ErrInvalid = errors.New("invalid check request")

// Options configure a Service.
type Options struct {
	// Timeout is the deadline of one check (0: none beyond the caller's).
	Timeout time.Duration
	// FailOpen lists the stages whose fail mode is open; others fail closed.
	FailOpen map[types.Stage]bool
	// Redactor applies the policy's redactions (zero value: mask only).
	Redactor *redact.Redactor
	// Restorer, when set, restores vault tokens in texts whose decision
	// asks for it (Decision.Restore).
	Restorer Restorer
	// Plan fixes the classifier windows of response-stage texts, streamed
	// or whole, so that both decide alike (zero value: DefaultPlan).
	Plan   Plan
	Logger *slog.Logger
}

// Service runs checks. It is safe for concurrent use.
type Service struct {
	cls  Classifier
	det  Detector
	pol  Decider
	rec  Recorder
	opts Options

	tracer    trace.Tracer
	duration  metric.Float64Histogram
	classify  metric.Float64Histogram
	decisions metric.Int64Counter
	failures  metric.Int64Counter
	incidents metric.Int64Counter
}

// New wires a Service. det and rec may be nil (no detectors; no incidents
// recorded: block and escalate then carry no incident id).
func New(cls Classifier, det Detector, pol Decider, rec Recorder, opts Options) *Service {
	if opts.Redactor == nil {
		opts.Redactor = &redact.Redactor{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Plan == (Plan{}) {
		opts.Plan = DefaultPlan
	}
	s := &Service{cls: cls, det: det, pol: pol, rec: rec, opts: opts, tracer: otel.Tracer("github.com/wardenhq/warden/internal/check")}
	m := otel.Meter("github.com/wardenhq/warden/internal/check")
	lat := metric.WithExplicitBucketBoundaries(100e-6, 250e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1)
	s.duration, _ = m.Float64Histogram("warden.check.duration", metric.WithUnit("s"), lat,
		metric.WithDescription("Time to check one text, by stage and action."))
	s.classify, _ = m.Float64Histogram("warden.classify.duration", metric.WithUnit("s"), lat,
		metric.WithDescription("Time spent in classifiers per check."))
	s.decisions, _ = m.Int64Counter("warden.decisions", metric.WithDescription("Decisions by stage, source and action."))
	s.failures, _ = m.Int64Counter("warden.check.failures", metric.WithDescription("Checks that could not complete, by stage, cause and the fail mode applied (open = allowed without a full check)."))
	s.incidents, _ = m.Int64Counter("warden.incidents.recorded", metric.WithDescription("Incidents written to the outbox, by action."))
	return s
}

// Request is one text (or chat) to check.
type Request struct {
	Stage types.Stage
	// Text or Messages (not both).
	Text     string
	Messages []types.Message
	// Prompt is the prompt context of a response-stage check (optional).
	Prompt   string
	Tenant   string
	Source   string
	Metadata map[string]any
	// Stream carries stream context for the streaming filter.
	Stream *policy.StreamInput
}

// Result is a check's outcome, shaped as the /v1/check reply.
type Result struct {
	ID             string            `json:"id"`
	Action         types.Action      `json:"action"`
	Text           string            `json:"text"`
	Messages       []types.Message   `json:"messages,omitempty"`
	Scores         types.Scores      `json:"scores"`
	Findings       []types.Finding   `json:"findings"`
	Signals        []string          `json:"signals,omitempty"`
	Reasons        []string          `json:"reasons"`
	RuleIDs        []string          `json:"rule_ids"`
	PolicyRevision string            `json:"policy_revision"`
	ModelVersions  map[string]string `json:"model_versions"`
	IncidentID     string            `json:"incident_id,omitempty"`
	// Tiers records, per category routed to a second-tier model, which
	// tier's score the decision used (and why tier 2 was skipped).
	Tiers map[string]classifiers.Route `json:"tiers,omitempty"`
	// FailMode is "closed" or "open" when the check could not complete and
	// the stage's fail mode decided instead of the policy.
	FailMode string `json:"fail_mode,omitempty"`
	// FailCause is why (the cause label of warden_check_failures_total:
	// "deadline", "classifier_error", "incident_unrecorded", ...).
	FailCause string `json:"-"`

	// Decision is the full policy decision (redaction modes, shadow).
	Decision types.Decision `json:"-"`
}

// scoredRoles are the chat roles whose content is checked at each stage:
// untrusted input at the prompt stage, the model's own turns at the
// response stage. System and developer messages are the operator's own.
func scored(stage types.Stage, role string) bool {
	switch role {
	case "system", "developer":
		return false
	case "assistant":
		return stage == types.StageResponse
	}
	return stage == types.StagePrompt
}

// segment is one checked message inside the joined text.
type segment struct{ msg, start, end int }

// Check runs one check. Errors are returned only for invalid requests
// (ErrInvalid); everything else yields a Result, decided by the policy or by
// the stage's fail mode.
func (s *Service) Check(ctx context.Context, req Request) (Result, error) {
	start := time.Now()
	if req.Stage != types.StagePrompt && req.Stage != types.StageResponse {
		return Result{}, fmt.Errorf("%w: stage must be prompt or response", ErrInvalid)
	}
	if req.Tenant == "" {
		req.Tenant = "default"
	}
	if req.Source == "" {
		req.Source = incident.SourceHook
	}
	text, segs, err := joinInput(req)
	if err != nil {
		return Result{}, err
	}
	if req.Stage == types.StageResponse && req.Messages == nil {
		// A whole response is checked exactly as the streaming filter
		// checks it piece by piece: same windows, same decision.
		res, _, err := s.checkResponse(ctx, req, s.opts.Plan, true, req.Text)
		return res, err
	}

	id := newID()
	ctx, span := s.tracer.Start(ctx, "warden.check", trace.WithAttributes(
		attribute.String("warden.stage", req.Stage.String()),
		attribute.String("warden.source", req.Source),
		attribute.String("warden.tenant", req.Tenant),
		attribute.String("warden.decision_id", id),
		attribute.Int("warden.text_bytes", len(text)),
	))
	defer span.End()
	if s.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.Timeout)
		defer cancel()
	}

	res := Result{ID: id, Scores: types.Scores{}, Findings: []types.Finding{}, ModelVersions: s.versions()}
	norm := textnorm.Normalize(text)
	res.Signals = norm.Signals

	dec, cause, err := s.decide(ctx, req, text, norm, &res)
	if err != nil {
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			// Overload is "try again later" (the API answers 503 with
			// Retry-After), not a failed check: no fail mode applies.
			return Result{}, err
		}
		dec = s.failDecision(ctx, req.Stage, cause, err, &res)
	}
	dec.ID = id
	dec.ModelVersions = res.ModelVersions
	res.Decision = dec
	res.Action, res.Reasons, res.RuleIDs, res.PolicyRevision = dec.Action, dec.Reasons, dec.RuleIDs, dec.PolicyRevision

	if err := s.enforce(req, text, segs, &res); err != nil {
		// A redaction that cannot be applied must not release the text.
		dec = s.failDecision(ctx, req.Stage, "redaction_error", err, &res)
		res.Action, res.Reasons, res.RuleIDs = dec.Action, dec.Reasons, dec.RuleIDs
		res.Decision.Action = dec.Action
		_ = s.enforce(req, text, segs, &res)
	}
	if res.Action.Incident() && res.FailMode == "" && s.rec != nil {
		if err := s.record(ctx, req, text, &res, span); err != nil {
			dec = s.failDecision(ctx, req.Stage, "incident_unrecorded", err, &res)
			res.Action, res.Reasons, res.RuleIDs = dec.Action, dec.Reasons, dec.RuleIDs
			_ = s.enforce(req, text, segs, &res)
		}
	}

	attrs := metric.WithAttributes(attribute.String("stage", req.Stage.String()), attribute.String("action", res.Action.String()))
	s.decisions.Add(ctx, 1, metric.WithAttributes(attribute.String("stage", req.Stage.String()), attribute.String("action", res.Action.String()), attribute.String("source", req.Source)))
	s.duration.Record(ctx, time.Since(start).Seconds(), attrs)
	span.SetAttributes(attribute.String("warden.action", res.Action.String()),
		attribute.String("warden.policy_revision", res.PolicyRevision),
		attribute.String("warden.model_versions", versionsAttr(res.ModelVersions)))
	return res, nil
}

// versions lists classifier and detector model versions.
// ModelVersions are the versions a decision records: every classifier's
// and the detectors' models (the name tagger) — what /readyz reports.
func (s *Service) ModelVersions() map[string]string { return s.versions() }

func (s *Service) versions() map[string]string {
	v := s.cls.Versions()
	if dv, ok := s.det.(versioned); ok {
		for k, ver := range dv.Versions() {
			v[k] = ver
		}
	}
	return v
}

// decide runs detectors, classifiers and the policy. On error it returns
// the cause label for metrics.
func (s *Service) decide(ctx context.Context, req Request, text string, norm textnorm.Result, res *Result) (types.Decision, string, error) {
	// Detectors and classifiers are independent: the detectors run on
	// their own goroutine while this one classifies, so that a check on a
	// multi-core machine takes the longer of the two, not their sum.
	type detected struct {
		findings []types.Finding
		err      error
	}
	var detc chan detected
	if s.det != nil {
		detc = make(chan detected, 1)
		go func() {
			_, dspan := s.tracer.Start(ctx, "warden.detect")
			f, err := s.det.Detect(ctx, text)
			dspan.SetAttributes(attribute.Int("warden.findings", len(f)))
			dspan.End()
			detc <- detected{f, err}
		}()
	}

	cctx, cspan := s.tracer.Start(ctx, "warden.classify")
	cctx, routes := classifiers.RecordRoutes(cctx)
	t0 := time.Now()
	scores, sigs, cerr := classify(cctx, s.cls, req.Stage, []string{norm.Text})
	s.classify.Record(ctx, time.Since(t0).Seconds(), metric.WithAttributes(attribute.String("stage", req.Stage.String())))
	if cerr != nil {
		cspan.RecordError(cerr)
		cspan.SetStatus(codes.Error, "classify failed")
	}
	cspan.End()
	if detc != nil {
		// The deadline ends the wait: a detector still scanning (a scan
		// checks the context only between its passes) finishes on its own
		// goroutine into the buffered channel, and the fail mode answers
		// now instead of when the scan ends.
		var d detected
		select {
		case d = <-detc:
		case <-ctx.Done():
			return types.Decision{}, causeOf(ctx, "detector_error"), fmt.Errorf("detectors: %w", ctx.Err())
		}
		if d.err != nil {
			return types.Decision{}, causeOf(ctx, "detector_error"), d.err
		}
		res.Findings = d.findings
	}
	if cerr != nil {
		return types.Decision{}, classifierCause(ctx, cerr), cerr
	}
	res.Scores = scores[0]
	res.Signals = textnorm.MergeSignals(norm.Signals, sigs[0])
	if r := routes.Routes(); len(r) > 0 {
		res.Tiers = r
	}

	pctx, pspan := s.tracer.Start(ctx, "warden.policy")
	defer pspan.End()
	dec, err := s.pol.Decide(pctx, policy.Input{
		Stage: req.Stage, Tenant: req.Tenant, Source: req.Source,
		Scores: res.Scores, Findings: res.Findings, Signals: res.Signals,
		TextLength: len(text), Metadata: req.Metadata, Stream: req.Stream,
		Tiers: routes.Tiers(),
	})
	res.PolicyRevision = dec.PolicyRevision
	if err != nil {
		pspan.RecordError(err)
		pspan.SetStatus(codes.Error, "policy failed")
		return types.Decision{}, causeOf(ctx, "policy_error"), err
	}
	pspan.SetAttributes(attribute.String("warden.action", dec.Action.String()), attribute.String("warden.policy_revision", dec.PolicyRevision))
	return dec, "", nil
}

// classifierCause names a classifier failure: "overloaded" when a model's
// queue was full (a retry later may succeed), else as causeOf.
func classifierCause(ctx context.Context, err error) string {
	if errors.Is(err, classifiers.ErrOverloaded) && ctx.Err() == nil {
		return "overloaded"
	}
	return causeOf(ctx, "classifier_error")
}

func causeOf(ctx context.Context, cause string) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "deadline"
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return "canceled"
	}
	return cause
}

// Unjudged reports whether the stage's fail mode decided because the text
// could not be judged at all (a deadline, a model, detector or policy
// error), as opposed to a decision that was made and could not be carried
// out (its redaction or its incident failed): retrying an unjudged text
// later may well succeed.
func (r Result) Unjudged() bool {
	return r.FailMode != "" && r.FailCause != "redaction_error" && r.FailCause != "incident_unrecorded"
}

// failDecision applies the stage's fail mode.
func (s *Service) failDecision(ctx context.Context, stage types.Stage, cause string, err error, res *Result) types.Decision {
	mode := "closed"
	action := types.ActionBlock
	if s.opts.FailOpen[stage] {
		mode, action = "open", types.ActionAllow
	}
	res.FailMode, res.FailCause = mode, cause
	s.failures.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(
		attribute.String("stage", stage.String()), attribute.String("cause", cause), attribute.String("mode", mode)))
	s.opts.Logger.Warn("check could not complete; fail mode applied",
		"decision_id", res.ID, "stage", stage.String(), "cause", cause, "fail_mode", mode, "err", err)
	return types.Decision{
		Action:         action,
		Reasons:        []string{fmt.Sprintf("fail %s: %s", mode, cause)},
		RuleIDs:        []string{"warden.fail_" + mode},
		PolicyRevision: res.PolicyRevision,
	}
}

// enforce sets res.Text (and res.Messages) from the decision: the text is
// dropped (block) or redacted, then vault tokens are restored when the
// decision asks for it.
func (s *Service) enforce(req Request, text string, segs []segment, res *Result) error {
	if err := s.redactText(req, text, segs, res); err != nil {
		return err
	}
	if res.Action == types.ActionBlock || !res.Decision.Restore || s.opts.Restorer == nil {
		return nil
	}
	res.Text = s.opts.Restorer.Restore(req.Tenant, res.Text)
	if res.Messages != nil {
		msgs := make([]types.Message, len(res.Messages))
		copy(msgs, res.Messages)
		for _, sg := range segs {
			msgs[sg.msg].Content = s.opts.Restorer.Restore(req.Tenant, msgs[sg.msg].Content)
		}
		res.Messages = msgs
	}
	return nil
}

func (s *Service) redactText(req Request, text string, segs []segment, res *Result) error {
	if res.Action == types.ActionBlock {
		res.Text = ""
		res.Messages = nil
		return nil
	}
	modes := redact.Modes(res.Decision.Redactions)
	// Only findings the redactions act on (type named, score high enough).
	var acted []types.Finding
	for _, f := range res.Findings {
		if types.Applies(res.Decision.Redactions, f) {
			acted = append(acted, f)
		}
	}
	if len(acted) == 0 {
		res.Text = text
		if req.Messages != nil {
			res.Messages = req.Messages
		}
		return nil
	}
	if req.Messages == nil {
		r, err := s.opts.Redactor.Apply(req.Tenant, text, acted, modes)
		if err != nil {
			return err
		}
		res.Text = r.Text
		return nil
	}
	// Redact message by message so that each message keeps its own text.
	out := make([]types.Message, len(req.Messages))
	copy(out, req.Messages)
	parts := make([]string, 0, len(segs))
	for _, sg := range segs {
		var local []types.Finding
		for _, f := range acted {
			if f.Start >= sg.start && f.End <= sg.end {
				f.Start -= sg.start
				f.End -= sg.start
				local = append(local, f)
			}
		}
		r, err := s.opts.Redactor.Apply(req.Tenant, text[sg.start:sg.end], local, modes)
		if err != nil {
			return err
		}
		out[sg.msg].Content = r.Text
		parts = append(parts, r.Text)
	}
	res.Messages = out
	res.Text = strings.Join(parts, "\n")
	return nil
}

// record writes the incident: the text with every finding redacted.
func (s *Service) record(ctx context.Context, req Request, text string, res *Result, span trace.Span) error {
	red, err := s.opts.Redactor.Apply(req.Tenant, text, res.Findings, redact.MaskAll(redact.Modes(res.Decision.Redactions)))
	if err != nil {
		return err
	}
	prompt := ""
	if req.Prompt != "" && s.det != nil {
		pf, err := s.det.Detect(ctx, req.Prompt)
		if err != nil {
			return err
		}
		pr, err := s.opts.Redactor.Apply(req.Tenant, req.Prompt, pf, redact.MaskAll(nil))
		if err != nil {
			return err
		}
		prompt = pr.Text
	}
	inc := &incident.Incident{
		Schema: incident.Schema, ID: newID(), Time: time.Now().UTC(),
		Tenant: req.Tenant, Stage: req.Stage.String(), Source: req.Source, Action: res.Action.String(),
		Key:     conversationKey(req),
		Reasons: res.Reasons, RuleIDs: res.RuleIDs, Scores: res.Scores, Signals: res.Signals,
		Findings: red.Findings, Text: red.Text, Prompt: prompt,
		DecisionID: res.ID, PolicyRevision: res.PolicyRevision, ModelVersions: res.ModelVersions,
	}
	if req.Stream != nil {
		d := req.Stream.Delivered
		inc.Delivered = &d
	}
	if sc := span.SpanContext(); sc.IsValid() {
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(trace.ContextWithSpan(context.Background(), span), carrier)
		inc.Trace = incident.Trace{TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(), Traceparent: carrier["traceparent"]}
	}
	if err := s.rec.Record(ctx, inc); err != nil {
		return fmt.Errorf("recording incident %s: %w", inc.ID, err)
	}
	s.incidents.Add(ctx, 1, metric.WithAttributes(attribute.String("action", inc.Action)))
	res.IncidentID = inc.ID
	span.SetAttributes(attribute.String("warden.incident_id", inc.ID))
	return nil
}

// conversationKey orders a conversation's incidents: metadata
// conversation_id when given, else the tenant.
func conversationKey(req Request) string {
	if v, ok := req.Metadata["conversation_id"].(string); ok && v != "" {
		return req.Tenant + "/" + v
	}
	return req.Tenant
}

// joinInput returns the text to check and, for messages, where each
// checked message sits in it.
func joinInput(req Request) (string, []segment, error) {
	if req.Messages == nil {
		return req.Text, nil, nil
	}
	if req.Text != "" {
		return "", nil, fmt.Errorf("%w: give text or messages, not both", ErrInvalid)
	}
	var b strings.Builder
	var segs []segment
	for i, m := range req.Messages {
		if m.Role == "" {
			return "", nil, fmt.Errorf("%w: messages[%d] has no role", ErrInvalid, i)
		}
		if !scored(req.Stage, m.Role) {
			continue
		}
		if len(segs) > 0 {
			b.WriteByte('\n')
		}
		st := b.Len()
		b.WriteString(m.Content)
		segs = append(segs, segment{msg: i, start: st, end: b.Len()})
	}
	if len(segs) == 0 {
		return "", nil, fmt.Errorf("%w: no message with a role checked at the %s stage", ErrInvalid, req.Stage)
	}
	return b.String(), segs, nil
}

func versionsAttr(v map[string]string) string {
	parts := make([]string, 0, len(v))
	for k, ver := range v {
		parts = append(parts, k+"@"+ver)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// newID returns a time-ordered UUIDv7.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
