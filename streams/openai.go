package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/streams/sse"
)

// OpenAI Chat Completions proxy: POST /v1/chat/completions.
//
// The request is forwarded as sent, except that the text of user and tool
// messages is checked first (stage prompt) and rewritten where the policy
// redacts. A blocked prompt is answered the way Azure OpenAI refuses one:
//
//	HTTP 400 {"error": {"message": "...", "type": "invalid_request_error",
//	          "param": null, "code": "content_filter"}}
//
// Each choice's content, refusal and reasoning (reasoning_content,
// reasoning) is filtered as its own text, sent as a string or an array of
// text parts. A streamed choice that is blocked ends with a chunk
// {"index": i, "delta": {}, "finish_reason": "content_filter"}; once every
// choice has ended the stream ends with "data: [DONE]". A non-streamed
// blocked choice has "content": null, no tool calls and
// "finish_reason": "content_filter". logprobs are removed (they repeat the
// raw tokens). Tool calls (function_call too) and annotations pass through
// untouched. Anything else that could carry text — audio, another shape of
// a text field, a field Warden does not know — fails closed with
// upstream_malformed; fields beside the message or delta that Warden does
// not know are dropped. Upstream failures mid-stream end with the SDK's
// error event: data: {"error": {...}}.

func openaiError(c *gin.Context, status int, code, typ, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"message": msg, "type": typ, "param": nil, "code": code}})
}

func (p *proxy) chatCompletions(c *gin.Context) {
	pr, ok := p.decodeRequest(c, func(status int, code, msg string) {
		typ := "invalid_request_error"
		if status >= 500 {
			typ = "server_error"
		}
		openaiError(c, status, code, typ, msg)
	})
	if !ok {
		return
	}
	svc, ri, body, req, msgs := pr.svc, pr.ri, pr.body, pr.req, pr.msgs
	if wantsAudio(req) {
		openaiError(c, http.StatusBadRequest, CodeInvalidRequest, "invalid_request_error",
			`Warden filters text only: audio output (modalities ["audio"]) cannot be checked`)
		return
	}
	stream := string(req["stream"]) == "true"
	n := 1
	if raw, ok := req["n"]; ok && !isNull(raw) {
		if v, err := strconv.Atoi(string(raw)); err == nil && v > 0 && v <= 128 {
			n = v
		}
	}
	parts, changed, err := openaiPromptParts(msgs)
	if err != nil {
		openaiError(c, http.StatusBadRequest, CodeInvalidRequest, "invalid_request_error", err.Error())
		return
	}
	ctx := c.Request.Context()
	pres, checked, err := p.checkPrompt(ctx, svc, ri, parts)
	if err != nil && overloaded(c, err) {
		openaiError(c, http.StatusServiceUnavailable, CodeOverloaded, "server_error", "the guard is overloaded; retry later")
		return
	}
	if err != nil {
		openaiError(c, http.StatusBadRequest, CodeInvalidRequest, "invalid_request_error", err.Error())
		return
	}
	if checked {
		c.Header(HeaderPromptDecisionID, pres.ID)
		if pres.Action == types.ActionBlock && pres.Unjudged() {
			checkFailed(c, &pres, func(status int, msg string) { openaiError(c, status, CodeCheckFailed, "server_error", msg) })
			return
		}
		if pres.Action == types.ActionBlock {
			c.Header(HeaderDecisionID, pres.ID)
			openaiError(c, http.StatusBadRequest, CodeContentFilter, "invalid_request_error",
				"The prompt was "+blockReason(&pres)+" (decision "+pres.ID+").")
			return
		}
		if *changed {
			req["messages"] = mustRaw(msgs)
			body = mustRaw(req)
		}
	}
	t, ok := p.target(p.cfg.openaiUpstream(), "/chat/completions", "/demo/openai/v1")
	if !ok {
		openaiError(c, http.StatusServiceUnavailable, CodeUpstreamNotConfigured, "server_error", "no upstream: set WARDEN_UPSTREAM_URL (or WARDEN_DEMO_UPSTREAM=true)")
		return
	}
	ctx, cancel, resp := p.callUpstream(c, t, body, stream, "openai", func(h http.Header) {
		if p.cfg.UpstreamKey != "" {
			h.Set("Authorization", "Bearer "+p.cfg.UpstreamKey)
		}
	}, func(status int, code, msg string) {
		typ := "upstream_error"
		if code == CodeInternal {
			typ = "server_error"
		}
		openaiError(c, status, code, typ, msg)
	})
	defer cancel()
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	opts := FilterOptions{Tenant: ri.tenant, Prompt: lastUserText(parts, pres), Source: incident.SourceProxy, Metadata: ri.metadata}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/event-stream" {
		s := &oaStream{p: p, c: c, opts: opts, n: n, choices: map[int]*oaChoice{}, cancel: cancel}
		s.run(ctx, resp)
		return
	}
	p.openaiWhole(ctx, c, svc, resp, opts)
}

// wantsAudio reports whether a request asks for audio output, which the
// proxy cannot check (an answer that carries audio fails closed anyway).
func wantsAudio(req map[string]json.RawMessage) bool {
	if !isNull(req["audio"]) {
		return true
	}
	var mods []string
	return json.Unmarshal(req["modalities"], &mods) == nil && slices.Contains(mods, "audio")
}

// passThrough relays an upstream error reply as it is (bounded).
func (p *proxy) passThrough(c *gin.Context, resp *http.Response) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	copyReturnHeaders(c.Writer.Header(), resp.Header)
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/json"
	}
	c.Data(resp.StatusCode, ct, body)
}

// openaiPromptParts lists the text of every message, with setters that
// rewrite msgs in place (and flag the change).
func openaiPromptParts(msgs []map[string]json.RawMessage) ([]promptPart, *bool, error) {
	changed := new(bool)
	var parts []promptPart
	for i, m := range msgs {
		// Keys are read exactly: a "Content" or "Role" that an upstream
		// matching keys case-insensitively would read is refused.
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
		if isNull(raw) {
			continue
		}
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, nil, fmt.Errorf("messages[%d].content must be a string or an array of content parts", i)
		}
		for j, it := range items {
			if !plainKeys(it) {
				return nil, nil, fmt.Errorf("messages[%d].content[%d] has a key that is not lower-case", i, j)
			}
			if typ, _ := rawString(it["type"]); typ != "text" {
				continue
			}
			s, _ := rawString(it["text"])
			parts = append(parts, promptPart{role: role, text: s, set: func(v string) {
				it["text"] = mustRaw(v)
				m["content"] = mustRaw(items)
				*changed = true
			}})
		}
	}
	return parts, changed, nil
}

// oaFields are the texts of a choice, each filtered as a text of its own:
// the answer, a refusal, and the reasoning that OpenAI-compatible servers
// send beside the answer (DeepSeek and vLLM: reasoning_content; others:
// reasoning). Each is a string or an array of text parts.
var oaFields = [...]string{"content", "refusal", "reasoning_content", "reasoning"}

// oaTextField is the index in oaFields of a message or delta field, or -1.
func oaTextField(name string) int {
	for k, f := range oaFields {
		if f == name {
			return k
		}
	}
	return -1
}

// oaPassField reports whether a message or delta field passes untouched:
// the role, tool calls (the legacy function_call too: its arguments are a
// tool call's) and url citations (annotations). Every other field with a
// value — audio, which Warden cannot check, and any field it does not
// know — fails closed.
func oaPassField(name string) bool {
	switch name {
	case "role", "tool_calls", "function_call", "annotations":
		return true
	}
	return false
}

// oaTexts reads a text field: a string, or an array of text parts
// [{"type": "text", "text": "..."}] as some OpenAI-compatible servers send
// (parts is then the decoded array, to rewrite). ok is false for any
// other shape — a number, an object, a part of another type or with other
// fields — which the proxy cannot check.
func oaTexts(raw json.RawMessage) (texts []string, parts []map[string]json.RawMessage, ok bool) {
	if s, ok := rawString(raw); ok {
		return []string{s}, nil, true
	}
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &parts) != nil {
		return nil, nil, false
	}
	for _, pt := range parts {
		for k, v := range pt {
			if k != "type" && k != "text" && !isNull(v) {
				return nil, nil, false
			}
		}
		typ, _ := rawString(pt["type"])
		s, ok := rawString(pt["text"])
		if typ != "text" || !ok {
			return nil, nil, false
		}
		texts = append(texts, s)
	}
	if parts == nil {
		parts = []map[string]json.RawMessage{}
	}
	return texts, parts, true
}

// oaTopFields are the top-level fields of a completion or chunk that
// Warden passes on (others are dropped: a client reads nothing else).
var oaTopFields = []string{"created", "id", "model", "object", "service_tier", "system_fingerprint"}

// oaChoiceFields are the fields of a choice that Warden passes on besides
// message/delta (logprobs are set to null; other fields are dropped).
var oaChoiceFields = []string{"index", "finish_reason", "content_filter_results"}

// openaiWhole filters a non-streamed completion.
func (p *proxy) openaiWhole(ctx context.Context, c *gin.Context, svc *check.Service, resp *http.Response, opts FilterOptions) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxResponseBytes+1))
	if err != nil || int64(len(body)) > p.cfg.MaxResponseBytes {
		code, msg := CodeUpstreamTooLarge, "the upstream answer exceeds WARDEN_PROXY_MAX_RESPONSE_BYTES"
		if err != nil {
			code, msg = upstreamFailure(ctx, err)
		}
		p.recordUpstreamError(ctx, "openai", code)
		openaiError(c, http.StatusBadGateway, code, "upstream_error", msg)
		return
	}
	malformed := func(msg string) {
		p.recordUpstreamError(ctx, "openai", CodeUpstreamMalformed)
		openaiError(c, http.StatusBadGateway, CodeUpstreamMalformed, "upstream_error", msg)
	}
	var in map[string]json.RawMessage
	var choices []map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil || in == nil || json.Unmarshal(in["choices"], &choices) != nil {
		malformed("the upstream answer is not a chat completion")
		return
	}
	// Every message is read before anything is checked: an answer that
	// cannot be checked whole is refused whole.
	msgs := make([]map[string]json.RawMessage, len(choices))
	for i, ch := range choices {
		if ch == nil {
			malformed("the upstream answer is not a chat completion")
			return
		}
		if raw := ch["message"]; !isNull(raw) {
			if json.Unmarshal(raw, &msgs[i]) != nil || msgs[i] == nil {
				malformed(fmt.Sprintf("choices[%d].message is not an object", i))
				return
			}
		}
		for k, v := range msgs[i] {
			if isNull(v) || oaPassField(k) {
				continue
			}
			if _, _, ok := oaTexts(v); oaTextField(k) < 0 || !ok {
				malformed(fmt.Sprintf("the upstream answer carries content Warden cannot check (choices[%d].message.%s)", i, k))
				return
			}
		}
	}
	req := check.Request{Tenant: opts.Tenant, Prompt: opts.Prompt, Source: opts.Source, Metadata: opts.Metadata}
	var ids, actions []string
	outChoices := make([]map[string]json.RawMessage, 0, len(choices))
	for i, ch := range choices {
		msg := msgs[i]
		blocked := false
		for _, field := range oaFields {
			raw, ok := msg[field]
			if !ok || isNull(raw) || blocked {
				continue
			}
			texts, parts, _ := oaTexts(raw)
			if len(texts) == 0 {
				continue
			}
			res, segs, err := svc.CheckResponse(ctx, req, p.cfg.Plan(), texts...)
			if err != nil {
				openaiError(c, http.StatusInternalServerError, CodeInternal, "server_error", "the response check failed")
				return
			}
			ids, actions = append(ids, res.ID), append(actions, res.Action.String())
			if res.Action == types.ActionBlock {
				blocked = true
				continue
			}
			if parts == nil {
				msg[field] = mustRaw(segs[0])
				continue
			}
			for k := range parts {
				parts[k]["text"] = mustRaw(segs[k])
			}
			msg[field] = mustRaw(parts)
		}
		out := map[string]json.RawMessage{}
		for _, k := range oaChoiceFields {
			if v, ok := ch[k]; ok {
				out[k] = v
			}
		}
		if _, ok := ch["logprobs"]; ok {
			out["logprobs"] = rawNull
		}
		if blocked {
			for _, field := range oaFields {
				if _, ok := msg[field]; ok || field == "content" {
					msg[field] = rawNull
				}
			}
			delete(msg, "tool_calls")
			delete(msg, "function_call")
			delete(msg, "annotations")
			out["finish_reason"] = mustRaw("content_filter")
		}
		if msg != nil {
			out["message"] = mustRaw(msg)
		} else if _, ok := ch["message"]; ok {
			out["message"] = rawNull
		}
		outChoices = append(outChoices, out)
	}
	out := map[string]json.RawMessage{}
	for _, k := range slices.Concat(oaTopFields, []string{"usage", "prompt_filter_results"}) {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	out["choices"] = mustRaw(outChoices)
	copyReturnHeaders(c.Writer.Header(), resp.Header)
	c.Header(HeaderDecisionID, strings.Join(ids, ","))
	c.Header(HeaderAction, strings.Join(actions, ","))
	c.Data(resp.StatusCode, "application/json", mustRaw(out))
}

// oaStream filters one streamed chat completion.
type oaStream struct {
	p       *proxy
	c       *gin.Context
	w       *sse.Writer
	opts    FilterOptions
	n       int
	tmpl    []byte   // chunk prefix up to `"choices":`, from the upstream's latest chunk
	tmplKey [][]byte // the fast path's template fields, to reuse tmpl
	choices map[int]*oaChoice
	order   []int
	rs      []*check.Result
	ended   bool
	cancel  context.CancelFunc
}

type oaChoice struct {
	idx      int
	filters  [len(oaFields)]*Filter // one per text field
	done     bool                   // ended: finish chunk sent or blocked
	finished bool                   // the upstream sent its finish_reason
}

func (s *oaStream) choice(idx int) *oaChoice {
	cs, ok := s.choices[idx]
	if !ok {
		cs = &oaChoice{idx: idx}
		s.choices[idx] = cs
		s.order = append(s.order, idx)
		slices.Sort(s.order)
	}
	return cs
}

func (s *oaStream) filters() []*Filter {
	var out []*Filter
	for _, cs := range s.choices {
		out = append(out, cs.filters[:]...)
	}
	return out
}

func (s *oaStream) run(ctx context.Context, resp *http.Response) {
	s.w = startSSE(s.c, resp.Header)
	s.p.relay(ctx, "openai", s.c, s.w, resp, s)
}

func (s *oaStream) done() bool { return s.ended }

func (s *oaStream) results() []*check.Result { return s.rs }

// tick emits what the hold-back timer released.
func (s *oaStream) tick(ctx context.Context, now time.Time) {
	for _, idx := range s.order {
		cs := s.choices[idx]
		for k, f := range cs.filters {
			if f != nil && !s.ended {
				s.emit(ctx, cs, k, f.Tick(ctx, now))
			}
		}
	}
}

func (s *oaStream) blocked() bool {
	for _, r := range s.rs {
		if r != nil && r.Action == types.ActionBlock {
			return true
		}
	}
	return false
}

// handle processes one upstream event; it returns a non-empty outcome
// when the stream ends because of it.
func (s *oaStream) handle(ctx context.Context, it eventItem) string {
	if it.err != nil {
		if it.err == io.EOF {
			return s.eof(ctx)
		}
		return s.fail(ctx, it.err)
	}
	if it.ev.Comment {
		_ = s.w.Comment(it.ev.Data)
		return ""
	}
	data := it.ev.Data
	if string(data) == "[DONE]" {
		s.finishAll(ctx)
		_ = s.w.Event("", data)
		s.ended = true
		return ""
	}
	if s.fastText(ctx, data) {
		return "" // text only: stepped with the rest of the batch
	}
	var chunk map[string]json.RawMessage
	if json.Unmarshal(data, &chunk) != nil {
		return s.fail(ctx, errMalformed)
	}
	if e, ok := chunk["error"]; ok && !isNull(e) {
		// The provider's own mid-stream error: relay it as it is.
		s.abort(ctx)
		_ = s.w.Event(it.ev.Name, data)
		s.ended = true
		s.p.recordUpstreamError(ctx, "openai", "provider_error")
		return "upstream_error"
	}
	var choices []map[string]json.RawMessage
	if raw, ok := chunk["choices"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &choices) != nil {
			return s.fail(ctx, errMalformed)
		}
	}
	s.setTemplate(chunk)
	pure := len(choices) > 0 && isNull(chunk["usage"]) && isNull(chunk["prompt_filter_results"])
	type parsed struct {
		cs         *oaChoice
		raw        map[string]json.RawMessage
		delta      map[string]json.RawMessage
		role       json.RawMessage // a role that must go out before this chunk's text
		finish     bool
		other      bool
		meaningful bool
	}
	type feed struct {
		cs   *oaChoice
		k    int
		text string
	}
	ps := make([]parsed, 0, len(choices))
	var feeds []feed
	roles := false
	for _, ch := range choices {
		var idx int
		if ch == nil || json.Unmarshal(ch["index"], &idx) != nil || idx < 0 || idx > 1024 {
			return s.fail(ctx, errMalformed)
		}
		var delta map[string]json.RawMessage
		if raw := ch["delta"]; !isNull(raw) && json.Unmarshal(raw, &delta) != nil {
			return s.fail(ctx, errMalformed)
		}
		cs := s.choice(idx)
		pc := parsed{cs: cs, raw: ch, delta: delta, finish: !isNull(ch["finish_reason"])}
		fed := false
		for key, v := range delta {
			if isNull(v) {
				continue
			}
			k := oaTextField(key)
			if k < 0 {
				if !oaPassField(key) {
					return s.fail(ctx, errUnchecked) // audio, or a field Warden does not know
				}
				if key != "role" {
					pc.other = true
				}
				continue
			}
			texts, parts, ok := oaTexts(v)
			if !ok {
				return s.fail(ctx, errUnchecked)
			}
			for _, text := range texts {
				if text != "" && !cs.done {
					feeds = append(feeds, feed{cs, k, text})
					fed = true
				}
			}
			// The text goes out in Warden's own chunks, as a string; an
			// empty string stays (a role chunk's "content": "").
			if parts != nil || texts[0] != "" {
				delete(delta, key)
			}
		}
		if role := delta["role"]; fed && !isNull(role) {
			pc.role = role
			delete(delta, "role")
			roles = true
		}
		pc.meaningful = meaningful(delta)
		if pc.finish || pc.meaningful || pc.role != nil {
			pure = false
		}
		ps = append(ps, pc)
	}
	if roles {
		// A role opens a choice's message: it goes out before this
		// chunk's text, after the text that came before it.
		s.step(ctx)
		if s.ended {
			return ""
		}
		var rc []map[string]json.RawMessage
		for _, pc := range ps {
			if pc.role != nil && !pc.cs.done {
				rc = append(rc, map[string]json.RawMessage{"index": mustRaw(pc.cs.idx),
					"delta": mustRaw(map[string]json.RawMessage{"role": pc.role}), "logprobs": rawNull, "finish_reason": rawNull})
			}
		}
		if len(rc) > 0 {
			_ = s.w.Event(it.ev.Name, s.chunkOf(rc, nil))
		}
	}
	for _, fd := range feeds {
		if fd.cs.done {
			continue
		}
		fl := s.filter(ctx, fd.cs, fd.k)
		if fl == nil {
			return "error"
		}
		fl.Feed(fd.text)
	}
	if pure {
		return "" // text only: stepped with the rest of the batch
	}
	s.step(ctx)
	var out []map[string]json.RawMessage
	for _, pc := range ps {
		cs := pc.cs
		if cs.done {
			continue
		}
		if pc.other {
			for k, f := range cs.filters {
				if f != nil {
					s.emit(ctx, cs, k, f.EndSegment(ctx))
				}
			}
			if cs.done {
				continue
			}
		}
		if pc.finish {
			cs.finished = true
			if s.closeChoice(ctx, cs) {
				continue // blocked: its content_filter finish was sent
			}
		}
		if !pc.meaningful && !pc.finish {
			continue
		}
		// The choice is rebuilt from the fields Warden knows: nothing
		// else the upstream put beside the delta goes on.
		if pc.delta == nil {
			pc.delta = map[string]json.RawMessage{}
		}
		c := map[string]json.RawMessage{"delta": mustRaw(pc.delta), "logprobs": rawNull}
		for _, k := range oaChoiceFields {
			if v, ok := pc.raw[k]; ok {
				c[k] = v
			}
		}
		out = append(out, c)
		if pc.finish {
			cs.done = true
		}
	}
	if len(out) == 0 && len(choices) > 0 {
		s.checkAllDone(ctx)
		return ""
	}
	extra := map[string]json.RawMessage{}
	for _, k := range []string{"usage", "prompt_filter_results"} {
		if v, ok := chunk[k]; ok {
			extra[k] = v
		}
	}
	_ = s.w.Event(it.ev.Name, s.chunkOf(outOrEmpty(out), extra))
	s.checkAllDone(ctx)
	return ""
}

// chunkOf builds a chunk from the upstream's latest top-level fields,
// choices and extra top-level fields (usage).
func (s *oaStream) chunkOf(choices []map[string]json.RawMessage, extra map[string]json.RawMessage) []byte {
	b := make([]byte, 0, len(s.tmpl)+256)
	if s.tmpl == nil {
		b = append(b, `{"choices":`...)
	} else {
		b = append(b, s.tmpl...)
	}
	b = append(b, mustRaw(choices)...)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = append(b, mustRaw(k)...)
		b = append(b, ':')
		b = append(b, extra[k]...)
	}
	return append(b, '}')
}

// meaningful reports whether a delta says anything once its text is
// taken out: a role, tool calls (not nulls or empty text).
func meaningful(delta map[string]json.RawMessage) bool {
	for k, v := range delta {
		if isNull(v) || (oaTextField(k) >= 0 && string(v) == `""`) {
			continue
		}
		return true
	}
	return false
}

func outOrEmpty(out []map[string]json.RawMessage) []map[string]json.RawMessage {
	if out == nil {
		return []map[string]json.RawMessage{}
	}
	return out
}

func (s *oaStream) filter(ctx context.Context, cs *oaChoice, k int) *Filter {
	if cs.filters[k] == nil {
		f, err := s.p.e.NewFilter(s.opts)
		if err != nil {
			s.fail(ctx, err)
			return nil
		}
		cs.filters[k] = f
	}
	return cs.filters[k]
}

// step decides on the text fed to every choice and emits what is
// released.
func (s *oaStream) step(ctx context.Context) {
	for _, idx := range s.order {
		cs := s.choices[idx]
		for k, f := range cs.filters {
			if f != nil && !cs.done && !s.ended {
				s.emit(ctx, cs, k, f.Step(ctx))
			}
		}
	}
}

// emit writes released text of filter k of a choice, and its end if it
// blocked.
func (s *oaStream) emit(ctx context.Context, cs *oaChoice, k int, o Output) {
	if cs.done || s.ended {
		return
	}
	if o.Text != "" {
		_ = s.w.Event("", s.chunk(cs.idx, oaFields[k], o.Text, ""))
	}
	if o.Done && o.Blocked {
		s.block(ctx, cs, o.Result)
	}
}

// chunk builds a chunk for one choice from the upstream's latest chunk:
// delta {field: text} (an empty delta when field is ""), finish_reason
// finish (null when "").
func (s *oaStream) chunk(idx int, field, text, finish string) []byte {
	b := make([]byte, 0, len(s.tmpl)+len(text)+96)
	if s.tmpl == nil {
		b = append(b, `{"choices":`...)
	} else {
		b = append(b, s.tmpl...)
	}
	b = append(b, `[{"index":`...)
	b = strconv.AppendInt(b, int64(idx), 10)
	b = append(b, `,"delta":{`...)
	if field != "" {
		b = append(b, '"')
		b = append(b, field...)
		b = append(b, `":`...)
		b = append(b, mustRaw(text)...)
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = append(b, mustRaw(finish)...)
	}
	return append(b, "}]}"...)
}

// setTemplate keeps the top-level fields of an upstream chunk that Warden
// knows (id, model, created, ...; oaTopFields) for the chunks Warden
// writes. Other fields are dropped.
func (s *oaStream) setTemplate(chunk map[string]json.RawMessage) {
	b := []byte{'{'}
	for _, k := range oaTopFields { // sorted
		if _, ok := chunk[k]; !ok {
			continue
		}
		b = append(b, mustRaw(k)...)
		b = append(b, ':')
		b = append(b, chunk[k]...)
		b = append(b, ',')
	}
	s.tmpl = append(b, `"choices":`...)
	s.tmplKey = nil
}

// fastChunk is the shape of an OpenAI chunk that carries only text. It is
// decoded strictly: any other field sends the chunk down the general path.
type fastChunk struct {
	ID                json.RawMessage `json:"id"`
	Object            json.RawMessage `json:"object"`
	Created           json.RawMessage `json:"created"`
	Model             json.RawMessage `json:"model"`
	SystemFingerprint json.RawMessage `json:"system_fingerprint"`
	ServiceTier       json.RawMessage `json:"service_tier"`
	Obfuscation       json.RawMessage `json:"obfuscation"`
	Usage             json.RawMessage `json:"usage"`
	Choices           []struct {
		Index        int             `json:"index"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
		Delta        struct {
			Content          *string `json:"content"`
			Refusal          *string `json:"refusal"`
			ReasoningContent *string `json:"reasoning_content"`
			Reasoning        *string `json:"reasoning"`
		} `json:"delta"`
	} `json:"choices"`
}

// fastText handles a chunk that only carries text (the bulk of a stream)
// without the general path's maps: it feeds the text and reports true, or
// reports false for anything else.
func (s *oaStream) fastText(ctx context.Context, data []byte) bool {
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var fc fastChunk
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if dec.Decode(&fc) != nil || dec.More() || len(fc.Choices) == 0 || !isNull(fc.Usage) {
		return false
	}
	for _, ch := range fc.Choices {
		d := ch.Delta
		if ch.FinishReason != nil || ch.Index < 0 || ch.Index > 1024 || (d.Content == nil && d.Refusal == nil && d.ReasoningContent == nil && d.Reasoning == nil) {
			return false
		}
	}
	key := [][]byte{fc.Created, fc.ID, fc.Model, fc.Object, fc.ServiceTier, fc.SystemFingerprint}
	if !slices.EqualFunc(key, s.tmplKey, bytes.Equal) {
		m := map[string]json.RawMessage{}
		for i, k := range []string{"created", "id", "model", "object", "service_tier", "system_fingerprint"} {
			if key[i] != nil {
				m[k] = key[i]
			}
		}
		s.setTemplate(m)
		s.tmplKey = key
	}
	for _, ch := range fc.Choices {
		cs := s.choice(ch.Index)
		if cs.done {
			continue
		}
		d := ch.Delta
		for k, text := range [len(oaFields)]*string{d.Content, d.Refusal, d.ReasoningContent, d.Reasoning} {
			if text == nil || *text == "" {
				continue
			}
			if f := s.filter(ctx, cs, k); f != nil {
				f.Feed(*text)
			}
		}
	}
	return true
}

// block ends a choice with finish_reason content_filter.
func (s *oaStream) block(ctx context.Context, cs *oaChoice, res *check.Result) {
	if cs.done {
		return
	}
	cs.done = true
	for _, f := range cs.filters {
		if f != nil && !f.Done() {
			f.Abort(ctx)
		}
	}
	s.rs = append(s.rs, res)
	_ = s.w.Event("", s.chunk(cs.idx, "", "", "content_filter"))
	s.checkAllDone(ctx)
}

// checkAllDone ends the stream once every requested choice has ended and
// one of them was cut by a block: nothing more may be sent for it, so the
// upstream is cancelled (choices that all finished normally wait for the
// upstream's usage chunk and [DONE]).
func (s *oaStream) checkAllDone(ctx context.Context) {
	if s.ended || len(s.choices) < s.n {
		return
	}
	cut := false
	for _, cs := range s.choices {
		if !cs.done {
			return
		}
		if !cs.finished {
			cut = true
		}
	}
	if cut {
		_ = s.w.Event("", []byte("[DONE]"))
		s.ended = true
		s.cancel()
	}
}

// closeChoice ends the texts of a choice (its finish_reason arrived). It
// reports whether the choice was blocked.
func (s *oaStream) closeChoice(ctx context.Context, cs *oaChoice) bool {
	for k, f := range cs.filters {
		if f == nil || cs.done {
			continue
		}
		o := f.Close(ctx)
		s.emit(ctx, cs, k, o)
		if !o.Blocked && o.Result != nil {
			s.rs = append(s.rs, o.Result)
		}
	}
	return cs.done
}

// finishAll closes choices still open at [DONE] or the end of the stream.
func (s *oaStream) finishAll(ctx context.Context) {
	s.step(ctx)
	for _, idx := range s.order {
		cs := s.choices[idx]
		if !cs.done {
			s.closeChoice(ctx, cs)
			cs.done = true
		}
	}
}

// eof handles the end of the upstream body without [DONE].
func (s *oaStream) eof(ctx context.Context) string {
	complete := len(s.choices) > 0
	for _, cs := range s.choices {
		if !cs.finished && !cs.done {
			complete = false
		}
	}
	if !complete {
		return s.fail(ctx, errEndedEarly)
	}
	s.finishAll(ctx)
	_ = s.w.Event("", []byte("[DONE]"))
	s.ended = true
	return ""
}

// fail ends the stream on an upstream failure with the SDK's error event.
func (s *oaStream) fail(ctx context.Context, err error) string {
	if s.ended {
		return ""
	}
	code, msg := upstreamFailure(ctx, err)
	if errors.Is(err, ErrNotReady) {
		code, msg = CodeNotReady, "Warden is loading its models and policy"
	}
	s.abort(ctx)
	s.p.recordUpstreamError(ctx, "openai", code)
	_ = s.w.Event("", mustRaw(map[string]any{"error": map[string]any{"message": msg, "type": "upstream_error", "param": nil, "code": code}}))
	s.ended = true
	return "upstream_error"
}

func (s *oaStream) abort(ctx context.Context) {
	for _, cs := range s.choices {
		for _, f := range cs.filters {
			if f != nil && !f.Done() {
				f.Abort(ctx)
				if r := f.result; r != nil {
					s.rs = append(s.rs, r)
				}
			}
		}
	}
}
