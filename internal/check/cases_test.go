package check_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/models/ner"
)

// A regression case in the style of the OWASP CRS corpus: a text, and the
// actions it must (want) or must not (not) get from the whole pipeline.
type regressionCase struct {
	Name   string   `json:"name"`
	Stage  string   `json:"stage"`
	Tenant string   `json:"tenant,omitempty"`
	Text   string   `json:"text"`
	Want   string   `json:"want,omitempty"`
	Not    []string `json:"not,omitempty"`
	// Redacted, when set, is the exact text the caller must get back.
	Redacted string `json:"redacted,omitempty"`
	// Findings lists finding types that must be found.
	Findings []string `json:"findings,omitempty"`
}

// TestRegressionCases runs testdata/cases/*.json through the real guard:
// ONNX models, detectors (with the NER model), the default policy.
func TestRegressionCases(t *testing.T) {
	svc := nerService(t)
	files, _ := filepath.Glob("testdata/cases/*.json")
	if len(files) == 0 {
		t.Fatal("no case files")
	}
	total := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var cases []regressionCase
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range cases {
			total++
			t.Run(strings.TrimSuffix(filepath.Base(file), ".json")+"/"+c.Name, func(t *testing.T) {
				if c.Want == "" && len(c.Not) == 0 {
					t.Fatal("case names neither want nor not")
				}
				stage, err := types.ParseStage(c.Stage)
				if err != nil {
					t.Fatal(err)
				}
				res, err := svc.Check(context.Background(), check.Request{Stage: stage, Tenant: c.Tenant, Text: c.Text})
				if err != nil {
					t.Fatal(err)
				}
				got := res.Action.String()
				if c.Want != "" && got != c.Want {
					t.Errorf("action %s, want %s (scores %v, reasons %v)", got, c.Want, res.Scores, res.Reasons)
				}
				if slices.Contains(c.Not, got) {
					t.Errorf("action %s, must not be one of %v (scores %v, reasons %v)", got, c.Not, res.Scores, res.Reasons)
				}
				if c.Redacted != "" && res.Text != c.Redacted {
					t.Errorf("text %q, want %q", res.Text, c.Redacted)
				}
				for _, typ := range c.Findings {
					if !slices.ContainsFunc(res.Findings, func(f types.Finding) bool { return f.Type == typ }) {
						t.Errorf("no %s finding in %+v", typ, res.Findings)
					}
				}
			})
		}
	}
	t.Logf("%d cases from %d files", total, len(files))
}

// nerService is the guard on the embedded default without an incident
// recorder: shipped models, detectors with the name tagger, default policy.
func nerService(tb testing.TB) *check.Service {
	tb.Helper()
	testenv.ORT(tb)
	det, err := detect.New(detect.Options{NERModelFS: ner.FS, NERDir: "."})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { det.Close() })
	return testenv.Service(tb, det, nil, check.Options{})
}
