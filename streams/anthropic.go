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
// User text, documents, search results and tool results are checked first
// (stage prompt; the system prompt is the operator's and is not). A blocked prompt is answered the
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
// Text that cannot be attributed to the open text block, and events in a
// shape that could carry text past the filter, fail closed with
// upstream_malformed. Upstream failures mid-stream end with an "error"
// event.

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
		if pres.Action == types.ActionBlock && pres.Unjudged() {
			checkFailed(c, &pres, func(status int, msg string) { anthropicError(c, status, CodeCheckFailed, "api_error", msg) })
			return
		}
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
		s := &anStream{p: p, c: c, opts: opts, blocks: map[int]*anBlock{}, cancel: cancel}
		s.run(ctx, resp)
		return
	}
	p.anthropicWhole(ctx, c, svc, resp, opts)
}

// anthropicPromptParts lists the text the model will read in the
// messages: text blocks, tool results, documents (plain text and content
// sources, title and context) and search results (title and text), with
// setters that rewrite msgs in place (and flag the change). Keys are read
// exactly: a message, block or source with a key that is not lower-case
// (a "Text" an upstream matching keys case-insensitively would read) is
// refused.
func anthropicPromptParts(msgs []map[string]json.RawMessage) ([]promptPart, *bool, error) {
	changed := new(bool)
	var parts []promptPart
	for i, m := range msgs {
		if !plainKeys(m) {
			return nil, nil, fmt.Errorf("messages[%d] has a key that is not lower-case", i)
		}
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
		commit := func() { m["content"] = mustRaw(blocks); *changed = true }
		for j, b := range blocks {
			var bad bool
			if parts, bad = anthropicBlockParts(parts, role, b, commit); bad {
				return nil, nil, fmt.Errorf("messages[%d].content[%d] has a key that is not lower-case", i, j)
			}
		}
	}
	return parts, changed, nil
}

// anthropicBlockParts appends the text of a content block to parts; a
// setter rewrites the block and calls commit, which writes the blocks
// around it back. bad reports a block, inner block or source with a key
// that is not lower-case.
func anthropicBlockParts(parts []promptPart, role string, b map[string]json.RawMessage, commit func()) (_ []promptPart, bad bool) {
	if !plainKeys(b) {
		return parts, true
	}
	// field adds the string field key of obj (a part when present).
	field := func(obj map[string]json.RawMessage, key, role string, commit func()) {
		if s, ok := rawString(obj[key]); ok {
			parts = append(parts, promptPart{role: role, text: s, set: func(v string) { obj[key] = mustRaw(v); commit() }})
		}
	}
	// inner adds the blocks of obj[key], a string or an array of blocks.
	inner := func(obj map[string]json.RawMessage, key, role string, commit func()) {
		if _, ok := rawString(obj[key]); ok {
			field(obj, key, role, commit)
			return
		}
		var in []map[string]json.RawMessage
		if json.Unmarshal(obj[key], &in) != nil {
			return
		}
		up := func() { obj[key] = mustRaw(in); commit() }
		for _, ib := range in {
			var ibad bool
			if parts, ibad = anthropicBlockParts(parts, role, ib, up); ibad {
				bad = true
			}
		}
	}
	switch typ, _ := rawString(b["type"]); typ {
	case "text":
		field(b, "text", role, commit)
	case "tool_result":
		inner(b, "content", "tool", commit)
	case "document":
		field(b, "title", role, commit)
		field(b, "context", role, commit)
		var src map[string]json.RawMessage
		if json.Unmarshal(b["source"], &src) != nil || src == nil {
			break
		}
		if !plainKeys(src) {
			return parts, true
		}
		up := func() { b["source"] = mustRaw(src); commit() }
		switch st, _ := rawString(src["type"]); st {
		case "text":
			field(src, "data", role, up)
		case "content":
			inner(src, "content", role, up)
		}
	case "search_result":
		field(b, "title", role, commit)
		inner(b, "content", role, commit)
	}
	return parts, bad
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
	setTrailers(c, []*check.Result{res}, false)
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
	malformed := func(msg string) {
		p.recordUpstreamError(ctx, "anthropic", CodeUpstreamMalformed)
		anthropicError(c, http.StatusBadGateway, CodeUpstreamMalformed, "api_error", msg)
	}
	if json.Unmarshal(body, &out) != nil || out == nil || json.Unmarshal(out["content"], &content) != nil {
		malformed("the upstream answer is not a message")
		return
	}
	if !plainKeys(out) {
		malformed("the upstream answer carries content Warden cannot check (a key that is not lower-case)")
		return
	}
	var segs []string
	var idx []int
	for i, b := range content {
		if b == nil {
			malformed("the upstream answer is not a message")
			return
		}
		t, _ := rawString(b["type"])
		s, ok := rawString(b["text"])
		switch {
		case !plainKeys(b):
			malformed(fmt.Sprintf("the upstream answer carries content Warden cannot check (content[%d] has a key that is not lower-case)", i))
			return
		case t == "text" && !ok, t != "text" && !isNull(b["text"]):
			malformed(fmt.Sprintf("the upstream answer carries content Warden cannot check (content[%d].text)", i))
			return
		case t == "text":
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
	textBlock int  // index of the open text block, when inText
	inText    bool // a text block is open
	blocks    map[int]*anBlock
	closed    bool // message_delta closed the text: no more may come
	outTokens int
	result    *check.Result
	ended     bool
	cancel    context.CancelFunc
}

// anBlock is a content block that was started.
type anBlock struct {
	typ     string
	stopped bool
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

// anEvent is an upstream event as the proxy reads it: exact keys only
// (encoding/json's struct decoding would match "Delta" to delta).
type anEvent struct {
	name      string
	raw       map[string]json.RawMessage
	index     int
	hasIndex  bool
	block     map[string]json.RawMessage // content_block_start
	blockType string
	deltaType string // content_block_delta
	text      string // a text_delta's text, a text block's starting text
	usage     map[string]json.RawMessage
}

// anPassDeltas are the delta types that pass untouched (tool input,
// thinking, its signature, citations). text_delta is filtered; any other
// type fails closed.
var anPassDeltas = map[string]bool{"input_json_delta": true, "thinking_delta": true, "signature_delta": true, "citations_delta": true}

// parseAnEvent reads an upstream event. It fails with errMalformed on an
// event that is not a JSON object, and with errUnchecked on one that could
// carry text past the filter: a key that is not lower-case ASCII (at the
// levels read: the event, its delta, content_block and message), an event
// name its type contradicts, a text that is not a string, a "text" field
// outside text_delta and text blocks, a delta type Warden does not know, a
// message_start that carries content.
func parseAnEvent(ev sse.Event) (anEvent, error) {
	e := anEvent{name: ev.Name}
	if json.Unmarshal(ev.Data, &e.raw) != nil || e.raw == nil {
		return e, errMalformed
	}
	if !plainKeys(e.raw) {
		return e, errUnchecked
	}
	typ, ok := rawString(e.raw["type"])
	if !ok && !isNull(e.raw["type"]) {
		return e, errMalformed
	}
	switch {
	case e.name == "":
		e.name = typ
	case typ != "" && typ != e.name:
		return e, errUnchecked // clients dispatch on either
	}
	if raw, ok := e.raw["index"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &e.index) != nil || e.index < 0 {
			return e, errMalformed
		}
		e.hasIndex = true
	}
	object := func(key string) (map[string]json.RawMessage, error) {
		var m map[string]json.RawMessage
		if json.Unmarshal(e.raw[key], &m) != nil || m == nil {
			return nil, errMalformed
		}
		if !plainKeys(m) {
			return nil, errUnchecked
		}
		return m, nil
	}
	var err error
	switch e.name {
	case "content_block_start":
		if e.block, err = object("content_block"); err != nil {
			return e, err
		}
		if !e.hasIndex {
			return e, errMalformed
		}
		if e.blockType, ok = rawString(e.block["type"]); !ok {
			return e, errMalformed
		}
		text := e.block["text"]
		if e.blockType == "text" {
			if e.text, ok = rawString(text); !ok && !isNull(text) {
				return e, errUnchecked
			}
		} else if !isNull(text) {
			return e, errUnchecked
		}
	case "content_block_delta":
		d, err := object("delta")
		if err != nil {
			return e, err
		}
		if !e.hasIndex {
			return e, errUnchecked // text that cannot be attributed to a block
		}
		e.deltaType, _ = rawString(d["type"])
		switch {
		case e.deltaType == "text_delta":
			if e.text, ok = rawString(d["text"]); !ok {
				return e, errUnchecked
			}
		case !anPassDeltas[e.deltaType] || !isNull(d["text"]):
			return e, errUnchecked
		}
	case "content_block_stop":
		if !e.hasIndex {
			return e, errMalformed
		}
	case "message_start":
		m, err := object("message")
		if err != nil {
			return e, err
		}
		var content []json.RawMessage
		if c := m["content"]; !isNull(c) && (json.Unmarshal(c, &content) != nil || len(content) > 0) {
			return e, errUnchecked // content arrives in content blocks
		}
		_ = json.Unmarshal(m["usage"], &e.usage)
	case "message_delta":
		if raw := e.raw["delta"]; !isNull(raw) {
			if _, err := object("delta"); err != nil {
				return e, err
			}
		}
		_ = json.Unmarshal(e.raw["usage"], &e.usage)
	}
	return e, nil
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
	e, err := parseAnEvent(it.ev)
	if err != nil {
		return s.fail(ctx, err)
	}
	switch e.name {
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
		if e.deltaType == "text_delta" {
			// Text belongs to the open text block, or to nothing the
			// filter can release it in: a delta for another block, a
			// block never started or already stopped, after the message's
			// end.
			if !s.inText || e.index != s.textBlock || s.closed {
				return s.fail(ctx, errUnchecked)
			}
			if f := s.filter(ctx); f != nil {
				f.Feed(e.text)
			}
			return "" // stepped with the rest of the batch
		}
	case "message_start":
		s.tokens(e.usage)
	}
	s.step(ctx)
	if s.ended {
		return ""
	}
	data := it.ev.Data
	switch e.name {
	case "content_block_start":
		if s.blocks[e.index] != nil {
			return s.fail(ctx, errMalformed) // a block started twice
		}
		s.blocks[e.index] = &anBlock{typ: e.blockType}
		if e.blockType == "text" {
			if s.closed || s.inText {
				// After the message's end, or inside another text block
				// (blocks come one after the other): the released text
				// could not be told apart from the other block's.
				return s.fail(ctx, errUnchecked)
			}
			s.textBlock, s.inText = e.index, true
			if e.text != "" {
				// Text in the block's start goes through the filter too.
				if f := s.filter(ctx); f != nil {
					f.Feed(e.text)
				}
				e.block["text"] = mustRaw("")
				e.raw["content_block"] = mustRaw(e.block)
				data = mustRaw(e.raw)
			}
		}
	case "content_block_delta":
		if b := s.blocks[e.index]; b == nil || b.stopped || s.closed {
			return s.fail(ctx, errUnchecked)
		}
	case "content_block_stop":
		b := s.blocks[e.index]
		if b == nil || b.stopped {
			return s.fail(ctx, errMalformed)
		}
		if s.inText && e.index == s.textBlock {
			if s.f != nil {
				s.emit(ctx, s.f.EndSegment(ctx))
				if s.ended {
					return ""
				}
			}
			s.inText = false
		}
		b.stopped = true
	case "message_delta":
		s.tokens(e.usage)
		s.closed = true
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
	if o.Text != "" && s.inText {
		_ = s.w.Event("content_block_delta", mustRaw(map[string]any{"type": "content_block_delta", "index": s.textBlock,
			"delta": map[string]any{"type": "text_delta", "text": o.Text}}))
	}
	if o.Done && o.Blocked {
		s.result = o.Result
		idx := make([]int, 0, len(s.blocks))
		for i, b := range s.blocks {
			if !b.stopped {
				idx = append(idx, i)
			}
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
