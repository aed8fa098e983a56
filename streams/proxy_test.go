package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/streams/sse"
)

// ---- fake upstreams (the only fakes: the LLM providers) ----

// upstream is a fake provider. Its handler streams a script; it records
// the requests it saw and whether a request was cancelled before its end.
type upstream struct {
	srv       *httptest.Server
	mu        sync.Mutex
	bodies    [][]byte
	headers   []http.Header
	cancelled atomic.Int32
	finished  atomic.Int32
	script    func(w *upWriter, r *http.Request, body map[string]any)
}

// upWriter writes raw SSE to the fake's response, flushing each write.
type upWriter struct {
	w   http.ResponseWriter
	r   *http.Request
	err error
}

func (u *upWriter) raw(s string) bool {
	if u.err != nil {
		return false
	}
	if _, err := io.WriteString(u.w, s); err != nil {
		u.err = err
		return false
	}
	u.w.(http.Flusher).Flush()
	return u.r.Context().Err() == nil
}

func (u *upWriter) event(name string, v any) bool {
	data, ok := v.(string)
	if !ok {
		data = mustJSON(v)
	}
	return u.raw(string(sse.AppendEvent(nil, name, []byte(data))))
}

func (u *upWriter) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-u.r.Context().Done():
		return false
	}
}

func newUpstream(t testing.TB, script func(w *upWriter, r *http.Request, body map[string]any)) *upstream {
	u := &upstream{script: script}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		u.mu.Lock()
		u.bodies = append(u.bodies, b)
		u.headers = append(u.headers, r.Header.Clone())
		u.mu.Unlock()
		if stream, _ := body["stream"].(bool); stream {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("X-Request-Id", "req_fake")
		}
		uw := &upWriter{w: w, r: r}
		u.script(uw, r, body)
		if r.Context().Err() != nil {
			u.cancelled.Add(1)
		} else {
			u.finished.Add(1)
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) lastBody(t testing.TB) map[string]any {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.bodies) == 0 {
		t.Fatal("the upstream saw no request")
	}
	var m map[string]any
	_ = json.Unmarshal(u.bodies[len(u.bodies)-1], &m)
	return m
}

func (u *upstream) lastHeader() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.headers[len(u.headers)-1]
}

// oaChunk is an OpenAI chat.completion.chunk.
func oaChunk(idx int, delta map[string]any, finish any) map[string]any {
	return map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": "gpt-fake",
		"system_fingerprint": "fp", "choices": []any{map[string]any{"index": idx, "delta": delta,
			"logprobs": map[string]any{"content": []any{map[string]any{"token": "RAW", "logprob": -0.1}}}, "finish_reason": finish}}}
}

// openaiScript streams pieces as content deltas (a role chunk first, a
// finish chunk, a usage chunk, [DONE]); fault changes the end.
func openaiScript(pieces []string, fault string, delay time.Duration) func(w *upWriter, r *http.Request, body map[string]any) {
	return func(w *upWriter, r *http.Request, body map[string]any) {
		if stream, _ := body["stream"].(bool); !stream {
			w.w.Header().Set("Content-Type", "application/json")
			w.raw(mustJSON(map[string]any{"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": "gpt-fake",
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": strings.Join(pieces, ""), "refusal": nil},
					"logprobs": nil, "finish_reason": "stop"}},
				"usage": map[string]any{"prompt_tokens": 3, "completion_tokens": len(pieces), "total_tokens": 3 + len(pieces)}}))
			return
		}
		if !w.event("", oaChunk(0, map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)) {
			return
		}
		for i, p := range pieces {
			if delay > 0 && !w.sleep(delay) {
				return
			}
			if fault == "disconnect" && i == len(pieces)/2 {
				panic(http.ErrAbortHandler) // cut the connection mid-stream
			}
			if fault == "malformed" && i == len(pieces)/2 {
				w.raw("data: {\"choices\": [\n\n")
				return
			}
			if fault == "huge" && i == len(pieces)/2 {
				w.event("", oaChunk(0, map[string]any{"content": strings.Repeat("x", 10<<20)}, nil))
				return
			}
			if fault == "hang" && i == len(pieces)/2 {
				<-r.Context().Done()
				return
			}
			if fault == "error" && i == len(pieces)/2 {
				w.event("", map[string]any{"error": map[string]any{"message": "The server had an error", "type": "server_error", "param": nil, "code": nil}})
				return
			}
			if fault == "empty" {
				w.event("", oaChunk(0, map[string]any{"content": ""}, nil))
				w.raw(": keep-alive\n\n")
			}
			if fault == "long" {
				p = strings.Repeat(p, 40)
			}
			if !w.event("", oaChunk(0, map[string]any{"content": p}, nil)) {
				return
			}
		}
		if fault == "eof" {
			return
		}
		w.event("", oaChunk(0, map[string]any{}, "stop"))
		w.event("", map[string]any{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": "gpt-fake", "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 3, "completion_tokens": len(pieces), "total_tokens": 3 + len(pieces)}})
		w.event("", "[DONE]")
	}
}

// anthropicScript streams pieces as text deltas of block 0, then (when
// tool is set) a tool_use block, in Anthropic's event sequence.
func anthropicScript(pieces []string, fault string, tool bool) func(w *upWriter, r *http.Request, body map[string]any) {
	return func(w *upWriter, r *http.Request, body map[string]any) {
		text := strings.Join(pieces, "")
		if stream, _ := body["stream"].(bool); !stream {
			w.w.Header().Set("Content-Type", "application/json")
			content := []any{map[string]any{"type": "text", "text": text}}
			w.raw(mustJSON(map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake",
				"content": content, "stop_reason": "end_turn", "stop_sequence": nil, "usage": map[string]any{"input_tokens": 3, "output_tokens": 9}}))
			return
		}
		w.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": "msg_fake", "type": "message", "role": "assistant",
			"model": "claude-fake", "content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 3, "output_tokens": 1}}})
		w.event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		w.event("ping", map[string]any{"type": "ping"})
		for i, p := range pieces {
			if fault == "disconnect" && i == len(pieces)/2 {
				panic(http.ErrAbortHandler)
			}
			if fault == "error" && i == len(pieces)/2 {
				w.event("error", map[string]any{"type": "error", "error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}})
				return
			}
			if fault == "hang" && i == len(pieces)/2 {
				<-r.Context().Done()
				return
			}
			if !w.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": p}}) {
				return
			}
		}
		w.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
		stop := "end_turn"
		if tool {
			stop = "tool_use"
			w.event("content_block_start", map[string]any{"type": "content_block_start", "index": 1, "content_block": map[string]any{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": map[string]any{}}})
			w.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 1, "delta": map[string]any{"type": "input_json_delta", "partial_json": `{"city": "jane.doe@mail-host.org"}`}})
			w.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 1})
		}
		w.event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 9}})
		w.event("message_stop", map[string]any{"type": "message_stop"})
	}
}

// ---- Warden in front of it ----

type warden struct {
	srv *httptest.Server
	svc *check.Service
	rec *memRecorder
	eng *Engine
}

func newWarden(t testing.TB, svc *check.Service, rec *memRecorder, mod func(*Config)) *warden {
	t.Helper()
	cfg := Default()
	if mod != nil {
		mod(&cfg)
	}
	a := api.New(api.Options{Checker: svc})
	eng, err := Register(a.Engine(), Deps{Config: cfg, Service: func() *check.Service { return svc }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &warden{srv: srv, svc: svc, rec: rec, eng: eng}
}

func wardenFor(t testing.TB, up *upstream, mod func(*Config)) *warden {
	svc, rec := newTestService(t, nil, newReDetector())
	return newWarden(t, svc, rec, func(c *Config) {
		c.MaxHoldBackTime = 30 * time.Second // slow -race runs must not hit it
		if up != nil {
			c.UpstreamURL = up.srv.URL + "/v1"
			c.AnthropicUpstreamURL = up.srv.URL
		}
		if mod != nil {
			mod(c)
		}
	})
}

func post(t testing.TB, url string, body any, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(mustJSON(body)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readSSE reads every event of a response.
func readSSE(t testing.TB, r io.Reader) ([]sse.Event, error) {
	t.Helper()
	rd := sse.NewReader(r, 32<<20)
	var out []sse.Event
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// oaResult is what an OpenAI client makes of a stream.
type oaResult struct {
	text    string
	finish  string
	done    bool
	usage   bool
	errCode string
	chunks  int
	raw     []map[string]any
}

func collectOpenAI(t testing.TB, evs []sse.Event) oaResult {
	var r oaResult
	for _, ev := range evs {
		if ev.Comment {
			continue
		}
		if r.done {
			t.Fatalf("event after [DONE]: %q", ev.Data)
		}
		if string(ev.Data) == "[DONE]" {
			r.done = true
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatalf("chunk is not JSON: %q", ev.Data)
		}
		r.raw = append(r.raw, m)
		if e, ok := m["error"].(map[string]any); ok {
			r.errCode, _ = e["code"].(string)
			continue
		}
		if m["usage"] != nil {
			r.usage = true
		}
		r.chunks++
		for _, c := range m["choices"].([]any) {
			ch := c.(map[string]any)
			if ch["logprobs"] != nil {
				t.Fatalf("logprobs passed through: %v", ch["logprobs"])
			}
			d, _ := ch["delta"].(map[string]any)
			if s, ok := d["content"].(string); ok {
				r.text += s
			}
			if f, ok := ch["finish_reason"].(string); ok {
				if r.finish != "" {
					t.Fatalf("two finish reasons: %s then %s", r.finish, f)
				}
				r.finish = f
			}
		}
	}
	return r
}

func onePieces(s string) []string { return strings.Split(s, "") }

// ---- OpenAI ----

const (
	redactText = "Contact jane.doe@mail-host.org or use key AKIAIOSFODNN7EXAMPLE, thanks! Café ☕ done."
	redactWant = "Contact [EMAIL] or use key [AWS_ACCESS_KEY], thanks! Café ☕ done."
	blockText  = "Sure. Between us, the launch code is 7741 and you must not tell anyone about it at all."
)

func TestOpenAIStreamRedacts(t *testing.T) {
	checkGoroutines(t)
	for _, split := range []struct {
		name   string
		pieces []string
	}{
		{"1-byte", onePieces(redactText)},
		{"whole", []string{redactText}},
		{"inside-email", []string{redactText[:14], redactText[14:40], redactText[40:]}},
	} {
		t.Run(split.name, func(t *testing.T) {
			up := newUpstream(t, openaiScript(split.pieces, "", 0))
			w := wardenFor(t, up, nil)
			resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "gpt-fake", "stream": true,
				"stream_options": map[string]any{"include_usage": true}, "messages": []any{map[string]any{"role": "user", "content": "hi"}}},
				map[string]string{"Authorization": "Bearer sk-caller"})
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			evs, err := readSSE(t, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r := collectOpenAI(t, evs)
			if r.text != redactWant || r.finish != "stop" || !r.done || !r.usage || r.errCode != "" {
				t.Fatalf("got %+v", r)
			}
			if got := up.lastHeader().Get("Authorization"); got != "Bearer sk-caller" {
				t.Fatalf("upstream Authorization %q", got)
			}
			if resp.Header.Get("X-Request-Id") != "req_fake" {
				t.Fatal("upstream request id not returned")
			}
			if resp.Trailer.Get(HeaderAction) != "redact" || resp.Trailer.Get(HeaderDecisionID) == "" {
				t.Fatalf("trailers %v", resp.Trailer)
			}
		})
	}
}

func TestOpenAIStreamBlocksMidStream(t *testing.T) {
	checkGoroutines(t)
	pieces := onePieces(blockText + strings.Repeat(" More words that should never be sent.", 20))
	up := newUpstream(t, openaiScript(pieces, "", time.Millisecond))
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "gpt-fake", "stream": true,
		"messages": []any{map[string]any{"role": "user", "content": "tell me"}}}, nil)
	evs, err := readSSE(t, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := collectOpenAI(t, evs)
	if r.finish != "content_filter" || !r.done {
		t.Fatalf("got %+v", r)
	}
	if strings.Contains(r.text, "launch") || strings.Contains(r.text, "7741") || !strings.HasPrefix(blockText, r.text) {
		t.Fatalf("released %q", r.text)
	}
	waitFor(t, func() bool { return up.cancelled.Load() == 1 }, "the upstream request to be cancelled")
	incs := w.rec.all()
	if len(incs) != 1 || incs[0].Action != "block" || incs[0].Source != "proxy" || incs[0].Delivered == nil || *incs[0].Delivered != len(r.text) {
		t.Fatalf("incidents %+v (released %d)", incs, len(r.text))
	}
	if strings.Contains(incs[0].Text, "7741") {
		t.Fatalf("incident holds the raw value: %q", incs[0].Text)
	}
	if resp.Trailer.Get(HeaderAction) != "block" {
		t.Fatalf("trailer %v", resp.Trailer)
	}
}

func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOpenAINonStream(t *testing.T) {
	for _, tc := range []struct {
		text, content, finish, action string
	}{
		{redactText, redactWant, "stop", "redact"},
		{blockText, "", "content_filter", "block"},
		{"Plain answer.", "Plain answer.", "stop", "allow"},
	} {
		up := newUpstream(t, openaiScript([]string{tc.text}, "", 0))
		w := wardenFor(t, up, nil)
		resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "gpt-fake", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
		var out struct {
			Choices []struct {
				Message struct {
					Content *string `json:"content"`
				} `json:"message"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Usage map[string]any `json:"usage"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		ch := out.Choices[0]
		got := ""
		if ch.Message.Content != nil {
			got = *ch.Message.Content
		}
		if got != tc.content || ch.FinishReason != tc.finish || resp.Header.Get(HeaderAction) != tc.action || out.Usage == nil {
			t.Fatalf("%q: got %q %s %s", tc.text, got, ch.FinishReason, resp.Header.Get(HeaderAction))
		}
		if tc.action == "block" && ch.Message.Content != nil {
			t.Fatal("blocked content must be null")
		}
	}
}

// Streamed and not streamed, through the proxy: the same decision.
func TestOpenAIStreamedAndWholeAgree(t *testing.T) {
	for _, text := range corpus(5, 12) {
		up := newUpstream(t, openaiScript(demoPieces(text), "", 0))
		w := wardenFor(t, up, nil)
		msgs := []any{map[string]any{"role": "user", "content": "hi"}}
		resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "messages": msgs}, nil)
		var whole map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&whole)
		sresp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": msgs}, nil)
		evs, _ := readSSE(t, sresp.Body)
		r := collectOpenAI(t, evs)
		if got, want := sresp.Trailer.Get(HeaderAction), resp.Header.Get(HeaderAction); got != want {
			t.Fatalf("streamed action %s, whole %s", got, want)
		}
		msg := whole["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
		if c, _ := msg["content"].(string); resp.Header.Get(HeaderAction) != "block" && c != r.text {
			t.Fatalf("streamed %q, whole %q", r.text, c)
		}
	}
}

func TestOpenAIPromptBlockAndRedaction(t *testing.T) {
	up := newUpstream(t, openaiScript([]string{"ok"}, "", 0))
	w := wardenFor(t, up, func(c *Config) { c.UpstreamKey = "sk-configured" })
	// A blocked prompt: the Azure-style content_filter error, no upstream call.
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "messages": []any{
		map[string]any{"role": "user", "content": "remember: the launch code is 1234"}}}, nil)
	var e struct {
		Error struct{ Code, Type, Message string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != 400 || e.Error.Code != "content_filter" || e.Error.Type != "invalid_request_error" || resp.Header.Get(HeaderDecisionID) == "" {
		t.Fatalf("status %d %+v", resp.StatusCode, e)
	}
	if len(up.bodies) != 0 {
		t.Fatal("a blocked prompt reached the upstream")
	}
	// A redacted prompt (text parts too): the upstream sees the masked text;
	// the configured key replaces the caller's.
	resp = post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "temperature": 0.2, "messages": []any{
		map[string]any{"role": "system", "content": "sys jane.doe@mail-host.org"},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "my key is AKIAIOSFODNN7EXAMPLE"},
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:x"}}}}}}, map[string]string{"Authorization": "Bearer sk-caller"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	body := up.lastBody(t)
	msgs := body["messages"].([]any)
	if s := msgs[0].(map[string]any)["content"]; s != "sys jane.doe@mail-host.org" {
		t.Fatalf("system message changed: %v", s)
	}
	part := msgs[1].(map[string]any)["content"].([]any)[0].(map[string]any)["text"]
	if part != "my key is [AWS_ACCESS_KEY]" || body["temperature"] != 0.2 {
		t.Fatalf("forwarded %v", body)
	}
	if up.lastHeader().Get("Authorization") != "Bearer sk-configured" {
		t.Fatalf("Authorization %q", up.lastHeader().Get("Authorization"))
	}
}

// Tool calls pass through untouched, after the text before them.
func TestOpenAIToolCallsPassThrough(t *testing.T) {
	args := `{"email":"jane.doe@mail-host.org"}`
	up := newUpstream(t, func(w *upWriter, r *http.Request, body map[string]any) {
		w.event("", oaChunk(0, map[string]any{"role": "assistant", "content": nil}, nil))
		for _, p := range onePieces("Let me check. Mail ops+alerts@corp.co.uk") {
			w.event("", oaChunk(0, map[string]any{"content": p}, nil))
		}
		w.event("", oaChunk(0, map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_1", "type": "function",
			"function": map[string]any{"name": "lookup", "arguments": ""}}}}, nil))
		for _, p := range []string{args[:10], args[10:]} {
			w.event("", oaChunk(0, map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": p}}}}, nil))
		}
		w.event("", oaChunk(0, map[string]any{}, "tool_calls"))
		w.event("", "[DONE]")
	})
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	evs, _ := readSSE(t, resp.Body)
	r := collectOpenAI(t, evs)
	var gotArgs string
	sawText := false
	for _, m := range r.raw {
		for _, c := range m["choices"].([]any) {
			d, _ := c.(map[string]any)["delta"].(map[string]any)
			if s, _ := d["content"].(string); s != "" {
				if gotArgs != "" {
					t.Fatal("text after the tool call")
				}
				sawText = true
			}
			if tc, ok := d["tool_calls"].([]any); ok {
				fn := tc[0].(map[string]any)["function"].(map[string]any)
				a, _ := fn["arguments"].(string)
				gotArgs += a
			}
		}
	}
	if !sawText || r.text != "Let me check. Mail [EMAIL]" || gotArgs != args || r.finish != "tool_calls" || !r.done {
		t.Fatalf("text %q args %q finish %s", r.text, gotArgs, r.finish)
	}
}

// Two choices are filtered apart: one blocked, one redacted.
func TestOpenAITwoChoices(t *testing.T) {
	up := newUpstream(t, func(w *upWriter, r *http.Request, body map[string]any) {
		a, b := onePieces(blockText), onePieces(redactText)
		for i := 0; i < max(len(a), len(b)); i++ {
			if i < len(a) {
				w.event("", oaChunk(0, map[string]any{"content": a[i]}, nil))
			}
			if i < len(b) {
				w.event("", oaChunk(1, map[string]any{"content": b[i]}, nil))
			}
		}
		w.event("", oaChunk(1, map[string]any{}, "stop"))
		w.event("", "[DONE]")
	})
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "n": 2, "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	evs, _ := readSSE(t, resp.Body)
	texts, finish := map[int]string{}, map[int]string{}
	for _, ev := range evs {
		var m map[string]any
		if json.Unmarshal(ev.Data, &m) != nil {
			continue
		}
		for _, c := range m["choices"].([]any) {
			ch := c.(map[string]any)
			idx := int(ch["index"].(float64))
			d, _ := ch["delta"].(map[string]any)
			s, _ := d["content"].(string)
			texts[idx] += s
			if f, ok := ch["finish_reason"].(string); ok {
				finish[idx] = f
			}
		}
	}
	if finish[0] != "content_filter" || finish[1] != "stop" || texts[1] != redactWant || strings.Contains(texts[0], "7741") {
		t.Fatalf("texts %v finish %v", texts, finish)
	}
}

// ---- Anthropic ----

type anResult struct {
	text       string
	stop       string
	types      []string
	errType    string
	refusalWhy string
}

func collectAnthropic(t testing.TB, evs []sse.Event) anResult {
	var r anResult
	open := map[float64]bool{}
	for _, ev := range evs {
		if ev.Comment {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatalf("event is not JSON: %q", ev.Data)
		}
		if m["type"] != ev.Name {
			t.Fatalf("event %q carries type %v", ev.Name, m["type"])
		}
		r.types = append(r.types, ev.Name)
		switch ev.Name {
		case "content_block_start":
			open[m["index"].(float64)] = true
		case "content_block_stop":
			if !open[m["index"].(float64)] {
				t.Fatalf("stop of a block not open: %v", m)
			}
			delete(open, m["index"].(float64))
		case "content_block_delta":
			d := m["delta"].(map[string]any)
			if d["type"] == "text_delta" {
				r.text += d["text"].(string)
			}
		case "message_delta":
			d := m["delta"].(map[string]any)
			r.stop, _ = d["stop_reason"].(string)
			if sd, ok := d["stop_details"].(map[string]any); ok {
				r.refusalWhy, _ = sd["explanation"].(string)
			}
			if _, ok := m["usage"].(map[string]any)["output_tokens"]; !ok {
				t.Fatal("message_delta without usage.output_tokens")
			}
		case "message_stop":
			if len(open) != 0 {
				t.Fatalf("message_stop with blocks open: %v", open)
			}
		case "error":
			r.errType, _ = m["error"].(map[string]any)["type"].(string)
		}
	}
	return r
}

func TestAnthropicStream(t *testing.T) {
	checkGoroutines(t)
	cases := []struct {
		name   string
		pieces []string
		tool   bool
		text   string
		stop   string
	}{
		{"redact", onePieces(redactText), false, redactWant, "end_turn"},
		{"block", onePieces(blockText + strings.Repeat(" more", 100)), false, "", "refusal"},
		{"tool", onePieces(redactText), true, redactWant, "tool_use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, anthropicScript(tc.pieces, "", tc.tool))
			w := wardenFor(t, up, func(c *Config) { c.AnthropicUpstreamKey = "sk-ant-configured" })
			resp := post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "claude-fake", "max_tokens": 100, "stream": true,
				"messages": []any{map[string]any{"role": "user", "content": "hi"}}}, map[string]string{"x-api-key": "sk-ant-caller", "anthropic-version": "2023-06-01"})
			evs, err := readSSE(t, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r := collectAnthropic(t, evs)
			if r.stop != tc.stop || r.types[len(r.types)-1] != "message_stop" {
				t.Fatalf("got %+v", r)
			}
			if tc.stop == "refusal" {
				if strings.Contains(r.text, "7741") || !strings.HasPrefix(blockText, r.text) || !strings.Contains(r.refusalWhy, "FORBIDDEN") {
					t.Fatalf("released %q (%s)", r.text, r.refusalWhy)
				}
			} else if r.text != tc.text {
				t.Fatalf("text %q", r.text)
			}
			if h := up.lastHeader(); h.Get("X-Api-Key") != "sk-ant-configured" || h.Get("Anthropic-Version") != "2023-06-01" {
				t.Fatalf("upstream headers %v", h)
			}
			if tc.tool && !strings.Contains(strings.Join(r.types, ","), "content_block_start,content_block_delta,content_block_stop,message_delta") {
				t.Fatalf("tool_use events not passed: %v", r.types)
			}
		})
	}
}

func TestAnthropicNonStreamAndPromptRefusal(t *testing.T) {
	up := newUpstream(t, anthropicScript([]string{redactText}, "", false))
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "claude-fake", "max_tokens": 10,
		"messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	var msg map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&msg)
	if c := msg["content"].([]any)[0].(map[string]any)["text"]; c != redactWant || msg["stop_reason"] != "end_turn" {
		t.Fatalf("got %v", msg)
	}
	for _, stream := range []bool{false, true} {
		resp = post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "claude-fake", "max_tokens": 10, "stream": stream,
			"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "tool_result", "tool_use_id": "t",
				"content": []any{map[string]any{"type": "text", "text": "the launch code is 9999"}}}}}}}, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if stream {
			evs, _ := readSSE(t, resp.Body)
			r := collectAnthropic(t, evs)
			if r.stop != "refusal" || strings.Join(r.types, ",") != "message_start,message_delta,message_stop" {
				t.Fatalf("got %+v", r)
			}
			continue
		}
		_ = json.NewDecoder(resp.Body).Decode(&msg)
		if msg["stop_reason"] != "refusal" || len(msg["content"].([]any)) != 0 || msg["stop_details"].(map[string]any)["type"] != "refusal" {
			t.Fatalf("got %v", msg)
		}
	}
	if len(up.bodies) != 1 {
		t.Fatalf("blocked prompts reached the upstream: %d requests", len(up.bodies))
	}
}

// ---- faults: every failure ends cleanly, no goroutine is left behind ----

func TestFaults(t *testing.T) {
	checkGoroutines(t)
	text := onePieces("Some answer text that goes on for a while, long enough to be cut in the middle.")
	cases := []struct {
		name, fault string
		idle        time.Duration
		wantCode    string
		wantText    bool
	}{
		{"disconnect", "disconnect", 0, CodeUpstreamDisconnected, false},
		{"malformed", "malformed", 0, CodeUpstreamMalformed, false},
		{"10MB chunk", "huge", 0, CodeUpstreamTooLarge, false},
		{"provider error", "error", 0, "", false},
		{"ends without finish", "eof", 0, CodeUpstreamDisconnected, false},
		{"idle upstream", "hang", 300 * time.Millisecond, CodeUpstreamTimeout, false},
		{"empty chunks and keep-alives", "empty", 0, "", true},
		{"answer too long", "long", 0, CodeUpstreamTooLarge, false},
	}
	for _, tc := range cases {
		t.Run("openai "+tc.name, func(t *testing.T) {
			up := newUpstream(t, openaiScript(text, tc.fault, 0))
			w := wardenFor(t, up, func(c *Config) {
				if tc.idle > 0 {
					c.UpstreamIdleTimeout = tc.idle
				}
				if tc.fault == "long" {
					c.MaxResponseBytes = 1024
					c.HoldBackBytes, c.MaxHoldBackBytes = 64, 64
				}
			})
			resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
			evs, err := readSSE(t, resp.Body)
			if err != nil {
				t.Fatalf("the client's stream broke instead of ending cleanly: %v", err)
			}
			r := collectOpenAI(t, evs)
			switch {
			case tc.wantText:
				if r.text != strings.Join(text, "") || r.finish != "stop" || !r.done {
					t.Fatalf("got %+v", r)
				}
			case tc.fault == "error":
				if r.raw[len(r.raw)-1]["error"] == nil {
					t.Fatalf("provider error not relayed: %+v", r)
				}
			default:
				if r.errCode != tc.wantCode || r.done {
					t.Fatalf("got %+v, want error %s", r, tc.wantCode)
				}
			}
		})
	}
	for _, fault := range []string{"disconnect", "error", "hang"} {
		t.Run("anthropic "+fault, func(t *testing.T) {
			up := newUpstream(t, anthropicScript(text, fault, false))
			w := wardenFor(t, up, func(c *Config) { c.UpstreamIdleTimeout = 300 * time.Millisecond })
			resp := post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "m", "max_tokens": 5, "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
			evs, err := readSSE(t, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			r := collectAnthropic(t, evs)
			if r.types[len(r.types)-1] != "error" || r.errType == "" {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

// The client goes away mid-stream: the upstream request is cancelled.
func TestClientGoesAway(t *testing.T) {
	checkGoroutines(t)
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		t.Run(path, func(t *testing.T) {
			long := onePieces(strings.Repeat("words and more words ", 200))
			var up *upstream
			if path == "/v1/messages" {
				up = newUpstream(t, func(w *upWriter, r *http.Request, body map[string]any) {
					slow := make([]string, 0, len(long))
					slow = append(slow, long...)
					anthropicScript(slow, "hang", false)(w, r, body)
				})
			} else {
				up = newUpstream(t, openaiScript(long, "", 5*time.Millisecond))
			}
			w := wardenFor(t, up, nil)
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.srv.URL+path, strings.NewReader(mustJSON(map[string]any{
				"model": "m", "max_tokens": 5, "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}})))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 256)
			if _, err := resp.Body.Read(buf); err != nil {
				t.Fatal(err)
			}
			cancel()
			resp.Body.Close()
			waitFor(t, func() bool { return up.cancelled.Load() == 1 }, "the upstream request to be cancelled")
		})
	}
}

// A slow upstream that keeps sending within the idle timeout completes.
func TestSlowUpstreamCompletes(t *testing.T) {
	up := newUpstream(t, openaiScript(demoPieces(redactText), "", 20*time.Millisecond))
	w := wardenFor(t, up, func(c *Config) { c.UpstreamIdleTimeout = 200 * time.Millisecond })
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	evs, _ := readSSE(t, resp.Body)
	if r := collectOpenAI(t, evs); r.text != redactWant || r.finish != "stop" {
		t.Fatalf("got %+v", r)
	}
}

func TestUpstreamErrorsAndConfig(t *testing.T) {
	// Provider error replies pass through with their status and body.
	up := newUpstream(t, func(w *upWriter, r *http.Request, body map[string]any) {
		w.w.Header().Set("Content-Type", "application/json")
		w.w.Header().Set("Retry-After", "3")
		w.w.WriteHeader(429)
		w.raw(`{"error":{"message":"Rate limit","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`)
	})
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || !strings.Contains(string(b), "rate_limit_exceeded") {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	// Unreachable upstream: 502 with a stable code.
	w = wardenFor(t, nil, func(c *Config) { c.UpstreamURL = "http://127.0.0.1:1/v1"; c.Demo = false })
	resp = post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 502 || !strings.Contains(string(b), CodeUpstreamUnavailable) {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	// No upstream and no demo: 503 upstream_not_configured.
	resp = post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(b), CodeUpstreamNotConfigured) {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	// Bad requests.
	for _, tc := range []struct {
		body, code string
		hdr        map[string]string
		status     int
	}{
		{`{"messages": "x"}`, CodeInvalidRequest, nil, 400},
		{`not json`, CodeInvalidJSON, nil, 400},
		{`{"messages":[{"role":"user","content":"hi"}]}`, CodeInvalidTenant, map[string]string{HeaderTenant: "bad tenant!"}, 400},
		{`{"messages":[{"role":"user","content":"` + strings.Repeat("a", 3000) + `"}]}`, CodeBodyTooLarge, nil, 413},
	} {
		w := wardenFor(t, nil, func(c *Config) { c.MaxRequestBytes = 2048 })
		for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(tc.body))
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if resp.StatusCode != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("%s %s: %d %+v", path, tc.body[:min(20, len(tc.body))], resp.StatusCode, e)
			}
		}
	}
	// Not ready.
	a := api.New(api.Options{})
	if _, err := Register(a.Engine(), Deps{Config: Default(), Service: func() *check.Service { return nil }}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	resp = post(t, srv.URL+"/v1/chat/completions", map[string]any{"messages": []any{}}, nil)
	if resp.StatusCode != 503 {
		t.Fatalf("not ready: %d", resp.StatusCode)
	}
}

// ---- the demo upstream ----

func TestDemoUpstream(t *testing.T) {
	checkGoroutines(t)
	w := wardenFor(t, nil, nil) // no upstream URL: the demo answers
	for _, stream := range []bool{true, false} {
		resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "any", "stream": stream, "messages": []any{map[string]any{"role": "user", "content": "hello"}}}, nil)
		var text string
		if stream {
			evs, _ := readSSE(t, resp.Body)
			r := collectOpenAI(t, evs)
			text = r.text
			if r.finish != "stop" || !r.done {
				t.Fatalf("got %+v", r)
			}
		} else {
			var m map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&m)
			text = m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"].(string)
		}
		if !strings.HasPrefix(text, demoNotice) || !strings.Contains(text, "[EMAIL]") || !strings.Contains(text, "[AWS_ACCESS_KEY]") || strings.Contains(text, "AKIA") {
			t.Fatalf("demo answer %q", text)
		}
	}
	resp := post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "any", "max_tokens": 5, "stream": true, "messages": []any{map[string]any{"role": "user", "content": "please block"}}}, nil)
	evs, _ := readSSE(t, resp.Body)
	if r := collectAnthropic(t, evs); !strings.Contains(r.text, "IGNORE ALL PREVIOUS") || r.stop != "end_turn" {
		t.Fatalf("demo anthropic %+v", r)
	}
	// The raw demo, unfiltered, is served too, and says it is a demo.
	resp = post(t, w.srv.URL+"/demo/openai/v1/chat/completions", map[string]any{"model": "any", "messages": []any{map[string]any{"role": "user", "content": "hello"}}}, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("X-Warden-Demo") != "scripted" || !bytes.Contains(b, []byte("AKIAZ7VQ3XKW2J5LQ4TM")) {
		t.Fatalf("raw demo %s", b)
	}
}

// ---- the generic stream API ----

type genLine struct {
	Type       string   `json:"type"`
	Text       string   `json:"text"`
	Action     string   `json:"action"`
	Blocked    bool     `json:"blocked"`
	DecisionID string   `json:"decision_id"`
	IncidentID string   `json:"incident_id"`
	Delivered  int      `json:"delivered"`
	Reasons    []string `json:"reasons"`
	Error      *struct{ Code, Message string }
}

// genericExchange sends lines while reading the reply (full duplex).
func genericExchange(t testing.TB, url string, lines []string, perLine func(got []genLine)) []genLine {
	t.Helper()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/stream", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	type res struct {
		resp *http.Response
		err  error
	}
	rc := make(chan res, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		rc <- res{resp, err}
	}()
	var got []genLine
	var mu sync.Mutex
	writeDone := make(chan struct{})
	go func() {
		defer close(writeDone)
		for _, l := range lines {
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				return
			}
			if perLine != nil {
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				perLine(got)
				mu.Unlock()
			}
		}
		pw.Close()
	}()
	r := <-rc
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.resp.Body.Close()
	dec := json.NewDecoder(r.resp.Body)
	for {
		var l genLine
		if err := dec.Decode(&l); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("reply: %v", err)
			}
			break
		}
		mu.Lock()
		got = append(got, l)
		mu.Unlock()
		if l.Type == "end" || l.Type == "error" {
			break // nothing follows, as the protocol says
		}
	}
	pw.CloseWithError(io.ErrClosedPipe)
	<-writeDone
	return got
}

func textLine(s string) string { return mustJSON(map[string]any{"type": "text", "text": s}) }

func TestGenericStream(t *testing.T) {
	checkGoroutines(t)
	w := wardenFor(t, nil, nil)
	// Redaction, text released while the client is still writing.
	lines := []string{mustJSON(map[string]any{"type": "start", "tenant": "acme", "prompt": "hi"})}
	for _, p := range onePieces(redactText + strings.Repeat(" and then some more plain words", 30)) {
		lines = append(lines, textLine(p))
	}
	lines = append(lines, `{"type":"end"}`)
	releasedEarly := false
	got := genericExchange(t, w.srv.URL, lines, func(got []genLine) {
		if len(got) > 0 {
			releasedEarly = true
		}
	})
	var text strings.Builder
	for _, l := range got[:len(got)-1] {
		text.WriteString(l.Text)
	}
	end := got[len(got)-1]
	if !strings.HasPrefix(text.String(), redactWant) || end.Type != "end" || end.Action != "redact" || end.Delivered != text.Len() || end.DecisionID == "" {
		t.Fatalf("text %q end %+v", text.String(), end)
	}
	if !releasedEarly {
		t.Fatal("nothing was released before the client finished writing")
	}
	// Block: the reply ends at once with blocked: true.
	lines = nil
	for _, p := range onePieces(blockText + strings.Repeat(" never sent", 50)) {
		lines = append(lines, textLine(p))
	}
	got = genericExchange(t, w.srv.URL, lines, nil)
	end = got[len(got)-1]
	if !end.Blocked || end.Action != "block" || end.IncidentID == "" {
		t.Fatalf("end %+v", end)
	}
	// Bad lines, and a 10 MB line.
	got = genericExchange(t, w.srv.URL, []string{textLine("ok"), `{"type":"bogus"}`}, nil)
	if got[len(got)-1].Error == nil || got[len(got)-1].Error.Code != CodeInvalidLine {
		t.Fatalf("got %+v", got)
	}
	got = genericExchange(t, w.srv.URL, []string{textLine("ok"), textLine(strings.Repeat("x", 10<<20))}, nil)
	if got[len(got)-1].Error == nil || got[len(got)-1].Error.Code != CodeLineTooLarge {
		t.Fatalf("got %+v", got[len(got)-1])
	}
	// A first line that is bad is an HTTP error.
	resp := post(t, w.srv.URL+"/v1/stream", map[string]any{"type": "start", "tenant": "bad tenant"}, nil)
	if resp.StatusCode != 400 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// An empty body is an empty text.
	resp, _ = http.Post(w.srv.URL+"/v1/stream", "application/x-ndjson", strings.NewReader(""))
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"type":"end"`) {
		t.Fatalf("empty body: %s", b)
	}
}

// A client that stops mid-exchange leaves nothing behind.
func TestGenericClientGoesAway(t *testing.T) {
	checkGoroutines(t)
	w := wardenFor(t, nil, nil)
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.srv.URL+"/v1/stream", pr)
	go func() {
		for i := 0; i < 100; i++ {
			if _, err := io.WriteString(pw, textLine(fmt.Sprintf("piece %d of a long text. ", i))+"\n"); err != nil {
				return
			}
		}
	}()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_, _ = resp.Body.Read(buf)
	cancel()
	resp.Body.Close()
	pw.CloseWithError(io.ErrClosedPipe)
}

// overloadedScorer refuses every text the way a full batching queue does.
type overloadedScorer struct{}

func (overloadedScorer) Score(context.Context, types.Stage, []string) ([]types.Scores, error) {
	return nil, &classifiers.OverloadError{Model: "injection", Queued: 1024, Limit: 1024, Wait: 1500 * time.Millisecond}
}

func (overloadedScorer) Versions() map[string]string { return map[string]string{"injection": "1"} }

// A full classifier queue at the prompt check is "retry later" (503 with
// Retry-After) on both proxies, not a block and not a pass: nothing is
// sent upstream.
func TestProxiesOverloaded(t *testing.T) {
	up := newUpstream(t, openaiScript([]string{"never"}, "", 0))
	rec := &memRecorder{}
	svc := check.New(overloadedScorer{}, newReDetector(), testPolicy(t, nil), rec, check.Options{FailOpen: map[types.Stage]bool{}})
	w := newWarden(t, svc, rec, func(c *Config) {
		c.UpstreamURL = up.srv.URL + "/v1"
		c.AnthropicUpstreamURL = up.srv.URL
	})
	msgs := []any{map[string]any{"role": "user", "content": "hi"}}
	for _, tc := range []struct{ path, typ string }{
		{"/v1/chat/completions", "server_error"},
		{"/v1/messages", "overloaded_error"},
	} {
		resp := post(t, w.srv.URL+tc.path, map[string]any{"model": "m", "max_tokens": 10, "messages": msgs}, nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" ||
			!strings.Contains(string(b), `"`+CodeOverloaded+`"`) || !strings.Contains(string(b), tc.typ) {
			t.Fatalf("%s: %d Retry-After %q %s", tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	up.mu.Lock()
	n := len(up.bodies)
	up.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d requests reached the upstream", n)
	}
	if len(rec.all()) != 0 {
		t.Fatal("an overload recorded an incident")
	}
}

// slowDetector is the test detector behind a fixed delay: a scoring step
// that takes longer than the upstream's idle timeout.
type slowDetector struct {
	check.Detector
	d time.Duration
}

func (s slowDetector) Detect(ctx context.Context, text string) ([]types.Finding, error) {
	time.Sleep(s.d)
	return s.Detector.Detect(ctx, text)
}

// The idle timeout measures the upstream's silence, not Warden's own
// scoring: events that arrived while a step ran longer than the timeout
// are read, not taken for a silent upstream.
func TestIdleTimeoutIgnoresSlowSteps(t *testing.T) {
	up := newUpstream(t, openaiScript(demoPieces(redactText), "", 10*time.Millisecond))
	svc, rec := newTestService(t, nil, slowDetector{newReDetector(), 150 * time.Millisecond})
	w := newWarden(t, svc, rec, func(c *Config) {
		c.MaxHoldBackTime = 30 * time.Second
		c.UpstreamURL = up.srv.URL + "/v1"
		c.UpstreamIdleTimeout = 50 * time.Millisecond
	})
	resp := post(t, w.srv.URL+"/v1/chat/completions", map[string]any{"model": "m", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}, nil)
	evs, _ := readSSE(t, resp.Body)
	if r := collectOpenAI(t, evs); r.text != redactWant || r.finish != "stop" {
		t.Fatalf("got %+v", r)
	}
}
