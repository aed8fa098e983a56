package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/streams/sse"
)

// The proxies never pass on model text they have not checked: text in a
// shape they filter is filtered; text in a shape they do not understand
// fails closed (upstream_malformed). These tests send such shapes from a
// fake provider and look for the raw text in everything the client gets.

// secretMail is the text that must never reach the client raw.
const secretMail = "jane.doe@example.com"

// rawUpstream answers streamed requests with sse (raw SSE text) and whole
// requests with whole (raw JSON).
func rawUpstream(t testing.TB, sseText, whole string) *upstream {
	return newUpstream(t, func(w *upWriter, r *http.Request, body map[string]any) {
		if stream, _ := body["stream"].(bool); stream {
			w.raw(sseText)
			return
		}
		w.w.Header().Set("Content-Type", "application/json")
		w.raw(whole)
	})
}

// oaRawChunk is one OpenAI chunk event with a raw delta and finish_reason.
func oaRawChunk(delta, finish string) string {
	return `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":` +
		delta + `,"logprobs":null,"finish_reason":` + finish + "}]}\n\n"
}

func oaRawEnd() string { return oaRawChunk(`{}`, `"stop"`) + "data: [DONE]\n\n" }

// streamBody reads a whole SSE reply and its events.
func streamBody(t testing.TB, resp *http.Response) (string, []sse.Event) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := readSSE(t, strings.NewReader(string(b)))
	if err != nil {
		t.Fatalf("reply is not SSE: %v", err)
	}
	return string(b), evs
}

func chatRequest(stream bool) map[string]any {
	return map[string]any{"model": "m", "max_tokens": 50, "stream": stream, "messages": []any{map[string]any{"role": "user", "content": "hi"}}}
}

// Non-streamed OpenAI answers: every text field is filtered, in every
// shape it comes in; a shape that cannot be checked is a 502.
func TestOpenAIWholeContentShapes(t *testing.T) {
	msg := func(m string) string {
		return `{"id":"c1","object":"chat.completion","created":1,"model":"fake","choices":[{"index":0,"message":` + m +
			`,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`
	}
	for _, tc := range []struct {
		name, body string
		status     int
		action     string
		check      func(t *testing.T, m map[string]any)
	}{
		{"text parts", msg(`{"role":"assistant","content":[{"type":"text","text":"Mail jane.doe@example.com, "},{"type":"text","text":"key AKIAIOSFODNN7EXAMPLE"}]}`), 200, "redact",
			func(t *testing.T, m map[string]any) {
				parts := m["content"].([]any)
				if parts[0].(map[string]any)["text"] != "Mail [EMAIL], " || parts[1].(map[string]any)["text"] != "key [AWS_ACCESS_KEY]" {
					t.Fatalf("parts %v", parts)
				}
			}},
		{"number", msg(`{"role":"assistant","content":4111111111111111}`), 502, "", nil},
		{"object", msg(`{"role":"assistant","content":{"text":"jane.doe@example.com"}}`), 502, "", nil},
		{"part of another type", msg(`{"role":"assistant","content":[{"type":"output_text","text":"jane.doe@example.com"}]}`), 502, "", nil},
		{"part with a case-variant key", msg(`{"role":"assistant","content":[{"type":"text","text":"ok","Text":"jane.doe@example.com"}]}`), 502, "", nil},
		{"reasoning_content", msg(`{"role":"assistant","content":"ok","reasoning_content":"Thinking of jane.doe@example.com"}`), 200, "allow,redact",
			func(t *testing.T, m map[string]any) {
				if m["reasoning_content"] != "Thinking of [EMAIL]" || m["content"] != "ok" {
					t.Fatalf("message %v", m)
				}
			}},
		{"reasoning", msg(`{"role":"assistant","content":"ok","reasoning":"Thinking of jane.doe@example.com"}`), 200, "allow,redact",
			func(t *testing.T, m map[string]any) {
				if m["reasoning"] != "Thinking of [EMAIL]" {
					t.Fatalf("message %v", m)
				}
			}},
		{"reasoning blocks", msg(`{"role":"assistant","content":"jane.doe@example.com","reasoning_content":"the launch code is 7741"}`), 200, "redact,block",
			func(t *testing.T, m map[string]any) {
				if m["content"] != nil || m["reasoning_content"] != nil {
					t.Fatalf("blocked message %v", m)
				}
			}},
		{"audio", msg(`{"role":"assistant","content":null,"audio":{"id":"a1","data":"AAAA","expires_at":1,"transcript":"Mail jane.doe@example.com"}}`), 502, "", nil},
		{"unknown field", msg(`{"role":"assistant","content":"ok","reasoning_details":[{"type":"reasoning.text","text":"jane.doe@example.com"}]}`), 502, "", nil},
		{"case-variant key", msg(`{"role":"assistant","content":"ok","Content":"jane.doe@example.com"}`), 502, "", nil},
		{"message is a string", msg(`"jane.doe@example.com"`), 502, "", nil},
		{"fields beside the message", `{"id":"c1","object":"chat.completion","model":"fake","Choices":[{"index":0,"message":{"content":"jane.doe@example.com"}}],` +
			`"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"text":"jane.doe@example.com","Message":{"content":"jane.doe@example.com"},"finish_reason":"stop"}]}`, 200, "allow", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := rawUpstream(t, "", tc.body)
			w := wardenFor(t, up, nil)
			resp := post(t, w.srv.URL+"/v1/chat/completions", chatRequest(false), nil)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || strings.Contains(string(b), secretMail) || strings.Contains(string(b), "4111111111111111") {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			if tc.status != 200 {
				if !strings.Contains(string(b), `"code":"`+CodeUpstreamMalformed+`"`) {
					t.Fatalf("error %s", b)
				}
				return
			}
			if got := resp.Header.Get(HeaderAction); got != tc.action {
				t.Fatalf("action %q, want %q", got, tc.action)
			}
			var out struct {
				Choices []struct {
					Message map[string]any `json:"message"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(b, &out); err != nil || len(out.Choices) != 1 {
				t.Fatalf("%v: %s", err, b)
			}
			if tc.check != nil {
				tc.check(t, out.Choices[0].Message)
			}
		})
	}
}

// The legacy function_call passes untouched, as tool calls do (both
// documented): it is not text shown to the user.
func TestOpenAIFunctionCallPassesLikeToolCalls(t *testing.T) {
	args := `{\"to\":\"jane.doe@example.com\"}`
	whole := `{"id":"c1","object":"chat.completion","model":"fake","choices":[{"index":0,"message":{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"` + args + `"}},"finish_reason":"function_call"}]}`
	sseText := oaRawChunk(`{"role":"assistant","content":null,"function_call":{"name":"f","arguments":""}}`, "null") +
		oaRawChunk(`{"function_call":{"arguments":"`+args+`"}}`, "null") + oaRawChunk(`{}`, `"function_call"`) + "data: [DONE]\n\n"
	up := rawUpstream(t, sseText, whole)
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", chatRequest(false), nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), args) {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	resp = post(t, w.srv.URL+"/v1/chat/completions", chatRequest(true), nil)
	body, evs := streamBody(t, resp)
	if r := collectOpenAI(t, evs); !strings.Contains(body, args) || r.errCode != "" || r.finish != "function_call" || !r.done {
		t.Fatalf("got %+v: %s", r, body)
	}
}

// A request for audio output is refused before it reaches the upstream:
// Warden cannot check audio.
func TestOpenAIAudioRequestRefused(t *testing.T) {
	up := rawUpstream(t, oaRawEnd(), "{}")
	w := wardenFor(t, up, nil)
	req := chatRequest(true)
	req["modalities"] = []string{"text", "audio"}
	req["audio"] = map[string]any{"voice": "alloy", "format": "pcm16"}
	resp := post(t, w.srv.URL+"/v1/chat/completions", req, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), CodeInvalidRequest) || len(up.bodies) != 0 {
		t.Fatalf("status %d: %s (%d upstream requests)", resp.StatusCode, b, len(up.bodies))
	}
}

// Streamed OpenAI answers: the same, chunk by chunk.
func TestOpenAIStreamContentShapes(t *testing.T) {
	role := oaRawChunk(`{"role":"assistant","content":""}`, "null")
	for _, tc := range []struct {
		name, sse string
		code      string // the error that ends the stream; "" for none
		text      string // the content the client gets
		field     string // another text field to collect, and its text
		fieldText string
	}{
		{"text parts", role + oaRawChunk(`{"content":[{"type":"text","text":"Mail jane.doe@example.com now."}]}`, "null") + oaRawEnd(), "", "Mail [EMAIL] now.", "", ""},
		{"number", role + oaRawChunk(`{"content":4111111111111111}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"object", role + oaRawChunk(`{"content":{"text":"jane.doe@example.com"}}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"refusal object", role + oaRawChunk(`{"refusal":{"text":"jane.doe@example.com"}}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"reasoning_content", role + oaRawChunk(`{"reasoning_content":"Thinking of jane.doe@"}`, "null") +
			oaRawChunk(`{"reasoning_content":"example.com."}`, "null") + oaRawChunk(`{"content":"Done."}`, "null") + oaRawEnd(),
			"", "Done.", "reasoning_content", "Thinking of [EMAIL]."},
		{"reasoning beside a role", oaRawChunk(`{"role":"assistant","reasoning":"Thinking of jane.doe@example.com."}`, "null") + oaRawEnd(),
			"", "", "reasoning", "Thinking of [EMAIL]."},
		{"audio transcript", role + oaRawChunk(`{"audio":{"id":"a1","transcript":"Mail jane.doe@example.com"}}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"unknown field", role + oaRawChunk(`{"reasoning_details":[{"type":"reasoning.text","text":"jane.doe@example.com"}]}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"case-variant key", oaRawChunk(`{"role":"assistant","Content":"jane.doe@example.com"}`, "null") + oaRawEnd(), CodeUpstreamMalformed, "", "", ""},
		{"fields beside the delta", role + `data: {"id":"c1","Choices":[{"index":0,"delta":{"content":"jane.doe@example.com"}}],"choices":[{"index":0,"delta":{},"finish_reason":"stop","text":"jane.doe@example.com","message":{"content":"jane.doe@example.com"}}]}` + "\n\ndata: [DONE]\n\n",
			"", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := rawUpstream(t, tc.sse, "")
			w := wardenFor(t, up, nil)
			resp := post(t, w.srv.URL+"/v1/chat/completions", chatRequest(true), nil)
			body, evs := streamBody(t, resp)
			if strings.Contains(body, secretMail) || strings.Contains(body, "4111111111111111") {
				t.Fatalf("raw text reached the client: %s", body)
			}
			r := collectOpenAI(t, evs)
			if r.errCode != tc.code || r.text != tc.text {
				t.Fatalf("got %+v, want error %q text %q: %s", r, tc.code, tc.text, body)
			}
			if tc.code != "" {
				if r.done || resp.Trailer.Get(HeaderAction) == "allow" {
					t.Fatalf("a failed stream: done %v, action %q", r.done, resp.Trailer.Get(HeaderAction))
				}
				return
			}
			if tc.field != "" {
				got := ""
				for _, m := range r.raw {
					for _, c := range m["choices"].([]any) {
						d, _ := c.(map[string]any)["delta"].(map[string]any)
						s, _ := d[tc.field].(string)
						got += s
					}
				}
				if got != tc.fieldText {
					t.Fatalf("%s %q, want %q", tc.field, got, tc.fieldText)
				}
			}
			if !r.done || r.finish != "stop" {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

// A first chunk with a role and text: the role goes out first, as the
// upstream sent it.
func TestOpenAIStreamRoleBeforeText(t *testing.T) {
	// Longer than the hold-back: the chunk's own step releases text.
	first := strings.Repeat("Hello there, how are you doing today? ", 20)
	up := rawUpstream(t, oaRawChunk(`{"role":"assistant","content":"`+first+`"}`, "null")+
		oaRawChunk(`{"content":"Fine."}`, "null")+oaRawEnd(), "")
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/chat/completions", chatRequest(true), nil)
	_, evs := streamBody(t, resp)
	r := collectOpenAI(t, evs)
	if r.text != first+"Fine." || !r.done {
		t.Fatalf("got %+v", r)
	}
	firstRole, firstText := -1, -1
	for i, m := range r.raw {
		for _, c := range m["choices"].([]any) {
			d, _ := c.(map[string]any)["delta"].(map[string]any)
			if _, ok := d["role"]; ok && firstRole < 0 {
				firstRole = i
			}
			if s, _ := d["content"].(string); s != "" && firstText < 0 {
				firstText = i
			}
		}
	}
	if firstRole < 0 || firstRole > firstText {
		t.Fatalf("role in chunk %d, first text in chunk %d: %v", firstRole, firstText, r.raw)
	}
}

// ---- Anthropic ----

func anRawEvent(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

func anRawStart() string {
	return anRawEvent("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"fake","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`)
}

func anRawBlock(i int, block string) string {
	return anRawEvent("content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":%s}`, i, block))
}

func anRawText(i int) string { return anRawBlock(i, `{"type":"text","text":""}`) }

func anRawDelta(i int, text string) string {
	return anRawEvent("content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%s}}`, i, mustJSON(text)))
}

func anRawStop(i int) string {
	return anRawEvent("content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, i))
}

func anRawEnd() string {
	return anRawEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":5}}`) +
		anRawEvent("message_stop", `{"type":"message_stop"}`)
}

// anRun sends a streamed Messages request through Warden to an upstream
// that answers with sseText; it returns the raw reply, what a client makes
// of it, and the error code that ended it.
func anRun(t *testing.T, sseText string) (string, anResult, string, *http.Response) {
	t.Helper()
	up := rawUpstream(t, sseText, "")
	w := wardenFor(t, up, nil)
	resp := post(t, w.srv.URL+"/v1/messages", chatRequest(true), nil)
	body, evs := streamBody(t, resp)
	code := ""
	for _, ev := range evs {
		var m struct {
			Error struct{ Code string } `json:"error"`
		}
		if ev.Name == "error" && json.Unmarshal(ev.Data, &m) == nil {
			code = m.Error.Code
		}
	}
	return body, collectAnthropic(t, evs), code, resp
}

// Text deltas that cannot be attributed to the open text block fail
// closed; none of their text reaches the client.
func TestAnthropicStreamUnattributedText(t *testing.T) {
	mail := "Mail " + secretMail + " now."
	for _, tc := range []struct {
		name, sse string
	}{
		{"another index", anRawStart() + anRawText(0) + anRawDelta(0, "Hi ") + anRawDelta(1, mail) + anRawStop(0) + anRawEnd()},
		{"a tool_use block's index", anRawStart() + anRawBlock(0, `{"type":"tool_use","id":"t","name":"f","input":{}}`) + anRawDelta(0, mail) + anRawStop(0) + anRawEnd()},
		{"no index", anRawStart() + anRawText(0) + anRawDelta(0, "Hi ") +
			anRawEvent("content_block_delta", `{"type":"content_block_delta","delta":{"type":"text_delta","text":"Mail jane.doe@example.com"}}`) + anRawStop(0) + anRawEnd()},
		{"no content_block_start", anRawStart() + anRawDelta(0, mail) + anRawEnd()},
		{"after content_block_stop", anRawStart() + anRawText(0) + anRawDelta(0, "Hi ") + anRawStop(0) + anRawDelta(0, mail) + anRawEnd()},
		{"after message_delta", anRawStart() + anRawText(0) + anRawDelta(0, "Hi ") +
			anRawEvent("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}`) + anRawDelta(0, mail) + anRawEvent("message_stop", `{"type":"message_stop"}`)},
		{"case-variant Delta", anRawStart() + anRawText(0) +
			anRawEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"jane.doe@example.com"},"Delta":{"type":"zzz"}}`) + anRawStop(0) + anRawEnd()},
		{"case-variant key in a passed event", anRawStart() + anRawText(0) + anRawBlock(1, `{"type":"thinking","thinking":"","Text":"jane.doe@example.com"}`) + anRawStop(1) + anRawStop(0) + anRawEnd()},
		{"text that is not a string", anRawStart() + anRawText(0) +
			anRawEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":["jane.doe@example.com"]}}`) + anRawStop(0) + anRawEnd()},
		{"start text that is not a string", anRawStart() + anRawBlock(0, `{"type":"text","text":["Mail jane.doe@example.com "]}`) + anRawDelta(0, "ok.") + anRawStop(0) + anRawEnd()},
		{"text in a thinking delta", anRawStart() + anRawBlock(0, `{"type":"thinking","thinking":""}`) +
			anRawEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm","text":"jane.doe@example.com"}}`) + anRawStop(0) + anRawEnd()},
		{"unknown delta type", anRawStart() + anRawText(0) +
			anRawEvent("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta_v2","value":"jane.doe@example.com"}}`) + anRawStop(0) + anRawEnd()},
		{"a block started twice", anRawStart() + anRawText(0) + anRawDelta(0, "Mail jane.doe@") + anRawText(0) + anRawDelta(0, "example.com") + anRawStop(0) + anRawEnd()},
		{"interleaved text blocks", anRawStart() + anRawText(0) + anRawDelta(0, "Mail jane.doe@") + anRawText(1) + anRawDelta(1, "example.com") + anRawStop(0) + anRawStop(1) + anRawEnd()},
		{"negative index", anRawStart() + anRawBlock(-1, `{"type":"text","text":""}`) + anRawDelta(-1, mail) + anRawStop(-1) + anRawEnd()},
		{"event name and type disagree", anRawStart() + anRawText(0) +
			anRawEvent("ping", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"jane.doe@example.com"}}`) + anRawStop(0) + anRawEnd()},
		{"message_start with content", anRawEvent("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"jane.doe@example.com"}],"usage":{"input_tokens":1,"output_tokens":1}}}`) + anRawEnd()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, r, code, resp := anRun(t, tc.sse)
			if strings.Contains(body, "jane.doe") {
				t.Fatalf("raw text reached the client: %s", body)
			}
			if code != CodeUpstreamMalformed || r.types[len(r.types)-1] != "error" {
				t.Fatalf("got %+v (code %q): %s", r, code, body)
			}
			if a := resp.Trailer.Get(HeaderAction); a == "allow" {
				t.Fatalf("a failed stream reports %q", a)
			}
		})
	}
}

// Several text blocks one after the other, at any index, are each
// filtered; so is text in a block's start.
func TestAnthropicStreamTextBlocks(t *testing.T) {
	for _, tc := range []struct {
		name, sse, text string
	}{
		{"two blocks", anRawStart() + anRawText(0) + anRawDelta(0, "Hello. ") + anRawStop(0) +
			anRawBlock(1, `{"type":"tool_use","id":"t","name":"f","input":{}}`) + anRawStop(1) +
			anRawText(2) + anRawDelta(2, "Mail jane.doe@") + anRawDelta(2, "example.com now.") + anRawStop(2) + anRawEnd(), "Hello. Mail [EMAIL] now."},
		{"text in the start", anRawStart() + anRawBlock(0, `{"type":"text","text":"Mail jane.doe@example.com "}`) + anRawDelta(0, "ok.") + anRawStop(0) + anRawEnd(), "Mail [EMAIL] ok."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, r, code, resp := anRun(t, tc.sse)
			if strings.Contains(body, "jane.doe") || code != "" || r.text != tc.text || r.stop != "end_turn" {
				t.Fatalf("got %+v (code %q): %s", r, code, body)
			}
			if a := resp.Trailer.Get(HeaderAction); a != "redact" {
				t.Fatalf("action %q", a)
			}
		})
	}
}

// A whole Anthropic answer with a text that is not a string, or a key a
// case-insensitive client would read as a known one, is refused.
func TestAnthropicWholeUncheckable(t *testing.T) {
	for _, whole := range []string{
		`{"id":"m","type":"message","role":"assistant","model":"f","content":[{"type":"text","text":["jane.doe@example.com"]}],"stop_reason":"end_turn"}`,
		`{"id":"m","type":"message","role":"assistant","model":"f","content":[{"type":"text","text":"ok"}],"Content":[{"type":"text","text":"jane.doe@example.com"}],"stop_reason":"end_turn"}`,
		`{"id":"m","type":"message","role":"assistant","model":"f","content":[{"type":"text","text":"ok","Text":"jane.doe@example.com"}],"stop_reason":"end_turn"}`,
	} {
		up := rawUpstream(t, "", whole)
		w := wardenFor(t, up, nil)
		resp := post(t, w.srv.URL+"/v1/messages", chatRequest(false), nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 502 || strings.Contains(string(b), "jane.doe") || !strings.Contains(string(b), CodeUpstreamMalformed) {
			t.Fatalf("%s: status %d %s", whole, resp.StatusCode, b)
		}
	}
}

// Documents and search results are prompt text: checked (and redacted) at
// the prompt stage like text blocks, in a message or in a tool result.
func TestAnthropicPromptDocuments(t *testing.T) {
	doc := func(text string) map[string]any {
		return map[string]any{"type": "document", "source": map[string]any{"type": "text", "media_type": "text/plain", "data": text}}
	}
	cases := map[string]func(text string) []any{
		"document text": func(text string) []any {
			return []any{doc(text), map[string]any{"type": "text", "text": "Summarise the document."}}
		},
		"document title": func(text string) []any {
			d := doc("plain")
			d["title"] = text
			return []any{d}
		},
		"document content": func(text string) []any {
			return []any{map[string]any{"type": "document", "source": map[string]any{"type": "content", "content": []any{
				map[string]any{"type": "text", "text": "First part."}, map[string]any{"type": "text", "text": text}}}}}
		},
		"search result": func(text string) []any {
			return []any{map[string]any{"type": "search_result", "source": "https://example.org", "title": "A page", "content": []any{map[string]any{"type": "text", "text": text}}}}
		},
		"search result title": func(text string) []any {
			return []any{map[string]any{"type": "search_result", "source": "https://example.org", "title": text, "content": []any{map[string]any{"type": "text", "text": "plain"}}}}
		},
		"document in a tool result": func(text string) []any {
			return []any{map[string]any{"type": "tool_result", "tool_use_id": "t", "content": []any{doc(text)}}}
		},
		"search result in a tool result": func(text string) []any {
			return []any{map[string]any{"type": "tool_result", "tool_use_id": "t", "content": []any{map[string]any{"type": "search_result", "source": "s", "title": "t",
				"content": []any{map[string]any{"type": "text", "text": text}}}}}}
		},
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			up := newUpstream(t, anthropicScript([]string{"ok"}, "", false))
			w := wardenFor(t, up, nil)
			// Blocked: a refusal, nothing sent upstream.
			resp := post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "m", "max_tokens": 10,
				"messages": []any{map[string]any{"role": "user", "content": content("remember: the launch code is 1234")}}}, nil)
			var msg map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&msg)
			if resp.StatusCode != 200 || msg["stop_reason"] != "refusal" || len(up.bodies) != 0 {
				t.Fatalf("status %d %v (%d upstream requests)", resp.StatusCode, msg, len(up.bodies))
			}
			// Redacted: the upstream reads the masked text.
			resp = post(t, w.srv.URL+"/v1/messages", map[string]any{"model": "m", "max_tokens": 10,
				"messages": []any{map[string]any{"role": "user", "content": content("Write to " + secretMail + " today.")}}}, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			b, _ := json.Marshal(up.lastBody(t))
			if strings.Contains(string(b), secretMail) || !strings.Contains(string(b), "Write to [EMAIL] today.") {
				t.Fatalf("forwarded %s", b)
			}
		})
	}
}

// ---- failures, headers, the generic API ----

// A stream that failed does not report allow.
func TestFailedStreamTrailer(t *testing.T) {
	text := onePieces("Some answer text that goes on for a while, long enough to be cut in the middle.")
	for _, tc := range []struct{ path, fault, code string }{
		{"/v1/chat/completions", "disconnect", CodeUpstreamDisconnected},
		{"/v1/chat/completions", "huge", CodeUpstreamTooLarge},
		{"/v1/messages", "disconnect", CodeUpstreamDisconnected},
	} {
		t.Run(tc.path+" "+tc.fault, func(t *testing.T) {
			var up *upstream
			if tc.path == "/v1/messages" {
				up = newUpstream(t, anthropicScript(text, tc.fault, false))
			} else {
				up = newUpstream(t, openaiScript(text, tc.fault, 0))
			}
			w := wardenFor(t, up, nil)
			resp := post(t, w.srv.URL+tc.path, chatRequest(true), nil)
			body, _ := streamBody(t, resp)
			if !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("reply %s", body)
			}
			if a := resp.Trailer.Get(HeaderAction); a != "block" {
				t.Fatalf("X-Warden-Action %q after a failed stream, want block", a)
			}
		})
	}
}

// An invalid conversation id has its own error code.
func TestInvalidConversationID(t *testing.T) {
	w := wardenFor(t, nil, nil)
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		resp := post(t, w.srv.URL+path, chatRequest(false), map[string]string{HeaderConversation: strings.Repeat("c", 201)})
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 400 || e.Error.Code != CodeInvalidConversation || !strings.Contains(e.Error.Message, HeaderConversation) {
			t.Fatalf("%s: %d %+v", path, resp.StatusCode, e)
		}
	}
}

// The generic API refuses lone surrogate escapes, as POST /v1/check does.
func TestGenericLoneSurrogate(t *testing.T) {
	w := wardenFor(t, nil, nil)
	lone := `{"type":"text","text":"a\ud800 b"}`
	resp, err := http.Post(w.srv.URL+"/v1/stream", "application/x-ndjson", strings.NewReader(lone+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), CodeInvalidLine) {
		t.Fatalf("first line: %d %s", resp.StatusCode, b)
	}
	got := genericExchange(t, w.srv.URL, []string{textLine("ok "), lone, `{"type":"end"}`}, nil)
	if l := got[len(got)-1]; l.Error == nil || l.Error.Code != CodeInvalidLine || !strings.Contains(l.Error.Message, "surrogate") {
		t.Fatalf("got %+v", got)
	}
	// A pair is a character.
	got = genericExchange(t, w.srv.URL, []string{`{"type":"text","text":"smile \ud83d\ude00 \\ud800"}`, `{"type":"end"}`}, nil)
	if l := got[len(got)-1]; l.Type != "end" {
		t.Fatalf("got %+v", got)
	}
}

// A client that sends part of a first line and then nothing is answered
// after the idle timeout, not held forever.
func TestGenericFirstLineIdle(t *testing.T) {
	checkGoroutines(t)
	w := wardenFor(t, nil, func(c *Config) { c.UpstreamIdleTimeout = 300 * time.Millisecond })
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.srv.URL+"/v1/stream", pr)
	req.Header.Set("Content-Type", "application/x-ndjson")
	go func() { _, _ = io.WriteString(pw, `{"type":"te`) }()
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) }) // else Do waits for the body
	defer stop()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer to a silent client: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), api.CodeRequestTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("%d after %v: %s", resp.StatusCode, time.Since(start), b)
	}
}

// Blank lines are skipped wherever they are: one before the first line
// was a 400 invalid_line while one after it was ignored.
func TestGenericBlankLines(t *testing.T) {
	w := wardenFor(t, nil, nil)
	resp, err := http.Post(w.srv.URL+"/v1/stream", "application/x-ndjson",
		strings.NewReader("\n\r\n"+`{"type":"start","tenant":"acme"}`+"\n\n"+textLine("hello")+"\n"+`{"type":"end"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"type":"end"`) || !strings.Contains(string(b), "hello") {
		t.Fatalf("leading blank lines: %d %s", resp.StatusCode, b)
	}
	// A bad line after blank ones names its own line number.
	resp, err = http.Post(w.srv.URL+"/v1/stream", "application/x-ndjson", strings.NewReader("\n\n{\"type\":\"nope\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "line 3:") {
		t.Fatalf("bad third line: %d %s", resp.StatusCode, b)
	}
}

// The stream API's access log line carries the decision id of its end
// line, as the other routes' do (the decision id is in the reply, the logs
// and the incident alike); it logged "".
func TestGenericDecisionIDLogged(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	var logs syncBuffer
	a := api.New(api.Options{Checker: svc, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if _, err := Register(a.Engine(), Deps{Config: Default(), Service: func() *check.Service { return svc }}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	got := genericExchange(t, srv.URL, []string{textLine("hello there"), `{"type":"end"}`}, nil)
	end := got[len(got)-1]
	if end.Type != "end" || end.DecisionID == "" {
		t.Fatalf("got %+v", got)
	}
	srv.Close() // the access log line is written when the handler returns
	if !strings.Contains(logs.String(), `"route":"/v1/stream"`) || !strings.Contains(logs.String(), `"decision_id":"`+end.DecisionID+`"`) {
		t.Fatalf("access log lacks decision id %s:\n%s", end.DecisionID, logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
