package detect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/classifiers/detect/devset"
	"github.com/wardenhq/warden/internal/types"
)

var update = flag.Bool("update", false, "rewrite generated testdata files")

const (
	positivesFile  = "testdata/dev_positives.jsonl"
	lookalikesFile = "testdata/dev_lookalikes.jsonl"
)

// sharedData is ../shared/data seen from this package (override with
// WARDEN_SHARED_DATA).
func sharedData() string {
	if d := os.Getenv("WARDEN_SHARED_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "data")
}

func encodeCases(cs []devset.Case) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, c := range cs {
		_ = enc.Encode(c)
	}
	return b.Bytes()
}

// TestDevSetFiles keeps the committed dev set equal to what the seeded
// generator produces (-update rewrites it).
func TestDevSetFiles(t *testing.T) {
	for _, f := range []struct {
		path string
		data []byte
	}{
		{positivesFile, encodeCases(devset.Positives(devset.Seed))},
		{lookalikesFile, encodeCases(devset.LookAlikes(devset.Seed))},
	} {
		if *update {
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestDevSetFiles -update)", err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s is stale: run go test ./classifiers/detect -run TestDevSetFiles -update", f.path)
		}
	}
}

func readCases(t testing.TB, path string) []devset.Case {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []devset.Case
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c devset.Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// covers reports whether a finding of the expected type (any secret for a
// secret case) covers the whole expected span.
func covers(fs []types.Finding, c devset.Case) bool {
	for _, f := range fs {
		if f.Start <= c.Start && f.End >= c.End && (f.Type == c.Type || c.Class == ClassSecret && f.Class == ClassSecret) {
			return true
		}
	}
	return false
}

type tally struct{ hit, n int }

func (t tally) rate() float64 {
	if t.n == 0 {
		return 0
	}
	return float64(t.hit) / float64(t.n)
}

func newRuleDetector(t testing.TB) *Detector {
	t.Helper()
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDevSetQuality asserts the targets: recall ≥ 99% per structured type
// on canonical formats, ≤ 1% false findings on look-alikes. It logs recall
// per type and per format variant.
func TestDevSetQuality(t *testing.T) {
	d := newRuleDetector(t)
	ctx := context.Background()
	byType := map[string]*tally{}
	byFormat := map[string]*tally{}
	canon := map[string]*tally{}
	for _, c := range readCases(t, positivesFile) {
		fs, err := d.Detect(ctx, c.Text)
		if err != nil {
			t.Fatal(err)
		}
		ok := covers(fs, c)
		for _, m := range []struct {
			m   map[string]*tally
			key string
			on  bool
		}{{byType, c.Type, true}, {byFormat, c.Type + "/" + c.Format, true}, {canon, c.Type, c.Canonical}} {
			if !m.on {
				continue
			}
			if m.m[m.key] == nil {
				m.m[m.key] = &tally{}
			}
			m.m[m.key].n++
			if ok {
				m.m[m.key].hit++
			}
		}
		if !ok && c.Canonical {
			t.Logf("missed %s: %q", c.ID, c.Text)
		}
	}
	for _, k := range sortedKeys(byFormat) {
		t.Logf("recall %-45s %6.1f%% (%d)", k, 100*byFormat[k].rate(), byFormat[k].n)
	}
	for _, k := range sortedKeys(byType) {
		t.Logf("recall %-28s all formats %6.1f%% (%d)  canonical %6.1f%% (%d)", k, 100*byType[k].rate(), byType[k].n, 100*canon[k].rate(), canon[k].n)
		if canon[k].n > 0 && canon[k].rate() < 0.99 {
			t.Errorf("%s: canonical recall %.1f%% < 99%%", k, 100*canon[k].rate())
		}
	}

	// Look-alikes: no finding at all.
	la := readCases(t, lookalikesFile)
	false_, byKind := 0, map[string]*tally{}
	for _, c := range la {
		fs, err := d.Detect(ctx, c.Text)
		if err != nil {
			t.Fatal(err)
		}
		if byKind[c.Format] == nil {
			byKind[c.Format] = &tally{}
		}
		byKind[c.Format].n++
		if len(fs) > 0 {
			false_++
			byKind[c.Format].hit++
			t.Logf("false finding in %s: %q -> %s", c.ID, c.Text, describe(c.Text, fs))
		}
	}
	for _, k := range sortedKeys(byKind) {
		t.Logf("look-alike %-22s false %5.1f%% (%d)", k, 100*byKind[k].rate(), byKind[k].n)
	}
	rate := float64(false_) / float64(len(la))
	t.Logf("look-alikes: %d of %d texts with a finding (%.2f%%)", false_, len(la), 100*rate)
	if rate > 0.01 {
		t.Errorf("false findings on look-alikes %.2f%% > 1%%", 100*rate)
	}
}

// TestPresidioStructured measures recall on the structured entities of
// Presidio's synthetic data (read from ../shared/data, never copied). Its
// values come from Faker: many are not valid numbers (a card with a bad
// Luhn digit is not a card), so the figure is reported, with a floor.
func TestPresidioStructured(t *testing.T) {
	path := filepath.Join(sharedData(), "presidio-research", "data", "synth_dataset_v2.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("presidio data not available: %v", err)
	}
	var recs []struct {
		Text  string `json:"full_text"`
		Spans []struct {
			Type  string `json:"entity_type"`
			Value string `json:"entity_value"`
			Start int    `json:"start_position"`
			End   int    `json:"end_position"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{"CREDIT_CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL", "IBAN_CODE": "IBAN", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS"}
	d := newRuleDetector(t)
	res := map[string]*tally{}
	for _, r := range recs {
		var fs []types.Finding
		for _, s := range r.Spans {
			typ, ok := m[s.Type]
			if !ok {
				continue
			}
			if fs == nil {
				fs, _ = d.Detect(context.Background(), r.Text)
			}
			st := strings.Index(r.Text, s.Value)
			if res[typ] == nil {
				res[typ] = &tally{}
			}
			res[typ].n++
			if covers(fs, devset.Case{Type: typ, Start: st, End: st + len(s.Value)}) {
				res[typ].hit++
			} else {
				t.Logf("presidio %s missed: %q", typ, s.Value)
			}
		}
	}
	total := tally{}
	for _, k := range sortedKeys(res) {
		t.Logf("presidio %-12s recall %5.1f%% (%d)", k, 100*res[k].rate(), res[k].n)
		total.hit += res[k].hit
		total.n += res[k].n
	}
	if total.rate() < 0.75 {
		t.Errorf("presidio structured recall %.1f%% < 75%%", 100*total.rate())
	}
}

// TestGSM8KFalseFindings counts findings in number-heavy benign text.
func TestGSM8KFalseFindings(t *testing.T) {
	path := filepath.Join(sharedData(), "gsm8k", "grade_school_math", "data", "test.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("gsm8k not available: %v", err)
	}
	defer f.Close()
	d := newRuleDetector(t)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, bad := 0, 0
	for sc.Scan() {
		var r struct{ Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		text := r.Question + "\n" + r.Answer
		fs, _ := d.Detect(context.Background(), text)
		n++
		if len(fs) > 0 {
			bad++
			t.Logf("gsm8k false finding: %s", describe(text, fs))
		}
	}
	rate := float64(bad) / float64(n)
	t.Logf("gsm8k test: %d of %d texts with a finding (%.2f%%)", bad, n, 100*rate)
	if rate > 0.01 {
		t.Errorf("gsm8k false findings %.2f%% > 1%%", 100*rate)
	}
}

func describe(text string, fs []types.Finding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s(%s)=%q", f.Type, f.Detector, text[f.Start:f.End]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
