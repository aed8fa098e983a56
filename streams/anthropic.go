package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/streams/sse"
)

// Anthropic Messages proxy: POST /v1/messages.
//
// User text and tool results are checked first (stage prompt; the system
// prompt is the operator's and is not). A blocked prompt is answered the
// way Anthropic answers a refusal, with HTTP 200 and no content:
//
//	{"type": "message", "role": "assistant", "content": [],
//	 "stop_reason": "refusal", "stop_details": {"type": "refusal",
//	 "category": null, "explanation": "..."}, ...}
//
// (streamed: message_start, message_delta with that stop_reason,
// message_stop). The answer's text blocks are filtered as one text, each
// block a segment. A block mid-stream closes the open content blocks and
// ends with message_delta {"stop_reason": "refusal"} and message_stop.
// ping, thinking, tool_use and citation events pass through untouched.
// Upstream failures mid-stream end with an "error" event.

func anthropicError(c *gin.Context, status int, code, typ, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"type": "error", "error": gin.H{"type": typ, "code": code, "message": msg}})
}

func refusalDetails(res *check.Result) map[string]any {
	return map[string]any{"type": "refusal", "category": nil, "explanation": blockReason(res) + " (decision " + res.ID + ")"}
}

func (p *proxy) messages(c *gin.Context) {
	pr, ok := p.decodeRequest(c, func(status int, code, msg string) {
		typ := "invalid_request_error"
		switch {
		case status == http.StatusRequestEntityTooLarge:
			typ = "request_too_large"
		case status >= 500:
			typ = "api_error"
		}
		anthropicError(c, status, code, typ, msg)
	})
	if !ok {
		return
	}
	svc, ri, body, req, msgs := pr.svc, pr.ri, pr.body, pr.req, pr.msgs
	stream := string(req["stream"]) == "true"
	model, _ := rawString(req["model"])
	parts, changed, err := anthropicPromptParts(msgs)
	if err != nil {
		anthropicError(c, http.StatusBadRequest, CodeInvalidRequest, "invalid_request_error", err.Error())
		return
	}
	ctx := c.Request.Context()
	pres, checked, err := p.checkPrompt(ctx, svc, ri, parts)
	if err != nil && overloaded(c, err) {
		anthropicError(c, http.StatusServiceUnavailable, CodeOverloaded, "overloaded_error", "the guard is overloaded; retry later")
		return
	}
	if err != nil {
		anthropicError(c, http.StatusBadRequest, CodeInvalidRequest, "invalid_request_error", err.Error())
		return
	}
	if checked {
		c.Header(HeaderPromptDecisionID, pres.ID)
		if pres.Action == types.ActionBlock {
			c.Header(HeaderDecisionID, pres.ID)
			p.anthropicPromptRefusal(c, stream, model, &pres)
			return
		}
		if *changed {
			req["messages"] = mustRaw(msgs)
			body = mustRaw(req)
		}
	}
	t, ok := p.target(p.cfg.anthropicUpstream(), "/v1/messages", "/demo/anthropic")
	if !ok {
		anthropicError(c, http.StatusServiceUnavailable, CodeUpstreamNotConfigured, "api_error", "no upstream: set WARDEN_ANTHROPIC_UPSTREAM_URL (or WARDEN_DEMO_UPSTREAM=true)")
		return
	}
	ctx, cancel, resp := p.callUpstream(c, t, body, stream, "anthropic", func(h http.Header) {
		if p.cfg.AnthropicUpstreamKey != "" {
			h.Del("Authorization")
			h.Set("X-Api-Key", p.cfg.AnthropicUpstreamKey)
		}
	}, func(status int, code, msg string) { anthropicError(c, status, code, "api_error", msg) })
	defer cancel()
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	opts := FilterOptions{Tenant: ri.tenant, Prompt: lastUserText(parts, pres), Source: incident.SourceProxy, Metadata: ri.metadata}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/event-stream" {
		s := &anStream{p: p, c: c, opts: opts, textBlock: -1, open: map[int]bool{}, cancel: cancel}
		s.run(ctx, resp)
		return
	}
	p.anthropicWhole(ctx, c, svc, resp, opts)
}

// anthropicPromptParts lists user text, tool results and assistant text.
func anthropicPromptParts(msgs []map[string]json.RawMessage) ([]promptPart, *bool, error) {
	changed := new(bool)
	var parts []promptPart
	for i, m := range msgs {
		role, ok := rawString(m["role"])
		if !ok {
			return nil, nil, fmt.Errorf("messages[%d].role must be a string", i)
		}
		raw := m["content"]
		if s, ok := rawString(raw); ok {
			parts = append(parts, promptPart{role: role, text: s, set: func(v string) { m["content"] = mustRaw(v); *changed = true }})
			continue
		}
		var blocks []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &blocks); err != nil {
			return nil, nil, fmt.Errorf("messages[%d].content must be a string or an array of content blocks", i)
		}
		for _, b := range blocks {
			switch typ, _ := rawString(b["type"]); typ {
			case "text":
				s, _ := rawString(b["text"])
				parts = append(parts, promptPart{role: role, text: s, set: func(v string) {
					b["text"] = mustRaw(v)
					m["content"] = mustRaw(blocks)
					*changed = true
				}})
			case "tool_result":
				if s, ok := rawString(b["content"]); ok {
					parts = append(parts, promptPart{role: "tool", text: s, set: func(v string) {
						b["content"] = mustRaw(v)
						m["content"] = mustRaw(blocks)
						*changed = true
					}})
					continue
				}
				var inner []map[string]json.RawMessage
				if json.Unmarshal(b["content"], &inner) != nil {
					continue
				}
				for _, ib := range inner {
					if t, _ := rawString(ib["type"]); t != "text" {
						continue
					}
					s, _ := rawString(ib["text"])
					parts = append(parts, promptPart{role: "tool", text: s, set: func(v string) {
						ib["text"] = mustRaw(v)
						b["content"] = mustRaw(inner)
						m["content"] = mustRaw(blocks)
						*changed = true
					}})
				}
			}
		}
	}
	return parts, changed, nil
}

// anthropicPromptRefusal answers a blocked prompt with a refusal message.
func (p *proxy) anthropicPromptRefusal(c *gin.Context, stream bool, model string, res *check.Result) {
	id := "msg_warden_" + strings.ReplaceAll(res.ID, "-", "")
	usage := map[string]int{"input_tokens": 0, "output_tokens": 0}
	if !stream {
		c.JSON(http.StatusOK, map[string]any{
			"id": id, "type": "message", "role": "assistant", "model": model, "content": []any{},
			"stop_reason": "refusal", "stop_sequence": nil, "stop_details": refusalDetails(res), "usage": usage,
		})
		return
	}
	w := startSSE(c, nil)
	_ = w.Event("message_start", mustRaw(map[string]any{"type": "message_start", "message": map[string]any{
		"id": id, "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": usage}}))
	_ = w.Event("message_delta", mustRaw(map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": "refusal", "stop_sequence": nil, "stop_details": refusalDetails(res)},
		"usage": map[string]int{"output_tokens": 0}}))
	_ = w.Event("message_stop", []byte(`{"type":"message_stop"}`))
	setTrailers(c, []*check.Result{res})
}

// anthropicWhole filters a non-streamed message: its text blocks are the
// segments of one text.
func (p *proxy) anthropicWhole(ctx context.Context, c *gin.Context, svc *check.Service, resp *http.Response, opts FilterOptions) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxResponseBytes+1))
	if err != nil || int64(len(body)) > p.cfg.MaxResponseBytes {
		code, msg := CodeUpstreamTooLarge, "the upstream answer exceeds WARDEN_PROXY_MAX_RESPONSE_BYTES"
		if err != nil {
			code, msg = upstreamFailure(ctx, err)
		}
		p.recordUpstreamError(ctx, "anthropic", code)
		anthropicError(c, http.StatusBadGateway, code, "api_error", msg)
		return
	}
	var out map[string]json.RawMessage
	var content []map[string]json.RawMessage
	if json.Unmarshal(body, &out) != nil || json.Unmarshal(out["content"], &content) != nil {
		p.recordUpstreamError(ctx, "anthropic", CodeUpstreamMalformed)
		anthropicError(c, http.StatusBadGateway, CodeUpstreamMalformed, "api_error", "the upstream answer is not a message")
		return
	}
	var segs []string
	var idx []int
	for i, b := range content {
		if t, _ := rawString(b["type"]); t == "text" {
			s, _ := rawString(b["text"])
			segs = append(segs, s)
			idx = append(idx, i)
		}
	}
	copyReturnHeaders(c.Writer.Header(), resp.Header)
	if len(segs) > 0 {
		req := check.Request{Tenant: opts.Tenant, Prompt: opts.Prompt, Source: opts.Source, Metadata: opts.Metadata}
		res, outSegs, err := svc.CheckResponse(ctx, req, p.cfg.Plan(), segs...)
		if err != nil {
			anthropicError(c, http.StatusInternalServerError, CodeInternal, "api_error", "the response check failed")
			return
		}
		c.Header(HeaderDecisionID, res.ID)
		c.Header(HeaderAction, res.Action.String())
		if res.Action == types.ActionBlock {
			out["content"] = json.RawMessage("[]")
			out["stop_reason"] = mustRaw("refusal")
			out["stop_sequence"] = rawNull
			out["stop_details"] = mustRaw(refusalDetails(&res))
		} else {
			for k, i := range idx {
				content[i]["text"] = mustRaw(outSegs[k])
			}
			out["content"] = mustRaw(content)
		}
	}
	c.Data(resp.StatusCode, "application/json", mustRaw(out))
}

// anStream filters one streamed message.
type anStream struct {
	p         *proxy
	c         *gin.Context
	w         *sse.Writer
	opts      FilterOptions
	f         *Filter
	textBlock int // index of the open text block, -1 if none
	open      map[int]bool
	outTokens int
	result    *check.Result
	ended     bool
	cancel    context.CancelFunc
}

func (s *anStream) run(ctx context.Context, resp *http.Response) {
	s.w = startSSE(s.c, resp.Header)
	s.p.relay(ctx, "anthropic", s.c, s.w, resp, s)
}

func (s *anStream) done() bool { return s.ended }

func (s *anStream) filters() []*Filter { return []*Filter{s.f} }

func (s *anStream) results() []*check.Result { return []*check.Result{s.result} }

func (s *anStream) blocked() bool { return s.result != nil && s.result.Action == types.ActionBlock }

// tick emits what the hold-back timer released.
func (s *anStream) tick(ctx context.Context, now time.Time) {
	if s.f != nil {
		s.emit(ctx, s.f.Tick(ctx, now))
	}
}

type anEvent struct {
	Type         string                     `json:"type"`
	Index        *int                       `json:"index"`
	ContentBlock map[string]json.RawMessage `json:"content_block"`
	Delta        map[string]json.RawMessage `json:"delta"`
	Message      *struct {
		Usage map[string]json.RawMessage `json:"usage"`
	} `json:"message"`
	Usage map[string]json.RawMessage `json:"usage"`
}

func (s *anStream) handle(ctx context.Context, it eventItem) string {
	if it.err != nil {
		if it.err == io.EOF {
			return s.fail(ctx, errEndedEarly) // message_stop ends a complete stream
		}
		return s.fail(ctx, it.err)
	}
	if it.ev.Comment {
		_ = s.w.Comment(it.ev.Data)
		return ""
	}
	var e anEvent
	if json.Unmarshal(it.ev.Data, &e) != nil {
		return s.fail(ctx, errMalformed)
	}
	name := it.ev.Name
	if name == "" {
		name = e.Type
	}
	switch name {
	case "ping":
		_ = s.w.Event(it.ev.Name, it.ev.Data)
		return ""
	case "error":
		s.step(ctx)
		s.abort(ctx)
		_ = s.w.Event(it.ev.Name, it.ev.Data)
		s.ended = true
		s.p.recordUpstreamError(ctx, "anthropic", "provider_error")
		return "upstream_error"
	case "content_block_delta":
		if e.Index != nil && *e.Index == s.textBlock {
			if t, _ := rawString(e.Delta["type"]); t == "text_delta" {
				text, _ := rawString(e.Delta["text"])
				if f := s.filter(ctx); f != nil {
					f.Feed(text)
				}
				return "" // stepped with the rest of the batch
			}
		}
	case "message_start":
		if e.Message != nil {
			s.tokens(e.Message.Usage)
		}
	}
	s.step(ctx)
	if s.ended {
		return ""
	}
	data := it.ev.Data
	switch name {
	case "content_block_start":
		if e.Index == nil {
			return s.fail(ctx, errMalformed)
		}
		s.open[*e.Index] = true
		if t, _ := rawString(e.ContentBlock["type"]); t == "text" {
			s.textBlock = *e.Index
			if text, _ := rawString(e.ContentBlock["text"]); text != "" {
				// Text in the block's start goes through the filter too.
				if f := s.filter(ctx); f != nil {
					f.Feed(text)
				}
				var raw map[string]json.RawMessage
				_ = json.Unmarshal(data, &raw)
				e.ContentBlock["text"] = mustRaw("")
				raw["content_block"] = mustRaw(e.ContentBlock)
				data = mustRaw(raw)
			}
		}
	case "content_block_stop":
		if e.Index != nil && *e.Index == s.textBlock && s.f != nil {
			s.emit(ctx, s.f.EndSegment(ctx))
			if s.ended {
				return ""
			}
		}
		if e.Index != nil {
			delete(s.open, *e.Index)
			if *e.Index == s.textBlock {
				s.textBlock = -1
			}
		}
	case "message_delta":
		s.tokens(e.Usage)
		if s.f != nil {
			o := s.f.Close(ctx)
			s.emit(ctx, o)
			if s.ended {
				return ""
			}
			s.result = o.Result
		}
	case "message_stop":
		_ = s.w.Event(it.ev.Name, data)
		s.ended = true
		return ""
	}
	_ = s.w.Event(it.ev.Name, data)
	return ""
}

func (s *anStream) tokens(u map[string]json.RawMessage) {
	var n int
	if json.Unmarshal(u["output_tokens"], &n) == nil {
		s.outTokens = n
	}
}

func (s *anStream) filter(ctx context.Context) *Filter {
	if s.f == nil {
		f, err := s.p.e.NewFilter(s.opts)
		if err != nil {
			s.fail(ctx, err)
			return nil
		}
		s.f = f
	}
	return s.f
}

func (s *anStream) step(ctx context.Context) {
	if s.f != nil && !s.ended {
		s.emit(ctx, s.f.Step(ctx))
	}
}

// emit writes released text as a text delta of the open text block, and
// ends the message with a refusal on a block.
func (s *anStream) emit(ctx context.Context, o Output) {
	if s.ended {
		return
	}
	if o.Text != "" && s.textBlock >= 0 {
		_ = s.w.Event("content_block_delta", mustRaw(map[string]any{"type": "content_block_delta", "index": s.textBlock,
			"delta": map[string]any{"type": "text_delta", "text": o.Text}}))
	}
	if o.Done && o.Blocked {
		s.result = o.Result
		idx := make([]int, 0, len(s.open))
		for i := range s.open {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		for _, i := range idx {
			_ = s.w.Event("content_block_stop", mustRaw(map[string]any{"type": "content_block_stop", "index": i}))
		}
		_ = s.w.Event("message_delta", mustRaw(map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": "refusal", "stop_sequence": nil, "stop_details": refusalDetails(o.Result)},
			"usage": map[string]int{"output_tokens": s.outTokens}}))
		_ = s.w.Event("message_stop", []byte(`{"type":"message_stop"}`))
		s.ended = true
		s.cancel()
	}
}

func (s *anStream) fail(ctx context.Context, err error) string {
	if s.ended {
		return ""
	}
	code, msg := upstreamFailure(ctx, err)
	if errors.Is(err, ErrNotReady) {
		code, msg = CodeNotReady, "Warden is loading its models and policy"
	}
	s.abort(ctx)
	s.p.recordUpstreamError(ctx, "anthropic", code)
	_ = s.w.Event("error", mustRaw(map[string]any{"type": "error", "error": map[string]any{"type": "api_error", "code": code, "message": msg}}))
	s.ended = true
	return "upstream_error"
}

func (s *anStream) abort(ctx context.Context) {
	if s.f != nil && !s.f.Done() {
		s.f.Abort(ctx)
		s.result = s.f.result
	}
}
