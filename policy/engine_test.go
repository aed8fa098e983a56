package policy

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenhq/warden/internal/types"
)

func loadDefault(t testing.TB) *Engine {
	t.Helper()
	e := New(Options{})
	if err := e.Load(context.Background()); err != nil {
		t.Fatalf("default bundle: %v", err)
	}
	return e
}

// TestDefaultBundleTests runs the bundle's own _test.rego through OPA's
// tester, exactly as a reload does, and requires that there are tests.
func TestDefaultBundleTests(t *testing.T) {
	c, tr, err := compile(context.Background(), DefaultBundle())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Failed != 0 || tr.Passed < 10 {
		t.Fatalf("rego tests: %+v", tr)
	}
	if c.revision != "default-1" {
		t.Fatalf("revision %q", c.revision)
	}
}

func TestDecide(t *testing.T) {
	e := loadDefault(t)
	cases := []struct {
		name   string
		in     Input
		action types.Action
	}{
		{"benign", Input{Stage: types.StagePrompt, Tenant: "default", Scores: types.Scores{"prompt_injection": 0.01}}, types.ActionAllow},
		{"injection", Input{Stage: types.StagePrompt, Tenant: "default", Scores: types.Scores{"prompt_injection": 0.99}}, types.ActionBlock},
		{"uncertain", Input{Stage: types.StagePrompt, Tenant: "default", Scores: types.Scores{"jailbreak": 0.6}}, types.ActionEscalate},
		{"secret", Input{Stage: types.StagePrompt, Findings: []types.Finding{{Type: "JWT", Class: "secret", End: 30, Score: 1}}}, types.ActionRedact},
		{"no tenant", Input{Stage: types.StageResponse, Scores: types.Scores{}}, types.ActionAllow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := e.Decide(context.Background(), c.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != c.action {
				t.Fatalf("action %v, want %v (reasons %v)", d.Action, c.action, d.Reasons)
			}
			if d.PolicyRevision != "default-1" {
				t.Fatalf("revision %q", d.PolicyRevision)
			}
			if c.action != types.ActionAllow && len(d.Reasons) == 0 {
				t.Fatal("no reasons")
			}
		})
	}
}

func bundleFS(rego string) fstest.MapFS {
	return fstest.MapFS{"p.rego": {Data: []byte(rego)}}
}

func TestIllTypedDecisionIsAnError(t *testing.T) {
	cases := map[string]string{
		"undefined":        "package warden\n",
		"bare boolean":     "package warden\ndecision := true\n",
		"unknown action":   "package warden\ndecision := {\"action\": \"permit\"}\n",
		"reasons not list": "package warden\ndecision := {\"action\": \"block\", \"reasons\": \"x\"}\n",
		"block no reasons": "package warden\ndecision := {\"action\": \"block\"}\n",
		"bad redaction":    "package warden\ndecision := {\"action\": \"redact\", \"reasons\": [\"r\"], \"redactions\": [{\"type\": \"EMAIL\", \"mode\": \"shred\"}]}\n",
		"redact none":      "package warden\ndecision := {\"action\": \"redact\", \"reasons\": [\"r\"]}\n",
		"multiple values":  "package warden\nimport rego.v1\ndecision contains 1 if true\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			e := New(Options{FS: bundleFS(src)})
			if err := e.Load(context.Background()); err != nil {
				t.Fatalf("load: %v", err)
			}
			_, err := e.Decide(context.Background(), Input{Stage: types.StagePrompt})
			if !errors.Is(err, ErrDecision) {
				t.Fatalf("err = %v, want ErrDecision", err)
			}
		})
	}
}

func TestDecideBeforeLoad(t *testing.T) {
	if _, err := New(Options{}).Decide(context.Background(), Input{Stage: types.StagePrompt}); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadBundlesRejected(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"parse error":   bundleFS("package warden\ndecision := {\n"),
		"compile error": bundleFS("package warden\ndecision := {\"action\": undefined_var}\n"),
		"failing test": {
			"p.rego":      {Data: []byte("package warden\ndecision := {\"action\": \"allow\"}\n")},
			"p_test.rego": {Data: []byte("package warden_test\nimport rego.v1\ntest_blocks if data.warden.decision.action == \"block\"\n")},
		},
		"no rego": {"data.json": {Data: []byte("{}")}},
	}
	for name, fsys := range cases {
		t.Run(name, func(t *testing.T) {
			err := New(Options{FS: fsys}).Load(context.Background())
			if !errors.Is(err, ErrBundle) {
				t.Fatalf("err = %v, want ErrBundle", err)
			}
		})
	}
}

// copyDefault writes the default bundle into a temp dir.
func copyDefault(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(DefaultBundle(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, p), 0o755)
		}
		b, err := fs.ReadFile(DefaultBundle(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHotReload(t *testing.T) {
	dir := copyDefault(t)
	e := New(Options{Dir: dir, ReloadInterval: 10 * time.Millisecond})
	ctx := context.Background()
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	in := Input{Stage: types.StagePrompt, Tenant: "default", Scores: types.Scores{"prompt_injection": 0.8}}
	mustAction := func(want types.Action) {
		t.Helper()
		d, err := e.Decide(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Action != want {
			t.Fatalf("action %v, want %v", d.Action, want)
		}
	}
	mustAction(types.ActionEscalate)

	// Unchanged bundle: no reload.
	if changed, err := e.Reload(ctx); changed || err != nil {
		t.Fatalf("unchanged reload: %v %v", changed, err)
	}

	// A good change (lower block threshold, new revision) becomes active.
	data := filepath.Join(dir, "warden", "data.json")
	b, _ := os.ReadFile(data)
	good := withPIBlock(t, string(b), "0.75")
	os.WriteFile(data, []byte(good), 0o644)
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"default-2"}`), 0o644)
	// The bundle's own tests still pass with a block threshold of 0.75.
	if changed, err := e.Reload(ctx); !changed || err != nil {
		t.Fatalf("good reload: %v %v", changed, err)
	}
	mustAction(types.ActionBlock)
	if e.Revision() != "default-2" {
		t.Fatalf("revision %q", e.Revision())
	}

	// A bundle whose own tests fail is rejected; the old revision stays.
	os.WriteFile(data, []byte(strings.Replace(good, `"prompt_injection": {"block": 0.75`, `"prompt_injection": {"block": 0.999`, 1)), 0o644)
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"default-3"}`), 0o644)
	if changed, err := e.Reload(ctx); changed || !errors.Is(err, ErrBundle) {
		t.Fatalf("failing-test reload: %v %v", changed, err)
	}
	mustAction(types.ActionBlock)
	st := e.Status()
	if st.Revision != "default-2" || st.LastError == "" {
		t.Fatalf("status %+v", st)
	}

	// A bundle that does not compile is rejected too.
	os.WriteFile(filepath.Join(dir, "warden", "decision.rego"), []byte("package warden\ndecision := {"), 0o644)
	if _, err := e.Reload(ctx); !errors.Is(err, ErrBundle) {
		t.Fatalf("broken reload: %v", err)
	}
	mustAction(types.ActionBlock)
}

// TestWatchSwapsUnderLoad reloads through Watch while decisions run
// concurrently: every decision comes from one complete revision.
func TestWatchSwapsUnderLoad(t *testing.T) {
	dir := copyDefault(t)
	e := New(Options{Dir: dir, ReloadInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go e.Watch(ctx)
	in := Input{Stage: types.StagePrompt, Tenant: "default", Scores: types.Scores{"prompt_injection": 0.8}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d, err := e.Decide(ctx, in)
				if err != nil {
					errs <- err
					return
				}
				// Revision 1 escalates 0.8, revision 2 blocks it.
				ok := (d.PolicyRevision == "default-1" && d.Action == types.ActionEscalate) ||
					(d.PolicyRevision == "default-2" && d.Action == types.ActionBlock)
				if !ok {
					errs <- errors.New("decision " + d.Action.String() + " from revision " + d.PolicyRevision)
					return
				}
			}
		}()
	}
	data := filepath.Join(dir, "warden", "data.json")
	b, _ := os.ReadFile(data)
	os.WriteFile(data, []byte(withPIBlock(t, string(b), "0.75")), 0o644)
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision":"default-2"}`), 0o644)
	deadline := time.Now().Add(20 * time.Second)
	for e.Revision() != "default-2" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if e.Revision() != "default-2" {
		t.Fatal("watch did not pick up the change")
	}
}

// BenchmarkDecide measures one decision of the default bundle: "typical" is
// a 1 KB prompt with all eight category scores and one finding (allowed);
// "findings" has nine findings of five types at the response stage (four
// types masked); "block" is a strict-tenant injection with secrets.
func BenchmarkDecide(b *testing.B) {
	e := loadDefault(b)
	ctx := context.Background()
	// Scores as the models produce them: float32 widened to float64, which
	// print with up to 17 digits (0.12 -> 0.11999999731779099).
	scores := types.Scores{}
	for k, v := range map[string]float32{"prompt_injection": 0.12, "jailbreak": 0.03, "hate": 0.01, "violence": 0.02,
		"harassment": 0.1, "sexual": 0.01, "self_harm": 0.01, "illicit": 0.2} {
		scores[k] = float64(v)
	}
	many := []types.Finding{
		{Type: "CREDIT_CARD", Class: "pii", Start: 3, End: 20, Score: 1},
		{Type: "EMAIL", Class: "pii", Start: 30, End: 50, Score: 1},
		{Type: "AWS_ACCESS_KEY", Class: "secret", Start: 60, End: 80, Score: 1},
		{Type: "GITHUB_TOKEN", Class: "secret", Start: 90, End: 130, Score: 1},
		{Type: "CREDIT_CARD", Class: "pii", Start: 203, End: 220, Score: 1},
		{Type: "EMAIL", Class: "pii", Start: 230, End: 250, Score: 1},
		{Type: "AWS_ACCESS_KEY", Class: "secret", Start: 260, End: 280, Score: 1},
		{Type: "GITHUB_TOKEN", Class: "secret", Start: 290, End: 330, Score: 1},
		{Type: "PERSON", Class: "pii", Start: 400, End: 408, Score: float64(float32(0.9))},
	}
	blockScores := maps.Clone(scores)
	blockScores["prompt_injection"] = float64(float32(0.95))
	for _, bc := range []struct {
		name string
		in   Input
		want types.Action
	}{
		{"typical", Input{Stage: types.StagePrompt, Tenant: "default", Source: "hook", Scores: scores,
			Findings: []types.Finding{{Type: "EMAIL", Class: "pii", Start: 3, End: 20, Score: 1}}, TextLength: 1024}, types.ActionAllow},
		{"findings", Input{Stage: types.StageResponse, Tenant: "default", Source: "hook", Scores: scores,
			Findings: many, TextLength: 1024}, types.ActionRedact},
		{"block", Input{Stage: types.StagePrompt, Tenant: "strict", Source: "hook", Scores: blockScores,
			Findings: many[:4], TextLength: 1024}, types.ActionBlock},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d, err := e.Decide(ctx, bc.in)
			if err != nil || d.Action != bc.want {
				b.Fatalf("decision %v (%v), want %v", d.Action, err, bc.want)
			}
			for b.Loop() {
				if _, err := e.Decide(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// piBlock matches the default prompt-stage prompt_injection block threshold
// of data.json (its first occurrence), whatever the shipped model's value.
var piBlock = regexp.MustCompile(`"prompt_injection": \{"block": [0-9.]+`)

// withPIBlock returns data.json's text with that threshold set to v.
func withPIBlock(t *testing.T, s, v string) string {
	t.Helper()
	loc := piBlock.FindStringIndex(s)
	if loc == nil {
		t.Fatal("data.json has no prompt_injection block threshold")
	}
	return s[:loc[0]] + `"prompt_injection": {"block": ` + v + s[loc[1]:]
}
