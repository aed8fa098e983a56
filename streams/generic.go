package streams

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/review/incident"
)

// The generic stream API, for integrations that are not a provider proxy:
// POST /v1/stream, one HTTP exchange carrying NDJSON both ways (one JSON
// object per line). The request body streams the text in; the response
// streams the filtered text out as it is released, each line flushed at
// once. The server reads and writes at the same time (HTTP/1.1 full
// duplex, or HTTP/2), so a client can keep writing while it reads; a client
// that sends everything first and then reads works too.
//
// Request lines:
//
//	{"type":"start","tenant":"acme","prompt":"...","metadata":{...}}  optional, first line only
//	{"type":"text","text":"..."}                                       a piece of text
//	{"type":"segment_end"}                                             the end of a segment (e.g. a paragraph the client shows apart)
//	{"type":"end"}                                                     the end of the text (so does the end of the body)
//
// Response lines:
//
//	{"type":"text","text":"..."}      released text (redacted)
//	{"type":"end","action":"allow|redact|escalate|block","blocked":false,"decision_id":"...",
//	 "incident_id":"...","reasons":[...],"rule_ids":[...],"delivered":123,"fail_mode":"closed"}
//	{"type":"error","error":{"code":"...","message":"..."}}
//
// After "end" (or "error") the server sends nothing more. A block ends the
// exchange at once with "end" and "blocked": true: the client must stop
// showing text beyond what it received.

type genericIn struct {
	Type     string         `json:"type"`
	Text     *string        `json:"text,omitempty"`
	Tenant   string         `json:"tenant,omitempty"`
	Prompt   string         `json:"prompt,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

type genericEnd struct {
	Type       string   `json:"type"`
	Action     string   `json:"action"`
	Blocked    bool     `json:"blocked"`
	DecisionID string   `json:"decision_id,omitempty"`
	IncidentID string   `json:"incident_id,omitempty"`
	Reasons    []string `json:"reasons"`
	RuleIDs    []string `json:"rule_ids"`
	Delivered  int      `json:"delivered"`
	FailMode   string   `json:"fail_mode,omitempty"`
}

// Generic API error codes.
const (
	CodeLineTooLarge = "line_too_large"
	CodeInvalidLine  = "invalid_line"
)

type lineItem struct {
	in  genericIn
	err error
}

func parseLine(line []byte) (genericIn, error) {
	var in genericIn
	if !utf8.Valid(line) {
		return in, errors.New("line is not valid UTF-8")
	}
	if api.HasLoneSurrogate(line) {
		// As POST /v1/check: encoding/json would turn it into U+FFFD.
		return in, errors.New("line has an unpaired UTF-16 surrogate escape")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, errors.New("line is not a JSON object of the stream protocol")
	}
	if dec.More() {
		return in, errors.New("data after the JSON object")
	}
	switch in.Type {
	case "start", "segment_end", "end":
	case "text":
		if in.Text == nil {
			return in, errors.New(`a "text" line needs "text"`)
		}
	default:
		return in, fmt.Errorf("unknown line type %q (want start, text, segment_end or end)", in.Type)
	}
	return in, nil
}

// readLine reads one line of at most max bytes (without the newline).
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > max+1 {
			return nil, errLineTooLarge
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return bytes.TrimRight(line, "\r\n"), nil
			}
			return nil, err
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}

var errLineTooLarge = errors.New("line too large")

func (p *proxy) genericStream(c *gin.Context) {
	if p.e.service() == nil {
		api.Error(c, http.StatusServiceUnavailable, CodeNotReady, "models or policy not loaded yet")
		return
	}
	rc := http.NewResponseController(c.Writer)
	_ = rc.EnableFullDuplex() // HTTP/2 is full duplex already
	ctx := c.Request.Context()
	br := bufio.NewReaderSize(c.Request.Body, 64<<10)
	maxLine := p.cfg.MaxEventBytes

	// The first line may set the stream's options. The idle timeout runs
	// from the start: a client that sends part of a line and then nothing
	// must not hold the connection.
	deadline := rc.SetReadDeadline(time.Now().Add(p.cfg.UpstreamIdleTimeout)) == nil
	// Blank lines are skipped, before the first line as after it.
	firstNo := 1
	first, err := readLine(br, maxLine)
	for err == nil && len(bytes.TrimSpace(first)) == 0 {
		firstNo++
		first, err = readLine(br, maxLine)
	}
	var ne interface{ Timeout() bool }
	timedOut := err != nil && errors.As(err, &ne) && ne.Timeout()
	if deadline && !timedOut {
		_ = rc.SetReadDeadline(time.Time{})
	}
	var in genericIn
	if err == nil {
		in, err = parseLine(first)
	}
	switch {
	case timedOut:
		api.Error(c, http.StatusRequestTimeout, api.CodeRequestTimeout, "no complete first line received in WARDEN_UPSTREAM_IDLE_TIMEOUT")
		return
	case errors.Is(err, errLineTooLarge):
		api.Error(c, http.StatusRequestEntityTooLarge, CodeLineTooLarge, fmt.Sprintf("a line exceeds %d bytes", maxLine))
		return
	case err == io.EOF:
		in = genericIn{Type: "end"}
	case err != nil:
		api.Error(c, http.StatusBadRequest, CodeInvalidLine, fmt.Sprintf("line %d: %v", firstNo, err))
		return
	}
	opts := FilterOptions{Source: incident.SourceStream}
	if in.Type == "start" {
		if in.Tenant != "" && !tenantRE.MatchString(in.Tenant) {
			api.Error(c, http.StatusBadRequest, CodeInvalidTenant, "tenant must be 1-64 characters of letters, digits, '_', '.', '-'")
			return
		}
		opts.Tenant, opts.Prompt, opts.Metadata = in.Tenant, in.Prompt, in.Metadata
	}
	f, err := p.e.NewFilter(opts)
	if err != nil {
		api.Error(c, http.StatusServiceUnavailable, CodeNotReady, "models or policy not loaded yet")
		return
	}

	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Cache-Control", "no-cache")
	// One exchange per connection: a request body still in flight when the
	// exchange ends must not be mistaken for the next request.
	c.Header("Connection", "close")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	c.Writer.Flush()
	p.e.m.active.Add(ctx, 1, apiAttr("generic"))
	defer p.e.m.active.Add(context.WithoutCancel(ctx), -1, apiAttr("generic"))

	out := &ndjsonWriter{w: c.Writer, flush: c.Writer.Flush}
	lines := make(chan lineItem, 16)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var sawEOF atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			// The exchange ended before the body: drain what the client
			// is still sending (bounded by the deadline set at exit and by
			// size), so that it can read the reply to its end instead of
			// losing it to a connection reset.
			if !sawEOF.Load() {
				_, _ = io.CopyN(io.Discard, br, 8<<20)
			}
		}()
		for n := firstNo + 1; ; n++ {
			line, err := readLine(br, maxLine)
			var it lineItem
			if err == nil {
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				it.in, it.err = parseLine(line)
				if it.err != nil {
					it.err = fmt.Errorf("line %d: %w", n, it.err)
				}
			} else {
				it.err = err
				sawEOF.Store(err == io.EOF)
			}
			select {
			case lines <- it:
			case <-done:
				return
			}
			if it.err != nil {
				return
			}
		}
	}()
	defer func() {
		close(done)
		// Bound the drain (and unblock a read in progress), then wait for
		// the reader. The connection is not reused (Connection: close).
		if !sawEOF.Load() {
			_ = rc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		}
		wg.Wait()
	}()

	tm := newLoopTimers(p.cfg.UpstreamIdleTimeout)
	defer tm.stop()
	outcome := "completed"
	defer func() { p.e.m.ends.Add(context.WithoutCancel(ctx), 1, apiAttr("generic"), outcomeAttr(outcome)) }()

	// finish writes the end line from the filter's result.
	finish := func(o Output) {
		if o.Text != "" {
			out.line(map[string]any{"type": "text", "text": o.Text})
		}
		end := genericEnd{Type: "end", Blocked: o.Blocked, Delivered: f.Delivered(), Reasons: []string{}, RuleIDs: []string{}}
		if r := o.Result; r != nil {
			end.Action, end.DecisionID, end.IncidentID, end.FailMode = r.Action.String(), r.ID, r.IncidentID, r.FailMode
			end.Reasons, end.RuleIDs = nonNil(r.Reasons), nonNil(r.RuleIDs)
			// Not sent (the headers are out): the access log reads it, so
			// that the decision id is in the logs as on every other route.
			c.Writer.Header().Set(api.HeaderDecisionID, r.ID)
		}
		if o.Blocked {
			outcome = "blocked"
		}
		out.line(end)
	}
	// handle processes one input line; it reports whether the exchange ended.
	handle := func(in genericIn) bool {
		switch in.Type {
		case "text":
			f.Feed(*in.Text)
			return false
		case "segment_end":
			o := f.EndSegment(ctx)
			if o.Done {
				finish(o)
				return true
			}
			if o.Text != "" {
				out.line(map[string]any{"type": "text", "text": o.Text})
			}
			return false
		case "end":
			finish(f.Close(ctx))
			return true
		}
		out.errLine(CodeInvalidLine, `"start" is only allowed as the first line`)
		f.Abort(ctx)
		outcome = "error"
		return true
	}
	step := func() bool {
		o := f.Step(ctx)
		if o.Done {
			finish(o)
			return true
		}
		if o.Text != "" {
			out.line(map[string]any{"type": "text", "text": o.Text})
		}
		return false
	}

	if in.Type != "start" && handle(in) {
		return
	}
	for {
		select {
		case it := <-lines:
			tm.activity()
			batch := []lineItem{it}
		drain:
			for len(batch) < 64 && it.err == nil {
				select {
				case it = <-lines:
					batch = append(batch, it)
				default:
					break drain
				}
			}
			for _, it := range batch {
				switch {
				case it.err == io.EOF:
					finish(f.Close(ctx))
					return
				case errors.Is(it.err, errLineTooLarge):
					f.Abort(ctx)
					out.errLine(CodeLineTooLarge, fmt.Sprintf("a line exceeds %d bytes", maxLine))
					outcome = "error"
					return
				case it.err != nil:
					f.Abort(ctx)
					if ctx.Err() != nil {
						outcome = "client_gone"
						return
					}
					code, msg := CodeInvalidLine, it.err.Error()
					var ne interface{ Timeout() bool }
					if errors.As(it.err, &ne) || errors.Is(it.err, io.ErrUnexpectedEOF) {
						code, msg = CodeInvalidRequest, "could not read the request body"
					}
					out.errLine(code, msg)
					outcome = "error"
					return
				}
				if handle(it.in) {
					return
				}
			}
			if int64(f.Len()) > p.cfg.MaxResponseBytes {
				f.Abort(ctx)
				out.errLine(CodeBodyTooLarge, "the text exceeds WARDEN_PROXY_MAX_RESPONSE_BYTES")
				outcome = "error"
				return
			}
			if step() {
				return
			}
			tm.setHold(f)
		case <-tm.hold.C:
			o := f.Tick(ctx, time.Now())
			if o.Done {
				finish(o)
				return
			}
			if o.Text != "" {
				out.line(map[string]any{"type": "text", "text": o.Text})
			}
			tm.setHold(f)
		case <-tm.idle.C:
			if !tm.silent(len(lines)) {
				continue
			}
			f.Abort(ctx)
			out.errLine(CodeUpstreamTimeout, "no line received in WARDEN_UPSTREAM_IDLE_TIMEOUT")
			outcome = "error"
			return
		case <-ctx.Done():
			f.Abort(ctx)
			outcome = "client_gone"
			return
		}
		if out.err != nil {
			f.Abort(ctx)
			outcome = "client_gone"
			return
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type ndjsonWriter struct {
	w     io.Writer
	flush func()
	err   error
	buf   bytes.Buffer
}

func (n *ndjsonWriter) line(v any) {
	if n.err != nil {
		return
	}
	n.buf.Reset()
	enc := json.NewEncoder(&n.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		n.err = err
		return
	}
	if _, err := n.w.Write(n.buf.Bytes()); err != nil {
		n.err = err
		return
	}
	n.flush()
}

func (n *ndjsonWriter) errLine(code, msg string) {
	n.line(map[string]any{"type": "error", "error": map[string]string{"code": code, "message": msg}})
}
