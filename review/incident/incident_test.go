package incident_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
)

func valid() *incident.Incident {
	d := 42
	return &incident.Incident{
		Schema: incident.Schema, ID: "01928f6e-8c1a-7b3e-9f00-0123456789ab", Time: time.Date(2026, 10, 1, 12, 0, 0, 123456789, time.UTC),
		Tenant: "acme", Stage: "response", Source: "stream", Action: "block", Key: "acme/conv-1",
		Reasons: []string{"prompt_injection score 0.95 >= block threshold 0.90"}, RuleIDs: []string{"prompt_injection.block"},
		Scores: map[string]float64{"prompt_injection": 0.95, "jailbreak": 0.1}, Signals: []string{"tag_chars"},
		Findings: []types.Finding{{Type: "EMAIL", Class: "pii", Start: 10, End: 17, Score: 1, Detector: "email"}},
		Text:     "reply to: [EMAIL] now", Prompt: "what is [PHONE]'s address", Delivered: &d,
		DecisionID: "01928f6e-8c1a-7b3e-9f00-0123456789ac",
		Trace: incident.Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
			Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		PolicyRevision: "default-1", ModelVersions: map[string]string{"injection": "1.0.0"},
	}
}

func TestSchemaAcceptsAndRejects(t *testing.T) {
	b, _ := json.Marshal(valid())
	if err := incident.ValidateJSON(b); err != nil {
		t.Fatalf("valid incident rejected: %v", err)
	}
	inc, err := incident.Decode(b)
	if err != nil || inc.ID != valid().ID || *inc.Delivered != 42 {
		t.Fatalf("decode: %+v %v", inc, err)
	}
	// Normalize fills what a producer may leave nil.
	min := &incident.Incident{ID: "01928f6e-8c1a-7b3e-9f00-0123456789ab", Time: time.Now().UTC(), Tenant: "t", Stage: "prompt",
		Source: "hook", Action: "escalate", DecisionID: "d"}
	min.Normalize()
	b, _ = json.Marshal(min)
	if err := incident.ValidateJSON(b); err != nil {
		t.Fatalf("normalized minimal incident rejected: %v\n%s", err, b)
	}

	cases := map[string]func(m map[string]any){
		"wrong schema":       func(m map[string]any) { m["schema"] = "warden.incident.v2" },
		"allow is no action": func(m map[string]any) { m["action"] = "allow" },
		"unknown stage":      func(m map[string]any) { m["stage"] = "middle" },
		"unknown source":     func(m map[string]any) { m["source"] = "email" },
		"bad id":             func(m map[string]any) { m["id"] = "not-a-uuid" },
		"bad time":           func(m map[string]any) { m["time"] = "yesterday" },
		"missing text":       func(m map[string]any) { delete(m, "text") },
		"null reasons":       func(m map[string]any) { m["reasons"] = nil },
		"score above 1":      func(m map[string]any) { m["scores"] = map[string]any{"hate": 1.5} },
		"bad category name":  func(m map[string]any) { m["scores"] = map[string]any{"Hate Speech": 0.5} },
		"negative offset": func(m map[string]any) {
			m["findings"] = []any{map[string]any{"type": "EMAIL", "start": -1, "end": 2, "score": 1}}
		},
		"unknown field":       func(m map[string]any) { m["raw_text"] = "secret" },
		"negative delivered":  func(m map[string]any) { m["delivered_bytes"] = -1 },
		"bad traceparent":     func(m map[string]any) { m["trace"] = map[string]any{"traceparent": "xyz"} },
		"empty tenant":        func(m map[string]any) { m["tenant"] = "" },
		"finding without end": func(m map[string]any) { m["findings"] = []any{map[string]any{"type": "EMAIL", "start": 1, "score": 1}} },
	}
	for name, mutate := range cases {
		b, _ := json.Marshal(valid())
		var m map[string]any
		json.Unmarshal(b, &m)
		mutate(m)
		b, _ = json.Marshal(m)
		if err := incident.ValidateJSON(b); err == nil {
			t.Errorf("%s: accepted by the schema", name)
		}
		// The fast validator the ingest uses agrees, except where a
		// missing field decodes to a zero value the schema allows.
		lenient := name == "missing text" || name == "finding without end"
		if _, err := incident.Decode(b); (err == nil) != lenient {
			t.Errorf("%s: Decode error %v (lenient %v)", name, err, lenient)
		}
	}
	if err := incident.ValidateJSON([]byte("{")); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("broken JSON: %v", err)
	}
	for _, bad := range []string{"{", "[]", "null", `{"schema":"warden.incident.v1"}`} {
		if _, err := incident.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) accepted", bad)
		}
	}
	b, _ = json.Marshal(valid())
	if _, err := incident.Decode(append(b, []byte(` {"x":1}`)...)); err == nil {
		t.Error("trailing data accepted")
	}
}

func BenchmarkDecode(b *testing.B) {
	buf, _ := json.Marshal(valid())
	for b.Loop() {
		if _, err := incident.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateJSON(b *testing.B) {
	buf, _ := json.Marshal(valid())
	for b.Loop() {
		if err := incident.ValidateJSON(buf); err != nil {
			b.Fatal(err)
		}
	}
}
