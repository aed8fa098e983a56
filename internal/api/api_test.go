package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
)

const limit = 4096

func newServer(t testing.TB, ready bool) *Server {
	t.Helper()
	svc := testenv.Service(t, nil, nil, check.Options{})
	return New(Options{
		Checker:      svc,
		MaxBodyBytes: limit,
		Ready:        func() (bool, map[string]any) { return ready, map[string]any{"models": "x"} },
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

func do(s *Server, method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	return w
}

type errReply struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e errReply
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error reply is not JSON: %q", w.Body.String())
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error reply lacks code or message: %q", w.Body.String())
	}
	return e.Error.Code
}

// bodyOfSize builds a valid check request of exactly n bytes.
func bodyOfSize(t *testing.T, n int) []byte {
	t.Helper()
	head, tail := `{"stage":"prompt","text":"`, `"}`
	pad := n - len(head) - len(tail)
	if pad < 0 {
		t.Fatal("n too small")
	}
	b := []byte(head + strings.Repeat("a", pad) + tail)
	if len(b) != n {
		t.Fatalf("built %d bytes", len(b))
	}
	return b
}

func TestBodyLimit(t *testing.T) {
	s := newServer(t, true)
	if w := do(s, "POST", "/v1/check", bodyOfSize(t, limit)); w.Code != http.StatusOK {
		t.Fatalf("exactly at the limit: %d %s", w.Code, w.Body)
	}
	w := do(s, "POST", "/v1/check", bodyOfSize(t, limit+1))
	if w.Code != http.StatusRequestEntityTooLarge || errCode(t, w) != CodeBodyTooLarge {
		t.Fatalf("one byte over: %d %s", w.Code, w.Body)
	}
}

func TestBadRequests(t *testing.T) {
	s := newServer(t, true)
	cases := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"not json", `{"stage":`, 400, CodeInvalidJSON},
		{"array", `[]`, 400, CodeInvalidJSON},
		{"null", `null`, 400, CodeInvalidJSON},
		{"null after space", " \n null", 400, CodeInvalidJSON},
		{"string", `"x"`, 400, CodeInvalidJSON},
		{"empty body", ``, 400, CodeInvalidJSON},
		{"trailing data", `{"stage":"prompt","text":"x"} {}`, 400, CodeInvalidJSON},
		{"unknown field", `{"stage":"prompt","text":"x","txet":"y"}`, 400, CodeInvalidJSON},
		{"duplicate key", `{"stage":"prompt","text":"attack","text":"x"}`, 400, CodeInvalidJSON},
		{"duplicate escaped key", `{"stage":"prompt","messages":[{"role":"user","content":"attack","c\u006fntent":"x"}]}`, 400, CodeInvalidJSON},
		{"wrong type", `{"stage":"prompt","text":5}`, 400, CodeInvalidJSON},
		{"invalid utf8", "{\"stage\":\"prompt\",\"text\":\"a\xff\xfeb\"}", 400, CodeInvalidUTF8},
		{"truncated rune", "{\"stage\":\"prompt\",\"text\":\"\xe2\x82\"}", 400, CodeInvalidUTF8},
		{"lone high surrogate", `{"stage":"prompt","text":"\ud800"}`, 400, CodeInvalidUTF8},
		{"lone low surrogate", `{"stage":"prompt","text":"x\udc00y"}`, 400, CodeInvalidUTF8},
		{"unknown stage", `{"stage":"output","text":"x"}`, 400, CodeInvalidStage},
		{"missing stage", `{"text":"x"}`, 400, CodeInvalidStage},
		{"missing text", `{"stage":"prompt"}`, 400, CodeMissingText},
		{"text and messages", `{"stage":"prompt","text":"x","messages":[{"role":"user","content":"y"}]}`, 400, CodeInvalidRequest},
		{"only system message", `{"stage":"prompt","messages":[{"role":"system","content":"y"}]}`, 400, CodeInvalidRequest},
		{"message without role", `{"stage":"prompt","messages":[{"content":"y"}]}`, 400, CodeInvalidRequest},
		{"bad content", `{"stage":"prompt","messages":[{"role":"user","content":{"a":1}}]}`, 400, CodeInvalidRequest},
		{"bad tenant", `{"stage":"prompt","text":"x","tenant":"a b"}`, 400, CodeInvalidTenant},
		// encoding/json matches names case-insensitively: a key that
		// differs from a field only in case is an unknown field, or
		// {"content":A,"Content":B} is checked as B while a provider reads A.
		{"field in other case", `{"Stage":"prompt","text":"x"}`, 400, CodeInvalidJSON},
		{"duplicate text in other case", `{"stage":"prompt","text":"attack","Text":"benign"}`, 400, CodeInvalidJSON},
		{"folded long s", `{"ſtage":"prompt","text":"x"}`, 400, CodeInvalidJSON},
		{"message content in other case", `{"stage":"prompt","messages":[{"role":"user","content":"attack","Content":"benign"}]}`, 400, CodeInvalidJSON},
		{"message role in other case", `{"stage":"prompt","messages":[{"role":"user","content":"a"},{"role":"system","ROLE":"user","content":"b"}]}`, 400, CodeInvalidJSON},
		{"part text in other case", `{"stage":"prompt","messages":[{"role":"user","content":[{"type":"text","text":"attack","Text":"benign"}]}]}`, 400, CodeInvalidJSON},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := do(s, "POST", "/v1/check", []byte(c.body))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if got := errCode(t, w); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	s := newServer(t, true)
	if w := do(s, "GET", "/v1/check", nil); w.Code != 405 || errCode(t, w) != CodeMethodNotAllowed {
		t.Fatalf("GET /v1/check: %d %s", w.Code, w.Body)
	}
	if w := do(s, "GET", "/nope", nil); w.Code != 404 || errCode(t, w) != CodeNotFound {
		t.Fatalf("GET /nope: %d %s", w.Code, w.Body)
	}
	if w := do(s, "GET", "/healthz", nil); w.Code != 200 {
		t.Fatalf("healthz: %d", w.Code)
	}
	if w := do(s, "GET", "/readyz", nil); w.Code != 200 {
		t.Fatalf("readyz: %d", w.Code)
	}
}

func TestNotReady(t *testing.T) {
	s := newServer(t, false)
	if w := do(s, "GET", "/readyz", nil); w.Code != 503 {
		t.Fatalf("readyz: %d", w.Code)
	}
	w := do(s, "POST", "/v1/check", []byte(`{"stage":"prompt","text":"hello"}`))
	if w.Code != 503 || errCode(t, w) != CodeNotReady {
		t.Fatalf("check before ready: %d %s", w.Code, w.Body)
	}
	// Health stays OK: the process is alive.
	if w := do(s, "GET", "/healthz", nil); w.Code != 200 {
		t.Fatalf("healthz: %d", w.Code)
	}
}

func TestCheckReply(t *testing.T) {
	s := newServer(t, true)
	for _, body := range []string{
		`{"stage":"prompt","text":"What is the capital of France?","tenant":"acme","metadata":{"conversation_id":"c1"}}`,
		`{"stage":"response","text":"Paris.","prompt":"What is the capital of France?"}`,
		`{"stage":"prompt","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url","image_url":{"url":"x"}}]}]}`,
		`{"stage":"prompt","text":"emoji \ud83d\ude00 ok"}`,
		`{"stage":"prompt","text":""}`,
		// The audit's repro: a tool result, as OpenAI SDKs send it.
		`{"stage":"prompt","messages":[{"role":"tool","tool_call_id":"x","content":"hi"}]}`,
	} {
		w := do(s, "POST", "/v1/check", []byte(body))
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		var r map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "action", "text", "scores", "findings", "reasons", "policy_revision", "model_versions"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("reply lacks %q: %s", k, w.Body)
			}
		}
		if w.Header().Get(HeaderDecisionID) != r["id"] {
			t.Fatalf("decision id header %q != id %v", w.Header().Get(HeaderDecisionID), r["id"])
		}
		scores := r["scores"].(map[string]any)
		if _, ok := scores["prompt_injection"]; !ok && strings.HasPrefix(body, `{"stage":"prompt"`) {
			t.Fatalf("no prompt_injection score: %s", w.Body)
		}
	}
}

// FuzzCheckHandler: whatever the body, the API answers 200 or a JSON error
// with a stable code, never 5xx and never a panic.
func FuzzCheckHandler(f *testing.F) {
	for _, s := range []string{`{"stage":"prompt","text":"hi"}`, `{"stage":"x"}`, "{\"text\":\"\xff\"}", `{"stage":"prompt","messages":[{"role":"user","content":[]}]}`, `\ud800`,
		`{"stage":"response","messages":[{"role":"assistant","content":null,"refusal":"no","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`} {
		f.Add([]byte(s))
	}
	s := newServer(f, true)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := do(s, "POST", "/v1/check", body)
		if w.Code == 200 {
			return
		}
		if w.Code >= 500 {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		errCode(t, w)
	})
}

type checkerFunc func(context.Context, check.Request) (check.Result, error)

func (f checkerFunc) Check(ctx context.Context, r check.Request) (check.Result, error) {
	return f(ctx, r)
}

// TestOverloaded: a check refused because the classifiers' queues are full
// is answered 503 with Retry-After (whole seconds, at least 1) and the
// stable code "overloaded", never a decision; other errors stay 500.
func TestOverloaded(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"queue full", &classifiers.OverloadError{Model: "injection", Queued: 1024, Limit: 1024, Wait: time.Second}, 503, CodeOverloaded, "1"},
		{"wrapped, rounded up", fmt.Errorf("classify: %w", &classifiers.OverloadError{Wait: 2500 * time.Millisecond}), 503, CodeOverloaded, "3"},
		{"no hint", &classifiers.OverloadError{}, 503, CodeOverloaded, "1"},
		{"other failure", errors.New("boom"), 500, CodeInternal, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{
				Checker: checkerFunc(func(context.Context, check.Request) (check.Result, error) { return check.Result{}, tc.err }),
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			w := do(s, "POST", "/v1/check", []byte(`{"stage":"prompt","text":"hello"}`))
			if w.Code != tc.status || errCode(t, w) != tc.code || w.Header().Get("Retry-After") != tc.retryAfter {
				t.Fatalf("got %d %q Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
			}
		})
	}
}

// capture is a Checker that records the request it was given.
func capture(got *check.Request) Checker {
	return checkerFunc(func(_ context.Context, r check.Request) (check.Result, error) {
		*got = r
		return check.Result{ID: "d1", Messages: r.Messages}, nil
	})
}

// TestOpenAIMessages: /v1/check takes a Chat Completions messages array as
// an OpenAI SDK sends it (tool results with tool_call_id, assistant turns
// with tool_calls, names, refusals, an assistant message copied from a
// reply with its null fields); the checked text of each message is its
// content (string or text and refusal parts) and its refusal; tool-call
// arguments are not checked; fields outside a chat message are still
// rejected.
func TestOpenAIMessages(t *testing.T) {
	const conv = `[
		{"role":"system","content":"You are helpful.","name":"ops"},
		{"role":"developer","content":[{"type":"text","text":"Use tools."}]},
		{"role":"user","content":[{"type":"text","text":"Weather in Paris?"},{"type":"image_url","image_url":{"url":"https://example.test/a.png","detail":"low"}}],"name":"alice"},
		{"role":"assistant","content":null,"refusal":null,"audio":null,"function_call":null,"annotations":[],
		 "tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"ARGS-NOT-CHECKED\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"Sunny, 21C"},
		{"role":"function","name":"legacy","content":"old-style result"},
		{"role":"assistant","content":[{"type":"text","text":"It is sunny."},{"type":"refusal","refusal":"I won't say more."}],"audio":{"id":"audio_1"}},
		{"role":"assistant","content":null,"refusal":"I can't help with that.","function_call":{"name":"f","arguments":"{}"}}
	]`
	// The API passes every message on; the check picks those of the
	// stage's roles.
	for _, stage := range []string{"prompt", "response"} {
		var got check.Request
		s := New(Options{Checker: capture(&got), Logger: slog.New(slog.DiscardHandler)})
		w := do(s, "POST", "/v1/check", []byte(`{"stage":"`+stage+`","messages":`+conv+`}`))
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", stage, w.Code, w.Body)
		}
		if len(got.Messages) != 8 {
			t.Fatalf("%s: %d messages passed on", stage, len(got.Messages))
		}
		want := []string{"You are helpful.", "Use tools.", "Weather in Paris?", "", "Sunny, 21C", "old-style result",
			"It is sunny.\nI won't say more.", "I can't help with that."}
		roles := []string{"system", "developer", "user", "assistant", "tool", "function", "assistant", "assistant"}
		for i, m := range got.Messages {
			if m.Role != roles[i] || m.Content != want[i] {
				t.Errorf("%s: messages[%d] = %q %q, want %q %q", stage, i, m.Role, m.Content, roles[i], want[i])
			}
			if strings.Contains(m.Content, "ARGS-NOT-CHECKED") {
				t.Errorf("tool-call arguments became checked text: %q", m.Content)
			}
		}
	}

	// The real check (models and default policy) decides on such a
	// conversation and answers with a copy of every message.
	s := newServer(t, true)
	w := do(s, "POST", "/v1/check", []byte(`{"stage":"prompt","messages":[{"role":"user","content":"hi"},`+
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},`+
		`{"role":"tool","tool_call_id":"c","content":"all good"}]}`))
	if w.Code != 200 {
		t.Fatalf("real check: %d %s", w.Code, w.Body)
	}
	var r struct {
		Action   string `json:"action"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.Action == "" || len(r.Messages) != 3 || r.Messages[2].Content != "all good" {
		t.Fatalf("real check reply: %v %s", err, w.Body)
	}

	for name, body := range map[string]string{
		"unknown message field": `{"stage":"prompt","messages":[{"role":"user","content":"x","contnet":"y"}]}`,
		"unknown top-level":     `{"stage":"prompt","messages":[{"role":"user","content":"x"}],"tools":[]}`,
		"refusal not a string":  `{"stage":"response","messages":[{"role":"assistant","refusal":5}]}`,
	} {
		w := do(s, "POST", "/v1/check", []byte(body))
		if w.Code != 400 || errCode(t, w) != CodeInvalidJSON {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

// rawExchange opens a TCP connection, writes head and then body (the
// request is not complete when body is shorter than its Content-Length)
// and returns the connection and a reader of its answers.
func rawExchange(t *testing.T, addr, head, body string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head+body); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// TestBodyReadTimeout runs the API on a real listener (an http.Server with
// only a header timeout, as warden serve runs it): a client that sends
// part of a body and stalls gets 408 request_timeout on /v1/check and the
// connection is closed, other whole-body routes get their read error, and
// neither waits much past the deadline; a streaming route's body and a
// handler's work after the body are not cut.
func TestBodyReadTimeout(t *testing.T) {
	const deadline = 300 * time.Millisecond
	s := New(Options{
		Checker:         checkerFunc(func(context.Context, check.Request) (check.Result, error) { return check.Result{ID: "d"}, nil }),
		Logger:          slog.New(slog.DiscardHandler),
		BodyReadTimeout: deadline,
		StreamingRoutes: []string{"/v1/stream"},
	})
	e := s.Engine()
	// A whole-body route registered later (like the proxies).
	e.POST("/v1/whole", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			Error(c, http.StatusBadRequest, "read_failed", "could not read the body")
			return
		}
		c.String(http.StatusOK, "read")
	})
	// A streaming route: echoes each line as it arrives.
	e.POST("/v1/stream", func(c *gin.Context) {
		br := bufio.NewReader(c.Request.Body)
		rc := http.NewResponseController(c.Writer)
		_ = rc.EnableFullDuplex() // as streams does: answer while the body arrives
		c.Status(http.StatusOK)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				_, _ = io.WriteString(c.Writer, "got "+line)
				_ = rc.Flush()
			}
			if err != nil {
				if err != io.EOF {
					_, _ = io.WriteString(c.Writer, "error "+err.Error()+"\n")
				}
				return
			}
		}
	})
	// Slow work after a body read in time; the request context must live on.
	e.POST("/v1/slow", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			c.String(http.StatusBadRequest, "read: %v", err)
			return
		}
		select {
		case <-time.After(3 * deadline):
			c.String(http.StatusOK, "done")
		case <-c.Request.Context().Done():
			c.String(http.StatusServiceUnavailable, "cancelled")
		}
	})
	e.GET("/v1/slowget", func(c *gin.Context) {
		select {
		case <-time.After(3 * deadline):
			c.String(http.StatusOK, "done")
		case <-c.Request.Context().Done():
			c.String(http.StatusServiceUnavailable, "cancelled")
		}
	})
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.Config.ReadHeaderTimeout = 10 * time.Second
	hs.Start()
	t.Cleanup(hs.Close) // after the connections' cleanups: Close waits for handlers
	addr := hs.Listener.Addr().String()

	stalled := func(path string) (status int, body string, elapsed time.Duration) {
		t.Helper()
		start := time.Now()
		conn, br := rawExchange(t, addr, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", `{"stage":"`)
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: no answer: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// Then the server closes the connection.
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%s: connection still open after the answer (%v)", path, err)
		}
		return resp.StatusCode, string(b), time.Since(start)
	}
	for _, tc := range []struct{ path, code string }{{"/v1/check", CodeRequestTimeout}, {"/v1/whole", "read_failed"}, {"/nope", CodeNotFound}} {
		status, body, took := stalled(tc.path)
		var e errReply
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != tc.code {
			t.Errorf("%s: %d %q, want code %q", tc.path, status, body, tc.code)
		}
		if tc.path == "/v1/check" && status != http.StatusRequestTimeout {
			t.Errorf("%s: status %d, want 408", tc.path, status)
		}
		if tc.path != "/nope" && (took < deadline || took > deadline+5*time.Second) {
			t.Errorf("%s: answered after %v with a %v deadline", tc.path, took, deadline)
		}
	}

	// A streaming body outlives the deadline: two lines with a pause of
	// twice the deadline between them.
	conn, br := rawExchange(t, addr, "POST /v1/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "6\r\nline1\n\r\n")
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb := bufio.NewReader(resp.Body)
	if l, err := rb.ReadString('\n'); err != nil || l != "got line1\n" {
		t.Fatalf("stream: first line %q %v", l, err)
	}
	time.Sleep(2 * deadline)
	if _, err := io.WriteString(conn, "6\r\nline2\n\r\n0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(rb)
	if string(rest) != "got line2\n" {
		t.Fatalf("stream after a pause longer than the deadline: %q", rest)
	}

	// A body read in time, then work longer than the deadline; then a
	// second request on the same connection: nothing is cut or cancelled.
	conn, br = rawExchange(t, addr, "POST /v1/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n", "{}")
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	for i, req := range []string{"", "GET /v1/slowget HTTP/1.1\r\nHost: x\r\n\r\n"} {
		if req != "" {
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "done" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1,"b":2}`:                       "",
		`{"a":{"a":1},"b":[{"a":1},{"a":2}]}`: "",
		`{"a":1,"a":2}`:                       "a",
		`{"x":[{"k":"a","k":"b"}]}`:           "k",
		`{"a":"\u0061","\u0061":1}`:           "a",
		`{"a":[1,"a",{"b":{"c":1,"c":2}}]}`:   "c",
		`[{"a":1},{"a":1}]`:                   "",
		`{"a":`:                               "",
		`"a"`:                                 "",
	} {
		if got := DuplicateKey([]byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}
