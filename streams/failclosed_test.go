package streams

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
)

// A prompt check that cannot complete (here its deadline passes at once)
// fails closed: the prompt does not reach the upstream, and the client gets
// a retryable 503 check_failed with Retry-After, in the provider's error
// format, not a 400 content_filter that says the prompt was refused.
func TestPromptCheckFailedClosedIsRetryable(t *testing.T) {
	rec := &memRecorder{}
	svc := check.New(testenv.Suite(t), newReDetector(), testPolicy(t, nil), rec,
		check.Options{FailOpen: map[types.Stage]bool{}, Timeout: time.Nanosecond})
	up := newUpstream(t, openaiScript([]string{"ok"}, "", 0))
	w := newWarden(t, svc, rec, func(c *Config) {
		c.UpstreamURL = up.srv.URL + "/v1"
		c.AnthropicUpstreamURL = up.srv.URL
	})
	for _, tc := range []struct {
		path, wantType string
		body           map[string]any
	}{
		{"/v1/chat/completions", "server_error", map[string]any{"model": "m", "messages": []any{
			map[string]any{"role": "user", "content": "What is the capital of France?"}}}},
		{"/v1/messages", "api_error", map[string]any{"model": "m", "max_tokens": 10, "messages": []any{
			map[string]any{"role": "user", "content": "What is the capital of France?"}}}},
	} {
		resp := post(t, w.srv.URL+tc.path, tc.body, map[string]string{"x-api-key": "k"})
		var e struct {
			Error struct{ Code, Type, Message string } `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get(HeaderDecisionID) == "" {
			t.Errorf("%s: status %d, Retry-After %q, decision %q", tc.path, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get(HeaderDecisionID))
		}
		if e.Error.Type != tc.wantType || (e.Error.Code != "" && e.Error.Code != CodeCheckFailed) {
			t.Errorf("%s: error %+v", tc.path, e.Error)
		}
	}
	if len(up.bodies) != 0 {
		t.Fatal("a prompt that was not checked reached the upstream")
	}
}
