package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review/incident"
)

// reDetector is a small RE2 detector standing in for classifiers/detect
// until it lands: it implements check.Detector and HoldBacker the way the
// real one will.
type reDetector struct {
	rules []reRule
	max   int
}

type reRule struct {
	typ, class string
	re         *regexp.Regexp
	max        int
	valid      func(string) bool
}

func newReDetector() *reDetector {
	d := &reDetector{rules: []reRule{
		{typ: "AWS_ACCESS_KEY", class: "secret", re: regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), max: 20},
		{typ: "GITHUB_TOKEN", class: "secret", re: regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36}\b`), max: 40},
		{typ: "PRIVATE_KEY", class: "secret", re: regexp.MustCompile(`-----BEGIN [A-Z]{0,10} ?PRIVATE KEY-----[A-Za-z0-9+/=\s]{1,600}?-----END [A-Z]{0,10} ?PRIVATE KEY-----`), max: 690},
		{typ: "EMAIL", class: "pii", re: regexp.MustCompile(`\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,3}\.[A-Za-z]{2,24}\b`), max: 64 + 1 + 63 + 3*64 + 25},
		{typ: "CREDIT_CARD", class: "pii", re: regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`), max: 37, valid: luhn},
		{typ: "FORBIDDEN", class: "secret", re: regexp.MustCompile(`(?i)launch code is \d{4}`), max: 19},
		{typ: "ESCALATE", class: "pii", re: regexp.MustCompile(`\bcall me maybe\b`), max: 13},
	}}
	for _, r := range d.rules {
		d.max = max(d.max, r.max)
	}
	return d
}

func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && sum%10 == 0
}

func (d *reDetector) MaxMatch() int { return d.max }

func (d *reDetector) Detect(_ context.Context, text string) ([]types.Finding, error) {
	var out []types.Finding
	for _, r := range d.rules {
		for _, m := range r.re.FindAllStringIndex(text, -1) {
			if r.valid != nil && !r.valid(text[m[0]:m[1]]) {
				continue
			}
			out = append(out, types.Finding{Type: r.typ, Class: r.class, Start: m[0], End: m[1], Score: 1, Detector: "test." + strings.ToLower(r.typ)})
		}
	}
	return out, nil
}

// memRecorder keeps incidents in memory.
type memRecorder struct {
	mu  sync.Mutex
	inc []*incident.Incident
}

func (m *memRecorder) Record(_ context.Context, inc *incident.Incident) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inc = append(m.inc, inc)
	return nil
}

func (m *memRecorder) all() []*incident.Incident {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*incident.Incident(nil), m.inc...)
}

// testPolicy loads the streams test bundle with the given response-stage
// score thresholds (category -> block threshold).
func testPolicy(t testing.TB, thresholds map[string]float64) *policy.Engine {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "policy")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(thresholds) > 0 {
		data := map[string]any{"test": map[string]any{
			"block_types": []string{"FORBIDDEN"}, "escalate_types": []string{"ESCALATE"}, "modes": map[string]string{},
			"thresholds": map[string]any{"response": thresholds},
		}}
		b, _ := json.Marshal(data)
		if err := os.WriteFile(filepath.Join(dir, "warden", "data.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := policy.New(policy.Options{FS: os.DirFS(dir)})
	if err := e.Load(context.Background()); err != nil {
		t.Fatalf("test policy: %v", err)
	}
	return e
}

// responseSuite loads the shipped (or WARDEN_TEST_MODELS) hashgram models
// with their stage restriction lifted, so that they score responses too:
// a real classifier at the response stage, which the shipped set may not
// have yet.
func responseSuite(t testing.TB) *classifiers.Suite {
	t.Helper()
	testenv.ORT(t)
	src := testenv.ModelsDir()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		mb, err := os.ReadFile(filepath.Join(src, e.Name(), "manifest.json"))
		if err != nil {
			continue
		}
		var man map[string]any
		if json.Unmarshal(mb, &man) != nil || man["kind"] != classifiers.KindHashgram {
			continue
		}
		delete(man, "stages")
		dir := filepath.Join(dst, e.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(man)
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		file, _ := man["file"].(string)
		if err := os.Symlink(filepath.Join(src, e.Name(), file), filepath.Join(dir, file)); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no hashgram model under %s", src)
	}
	s, err := classifiers.LoadAll(os.DirFS(dst), ".", classifiers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newTestService is a check service on the real models, the test policy,
// the RE2 detector and an in-memory recorder.
func newTestService(t testing.TB, pol *policy.Engine, det check.Detector) (*check.Service, *memRecorder) {
	t.Helper()
	rec := &memRecorder{}
	if pol == nil {
		pol = testPolicy(t, nil)
	}
	return check.New(testenv.Suite(t), det, pol, rec, check.Options{FailOpen: map[types.Stage]bool{}}), rec
}

func newTestEngine(t testing.TB, svc *check.Service, mod func(*Config)) *Engine {
	t.Helper()
	cfg := Default()
	if mod != nil {
		mod(&cfg)
	}
	e, err := NewEngine(Deps{Config: cfg, Service: func() *check.Service { return svc }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkGoroutines fails the test if goroutines started during it are still
// running after it (allowing time for connections to wind down).
func checkGoroutines(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprint(err))
	}
	return string(b)
}
