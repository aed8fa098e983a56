package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/eval"
)

// TestEvalCommand runs `warden eval` on the eval fixture through the
// guard's own wiring (newGuard: embedded models, default policy,
// detectors) and checks the three outputs.
func TestEvalCommand(t *testing.T) {
	dir := evalEnv(t)
	fixture := filepath.Join("..", "..", "internal", "eval", "testdata", "fixture.jsonl")
	jsonOut, htmlOut, rowsOut := filepath.Join(dir, "out.json"), filepath.Join(dir, "out.html"), filepath.Join(dir, "rows.jsonl")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"eval", "-json", jsonOut, fixture, "-report", htmlOut, "-rows", rowsOut, "-concurrency", "2", "-timeout", "30s", "-progress", "lines"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "prompt_injection") || !strings.Contains(stdout.String(), "latency: p50") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "eval: 35/35 rows (100%)") {
		t.Errorf("progress lines:\n%s", stderr.String())
	}
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var rep eval.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != eval.Schema || rep.Rows != 35 || rep.Errors != 0 || len(rep.Input.SHA256) != 64 || rep.ModelVersions["injection"] == "" || rep.PolicyRevision == "" {
		t.Errorf("JSON report: %+v", rep)
	}
	h, err := os.ReadFile(htmlOut)
	if err != nil || !bytes.Contains(h, []byte("<svg")) {
		t.Errorf("HTML report: %v", err)
	}
	rb, err := os.ReadFile(rowsOut)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(rb)), "\n"); len(lines) != 35 || !strings.HasPrefix(lines[0], `{"line":1,`) {
		t.Errorf("row results: %d lines, first %.80s", len(lines), lines[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "redact.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("eval wrote a redaction key into the data dir: %v", err)
	}
}

func TestEvalCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"eval"}, {"eval", "a.jsonl", "b.jsonl"}, {"eval", "-concurrency", "0", "a.jsonl"}, {"eval", "-progress", "loud", "a.jsonl"}} {
		var out, errb bytes.Buffer
		var ue usageError
		if err := run(context.Background(), args, &out, &errb); !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// A model in WARDEN_EXTRA_MODELS named like one already loaded is refused
// at start-up, naming the directory: it was scored but hidden from
// model_versions (a map by name) and made WARDEN_TIER2_MODEL ambiguous.
func TestExtraModelNameClash(t *testing.T) {
	evalEnv(t)
	injection := filepath.Join("..", "..", "models", "injection") // the embedded "injection" again
	t.Setenv("WARDEN_EXTRA_MODELS", injection)
	fixture := filepath.Join("..", "..", "internal", "eval", "testdata", "fixture.jsonl")
	err := run(context.Background(), []string{"eval", "-progress", "off", fixture}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `model directory `+injection+`: a model named "injection" is already loaded`) {
		t.Fatalf("err = %v, want the name clash", err)
	}
}

// evalEnv sets up the environment of a `warden eval` run (a fresh data
// directory, embedded models and policy, no name tagger) and returns the
// temporary directory.
func evalEnv(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("WARDEN_DATA_DIR", filepath.Join(dir, "data"))
	t.Setenv("WARDEN_NER", "off")
	t.Setenv("WARDEN_LOG_LEVEL", "error")
	t.Setenv("WARDEN_MODELS_DIR", "")
	t.Setenv("WARDEN_POLICY_DIR", "")
	return dir
}
