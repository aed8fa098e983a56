package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
		{"trailing data", `{"stage":"prompt","text":"x"} {}`, 400, CodeInvalidJSON},
		{"unknown field", `{"stage":"prompt","text":"x","txet":"y"}`, 400, CodeInvalidJSON},
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
	for _, s := range []string{`{"stage":"prompt","text":"hi"}`, `{"stage":"x"}`, "{\"text\":\"\xff\"}", `{"stage":"prompt","messages":[{"role":"user","content":[]}]}`, `\ud800`} {
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
