package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/streams/sse"
)

// Stable error codes of the streams routes (error.code in every error
// body, whatever the provider shape around it).
const (
	CodeNotReady              = "not_ready"
	CodeUpstreamNotConfigured = "upstream_not_configured"
	CodeUpstreamUnavailable   = "upstream_unavailable"
	CodeUpstreamTimeout       = "upstream_timeout"
	CodeUpstreamDisconnected  = "upstream_disconnected"
	CodeUpstreamMalformed     = "upstream_malformed"
	CodeUpstreamTooLarge      = "upstream_event_too_large"
	CodeBodyTooLarge          = "body_too_large"
	CodeInvalidJSON           = "invalid_json"
	CodeInvalidRequest        = "invalid_request"
	CodeInvalidTenant         = "invalid_tenant"
	CodeContentFilter         = "content_filter"
	CodeInternal              = "internal_error"
	// CodeOverloaded: the classifiers' queue is full; retry after the
	// Retry-After header's seconds (HTTP 503).
	CodeOverloaded = "overloaded"
	// CodeInvalidConversation: X-Warden-Conversation-Id is over 200 bytes
	// or not UTF-8 (HTTP 400).
	CodeInvalidConversation = "invalid_conversation_id"
	// CodeCheckFailed: the prompt could not be judged (its deadline, a
	// model, detector or policy error; check.Result.Unjudged) and the stage
	// fails closed: the prompt was not sent. A decision that was made and
	// could not be carried out (its incident not recorded) stays a refusal. HTTP 503 with Retry-After, which the providers' SDKs
	// retry; a 400 content_filter would tell them the prompt itself was
	// refused.
	CodeCheckFailed = "check_failed"
)

// checkFailed answers a prompt whose check failed closed: it was not
// judged, so it is a retryable 503, not a refusal of its content.
func checkFailed(c *gin.Context, res *check.Result, reply func(status int, msg string)) {
	c.Header(HeaderDecisionID, res.ID)
	c.Header("Retry-After", "1")
	reply(http.StatusServiceUnavailable, "The prompt could not be checked and was not sent (decision "+res.ID+"); retry later.")
}

// overloaded reports whether err is the classifiers' "queue full" refusal
// and, if so, sets Retry-After (whole seconds, at least 1).
func overloaded(c interface{ Header(string, string) }, err error) bool {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return false
	}
	secs := int(math.Ceil(ra.RetryAfter().Seconds()))
	c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
	return true
}

// Headers.
const (
	// HeaderTenant selects the policy tenant of a proxied request; it is
	// not forwarded upstream.
	HeaderTenant = "X-Warden-Tenant"
	// HeaderConversation orders a conversation's incidents; not forwarded.
	HeaderConversation = "X-Warden-Conversation-Id"
	// HeaderDecisionID carries the response decision id (a trailer on
	// streams); HeaderPromptDecisionID the prompt's.
	HeaderDecisionID       = "X-Warden-Decision-Id"
	HeaderPromptDecisionID = "X-Warden-Prompt-Decision-Id"
	// HeaderAction is the response decision's action (a trailer on streams).
	HeaderAction = "X-Warden-Action"
)

var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// proxy holds what both provider proxies share.
type proxy struct {
	e      *Engine
	cfg    Config
	client *http.Client
	demo   http.Handler
	log    *slog.Logger

	upstreamErrors metric.Int64Counter
}

func newProxy(e *Engine, deps Deps) *proxy {
	p := &proxy{e: e, cfg: e.cfg, client: deps.Client, log: e.log}
	if p.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 64
		tr.ResponseHeaderTimeout = p.cfg.UpstreamTimeout
		p.client = &http.Client{Transport: tr}
	}
	if p.cfg.Demo {
		p.demo = newDemo(20 * time.Millisecond)
	}
	m := otel.Meter("github.com/wardenhq/warden/streams")
	p.upstreamErrors, _ = m.Int64Counter("warden.stream.upstream_errors", metric.WithDescription("Upstream failures by provider and code."))
	return p
}

// target is where a provider's requests go.
type target struct {
	url    string
	client *http.Client
	demo   bool
}

func (p *proxy) target(base, path, demoPrefix string) (target, bool) {
	if base != "" {
		return target{url: base + path, client: p.client}, true
	}
	if p.demo != nil {
		return target{url: "http://warden-demo" + demoPrefix + path, client: &http.Client{Transport: handlerTransport{p.demo}}, demo: true}, true
	}
	return target{}, false
}

// reqInfo is what the proxies take from a request besides its body.
type reqInfo struct {
	tenant   string
	metadata map[string]any
}

// requestInfo reads the Warden headers of a proxied request; on error,
// code is the stable error code to answer with.
func requestInfo(c *gin.Context) (ri reqInfo, code string, err error) {
	ri = reqInfo{tenant: c.GetHeader(HeaderTenant)}
	if ri.tenant != "" && !tenantRE.MatchString(ri.tenant) {
		return ri, CodeInvalidTenant, errors.New("X-Warden-Tenant must be 1-64 characters of letters, digits, '_', '.', '-'")
	}
	if ri.tenant == "" {
		ri.tenant = "default"
	}
	if conv := c.GetHeader(HeaderConversation); conv != "" {
		if len(conv) > 200 || !utf8.ValidString(conv) {
			return ri, CodeInvalidConversation, errors.New("X-Warden-Conversation-Id must be at most 200 bytes of UTF-8")
		}
		ri.metadata = map[string]any{"conversation_id": conv}
	}
	return ri, "", nil
}

// readBody reads a request body up to the limit.
// proxyRequest is a chat request both proxies decode the same way: the
// guard, the caller, the raw body, the body as a JSON object and its
// messages.
type proxyRequest struct {
	svc  *check.Service
	ri   reqInfo
	body []byte
	req  map[string]json.RawMessage
	msgs []map[string]json.RawMessage
}

// decodeRequest reads and checks what every proxied chat request needs;
// fail writes the provider's error shape (status, Warden code, message).
// It reports false when it has answered the request.
func (p *proxy) decodeRequest(c *gin.Context, fail func(status int, code, msg string)) (proxyRequest, bool) {
	var pr proxyRequest
	if pr.svc = p.e.service(); pr.svc == nil {
		fail(http.StatusServiceUnavailable, CodeNotReady, "Warden is loading its models and policy")
		return pr, false
	}
	var err error
	var code string
	if pr.ri, code, err = requestInfo(c); err != nil {
		fail(http.StatusBadRequest, code, err.Error())
		return pr, false
	}
	if pr.body, err = readBody(c, p.cfg.MaxRequestBytes); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("request body exceeds %d bytes", p.cfg.MaxRequestBytes))
			return pr, false
		}
		fail(http.StatusBadRequest, CodeInvalidRequest, "could not read the request body")
		return pr, false
	}
	if !utf8.Valid(pr.body) || json.Unmarshal(pr.body, &pr.req) != nil {
		fail(http.StatusBadRequest, CodeInvalidJSON, "the request body is not a JSON object in UTF-8")
		return pr, false
	}
	// A lone surrogate escape would be checked as U+FFFD while the
	// upstream reads the raw escape: refused, as /v1/check refuses it.
	if api.HasLoneSurrogate(pr.body) {
		fail(http.StatusBadRequest, CodeInvalidJSON, "the request body has a lone UTF-16 surrogate escape (\\uD800-\\uDFFF)")
		return pr, false
	}
	// A key twice in one object: the upstream's parser may read the value
	// Warden did not check (parsers keep the first, the last, or refuse).
	if k := api.DuplicateKey(pr.body); k != "" {
		fail(http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("the request has the key %q twice in one object", k))
		return pr, false
	}
	if k := foldedKey(pr.req, readRequestKeys...); k != "" {
		fail(http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("the request has a key %q that is not lower-case: Warden reads the provider's lower-case keys only", k))
		return pr, false
	}
	if err := json.Unmarshal(pr.req["messages"], &pr.msgs); err != nil || len(pr.msgs) == 0 {
		fail(http.StatusBadRequest, CodeInvalidRequest, "messages must be a non-empty array of message objects")
		return pr, false
	}
	return pr, true
}

// readRequestKeys are the top-level request fields the proxies read.
var readRequestKeys = []string{"messages", "stream", "n", "audio", "modalities"}

// foldedKey returns a key of m that is not one of keys but that a
// case-insensitive reader (Go's encoding/json, which upstreams written in
// Go use) would take for one of them, or "". The proxies read keys exactly:
// "Messages" beside "messages" would reach such an upstream unchecked.
func foldedKey(m map[string]json.RawMessage, keys ...string) string {
	for k := range m {
		for _, want := range keys {
			if k != want && strings.EqualFold(k, want) {
				return k
			}
		}
	}
	return ""
}

func readBody(c *gin.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge
		}
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	return body, nil
}

var errBodyTooLarge = errors.New("request body too large")

// forwarded request headers: the provider's own, the SDK's telemetry.
var forwardHeaders = []string{
	"Authorization", "X-Api-Key", "Anthropic-Version", "Anthropic-Beta", "OpenAI-Organization",
	"OpenAI-Project", "OpenAI-Beta", "Idempotency-Key", "User-Agent", "Accept",
}

// returned response headers (request ids, rate limits, retry hints).
func returnHeader(name string) bool {
	n := strings.ToLower(name)
	switch {
	case n == "x-request-id", n == "request-id", n == "retry-after", n == "retry-after-ms", n == "x-should-retry":
		return true
	case strings.HasPrefix(n, "x-ratelimit-"), strings.HasPrefix(n, "anthropic-ratelimit-"),
		strings.HasPrefix(n, "openai-"), strings.HasPrefix(n, "anthropic-"):
		return true
	}
	return false
}

func copyReturnHeaders(dst, src http.Header) {
	for k, vs := range src {
		if returnHeader(k) {
			dst[k] = append([]string(nil), vs...)
		}
	}
}

// upstreamRequest builds the forwarded request.
func upstreamRequest(ctx context.Context, c *gin.Context, t target, body []byte, auth func(h http.Header)) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for _, h := range forwardHeaders {
		if v := c.Request.Header.Values(h); len(v) > 0 {
			req.Header[http.CanonicalHeaderKey(h)] = v
		}
	}
	for k, v := range c.Request.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-stainless-") {
			req.Header[k] = v
		}
	}
	req.Header.Set("Content-Type", "application/json")
	auth(req.Header)
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	return req, nil
}

// upstreamFailure maps a transport error to a stable code.
// callUpstream sends body to t and returns the upstream's 2xx response,
// with the context the rest of the exchange runs under (cancel it when
// done; a whole, non-streamed reply also has WARDEN_UPSTREAM_TIMEOUT). On
// failure it has answered the client — fail for a request it could not
// build or send (code CodeInternal, or the upstream failure's code), the
// upstream's own error reply passed through otherwise — and resp is nil.
func (p *proxy) callUpstream(c *gin.Context, t target, body []byte, stream bool, provider string,
	auth func(h http.Header), fail func(status int, code, msg string)) (context.Context, context.CancelFunc, *http.Response) {
	ctx, cancel := context.WithCancel(c.Request.Context())
	if !stream {
		outer := cancel
		tctx, tcancel := context.WithTimeout(ctx, p.cfg.UpstreamTimeout)
		ctx, cancel = tctx, func() { tcancel(); outer() }
	}
	upreq, err := upstreamRequest(ctx, c, t, body, auth)
	if err != nil {
		fail(http.StatusInternalServerError, CodeInternal, "could not build the upstream request")
		return ctx, cancel, nil
	}
	resp, err := t.client.Do(upreq)
	if err != nil {
		code, msg := upstreamFailure(ctx, err)
		p.recordUpstreamError(ctx, provider, code)
		status := http.StatusBadGateway
		if code == CodeUpstreamTimeout {
			status = http.StatusGatewayTimeout
		}
		fail(status, code, msg)
		return ctx, cancel, nil
	}
	if resp.StatusCode/100 != 2 {
		p.passThrough(c, resp)
		resp.Body.Close()
		return ctx, cancel, nil
	}
	return ctx, cancel, resp
}

func upstreamFailure(ctx context.Context, err error) (code, msg string) {
	var ne net.Error
	switch {
	case errors.Is(err, sse.ErrEventTooLarge):
		return CodeUpstreamTooLarge, "the upstream sent an event larger than WARDEN_STREAM_MAX_EVENT_BYTES"
	case errors.Is(err, errIdle), errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return CodeUpstreamTimeout, "the upstream did not answer in time"
	case errors.Is(err, errTooLong):
		return CodeUpstreamTooLarge, "the answer exceeds WARDEN_PROXY_MAX_RESPONSE_BYTES"
	case errors.Is(err, errUnchecked):
		return CodeUpstreamMalformed, "the upstream sent content in a shape Warden cannot check"
	case errors.Is(err, errMalformed):
		return CodeUpstreamMalformed, "the upstream sent a malformed stream"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, errEndedEarly):
		return CodeUpstreamDisconnected, "the upstream stream ended before the answer was complete"
	}
	return CodeUpstreamUnavailable, "the upstream could not be reached"
}

var (
	errIdle       = errors.New("upstream idle timeout")
	errMalformed  = errors.New("malformed upstream event")
	errEndedEarly = errors.New("upstream stream ended early")
	errTooLong    = errors.New("answer too long")
	// errUnchecked: the upstream sent something that could carry text to
	// the client in a shape the proxy does not filter (a content field
	// that is not text, an unknown field of a message, text outside the
	// open text block, a key a case-insensitive client would read as a
	// known one). It fails closed like errMalformed.
	errUnchecked = errors.New("upstream content in a shape Warden cannot check")
)

// events reads upstream SSE events on a goroutine so that the stream loop
// can wait on the client, timers and the upstream at once.
type events struct {
	ch   chan eventItem
	done chan struct{}
	body io.Closer
	wg   sync.WaitGroup
	once sync.Once
}

type eventItem struct {
	ev  sse.Event
	err error
}

func readEvents(body io.ReadCloser, maxEvent int) *events {
	ev := &events{ch: make(chan eventItem, 16), done: make(chan struct{}), body: body}
	ev.wg.Add(1)
	go func() {
		defer ev.wg.Done()
		r := sse.NewReader(body, maxEvent)
		for {
			e, err := r.Next()
			select {
			case ev.ch <- eventItem{e, err}:
			case <-ev.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ev
}

// stop ends the reader and waits for it: the upstream body is closed,
// which cancels a read in progress.
func (ev *events) stop() {
	ev.once.Do(func() {
		close(ev.done)
		ev.body.Close()
		ev.wg.Wait()
	})
}

// sseStream is one provider's streamed answer as relay drives it: the
// provider's events in, filtered events out.
type sseStream interface {
	// handle processes one upstream event (or read error); a non-empty
	// result is the stream's outcome, when the event ended or failed it.
	handle(ctx context.Context, it eventItem) string
	// done reports whether the stream has ended (the last event was sent).
	done() bool
	// filters are the stream's filters (nil for one not yet opened).
	filters() []*Filter
	// step decides on the text fed so far and emits what it releases.
	step(ctx context.Context)
	// tick emits what the hold-back timer released.
	tick(ctx context.Context, now time.Time)
	// fail ends the stream on err and returns the outcome.
	fail(ctx context.Context, err error) string
	// abort ends the stream without a decision (the client is gone).
	abort(ctx context.Context)
	blocked() bool
	// results are the decisions made, for the trailers.
	results() []*check.Result
}

// relay runs a streamed answer: it reads the upstream's events in
// batches (what has arrived while one batch was handled is handled as the
// next, so a fast upstream costs one decision step per batch, not per
// event), bounds the text's size, fires the hold-back and idle timers, and
// records the stream's outcome and trailers. w is the SSE writer on c.
func (p *proxy) relay(ctx context.Context, api string, c *gin.Context, w *sse.Writer, resp *http.Response, s sseStream) {
	p.e.m.active.Add(ctx, 1, apiAttr(api))
	defer p.e.m.active.Add(context.WithoutCancel(ctx), -1, apiAttr(api))
	ev := readEvents(resp.Body, p.cfg.MaxEventBytes)
	defer ev.stop()
	tm := newLoopTimers(p.cfg.UpstreamIdleTimeout)
	defer tm.stop()
	outcome := "completed"
	defer func() {
		setTrailers(c, s.results(), outcome == "upstream_error" || outcome == "error")
		p.e.m.ends.Add(context.WithoutCancel(ctx), 1, apiAttr(api), outcomeAttr(outcome))
	}()
	for !s.done() {
		select {
		case it := <-ev.ch:
			tm.activity()
			batch := []eventItem{it}
		drain:
			for len(batch) < 64 {
				select {
				case it := <-ev.ch:
					batch = append(batch, it)
				default:
					break drain
				}
			}
			for _, it := range batch {
				if s.done() {
					break
				}
				if o := s.handle(ctx, it); o != "" {
					outcome = o
				}
			}
			if !s.done() && tooLong(s.filters(), p.cfg.MaxResponseBytes) {
				outcome = s.fail(ctx, errTooLong)
			}
			if !s.done() {
				s.step(ctx)
			}
			tm.setHold(s.filters()...)
		case <-tm.hold.C:
			s.tick(ctx, time.Now())
			tm.setHold(s.filters()...)
		case <-tm.idle.C:
			if !tm.silent(len(ev.ch)) {
				continue
			}
			outcome = s.fail(ctx, errIdle)
		case <-ctx.Done():
			s.abort(ctx)
			outcome = "client_gone"
			return
		}
		if w.Err() != nil {
			s.abort(ctx)
			outcome = "client_gone"
			return
		}
	}
	if outcome == "completed" && s.blocked() {
		outcome = "blocked"
	}
}

// tooLong reports whether a text exceeds max bytes: a filter keeps the
// whole text for the final decision, so its size is bounded.
func tooLong(filters []*Filter, max int64) bool {
	for _, f := range filters {
		if f != nil && int64(f.Len()) > max {
			return true
		}
	}
	return false
}

// loopTimers are the stream loop's idle and hold-back timers.
type loopTimers struct {
	idle     *time.Timer
	hold     *time.Timer
	idleTime time.Duration
}

func newLoopTimers(idle time.Duration) *loopTimers {
	t := &loopTimers{idle: time.NewTimer(idle), hold: time.NewTimer(time.Hour), idleTime: idle}
	t.hold.Stop()
	return t
}

func (t *loopTimers) stop() {
	t.idle.Stop()
	t.hold.Stop()
}

func (t *loopTimers) activity() { t.idle.Reset(t.idleTime) }

// silent reports whether the idle timer that fired means a silent
// upstream: not when queued items (events or lines) arrived while a step
// ran past the timeout, in which case Warden was busy and the timer
// restarts.
func (t *loopTimers) silent(queued int) bool {
	if queued > 0 {
		t.activity()
		return false
	}
	return true
}

// setHold arms the hold-back timer at the earliest Due of filters.
func (t *loopTimers) setHold(filters ...*Filter) {
	var at time.Time
	for _, f := range filters {
		if f == nil {
			continue
		}
		if d, ok := f.Due(); ok && (at.IsZero() || d.Before(at)) {
			at = d
		}
	}
	t.hold.Stop()
	if !at.IsZero() {
		t.hold.Reset(max(time.Until(at), 0))
	}
}

// sseWriter starts an SSE response.
func startSSE(c *gin.Context, upstream http.Header) *sse.Writer {
	h := c.Writer.Header()
	copyReturnHeaders(h, upstream)
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Trailer", HeaderDecisionID+", "+HeaderAction)
	c.Writer.WriteHeader(http.StatusOK)
	c.Writer.WriteHeaderNow()
	w := sse.NewWriter(c.Writer, func() error { c.Writer.Flush(); return nil })
	c.Writer.Flush()
	return w
}

// setTrailers reports the response decisions of a stream. A stream that
// failed (it ended with an error event: the answer was not delivered whole
// and its end was never checked) reports the fail-closed action, block,
// for every decision (or once, when no text was decided), never the allow
// of the prefix decided before the failure.
func setTrailers(c *gin.Context, results []*check.Result, failed bool) {
	var ids, actions []string
	for _, r := range results {
		if r != nil {
			ids = append(ids, r.ID)
			act := r.Action.String()
			if failed {
				act = types.ActionBlock.String()
			}
			actions = append(actions, act)
		}
	}
	if failed && len(actions) == 0 {
		actions = []string{types.ActionBlock.String()}
	}
	c.Writer.Header().Set(HeaderDecisionID, strings.Join(ids, ","))
	c.Writer.Header().Set(HeaderAction, strings.Join(actions, ","))
}

// promptPart is one checked piece of prompt text and how to rewrite it.
type promptPart struct {
	role string
	text string
	set  func(string)
}

// checkPrompt checks the prompt parts. It returns the result (zero when no
// part is checked at the prompt stage) and rewrites redacted parts.
func (p *proxy) checkPrompt(ctx context.Context, svc *check.Service, ri reqInfo, parts []promptPart) (check.Result, bool, error) {
	msgs := make([]types.Message, 0, len(parts))
	any := false
	for _, pt := range parts {
		msgs = append(msgs, types.Message{Role: pt.role, Content: pt.text})
		if pt.role != "system" && pt.role != "developer" && pt.role != "assistant" {
			any = true
		}
	}
	if !any {
		return check.Result{}, false, nil
	}
	res, err := svc.Check(ctx, check.Request{Stage: types.StagePrompt, Messages: msgs, Tenant: ri.tenant, Source: incident.SourceProxy, Metadata: ri.metadata})
	if err != nil {
		return res, false, err
	}
	if res.Action != types.ActionBlock && len(res.Messages) == len(parts) {
		for i, pt := range parts {
			if res.Messages[i].Content != pt.text {
				pt.set(res.Messages[i].Content)
			}
		}
	}
	return res, true, nil
}

// lastUserText is the response's prompt context: the last user text.
func lastUserText(parts []promptPart, res check.Result) string {
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i].role == "user" {
			if len(res.Messages) == len(parts) {
				return res.Messages[i].Content
			}
			return parts[i].text
		}
	}
	return ""
}

// rawString decodes a JSON string (ok false for null, absent or non-string).
func rawString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// plainKeys reports whether every key of an object is lower-case ASCII
// (letters, digits, '_'), as the providers' keys are. The proxies read
// keys exactly; a client that matches them case-insensitively (Go's
// encoding/json does, folding 'K' and 'ſ' too) would read "Delta" or
// "Content" as the field the proxy filters, so an object with such a key
// is not passed on.
func plainKeys(m map[string]json.RawMessage) bool {
	for k := range m {
		for i := 0; i < len(k); i++ {
			if c := k[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

func mustRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called on values that always marshal
	}
	return b
}

var rawNull = json.RawMessage("null")

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// blockReason is the human-readable reason of a block for error messages:
// the policy's reasons (scores and finding types, never text).
func blockReason(res *check.Result) string {
	if res == nil || len(res.Reasons) == 0 {
		return "blocked by Warden policy"
	}
	return "blocked by Warden policy: " + strings.Join(res.Reasons, "; ")
}

// recordUpstreamError counts an upstream failure.
func (p *proxy) recordUpstreamError(ctx context.Context, provider, code string) {
	p.upstreamErrors.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("provider", provider), attribute.String("code", code)))
}
