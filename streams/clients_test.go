package streams

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The official SDKs (openai, @anthropic-ai/sdk from npm) run against
// Warden in front of a fake upstream; the tests assert what the client
// itself reports: text, finish/stop reason, errors. They need node and the
// packages of testdata/clients (installed by testdata/clients/setup.sh,
// which scripts/test-setup.sh runs). Missing either fails the test with
// the fix; WARDEN_SKIP_NODE_TESTS=1 skips them explicitly.

const clientsDir = "testdata/clients"

func nodeClient(t *testing.T) string {
	t.Helper()
	if os.Getenv("WARDEN_SKIP_NODE_TESTS") == "1" {
		t.Skip("WARDEN_SKIP_NODE_TESTS=1: SDK client tests skipped on request")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: the SDK client tests need it (apt-get install nodejs npm), or set WARDEN_SKIP_NODE_TESTS=1")
	}
	for _, pkg := range []string{"openai", "@anthropic-ai/sdk"} {
		if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("npm package %s is not installed: run streams/testdata/clients/setup.sh (scripts/test-setup.sh does it)", pkg)
		}
	}
	return node
}

type sdkResult struct {
	Text         *string         `json:"text"`
	Deltas       string          `json:"deltas"`
	FinishReason string          `json:"finish_reason"`
	StopReason   string          `json:"stop_reason"`
	StopDetails  json.RawMessage `json:"stop_details"`
	Usage        json.RawMessage `json:"usage"`
	Events       []string        `json:"events"`
	Blocks       []string        `json:"blocks"`
	Error        *struct {
		Name    string `json:"name"`
		Status  *int   `json:"status"`
		Code    string `json:"code"`
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func (r sdkResult) text() string {
	if r.Text == nil {
		return ""
	}
	return *r.Text
}

func runClient(t *testing.T, node, script string, spec map[string]any) sdkResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, mustJSON(spec))
	cmd.Dir = clientsDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var r sdkResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s printed %q: %v\n%s", script, out, err, stderr.String())
	}
	return r
}

func userMsg(s string) []any { return []any{map[string]any{"role": "user", "content": s}} }

func TestOpenAISDK(t *testing.T) {
	node := nodeClient(t)
	longBlock := onePieces(blockText + strings.Repeat(" Never to be sent.", 30))
	cases := []struct {
		name   string
		pieces []string
		fault  string
		mode   string
		prompt string
		check  func(t *testing.T, r sdkResult)
	}{
		{"stream redacts", onePieces(redactText), "", "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != redactWant || r.FinishReason != "stop" || len(r.Usage) == 0 {
				t.Fatalf("got %+v %s", r, r.text())
			}
		}},
		{"stream blocks", longBlock, "", "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.FinishReason != "content_filter" || strings.Contains(r.text(), "7741") || !strings.HasPrefix(blockText, r.text()) {
				t.Fatalf("got %+v %q", r, r.text())
			}
		}},
		{"helper blocks", longBlock, "", "helper", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.FinishReason != "content_filter" || r.Deltas != r.text() || strings.Contains(r.text(), "7741") {
				t.Fatalf("got %+v %q", r, r.text())
			}
		}},
		{"create redacts", []string{redactText}, "", "create", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != redactWant || r.FinishReason != "stop" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"create blocks", []string{blockText}, "", "create", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.Text != nil || r.FinishReason != "content_filter" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"prompt blocked", []string{"unused"}, "", "stream", "the launch code is 1234", func(t *testing.T, r sdkResult) {
			if r.Error == nil || r.Error.Status == nil || *r.Error.Status != 400 || r.Error.Code != "content_filter" || r.Error.Name != "BadRequestError" {
				t.Fatalf("got %+v", r.Error)
			}
		}},
		{"upstream disconnects", onePieces(redactText), "disconnect", "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error == nil || r.Error.Code != CodeUpstreamDisconnected || r.Error.Name != "APIError" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"upstream error event", onePieces(redactText), "error", "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error == nil || r.Error.Type != "server_error" {
				t.Fatalf("got %+v", r)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, openaiScript(tc.pieces, tc.fault, 0))
			w := wardenFor(t, up, nil)
			r := runClient(t, node, "openai_client.mjs", map[string]any{"baseURL": w.srv.URL + "/v1", "mode": tc.mode, "messages": userMsg(tc.prompt)})
			tc.check(t, r)
		})
	}
}

func TestAnthropicSDK(t *testing.T) {
	node := nodeClient(t)
	longBlock := onePieces(blockText + strings.Repeat(" Never to be sent.", 30))
	cases := []struct {
		name   string
		pieces []string
		fault  string
		tool   bool
		mode   string
		prompt string
		check  func(t *testing.T, r sdkResult)
	}{
		{"stream redacts", onePieces(redactText), "", false, "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != redactWant || r.Deltas != redactWant || r.StopReason != "end_turn" {
				t.Fatalf("got %+v %q", r, r.text())
			}
		}},
		{"stream with tool use", onePieces(redactText), "", true, "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != redactWant || r.StopReason != "tool_use" || strings.Join(r.Blocks, ",") != "text,tool_use" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"stream blocks", longBlock, "", false, "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.StopReason != "refusal" || strings.Contains(r.text(), "7741") || !strings.HasPrefix(blockText, r.text()) || !strings.Contains(string(r.StopDetails), "refusal") {
				t.Fatalf("got %+v %q", r, r.text())
			}
		}},
		{"events block", longBlock, "", false, "events", "hi", func(t *testing.T, r sdkResult) {
			ev := strings.Join(r.Events, ",")
			if r.Error != nil || r.StopReason != "refusal" || !strings.HasSuffix(ev, "content_block_stop,message_delta,message_stop") || strings.Contains(r.text(), "7741") {
				t.Fatalf("got %+v", r)
			}
		}},
		{"create redacts", []string{redactText}, "", false, "create", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != redactWant || r.StopReason != "end_turn" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"create blocks", []string{blockText}, "", false, "create", "hi", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.text() != "" || r.StopReason != "refusal" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"prompt refused (stream)", []string{"unused"}, "", false, "stream", "the launch code is 1234", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.StopReason != "refusal" || r.text() != "" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"prompt refused (create)", []string{"unused"}, "", false, "create", "the launch code is 1234", func(t *testing.T, r sdkResult) {
			if r.Error != nil || r.StopReason != "refusal" || r.text() != "" {
				t.Fatalf("got %+v", r)
			}
		}},
		{"upstream overloaded mid-stream", onePieces(redactText), "error", false, "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error == nil || r.Error.Type != "overloaded_error" {
				t.Fatalf("got %+v", r.Error)
			}
		}},
		{"upstream disconnects", onePieces(redactText), "disconnect", false, "stream", "hi", func(t *testing.T, r sdkResult) {
			if r.Error == nil || r.Error.Type != "api_error" || !strings.Contains(r.Error.Message, "ended before") {
				t.Fatalf("got %+v", r.Error)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, anthropicScript(tc.pieces, tc.fault, tc.tool))
			w := wardenFor(t, up, nil)
			r := runClient(t, node, "anthropic_client.mjs", map[string]any{"baseURL": w.srv.URL, "mode": tc.mode, "messages": userMsg(tc.prompt)})
			tc.check(t, r)
		})
	}
}

// The demo upstream through Warden, seen by both SDKs.
func TestSDKsAgainstDemo(t *testing.T) {
	node := nodeClient(t)
	w := wardenFor(t, nil, nil)
	r := runClient(t, node, "openai_client.mjs", map[string]any{"baseURL": w.srv.URL + "/v1", "mode": "stream", "messages": userMsg("hello")})
	if r.Error != nil || !strings.HasPrefix(r.text(), demoNotice) || !strings.Contains(r.text(), "[EMAIL]") || r.FinishReason != "stop" {
		t.Fatalf("openai: %+v %q", r, r.text())
	}
	r = runClient(t, node, "anthropic_client.mjs", map[string]any{"baseURL": w.srv.URL, "mode": "stream", "messages": userMsg("hello")})
	if r.Error != nil || !strings.Contains(r.text(), "[AWS_ACCESS_KEY]") || r.StopReason != "end_turn" {
		t.Fatalf("anthropic: %+v %q", r, r.text())
	}
}
