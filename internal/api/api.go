// Package api serves Warden's HTTP API with gin: POST /v1/check, the health
// and readiness probes and the Prometheus endpoint. Errors are JSON objects
// {"error": {"code": "<stable_code>", "message": "..."}}; request text never
// reaches a log line.
package api

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
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
)

// Checker runs a check (check.Service).
type Checker interface {
	Check(ctx context.Context, req check.Request) (check.Result, error)
}

// Readiness reports whether the service can answer checks, with details.
type Readiness func() (ready bool, detail map[string]any)

// Options configure the API.
type Options struct {
	Checker      Checker
	Ready        Readiness
	Metrics      http.Handler
	MaxBodyBytes int64
	// BodyReadTimeout bounds how long a request body may take to arrive,
	// counted from when its headers were read (WARDEN_BODY_READ_TIMEOUT);
	// 0: no bound. It applies to every route that reads a body, except
	// StreamingRoutes. A client still sending when it passes gets 408
	// request_timeout on /v1/check (other routes answer their own read
	// error) and the connection is closed.
	BodyReadTimeout time.Duration
	// StreamingRoutes are route patterns (gin's FullPath) whose request
	// body is read for as long as the exchange lasts, such as the generic
	// stream API's POST /v1/stream: BodyReadTimeout does not apply to them.
	StreamingRoutes []string
	Logger          *slog.Logger
}

// Stable error codes.
const (
	CodeBodyTooLarge     = "body_too_large"
	CodeInvalidJSON      = "invalid_json"
	CodeInvalidUTF8      = "invalid_utf8"
	CodeInvalidStage     = "invalid_stage"
	CodeInvalidTenant    = "invalid_tenant"
	CodeMissingText      = "missing_text"
	CodeInvalidRequest   = "invalid_request"
	CodeNotReady         = "not_ready"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInternal         = "internal_error"
	// CodeRequestTimeout (408) says the request body did not arrive within
	// Options.BodyReadTimeout; the connection is closed.
	CodeRequestTimeout = "request_timeout"
	// CodeOverloaded (503, with Retry-After) says the classifiers' queues
	// are full: retry later; nothing was decided.
	CodeOverloaded = "overloaded"
)

// HeaderDecisionID carries the decision id on every check reply.
const HeaderDecisionID = "X-Warden-Decision-Id"

// Server is the HTTP API.
type Server struct {
	opts   Options
	engine *gin.Engine
}

// New builds the router. It has no side effects.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	s := &Server{opts: opts, engine: e}
	// Middleware added here runs for every route, also those that other
	// packages register on Engine later.
	e.Use(s.recover, s.accessLog, traceContext, s.bodyDeadline)
	e.NoRoute(func(c *gin.Context) { Error(c, http.StatusNotFound, CodeNotFound, "no such endpoint") })
	e.NoMethod(func(c *gin.Context) {
		Error(c, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed on this endpoint")
	})
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", s.readyz)
	if opts.Metrics != nil {
		e.GET("/metrics", gin.WrapH(opts.Metrics))
	}
	e.POST("/v1/check", s.check)
	return s
}

// Engine exposes the router so other packages (streams, review) can add
// their routes before serving.
func (s *Server) Engine() *gin.Engine { return s.engine }

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Error writes the stable error shape and aborts.
func Error(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": msg}})
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.opts.Logger.Error("panic serving request", "route", c.FullPath(), "panic", fmt.Sprint(r))
			Error(c, http.StatusInternalServerError, CodeInternal, "internal error")
		}
	}()
	c.Next()
}

// accessLog logs method, route, status and latency; never bodies or query
// strings (which could carry text).
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	if route == "/healthz" || route == "/metrics" {
		return
	}
	s.opts.Logger.Info("http", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "decision_id", c.Writer.Header().Get(HeaderDecisionID))
}

// traceContext continues a caller's W3C trace.
func traceContext(c *gin.Context) {
	ctx := otel.GetTextMapPropagator().Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// bodyDeadline sets a read deadline on the connection of a request that
// has a body, unless its route streams its body (Options.StreamingRoutes).
// http.Server.ReadTimeout cannot do this: it would cut the stream API's
// long-lived request bodies too. Once a body has been read to its end the
// server clears the deadline itself (it then watches the connection for a
// client going away), so the deadline bounds the body's arrival only,
// never the handler's work or a streamed answer. The next request on the
// connection starts with the server's own deadlines again.
func (s *Server) bodyDeadline(c *gin.Context) {
	d := s.opts.BodyReadTimeout
	r := c.Request
	if d <= 0 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || slices.Contains(s.opts.StreamingRoutes, c.FullPath()) {
		c.Next()
		return
	}
	if err := http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(d)); err != nil {
		// Only a ResponseWriter that cannot set deadlines (a test
		// recorder) gets here.
		s.opts.Logger.Debug("request body deadline not set", "route", c.FullPath(), "err", err)
	}
	c.Next()
}

// timeout reports whether err is a read that passed its deadline.
func timeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (s *Server) readyz(c *gin.Context) {
	if s.opts.Ready == nil {
		c.JSON(http.StatusOK, gin.H{"ready": true})
		return
	}
	ok, detail := s.opts.Ready()
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ok, "detail": detail})
}

// message is an OpenAI Chat Completions message as a request carries it
// (system, developer, user, assistant, tool and the deprecated function
// role), also an assistant message copied from a reply. Its checked text
// is its content (a string, or the text and refusal parts of a list of
// parts) and its refusal. Names, ids and the tool calls the model asked
// for (function names and JSON arguments, which a tool reads, not a
// model) are accepted but not checked; the content of the tool message
// that answers a call is. Fields outside the Chat Completions message are
// still unknown fields.
type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	Name    string          `json:"name"`
	// Refusal is an assistant's refusal text.
	Refusal *string `json:"refusal"`
	// ToolCallID names the call a tool message answers.
	ToolCallID string `json:"tool_call_id"`
	// ToolCalls and FunctionCall (deprecated) are an assistant's requests
	// to call tools; Audio is a reference to (or, in a copied reply, the
	// data and transcript of) an earlier audio answer; Annotations are a
	// reply's URL citations. Not checked.
	ToolCalls    json.RawMessage `json:"tool_calls"`
	FunctionCall json.RawMessage `json:"function_call"`
	Audio        json.RawMessage `json:"audio"`
	Annotations  json.RawMessage `json:"annotations"`
}

// text is the message's checked text: its content, then its refusal.
func (m message) text() (string, error) {
	txt, err := contentText(m.Content)
	if err != nil {
		return "", err
	}
	if m.Refusal != nil && *m.Refusal != "" {
		if txt != "" {
			txt += "\n"
		}
		txt += *m.Refusal
	}
	return txt, nil
}

type checkRequest struct {
	Stage    string         `json:"stage"`
	Text     *string        `json:"text"`
	Prompt   string         `json:"prompt"`
	Messages []message      `json:"messages"`
	Tenant   string         `json:"tenant"`
	Metadata map[string]any `json:"metadata"`
}

var tenantRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// readBody reads at most limit bytes; more is a 413, a body that does not
// arrive within Options.BodyReadTimeout a 408.
func readBody(c *gin.Context, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			Error(c, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit))
			return nil, false
		}
		if timeout(err) {
			// The rest of the body may still be on its way: the
			// connection cannot carry another request.
			c.Header("Connection", "close")
			Error(c, http.StatusRequestTimeout, CodeRequestTimeout, "the request body did not arrive within the body read timeout")
			return nil, false
		}
		Error(c, http.StatusBadRequest, CodeInvalidRequest, "could not read request body")
		return nil, false
	}
	return body, true
}

// DecodeJSON decodes one JSON object strictly: valid UTF-8 (no lone
// surrogate escapes), no unknown fields, nothing after the object. It writes
// the error reply itself and reports whether decoding succeeded.
func DecodeJSON(c *gin.Context, body []byte, dst any) bool {
	if !utf8.Valid(body) {
		Error(c, http.StatusBadRequest, CodeInvalidUTF8, "request body is not valid UTF-8")
		return false
	}
	if HasLoneSurrogate(body) {
		Error(c, http.StatusBadRequest, CodeInvalidUTF8, "request body has an unpaired UTF-16 surrogate escape")
		return false
	}
	// encoding/json decodes null into a struct as nothing at all, and
	// names Go types for other values: anything but an object is refused
	// here, as malformed JSON.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: the body must be a JSON object")
		return false
	}
	if k := DuplicateKey(body); k != "" {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("malformed JSON: the key %q appears twice in one object", k))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: "+jsonErr(err))
		return false
	}
	if dec.More() {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: data after the object")
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, "malformed JSON: data after the object")
		return false
	}
	return true
}

// jsonErr describes a decoding error without echoing request text.
func jsonErr(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	// Unknown-field errors name the field, which is request structure,
	// not text.
	return err.Error()
}

// DuplicateKey returns a key that appears twice in one object of the JSON
// text b (after unescaping: "content" and "con\u0074ent" are one key), or
// "" when there is none (or b is not valid JSON: the decoder reports
// that). Readers disagree on duplicates: encoding/json and JSON.parse keep
// the last value, other parsers the first or refuse the text, so Warden
// could check one value while the next reader of the raw bytes reads the
// other. The check API, the stream API and the proxies refuse such bodies.
func DuplicateKey(b []byte) string {
	type frame struct {
		keys      map[string]struct{} // nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{keys: map[string]struct{}{}, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return ""
				}
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].expectKey {
				if _, dup := stack[n-1].keys[t]; dup {
					return t
				}
				stack[n-1].keys[t] = struct{}{}
				stack[n-1].expectKey = false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return ""
		}
	}
}

// HasLoneSurrogate finds \uD800-\uDFFF escapes in JSON text that do not
// form a pair; encoding/json would silently turn them into U+FFFD, so what
// Warden checks would differ from what the next reader of the raw bytes
// sees. The stream API and the proxies refuse such bodies too.
func HasLoneSurrogate(b []byte) bool {
	for i := 0; i+6 <= len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		// Count preceding backslashes: an escaped backslash is not an escape.
		if b[i+1] != 'u' {
			i++
			continue
		}
		v, ok := hex4(b[i+2 : i+6])
		if !ok {
			continue
		}
		switch {
		case v >= 0xD800 && v <= 0xDBFF:
			if i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if w, ok := hex4(b[i+8 : i+12]); ok && w >= 0xDC00 && w <= 0xDFFF {
					i += 11
					continue
				}
			}
			return true
		case v >= 0xDC00 && v <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

func hex4(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= int(c - '0')
		case c >= 'a' && c <= 'f':
			v |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v |= int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return v, true
}

// Field names, exactly, of a check request, of a message and of the parts
// of a message's content that are read.
var (
	requestFields = []string{"stage", "text", "prompt", "messages", "tenant", "metadata"}
	messageFields = []string{"role", "content", "name", "refusal", "tool_call_id", "tool_calls", "function_call", "audio", "annotations"}
	partFields    = []string{"type", "text", "refusal"}
)

// foldedField returns a key of a (decoded, valid) check request that
// encoding/json took for a field although it differs from the field's name
// in case ("Text", "Content", "ſtage"), or "". encoding/json matches names
// case-insensitively, so {"content": A, "Content": B} was checked as B while
// a provider reading the same messages reads A: such keys are unknown
// fields.
func foldedField(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	if k := folded(top, requestFields); k != "" {
		return k
	}
	var msgs []map[string]json.RawMessage
	if json.Unmarshal(top["messages"], &msgs) != nil {
		return ""
	}
	for _, m := range msgs {
		if k := folded(m, messageFields); k != "" {
			return k
		}
		var parts []map[string]json.RawMessage
		if json.Unmarshal(m["content"], &parts) != nil {
			continue
		}
		for _, p := range parts {
			if k := folded(p, partFields); k != "" {
				return k
			}
		}
	}
	return ""
}

// folded returns a key of m that equals one of names case-insensitively
// but not exactly, or "".
func folded(m map[string]json.RawMessage, names []string) string {
	for k := range m {
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return k
			}
		}
	}
	return ""
}

// contentText flattens OpenAI message content: a string, or a list of
// parts whose text parts ({"type":"text","text":…}) and refusal parts
// ({"type":"refusal","refusal":…}, an assistant's) are joined by newlines.
// Other parts (image_url, input_audio, file) carry no text to check.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Refusal string `json:"refusal"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or a list of content parts")
	}
	var buf bytes.Buffer
	for _, p := range parts {
		var t string
		switch p.Type {
		case "text":
			t = p.Text
		case "refusal":
			t = p.Refusal
		default:
			continue
		}
		if buf.Len() > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(t)
	}
	return buf.String(), nil
}

func (s *Server) check(c *gin.Context) {
	body, ok := readBody(c, s.opts.MaxBodyBytes)
	if !ok {
		return
	}
	var req checkRequest
	if !DecodeJSON(c, body, &req) {
		return
	}
	if k := foldedField(body); k != "" {
		Error(c, http.StatusBadRequest, CodeInvalidJSON, fmt.Sprintf("malformed JSON: unknown field %q", k))
		return
	}
	stage, err := types.ParseStage(req.Stage)
	if err != nil {
		Error(c, http.StatusBadRequest, CodeInvalidStage, `stage must be "prompt" or "response"`)
		return
	}
	if req.Tenant != "" && !tenantRE.MatchString(req.Tenant) {
		Error(c, http.StatusBadRequest, CodeInvalidTenant, "tenant must be 1-64 characters of letters, digits, '_', '.', '-'")
		return
	}
	creq := check.Request{Stage: stage, Prompt: req.Prompt, Tenant: req.Tenant, Metadata: req.Metadata, Source: "hook"}
	switch {
	case req.Text != nil && req.Messages != nil:
		Error(c, http.StatusBadRequest, CodeInvalidRequest, "give text or messages, not both")
		return
	case req.Text != nil:
		creq.Text = *req.Text
	case len(req.Messages) > 0:
		creq.Messages = make([]types.Message, len(req.Messages))
		for i, m := range req.Messages {
			txt, err := m.text()
			if err != nil {
				Error(c, http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf("messages[%d]: %v", i, err))
				return
			}
			creq.Messages[i] = types.Message{Role: m.Role, Content: txt}
		}
	default:
		Error(c, http.StatusBadRequest, CodeMissingText, "give text or messages")
		return
	}
	if s.opts.Ready != nil {
		if ok, _ := s.opts.Ready(); !ok {
			Error(c, http.StatusServiceUnavailable, CodeNotReady, "models or policy not loaded yet")
			return
		}
	}
	res, err := s.opts.Checker.Check(c.Request.Context(), creq)
	if err != nil {
		if errors.Is(err, check.ErrInvalid) {
			Error(c, http.StatusBadRequest, CodeInvalidRequest, err.Error())
			return
		}
		if overloaded(c, err) {
			return
		}
		s.opts.Logger.Error("check failed", "err", err)
		Error(c, http.StatusInternalServerError, CodeInternal, "check failed")
		return
	}
	c.Header(HeaderDecisionID, res.ID)
	c.JSON(http.StatusOK, res)
}

// overloaded answers 503 with Retry-After when err says to retry later
// (classifiers.OverloadError: a model's queue is full). It reports whether
// it answered.
func overloaded(c *gin.Context, err error) bool {
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) {
		return false
	}
	secs := int(math.Ceil(ra.RetryAfter().Seconds()))
	c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
	Error(c, http.StatusServiceUnavailable, CodeOverloaded, "the classifiers are at capacity; retry after the Retry-After delay")
	return true
}
