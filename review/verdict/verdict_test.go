package verdict

import (
	"encoding/json"
	"testing"
	"time"
)

func TestKindsAndSchema(t *testing.T) {
	for _, k := range []string{"confirm", "overturn", "relabel"} {
		if _, err := ParseKind(k); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseKind("maybe"); err == nil {
		t.Error("unknown kind accepted")
	}
	ev := Event{Schema: Schema, ID: "01928f6e-8c1a-7b3e-9f00-0123456789ab", Time: time.Now().UTC(),
		IncidentID: "01928f6e-8c1a-7b3e-9f00-0123456789ac", Tenant: "acme", Stage: "prompt", Action: "escalate",
		Verdict: Relabel, Categories: []string{"jailbreak"}, Reviewer: "alice", PolicyRevision: "r1",
		ModelVersions: map[string]string{}, Scores: map[string]float64{"jailbreak": 0.4}}
	b, _ := json.Marshal(ev)
	if err := ValidateJSON(b); err != nil {
		t.Fatal(err)
	}
	ev.Categories = []string{"Not Snake"}
	b, _ = json.Marshal(ev)
	if err := ValidateJSON(b); err == nil {
		t.Fatal("bad category accepted")
	}
}
