package review_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review/internal/testkit"
)

var pg *testkit.Postgres
var pgErr error

func TestMain(m *testing.M) {
	switch os.Getenv("WARDEN_TEST_CHILD") {
	case "relay":
		os.Exit(relayChild())
	case "broker":
		os.Exit(brokerChild())
	}
	// A real tracer provider, so that checks carry trace context.
	tp := sdktrace.NewTracerProvider()
	otel.SetTracerProvider(tp)
	pg, pgErr = testkit.StartPostgres()
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// scorer stands in for the ONNX classifiers (not what these tests are
// about): texts with ESCALATE score 0.75 for prompt_injection (the default
// policy escalates: 0.623 <= s < 0.884), BLOCK 0.95 (blocks), others 0.01.
type scorer struct{}

func (scorer) Score(_ context.Context, _ types.Stage, texts []string) ([]types.Scores, error) {
	out := make([]types.Scores, len(texts))
	for i, t := range texts {
		s := 0.01
		switch {
		case strings.Contains(t, "BLOCK"):
			s = 0.95
		case strings.Contains(t, "ESCALATE"):
			s = 0.75
		}
		out[i] = types.Scores{types.PromptInjection: s, types.Jailbreak: 0.001}
	}
	return out, nil
}

func (scorer) Versions() map[string]string { return map[string]string{"injection": "test-1"} }

// emails is a minimal detector so that incidents carry findings.
type emails struct{}

var emailRE = regexp.MustCompile(`[a-z0-9.]+@[a-z0-9.]+\.[a-z]+`)

func (emails) Detect(_ context.Context, text string) ([]types.Finding, error) {
	var out []types.Finding
	for _, m := range emailRE.FindAllStringIndex(text, -1) {
		out = append(out, types.Finding{Type: "EMAIL", Class: "pii", Start: m[0], End: m[1], Score: 1, Detector: "test"})
	}
	return out, nil
}

// newCheck is the real check service with the real default policy.
func newCheck(t testing.TB, rec check.Recorder) *check.Service {
	t.Helper()
	pol := policy.New(policy.Options{})
	if err := pol.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return check.New(scorer{}, emails{}, pol, rec, check.Options{Timeout: 5 * time.Second})
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// responsePolicy is the default bundle with response-stage thresholds
// too, so that response-stage checks raise incidents.
func responsePolicy(t testing.TB) *policy.Engine {
	t.Helper()
	src := policy.DefaultBundle()
	mfs := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		if path.Base(p) == "data.json" {
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				return err
			}
			th := doc["config"].(map[string]any)["defaults"].(map[string]any)["thresholds"].(map[string]any)
			th["response"] = map[string]any{"prompt_injection": map[string]any{"block": 0.865, "escalate": 0.423}}
			b, _ = json.Marshal(doc)
		}
		mfs[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pol := policy.New(policy.Options{FS: mfs})
	if err := pol.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return pol
}
