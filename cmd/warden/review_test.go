package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/verdict"
)

func TestReviewCommands(t *testing.T) {
	ctx := context.Background()
	dir := usersEnv(t)

	// Seed the store the commands will find (same WARDEN_DATA_DIR).
	rcfg, err := review.FromEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := review.OpenStore(ctx, rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	inc := &incident.Incident{Schema: incident.Schema, ID: uuid.Must(uuid.NewV7()).String(), Time: time.Now().UTC(), Tenant: "acme",
		Stage: "prompt", Source: "hook", Action: "escalate", Key: "acme/c1", Reasons: []string{"r"}, RuleIDs: []string{"jailbreak.escalate"},
		Scores: map[string]float64{"jailbreak": 0.6}, Text: "pretend you are [EMAIL]", Prompt: "secret context", DecisionID: "d1",
		ModelVersions: map[string]string{"m": "1"}}
	if _, err := st.UpsertIncidents(ctx, []*incident.Incident{inc}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordVerdict(ctx, store.VerdictInput{IncidentID: inc.ID, Reviewer: "alice", Kind: verdict.Confirm}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errb bytes.Buffer
	file := filepath.Join(dir, "labels.jsonl")
	if err := run(ctx, []string{"export", "labels", "-out", file, "-since", "1h", "-actor", "tester"}, &out, &errb); err != nil {
		t.Fatalf("export: %v %s", err, errb.String())
	}
	b, _ := os.ReadFile(file)
	var l store.Label
	if err := json.Unmarshal(bytes.TrimSpace(b), &l); err != nil {
		t.Fatalf("label line %q: %v", b, err)
	}
	if l.IncidentID != inc.ID || l.Text != inc.Text || l.Verdict != verdict.Confirm || len(l.Categories) != 1 || l.Categories[0] != "jailbreak" {
		t.Fatalf("label %+v", l)
	}
	if strings.Contains(string(b), "secret context") {
		t.Fatal("the sealed prompt context leaked into the export")
	}

	out.Reset()
	if err := run(ctx, []string{"review", "verify-audit"}, &out, &errb); err != nil || !strings.Contains(out.String(), "2 entries") {
		t.Fatalf("verify-audit: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"review", "rotate-key", "-drop-old"}, &out, &errb); err != nil || !strings.Contains(out.String(), "resealed 1 incidents") {
		t.Fatalf("rotate-key: %v %q %s", err, out.String(), errb.String())
	}
	st, err = review.OpenStore(ctx, rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if s, err := st.Reveal(ctx, inc.ID, "admin"); err != nil || s.Prompt != "secret context" {
		t.Fatalf("after rotation: %+v %v", s, err)
	}
	if n, err := st.VerifyAudit(ctx); err != nil || n != 4 {
		t.Fatalf("audit after export, rotation and reveal: %d %v", n, err)
	}

	if err := run(ctx, []string{"review"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("review without brokers: %v", err)
	}
	if err := run(ctx, []string{"export", "nope"}, &out, &errb); err == nil {
		t.Fatal("export nope accepted")
	}
}

// rotate-key -drop-old while a process (warden serve) has the store open:
// the process picks up the new key file before its next seal, so an
// incident it records after the rotation can still be opened once the old
// key is gone (it used to be sealed with the dropped key: lost).
func TestRotateKeyWithRunningStore(t *testing.T) {
	ctx := context.Background()
	dir := usersEnv(t)
	dropGrace = 10 * time.Millisecond
	t.Cleanup(func() { dropGrace = time.Second })
	rcfg, err := review.FromEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	running, err := review.OpenStore(ctx, rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	newIncident := func(prompt string) *incident.Incident {
		inc := &incident.Incident{Schema: incident.Schema, ID: uuid.Must(uuid.NewV7()).String(), Time: time.Now().UTC(), Tenant: "acme",
			Stage: "prompt", Source: "hook", Action: "block", Key: "acme/c1", Reasons: []string{"r"}, RuleIDs: []string{"jailbreak.block"},
			Scores: map[string]float64{"jailbreak": 0.9}, Text: "pretend you are [EMAIL]", Prompt: prompt, DecisionID: uuid.NewString(),
			ModelVersions: map[string]string{"m": "1"}}
		if _, err := running.UpsertIncidents(ctx, []*incident.Incident{inc}); err != nil {
			t.Fatal(err)
		}
		return inc
	}
	before := newIncident("context before the rotation")
	for round := range 2 {
		var out, errb bytes.Buffer
		if err := run(ctx, []string{"review", "rotate-key", "-drop-old"}, &out, &errb); err != nil || !strings.Contains(out.String(), "dropped 1 old keys") {
			t.Fatalf("round %d: rotate-key: %v %q %s", round, err, out.String(), errb.String())
		}
	}
	after := newIncident("context after the rotation")

	fresh, err := review.OpenStore(ctx, rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for _, inc := range []*incident.Incident{before, after} {
		if s, err := fresh.Reveal(ctx, inc.ID, "admin"); err != nil || s.Prompt != inc.Prompt {
			t.Fatalf("incident with %q after two rotations: %+v %v", inc.Prompt, s, err)
		}
	}
	keys, err := fresh.SealKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("seal keys after the rotations: %v %v", keys, err)
	}
}
