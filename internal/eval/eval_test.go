package eval_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/eval"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
)

// referenceAP is average precision by its definition, computed the slow
// way: for every distinct threshold t, precision and recall of "score >= t"
// over all rows, summed as Σ (R(t_k) − R(t_{k−1})) · P(t_k) from the highest
// threshold down.
func referenceAP(scores []float64, labels []bool) float64 {
	var ts []float64
	seen := map[float64]bool{}
	pos := 0
	for i, s := range scores {
		if !seen[s] {
			seen[s] = true
			ts = append(ts, s)
		}
		if labels[i] {
			pos++
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(ts)))
	ap, prevR := 0.0, 0.0
	for _, t := range ts {
		tp, sel := 0, 0
		for i, s := range scores {
			if s >= t {
				sel++
				if labels[i] {
					tp++
				}
			}
		}
		r := float64(tp) / float64(pos)
		ap += (r - prevR) * float64(tp) / float64(sel)
		prevR = r
	}
	return ap
}

func TestAveragePrecision(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
		ok     bool
	}{
		// scikit-learn's documented example for average_precision_score.
		{"sklearn example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.8333333333333333, true},
		{"perfect ranking", []float64{0.9, 0.8, 0.2, 0.1}, []bool{true, true, false, false}, 1, true},
		{"worst ranking", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, (0.5*(1.0/3) + 0.5*(2.0/4)), true},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, false, true}, 0.5, true},
		{"tie across classes", []float64{0.9, 0.7, 0.7, 0.1}, []bool{true, true, false, false}, 0.5*1 + 0.5*(2.0/3), true},
		{"no positives", []float64{0.9, 0.1}, []bool{false, false}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := eval.AveragePrecision(tc.scores, tc.labels)
			if ok != tc.ok || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("AP = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
			if ok && math.Abs(got-referenceAP(tc.scores, tc.labels)) > 1e-12 {
				t.Fatalf("AP %v differs from the reference %v", got, referenceAP(tc.scores, tc.labels))
			}
		})
	}
	// Random cases with many ties (scores rounded to one decimal).
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		size := 1 + rng.IntN(60)
		scores, labels := make([]float64, size), make([]bool, size)
		any := false
		for i := range scores {
			labels[i] = rng.IntN(3) == 0
			any = any || labels[i]
			scores[i] = math.Round(rng.Float64()*10) / 10
			if labels[i] {
				scores[i] = math.Min(1, scores[i]+0.2)
			}
		}
		got, ok := eval.AveragePrecision(scores, labels)
		if ok != any {
			t.Fatalf("case %d: ok = %v with positives %v", n, ok, any)
		}
		if ok && math.Abs(got-referenceAP(scores, labels)) > 1e-9 {
			t.Fatalf("case %d: AP %v, reference %v (%v %v)", n, got, referenceAP(scores, labels), scores, labels)
		}
	}
}

func TestPRCurve(t *testing.T) {
	got := eval.PRCurve([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true})
	want := []eval.PRPoint{{0.8, 1, 0.5}, {0.4, 0.5, 0.5}, {0.35, 2.0 / 3, 1}, {0.1, 0.5, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestQuantile(t *testing.T) {
	d := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	for _, tc := range []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{d(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{d(1, 2, 3, 4, 5), 0.5, 3 * time.Millisecond},
		{d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
		{d(7), 0.99, 7 * time.Millisecond},
		{nil, 0.5, 0},
	} {
		if got := eval.Quantile(tc.in, tc.q); got != tc.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
	}
}

func TestReadRows(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		rows     int
		err      string
	}{
		{"ok", `{"text":"hi","stage":"prompt","labels":[]}` + "\n\n" + `{"text":"x","stage":"response","labels":["hate"],"tenant":"t","source":"ignored"}`, 2, ""},
		{"byte order mark", "\ufeff" + `{"text":"hi","stage":"prompt","labels":[]}`, 1, ""},
		{"bad stage", `{"text":"hi","stage":"input","labels":[]}`, 0, "line 1: stage"},
		{"no labels", `{"text":"hi","stage":"prompt"}`, 0, `no "labels"`},
		{"empty text", `{"text":"","stage":"prompt","labels":[]}`, 0, "empty text"},
		{"not json", `{"text":`, 0, "line 1"},
		{"bad label", `{"text":"hi","stage":"prompt","labels":["Prompt Injection"]}`, 0, "snake_case"},
		{"empty file", "\n\n", 0, "no rows"},
		{"second line", `{"text":"hi","stage":"prompt","labels":[]}` + "\n" + `{"text":"hi","stage":"prompt","labels":"x"}`, 0, "line 2"},
		// a line over the 16 MiB bound is named (it was "bufio.Scanner: token too long")
		{"huge line", `{"text":"hi","stage":"prompt","labels":[]}` + "\n" + `{"text":"` + strings.Repeat("a", 17<<20) + `","stage":"prompt","labels":[]}`, 0, "line 2: longer than 16 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := eval.ReadRows(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || len(rows) != tc.rows {
				t.Fatalf("%d rows, err %v", len(rows), err)
			}
		})
	}
}

func fixture(t testing.TB) []eval.Row {
	t.Helper()
	f, err := os.Open("testdata/fixture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := eval.ReadRows(f)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func detector(t testing.TB) *detect.Detector {
	t.Helper()
	d, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func service(t testing.TB, cls check.Classifier) *check.Service {
	t.Helper()
	return check.New(cls, detector(t), testenv.Policy(t), nil, check.Options{Timeout: 30 * time.Second, FailOpen: map[types.Stage]bool{}})
}

// TestEvalFixture runs the fixture through the real pipeline (ONNX model,
// detectors, default policy) and checks that every figure of the report
// agrees with the outcomes it summarises.
func TestEvalFixture(t *testing.T) {
	testenv.ORT(t)
	rows := fixture(t)
	svc := service(t, testenv.Suite(t))
	var progress []int
	outs, err := eval.Run(context.Background(), svc, rows, eval.Options{Concurrency: 4, Progress: func(n int) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(progress) != len(rows) || progress[len(progress)-1] != len(rows) {
		t.Errorf("progress calls %v", progress)
	}
	rep := eval.Summarize(outs)
	if rep.Rows != len(rows) || rep.Errors != 0 || rep.FailModes != 0 {
		t.Fatalf("rows %d errors %d (%v) fail modes %d", rep.Rows, rep.Errors, rep.ErrorSamples, rep.FailModes)
	}
	for i, o := range outs {
		if o.Row.Line != rows[i].Line {
			t.Fatalf("outcome %d is for line %d, want %d", i, o.Row.Line, rows[i].Line)
		}
	}

	// Actions add up, per stage and in total.
	total := 0
	for _, n := range rep.Actions {
		total += n
	}
	byStage := 0
	for _, m := range rep.ActionsByStage {
		for _, n := range m {
			byStage += n
		}
	}
	if total != len(rows) || byStage != len(rows) {
		t.Errorf("actions %v / %v do not add up to %d rows", rep.Actions, rep.ActionsByStage, len(rows))
	}

	// Benign rows, recounted.
	var benign, flagged, notAllowed int
	for _, o := range outs {
		if len(o.Row.Labels) == 0 {
			benign++
			if o.Action == types.ActionBlock || o.Action == types.ActionEscalate {
				flagged++
			}
			if o.Action != types.ActionAllow {
				notAllowed++
			}
		}
	}
	if rep.Benign.Rows != benign || rep.Benign.Flagged != flagged || rep.Benign.NotAllowed != notAllowed ||
		*rep.Benign.FPR != float64(flagged)/float64(benign) {
		t.Errorf("benign %+v, recounted %d/%d/%d", rep.Benign, benign, flagged, notAllowed)
	}
	if notAllowed == 0 {
		t.Error("the AWS key row (benign, redacted) should count as not allowed")
	}

	cats := map[string]eval.CategoryReport{}
	for _, c := range rep.Categories {
		cats[c.Name] = c
	}
	for _, name := range []string{"prompt_injection", "jailbreak"} {
		c, ok := cats[name]
		if !ok {
			t.Fatalf("no report for %s", name)
		}
		var scores []float64
		var labels []bool
		tp, fp, fn, pos := 0, 0, 0, 0
		for _, o := range outs {
			l := slicesContains(o.Row.Labels, name)
			fired := false
			for _, id := range o.RuleIDs {
				fired = fired || strings.HasPrefix(id, name+".")
			}
			switch {
			case l && fired:
				tp++
			case l:
				fn++
			case fired:
				fp++
			}
			if l {
				pos++
			}
			scores, labels = append(scores, o.Scores[name]), append(labels, l)
		}
		if c.Positives != pos || c.TP != tp || c.FP != fp || c.FN != fn || c.TP+c.FP+c.FN+c.TN != len(rows) {
			t.Errorf("%s: %+v, recounted tp %d fp %d fn %d pos %d", name, c, tp, fp, fn, pos)
		}
		if c.Recall == nil || *c.Recall != float64(tp)/float64(pos) {
			t.Errorf("%s: recall %v", name, c.Recall)
		}
		if tp+fp > 0 && (c.Precision == nil || *c.Precision != float64(tp)/float64(tp+fp)) {
			t.Errorf("%s: precision %v", name, c.Precision)
		}
		if c.AUPRC == nil || math.Abs(*c.AUPRC-referenceAP(scores, labels)) > 1e-12 {
			t.Errorf("%s: AUPRC %v, reference %v", name, c.AUPRC, referenceAP(scores, labels))
		}
		if c.Scored == 0 {
			t.Errorf("%s: never scored", name)
		}
		t.Logf("%s: P %s R %s AUPRC %.3f", name, ptr(c.Precision), ptr(c.Recall), *c.AUPRC)
	}

	// Sequential and concurrent runs agree row by row.
	seq, err := eval.Run(context.Background(), svc, rows, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range outs {
		if !sameOutcome(outs[i], seq[i]) {
			t.Errorf("row %d: concurrent %v %v, sequential %v %v", i, outs[i].Action, outs[i].Scores, seq[i].Action, seq[i].Scores)
		}
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 || rep.Latency.Max < rep.Latency.P99 {
		t.Errorf("latency %+v", rep.Latency)
	}
}

func ptr(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *v)
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sameOutcome(a, b eval.Outcome) bool {
	if a.Action != b.Action || !reflect.DeepEqual(a.RuleIDs, b.RuleIDs) || len(a.Scores) != len(b.Scores) {
		return false
	}
	for k, v := range a.Scores {
		if math.Abs(v-b.Scores[k]) > 1e-6 { // the last bits move with a run's padding
			return false
		}
	}
	return true
}

// bothStages writes a models directory with the shipped injection model
// alone, scoring every stage (its manifest's stages emptied), so that
// response-stage windows reach one known classifier.
func bothStages(t testing.TB) fs.FS {
	t.Helper()
	src := testenv.ModelsFS()
	dir := filepath.Join(t.TempDir(), "injection")
	os.MkdirAll(dir, 0o755)
	b, err := fs.ReadFile(src, "injection/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]any
	json.Unmarshal(b, &man)
	man["stages"] = []string{}
	mb, _ := json.Marshal(man)
	os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o644)
	onnx, err := fs.ReadFile(src, "injection/"+man["file"].(string))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, man["file"].(string)), onnx, 0o644)
	return os.DirFS(filepath.Dir(dir))
}

// TestBatchedSameDecisions: coalescing concurrent checks into batched ONNX
// runs changes no score (bit for bit) and no decision, for whole checks of
// both stages and for streamed responses cut into random chunks, which
// must also match their whole checks.
func TestBatchedSameDecisions(t *testing.T) {
	testenv.ORT(t)
	mfs := bothStages(t)
	load := func(batch bool) *classifiers.Suite {
		s, err := classifiers.LoadAll(mfs, ".", classifiers.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if batch {
			if err := s.EnableBatching(classifiers.BatchOptions{MaxBatch: 16, MaxWait: time.Millisecond}); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	rows := fixture(t)
	// Responses long enough for several windows.
	for i := range 12 {
		rows = append(rows, eval.Row{Stage: "response", Text: strings.Repeat(rows[i].Text+" ", 4+i*7), Labels: []string{}})
	}
	bs := load(true)
	plain, batched := service(t, load(false)), service(t, bs)
	want, err := eval.Run(context.Background(), plain, rows, eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := eval.Run(context.Background(), batched, rows, eval.Options{Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if got[i].Err != nil || !sameOutcome(got[i], want[i]) {
			t.Errorf("row %d (%s): batched %v %v %v, unbatched %v %v", i, rows[i].Stage, got[i].Action, got[i].Scores, got[i].Err, want[i].Action, want[i].Scores)
		}
	}

	// Streamed responses on the batched service, 16 at a time, each cut
	// into random chunks, decide as their whole checks did.
	type streamed struct {
		i   int
		res check.Result
	}
	results := make(chan streamed, len(rows))
	sem := make(chan struct{}, 16)
	n := 0
	for i, r := range rows {
		if r.Stage != "response" {
			continue
		}
		n++
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			ctx := context.Background()
			st, err := batched.NewStream(check.Request{}, check.DefaultPlan)
			if err != nil {
				t.Error(err)
				return
			}
			text := r.Text
			for len(text) > 0 {
				k := min(len(text), 1+rng.IntN(40))
				for k < len(text) && !isRuneStart(text[k]) {
					k++
				}
				st.Append(ctx, text[:k])
				text = text[k:]
			}
			st.EndSegment(ctx)
			findings, _ := batched.Detect(ctx, r.Text)
			results <- streamed{i, st.Decide(ctx, check.Evidence{Findings: findings, TextLength: len(r.Text), Final: true})}
		}()
	}
	for range n {
		s := <-results
		w := want[s.i]
		if s.res.Action != w.Action || !reflect.DeepEqual(s.res.RuleIDs, w.RuleIDs) || !sameOutcome(eval.Outcome{Action: s.res.Action, Scores: s.res.Scores, RuleIDs: s.res.RuleIDs}, w) {
			t.Errorf("row %d streamed: %v %v, whole unbatched: %v %v", s.i, s.res.Action, s.res.Scores, w.Action, w.Scores)
		}
		if len(s.res.Scores) == 0 {
			t.Errorf("row %d streamed: no classifier score at the response stage", s.i)
		}
	}
	var runs, rowsRun int64
	for _, st := range bs.BatchStats() {
		runs, rowsRun = runs+st.Runs, rowsRun+st.Rows
	}
	if rowsRun <= runs {
		t.Errorf("no coalescing happened: %d rows in %d runs", rowsRun, runs)
	}
	t.Logf("batched: %d rows in %d runs", rowsRun, runs)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// TestEvalTiers: with a second tier, outcomes carry routes and the report
// counts what tier 2 decided.
func TestEvalTiers(t *testing.T) {
	testenv.ORT(t)
	s, err := classifiers.LoadAll(bothStages(t), ".", classifiers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := classifiers.Open(bothStages(t), "injection", classifiers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Tier 2 re-scores every prompt_injection score (a band of [0, 1]),
	// with a budget no loaded CI machine runs out of.
	r, err := classifiers.NewRouter(s, t2, classifiers.TierOptions{Bands: map[string]classifiers.Band{"prompt_injection": {Lo: 0, Hi: 1}}, Budget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	rows := fixture(t)
	outs, err := eval.Run(context.Background(), service(t, r), rows, eval.Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.Summarize(outs)
	if rep.Tiers == nil || rep.Tiers.RoutedRows != len(rows) {
		t.Fatalf("tiers %+v, want every row routed", rep.Tiers)
	}
	pi := rep.Tiers.Categories["prompt_injection"]
	if pi == nil || pi.Routed != len(rows) || pi.DecidedByTier2 != len(rows) {
		t.Fatalf("prompt_injection routing %+v", pi)
	}
	if _, ok := rep.Tiers.Categories["jailbreak"]; ok {
		t.Error("jailbreak was routed without a band")
	}
	for _, o := range outs {
		if o.Routes["prompt_injection"].Tier != 2 || o.Routes["jailbreak"].Tier != 1 {
			t.Fatalf("routes %v", o.Routes)
		}
	}
}

func TestReportOutputs(t *testing.T) {
	testenv.ORT(t)
	rows := fixture(t)
	outs, err := eval.Run(context.Background(), service(t, testenv.Suite(t)), rows, eval.Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	rep := eval.Summarize(outs)
	rep.Input = eval.Input{Path: "testdata/fixture.jsonl", SHA256: "x"}

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "categories", "benign", "actions", "latency_ms", "model_versions", "policy_revision"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	if back["schema"] != eval.Schema {
		t.Errorf("schema %v", back["schema"])
	}

	var html bytes.Buffer
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	if strings.Count(h, "<svg") != len(rep.Categories) || !strings.Contains(h, "<polyline") {
		t.Errorf("want one PR curve per category (%d)", len(rep.Categories))
	}
	// Self-contained: no script, no external reference of any kind.
	stripped := strings.ReplaceAll(h, `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"<script", "src=", "href=", "http://", "https://", "@import", "url("} {
		if strings.Contains(stripped, bad) {
			t.Errorf("HTML report contains %q", bad)
		}
	}

	// One line per row, in row order, joined by line number, no text.
	var rowsOut bytes.Buffer
	if err := eval.WriteRows(&rowsOut, outs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(rowsOut.String()), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d row lines for %d rows", len(lines), len(rows))
	}
	flagged := 0
	for i, l := range lines {
		var rr eval.RowResult
		if err := json.Unmarshal([]byte(l), &rr); err != nil {
			t.Fatalf("row line %d: %v", i, err)
		}
		if rr.Line != rows[i].Line || rr.Action != outs[i].Action.String() || rr.Flagged != outs[i].Flagged() || len(rr.Scores) == 0 {
			t.Fatalf("row line %d = %+v, outcome %+v", i, rr, outs[i])
		}
		if len(rows[i].Text) > 20 && strings.Contains(l, rows[i].Text) {
			t.Fatalf("row line %d repeats the text", i)
		}
		if rr.Flagged {
			flagged++
		}
	}
	if flagged == 0 || flagged == len(rows) {
		t.Errorf("%d of %d rows flagged: the fixture should have both", flagged, len(rows))
	}

	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"prompt_injection", "AUPRC", "benign rows", "latency: p50"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, txt.String())
		}
	}
}

func TestProgress(t *testing.T) {
	var lines bytes.Buffer
	p := eval.NewProgress(&lines, 100, false)
	for i := 1; i <= 100; i++ {
		p.Update(i)
	}
	if n := strings.Count(lines.String(), "\n"); n != 10 || strings.Contains(lines.String(), "\r") {
		t.Errorf("plain progress: %d lines:\n%s", n, lines.String())
	}
	var bar bytes.Buffer
	p = eval.NewProgress(&bar, 3, true)
	for i := 1; i <= 3; i++ {
		p.Update(i)
	}
	if !strings.Contains(bar.String(), "\r[") || !strings.HasSuffix(bar.String(), "\n") || !strings.Contains(bar.String(), "3/3 rows") {
		t.Errorf("bar: %q", bar.String())
	}
}

// overloaded refuses the first n checks as a full classifier queue would,
// then passes the rest to the real service.
type overloaded struct {
	eval.Checker
	n     int
	calls int
}

func (o *overloaded) Check(ctx context.Context, req check.Request) (check.Result, error) {
	o.calls++
	if o.calls <= o.n {
		return check.Result{}, fmt.Errorf("classify: %w", &classifiers.OverloadError{Wait: time.Millisecond})
	}
	return o.Checker.Check(ctx, req)
}

// TestRunRetriesOverload: a row refused as overloaded is retried (its
// latency is that of the check that answered); past MaxRetries the
// overload is the row's error.
func TestRunRetriesOverload(t *testing.T) {
	testenv.ORT(t)
	svc := service(t, testenv.Suite(t))
	rows := fixture(t)[:1]
	for _, tc := range []struct {
		name       string
		refusals   int
		maxRetries int
		retries    int
		fails      bool
	}{
		{"no refusal", 0, 3, 0, false},
		{"two refusals", 2, 3, 2, false},
		{"always refused", 100, 3, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outs, err := eval.Run(context.Background(), &overloaded{Checker: svc, n: tc.refusals}, rows, eval.Options{MaxRetries: tc.maxRetries})
			if err != nil {
				t.Fatal(err)
			}
			o := outs[0]
			if o.Retries != tc.retries || (o.Err != nil) != tc.fails {
				t.Fatalf("retries %d err %v", o.Retries, o.Err)
			}
			if tc.fails && !errors.Is(o.Err, classifiers.ErrOverloaded) {
				t.Fatalf("err %v, want the overload", o.Err)
			}
			if rep := eval.Summarize(outs); rep.Retries != tc.retries || rep.Errors != map[bool]int{true: 1}[tc.fails] {
				t.Fatalf("report retries %d errors %d", rep.Retries, rep.Errors)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	testenv.ORT(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := eval.Run(ctx, service(t, testenv.Suite(t)), fixture(t), eval.Options{Concurrency: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
