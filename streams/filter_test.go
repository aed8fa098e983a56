package streams

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	nermodel "github.com/wardenhq/warden/models/ner"
	"github.com/wardenhq/warden/review/incident"
)

// Values the filter must never release (they are redacted or blocked).
var forbidden = map[string][]string{
	"AWS_ACCESS_KEY": {"AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A"},
	"GITHUB_TOKEN":   {"ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"},
	"PRIVATE_KEY": {"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n" +
		"KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n-----END RSA PRIVATE KEY-----"},
	"EMAIL":       {"jane.doe@mail-host.org", "ops+alerts@corp.co.uk"},
	"CREDIT_CARD": {"4111 1111 1111 1111", "5500-0000-0000-0004"},
	"FORBIDDEN":   {"the launch code is 7741"},
	"ESCALATE":    {"call me maybe"},
}

var fillers = []string{
	"Here is the summary you asked for. ", "Café naïve résumé — déjà vu. ", "日本語のテキストも含まれます。",
	"Emoji 👩‍💻🚀 and flags 🇫🇷. ", "Combining e\u0301 and a\u030a. ", "Zero\u200bwidth here. ", "مرحبا بالعالم. ",
	"Numbers 12 345 and 2024-05-01. ", "The quick brown fox jumps over the lazy dog. ", "\n\n", "Mail me: ",
	"Key=", "(", ") ", "Ⅻ ﬁ ＡＢＣ fullwidth. ",
}

// corpus builds texts of filler with forbidden values at random places.
func corpus(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 99))
	keys := make([]string, 0, len(forbidden))
	for k := range forbidden {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for i := range n {
		var b strings.Builder
		parts := 2 + rng.IntN(12)
		if i%7 == 0 {
			parts = 40 + rng.IntN(40) // crosses several classifier windows
		}
		for range parts {
			b.WriteString(fillers[rng.IntN(len(fillers))])
			if rng.IntN(3) == 0 {
				vals := forbidden[keys[rng.IntN(len(keys))]]
				b.WriteString(vals[rng.IntN(len(vals))])
				// Values end at a word boundary, as in real text.
				b.WriteString([]string{" ", ", ", ".\n", ") ", "。"}[rng.IntN(5)])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// streamed runs text through a new filter in the given pieces.
type streamOutcome struct {
	text    string
	blocked bool
	action  types.Action
	result  *check.Result
}

func runFilter(t testing.TB, e *Engine, pieces []string) streamOutcome {
	t.Helper()
	return runFilterAs(t, e, "default", pieces)
}

func runFilterAs(t testing.TB, e *Engine, tenant string, pieces []string) streamOutcome {
	t.Helper()
	ctx := context.Background()
	f, err := e.NewFilter(FilterOptions{Tenant: tenant, Source: incident.SourceStream})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, p := range pieces {
		o := f.Write(ctx, p)
		b.WriteString(o.Text)
		if d, ok := f.Due(); ok && !o.Done && i%2 == 0 && !d.After(time.Now()) {
			// As the proxies do: a step left pending runs at once (on
			// every other piece; the others wait for the next write).
			o = f.Tick(ctx, time.Now())
			b.WriteString(o.Text)
		}
		if o.Done {
			return streamOutcome{text: b.String(), blocked: o.Blocked, action: o.Action, result: o.Result}
		}
	}
	o := f.Close(ctx)
	b.WriteString(o.Text)
	return streamOutcome{text: b.String(), blocked: o.Blocked, action: o.Action, result: o.Result}
}

// chunkings of text: every 2-way split (when cheap), 1-byte pieces, and
// random pieces (many split runes).
func chunkings(rng *rand.Rand, text string, random int, allSplits bool) [][]string {
	var out [][]string
	if allSplits {
		for i := 0; i <= len(text); i++ {
			out = append(out, []string{text[:i], text[i:]})
		}
	}
	ones := make([]string, len(text))
	for i := 0; i < len(text); i++ {
		ones[i] = text[i : i+1]
	}
	out = append(out, ones)
	for range random {
		var ps []string
		for rest := text; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN([]int{3, 12, 64}[rng.IntN(3)]))
			ps = append(ps, rest[:n])
			rest = rest[n:]
		}
		out = append(out, ps)
	}
	return out
}

// maskedReference is text with every finding the test policy redacts or
// blocks masked: what the released part of a blocked text must be a prefix
// of.
func maskedReference(t testing.TB, svc *check.Service, text string) string {
	all, _ := svc.Detect(context.Background(), text)
	var fs []types.Finding
	for _, f := range all {
		if f.Type != "ESCALATE" {
			fs = append(fs, f)
		}
	}
	out, err := svc.Redact("default", text, fs, types.Decision{Redactions: []types.Redaction{{Type: "*", Mode: "mask"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func assertNoForbidden(t testing.TB, released, label string) {
	t.Helper()
	for typ, vals := range forbidden {
		for _, v := range vals {
			// Any 8-byte piece of a value is a leak (the fillers share none).
			for i := 0; i+8 <= len(v); i++ {
				if strings.Contains(released, v[i:i+8]) && typ != "ESCALATE" {
					t.Fatalf("%s: released text holds %q, part of a %s", label, v[i:i+8], typ)
				}
			}
		}
	}
}

// propertyRun checks every chunking of every text against the whole-text
// check: same decision, same released text (or a safe prefix if blocked),
// no forbidden byte.
func propertyRun(t *testing.T, svc *check.Service, rec *memRecorder, texts []string, random int) (runs, blocked int) {
	// Time is not under test here (slow -race runs must not hit the
	// hold-back time bound).
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = time.Hour })
	rng := rand.New(rand.NewPCG(7, 7))
	ctx := context.Background()
	for ti, text := range texts {
		whole, _, err := svc.CheckResponse(ctx, check.Request{Tenant: "default"}, e.cfg.Plan(), text)
		if err != nil {
			t.Fatal(err)
		}
		ref := maskedReference(t, svc, text)
		if whole.Action != types.ActionBlock {
			assertNoForbidden(t, whole.Text, "whole")
		}
		all := len(text) <= 400 && ti%3 == 0
		for ci, pieces := range chunkings(rng, text, random, all) {
			n0 := len(rec.all())
			got := runFilter(t, e, pieces)
			runs++
			label := func() string {
				return "text " + strconv.Itoa(ti) + " chunking " + strconv.Itoa(ci) + " (" + strconv.Itoa(len(pieces)) + " pieces)"
			}
			assertNoForbidden(t, got.text, label())
			if whole.Action == types.ActionBlock {
				blocked++
				if !got.blocked {
					t.Fatalf("%s: whole text blocks (%v) but the stream was not blocked (action %v)", label(), whole.Reasons, got.action)
				}
				if !strings.HasPrefix(ref, got.text) {
					t.Fatalf("%s: released text of a blocked stream is not a prefix of the masked text:\nreleased %q\nmasked   %q", label(), got.text, ref)
				}
			} else {
				if got.blocked || got.action != whole.Action {
					t.Fatalf("%s: stream action %v (blocked %v, %v), whole %v", label(), got.action, got.blocked, got.result.Reasons, whole.Action)
				}
				if got.text != whole.Text {
					t.Fatalf("%s: streamed text differs from the whole-text check:\nstreamed %q\nwhole    %q", label(), got.text, whole.Text)
				}
			}
			// One incident per block or escalation, with what was delivered.
			incs := rec.all()[n0:]
			wantInc := 0
			if got.action.Incident() || got.blocked {
				wantInc = 1
			}
			if len(incs) != wantInc {
				t.Fatalf("%s: %d incidents, want %d", label(), len(incs), wantInc)
			}
			if wantInc == 1 {
				if incs[0].Delivered == nil || *incs[0].Delivered > len(got.text) {
					t.Fatalf("%s: incident delivered %v, released %d bytes", label(), incs[0].Delivered, len(got.text))
				}
				assertNoForbidden(t, incs[0].Text, label()+" incident")
			}
		}
	}
	return runs, blocked
}

// TestPropertyNoLeakSameDecision: detector-driven redactions, blocks and
// escalations over every 2-way split and random chunkings.
func TestPropertyNoLeakSameDecision(t *testing.T) {
	svc, rec := newTestService(t, nil, newReDetector())
	n, random := 60, 40
	if raceEnabled || testing.Short() {
		n, random = 20, 8
	}
	runs, blocked := propertyRun(t, svc, rec, corpus(1, n), random)
	t.Logf("%d texts, %d streamed runs (%d of blocked texts)", n, runs, blocked)
}

// TestPropertyClassifierBlocks: the same with a response-stage score
// threshold set at the corpus median, so classifier windows block about
// half the texts, at whatever point they complete.
func TestPropertyClassifierBlocks(t *testing.T) {
	suite := responseSuite(t)
	svc0 := check.New(suite, newReDetector(), testPolicy(t, nil), nil, check.Options{FailOpen: map[types.Stage]bool{}})
	texts := corpus(2, 40)
	if raceEnabled || testing.Short() {
		texts = texts[:14]
	}
	plan := Default().Plan()
	var cat string
	var scores []float64
	for _, tx := range texts {
		r, _, _ := svc0.CheckResponse(context.Background(), check.Request{}, plan, tx)
		if cat == "" {
			for k := range r.Scores {
				if cat == "" || k < cat {
					cat = k
				}
			}
		}
		scores = append(scores, r.Scores[cat])
	}
	if cat == "" {
		t.Fatal("the models produce no response-stage score")
	}
	slices.Sort(scores)
	thr := scores[len(scores)/2]
	rec := &memRecorder{}
	svc := check.New(suite, newReDetector(), testPolicy(t, map[string]float64{cat: thr}), rec, check.Options{FailOpen: map[types.Stage]bool{}})
	random := 12
	if raceEnabled || testing.Short() {
		random = 3
	}
	runs, blocked := propertyRun(t, svc, rec, texts, random)
	t.Logf("threshold %s >= %.4f: %d runs, %d of blocked texts", cat, thr, runs, blocked)
	if blocked == 0 || blocked == runs {
		t.Fatalf("expected a mix of blocked and allowed texts, got %d of %d", blocked, runs)
	}
}

// The released text never ends inside a held window: right after a write,
// at least HoldBack bytes of the text so far are unreleased (or the rest
// of a finding), so half a secret is never out.
func TestHoldBackAtEveryStep(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, nil)
	text := "token ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5 and more text after it, " + strings.Repeat("filler words ", 60)
	f, _ := e.NewFilter(FilterOptions{})
	if f.HoldBack() != newReDetector().MaxMatch()+utf8.UTFMax {
		t.Fatalf("hold-back %d, want MaxMatch+%d", f.HoldBack(), utf8.UTFMax)
	}
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		o := f.Write(context.Background(), text[i:i+1])
		out.WriteString(o.Text)
		if i+1 < f.HoldBack() && out.Len() > 0 {
			t.Fatalf("released %d bytes after %d bytes in", out.Len(), i+1)
		}
		assertNoForbidden(t, out.String(), "step")
	}
	out.WriteString(f.Close(context.Background()).Text)
	if !strings.Contains(out.String(), "[GITHUB_TOKEN]") {
		t.Fatalf("token not masked: %q", out.String())
	}
}

// Invalid UTF-8 and runes split across writes: the filter's text is the
// same as ValidText of the whole, whatever the split.
func TestFilterUTF8Splits(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, func(c *Config) { c.HoldBackBytes = 0 })
	text := "é日👩‍💻\xff\xfe abc \xe2\x82 end \xf0\x9f"
	want := check.ValidText(text)
	whole, _, _ := svc.CheckResponse(context.Background(), check.Request{}, e.cfg.Plan(), text)
	if whole.Text != want {
		t.Fatalf("whole check text %q, want %q", whole.Text, want)
	}
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j++ {
			got := runFilter(t, e, []string{text[:i], text[i:j], text[j:]})
			if got.text != want {
				t.Fatalf("split %d,%d: %q, want %q", i, j, got.text, want)
			}
		}
	}
}

// Without a detector nothing is held back: text is released as it comes.
func TestNoDetectorNoHoldBack(t *testing.T) {
	svc, _ := newTestService(t, nil, nil)
	e := newTestEngine(t, svc, nil)
	f, _ := e.NewFilter(FilterOptions{})
	if o := f.Write(context.Background(), "Hello"); o.Text != "Hello" {
		t.Fatalf("released %q", o.Text)
	}
}

// A detector without MaxMatch gets the configured hold-back.
func TestHoldBackWithoutMaxMatch(t *testing.T) {
	svc, _ := newTestService(t, nil, plainDetector{newReDetector()})
	e := newTestEngine(t, svc, func(c *Config) { c.HoldBackBytes = 100 })
	f, _ := e.NewFilter(FilterOptions{})
	if f.HoldBack() != 100 {
		t.Fatalf("hold-back %d", f.HoldBack())
	}
	// And the cap applies to a detector that declares more.
	e = newTestEngine(t, svc, func(c *Config) { c.HoldBackBytes = 10; c.MaxHoldBackBytes = 50 })
	f, _ = e.NewFilter(FilterOptions{})
	if f.HoldBack() != 10 {
		t.Fatalf("hold-back %d", f.HoldBack())
	}
}

type plainDetector struct{ d *reDetector }

func (p plainDetector) Detect(ctx context.Context, s string) ([]types.Finding, error) {
	return p.d.Detect(ctx, s)
}

// A match longer than the capped window is a hold-back overflow: the
// response fail mode (closed) stops the stream before its tail.
func TestOverflowBytesFailsClosed(t *testing.T) {
	svc, rec := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackBytes = 64; c.HoldBackBytes = 64 })
	key := forbidden["PRIVATE_KEY"][0]
	got := runFilter(t, e, strings.Split("Here: "+key+" done.", ""))
	if !got.blocked || got.result.FailMode != "closed" || !slices.Contains(got.result.RuleIDs, "warden.fail_closed") {
		t.Fatalf("got %+v", got)
	}
	if strings.Contains(got.text, "-----END") {
		t.Fatalf("released the end of the key: %q", got.text)
	}
	if len(rec.all()) != 0 {
		t.Fatalf("a fail-mode block records no policy incident, got %d", len(rec.all()))
	}
}

// Fail open on overflow releases and keeps redacting what it can see.
func TestOverflowFailOpen(t *testing.T) {
	pol := testPolicy(t, nil)
	rec := &memRecorder{}
	svc := check.New(testenv.Suite(t), newReDetector(), pol, rec, check.Options{FailOpen: map[types.Stage]bool{types.StageResponse: true}})
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackBytes = 64; c.HoldBackBytes = 64 })
	got := runFilter(t, e, strings.Split("mail jane.doe@mail-host.org then "+forbidden["PRIVATE_KEY"][0]+" done.", ""))
	if got.blocked {
		t.Fatalf("fail open blocked: %+v", got.result)
	}
	if strings.Contains(got.text, "jane.doe") {
		t.Fatalf("email not redacted under fail open: %q", got.text)
	}
}

// The time bound: text held longer than MaxHoldBackTime fails closed.
func TestOverflowTime(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = 50 * time.Millisecond })
	f, _ := e.NewFilter(FilterOptions{})
	o := f.Write(context.Background(), "short text, held back")
	if o.Text != "" {
		t.Fatalf("released %q", o.Text)
	}
	d, ok := f.Deadline()
	if !ok || time.Until(d) > 50*time.Millisecond {
		t.Fatalf("deadline %v %v", d, ok)
	}
	// Just before the deadline (not time.Now(): on a loaded machine the
	// 50 ms may already have passed since the Write).
	if o := f.Tick(context.Background(), d.Add(-time.Millisecond)); o.Done {
		t.Fatal("expired before the deadline")
	}
	o = f.Tick(context.Background(), d.Add(time.Millisecond))
	if !o.Done || !o.Blocked || o.Result.FailMode != "closed" {
		t.Fatalf("got %+v", o)
	}
}

// Segment ends release everything held; the segment's window is scored.
func TestEndSegment(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, nil)
	f, _ := e.NewFilter(FilterOptions{})
	if o := f.Write(context.Background(), "first block, email jane.doe@mail-host.org"); o.Text != "" {
		t.Fatalf("released %q", o.Text)
	}
	o := f.EndSegment(context.Background())
	if o.Text != "first block, email [EMAIL]" {
		t.Fatalf("segment end released %q", o.Text)
	}
	f.Write(context.Background(), " second")
	if o := f.Close(context.Background()); o.Text != " second" || !o.Done || o.Result.Action != types.ActionRedact {
		t.Fatalf("close %+v", o)
	}
}

// Abort after an escalation raises its one incident.
func TestAbortKeepsEscalation(t *testing.T) {
	svc, rec := newTestService(t, nil, newReDetector())
	e := newTestEngine(t, svc, nil)
	f, _ := e.NewFilter(FilterOptions{Source: incident.SourceProxy})
	f.Write(context.Background(), "well, call me maybe, "+strings.Repeat("and then some more words ", 40))
	f.Abort(context.Background())
	incs := rec.all()
	if len(incs) != 1 || incs[0].Action != "escalate" || incs[0].Source != incident.SourceProxy || incs[0].Delivered == nil {
		t.Fatalf("incidents %+v", incs)
	}
	if o := f.Write(context.Background(), "more"); !o.Done || o.Text != "" {
		t.Fatalf("write after abort %+v", o)
	}
}

// The incremental normaliser and textnorm.Normalize agree (signals too),
// whatever the chunking: checked through the scores of a whole text vs 1-rune
// pieces on text full of combining marks and invisible characters.
func TestStreamNormalizeMatchesTextnorm(t *testing.T) {
	svc, _ := newTestService(t, nil, nil)
	plan := check.Plan{WindowRunes: 16, StepRunes: 5}
	texts := []string{
		"e\u0301\u0301\u0300 a\u030a Å ﬁ ＡＢＣ \u200b\u200d👩\u200d💻 \u202e rtl \U000E0041 tag",
		strings.Repeat("a\u0301", 40) + strings.Repeat("\u0301", 40) + "x",
		"한국어 조합 ᄒ\u1161\u11ab 가",
	}
	for _, tx := range texts {
		st, _ := svc.NewStream(check.Request{}, plan)
		st.Append(context.Background(), tx)
		st.EndSegment(context.Background())
		wholeScores, wholeSig := st.Scores(), st.Signals()
		st2, _ := svc.NewStream(check.Request{}, plan)
		for _, r := range tx {
			st2.Append(context.Background(), string(r))
		}
		st2.EndSegment(context.Background())
		if !mapsEqual(wholeScores, st2.Scores()) || !slices.Equal(wholeSig, st2.Signals()) {
			t.Fatalf("%q: whole %v %v, rune by rune %v %v", tx, wholeScores, wholeSig, st2.Scores(), st2.Signals())
		}
		res, _ := svc.Check(context.Background(), check.Request{Stage: types.StageResponse, Text: tx})
		if !slices.Equal(res.Signals, wholeSig) {
			t.Fatalf("%q: Check signals %v, stream %v", tx, res.Signals, wholeSig)
		}
	}
}

func mapsEqual(a, b types.Scores) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The real detector (classifiers/detect) slots in: it implements
// HoldBacker and Releaser, and the same properties hold.
func TestPropertyRealDetector(t *testing.T) {
	t.Run("rules", func(t *testing.T) {
		n, random := 30, 20
		if raceEnabled || testing.Short() {
			n, random = 10, 4
		}
		propertyRealDetector(t, realDetector(t, false), n, random)
	})
	t.Run("ner", func(t *testing.T) {
		n, random := 10, 6
		if raceEnabled || testing.Short() {
			n, random = 4, 2
		}
		propertyRealDetector(t, realDetector(t, true), n, random)
	})
}

func propertyRealDetector(t *testing.T, det *detect.Detector, n, random int) {
	svc, _ := newTestService(t, nil, det)
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = time.Hour })
	f, _ := e.NewFilter(FilterOptions{})
	t.Logf("real detector: MaxMatch %d, LookBehind %d, hold-back %d", det.MaxMatch(), det.LookBehind(), f.HoldBack())
	rng := rand.New(rand.NewPCG(11, 12))
	runs := 0
	missed := map[string]bool{}
	for ti, text := range corpus(3, n) {
		whole, _, err := svc.CheckResponse(context.Background(), check.Request{Tenant: "default"}, e.cfg.Plan(), text)
		if err != nil {
			t.Fatal(err)
		}
		for ci, pieces := range chunkings(rng, text, random, len(text) < 300) {
			got := runFilter(t, e, pieces)
			runs++
			if got.blocked != (whole.Action == types.ActionBlock) || got.action != whole.Action {
				t.Fatalf("text %d chunking %d: streamed %v (blocked %v, %v), whole %v", ti, ci, got.action, got.blocked, got.result.Reasons, whole.Action)
			}
			if whole.Action != types.ActionBlock && got.text != whole.Text {
				t.Fatalf("text %d chunking %d:\nstreamed %q\nwhole    %q", ti, ci, got.text, whole.Text)
			}
		}
		for typ, vals := range forbidden {
			for _, v := range vals {
				if strings.Contains(text, v) && strings.Contains(whole.Text, v) && typ != "FORBIDDEN" && typ != "ESCALATE" && !missed[v] {
					missed[v] = true
					t.Logf("the real detector does not report %s %q (its allow-list; not a filter matter)", typ, v[:8])
				}
			}
		}
	}
	t.Logf("%d streamed runs", runs)
}

// fakeRestorer restores "<TOK_n>" tokens, holding a token cut at the end.
type fakeRestorer struct{ pending string }

func (r *fakeRestorer) Write(s string) string {
	r.pending += s
	cut := len(r.pending)
	if i := strings.LastIndexByte(r.pending, '<'); i >= 0 && !strings.Contains(r.pending[i:], ">") {
		cut = i
	}
	out := strings.ReplaceAll(r.pending[:cut], "<TOK_1>", "jane@restored.example")
	r.pending = r.pending[cut:]
	return out
}

func (r *fakeRestorer) Flush() string {
	out := strings.ReplaceAll(r.pending, "<TOK_1>", "jane@restored.example")
	r.pending = ""
	return out
}

// Vault tokens in the answer are restored after filtering, whole, however
// the token is split.
func TestRestorer(t *testing.T) {
	svc, _ := newTestService(t, nil, newReDetector())
	e, err := NewEngine(Deps{Config: Default(), Service: func() *check.Service { return svc },
		NewRestorer: func(string) TokenRestorer { return &fakeRestorer{} }})
	if err != nil {
		t.Fatal(err)
	}
	text := "Write to <TOK_1> today; mail ops+alerts@corp.co.uk too."
	for i := 0; i <= len(text); i++ {
		got := runFilterAs(t, e, "restore", []string{text[:i], text[i:]})
		if got.text != "Write to jane@restored.example today; mail [EMAIL] too." {
			t.Fatalf("split %d: %q", i, got.text)
		}
	}
	// A decision that does not ask for it restores nothing.
	if got := runFilter(t, e, []string{text}); got.text != "Write to <TOK_1> today; mail [EMAIL] too." {
		t.Fatalf("restored without the policy asking: %q", got.text)
	}
}

// answerProse is an LLM-like answer: prose, a code span, numbers.
const answerProse = "Sure! Here is how you sort a list in Python: use the built-in sorted() function, which returns a new " +
	"list, or call list.sort() to sort in place. For example, sorted([3, 1, 2]) returns [1, 2, 3]. You can pass key=len " +
	"to sort by length, and reverse=True for descending order. The secret to readable code is small functions; access " +
	"control and authentication come next. In 2024 revenue grew by 12% while costs stayed flat. "

// answerCJK is a Chinese and Japanese answer without ASCII white space.
const answerCJK = "当然！下面是在Python中对列表进行排序的方法：使用内置的sorted()函数，它会返回一个新列表；或者调用list.sort()就地排序。" +
	"例如，sorted([3,1,2])返回[1,2,3]。如有问题，请发邮件至support@example.com。日本語の文章も同じように処理されます。" +
	"東京都の担当者に連絡してください、電話番号は+81-3-1234-5678です。"

// heldAfterWrites streams text through a filter in pieces and returns the
// bytes held after each write, and after each write ending in a space.
func heldAfterWrites(t *testing.T, e *Engine, pieces []string) (held, afterSpace []int, out string, o Output) {
	t.Helper()
	ctx := context.Background()
	f, err := e.NewFilter(FilterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range pieces {
		o := f.Write(ctx, p)
		b.WriteString(o.Text)
		if d, ok := f.Due(); ok && !d.After(time.Now()) {
			o = f.Tick(ctx, time.Now())
			b.WriteString(o.Text)
		}
		if o.Done {
			return held, afterSpace, b.String(), o
		}
		held = append(held, f.Held())
		if strings.HasSuffix(p, " ") {
			afterSpace = append(afterSpace, f.Held())
		}
	}
	o = f.Close(ctx)
	b.WriteString(o.Text)
	return held, afterSpace, b.String(), o
}

// With the real detector, prose is released up to its last word, not a
// detector window behind: after a piece that ends in a space, at most 32
// bytes are held (1-byte and 4-byte pieces, as models send them).
func TestRealDetectorHoldBackProse(t *testing.T) {
	for _, ner := range []bool{false, true} {
		t.Run(map[bool]string{false: "rules", true: "ner"}[ner], func(t *testing.T) { holdBackProse(t, realDetector(t, ner)) })
	}
}

// realDetector is classifiers/detect's detector, with the name tagger
// when ner is set (as the server runs it by default).
func realDetector(t *testing.T, withNER bool) *detect.Detector {
	t.Helper()
	var opts detect.Options
	if withNER {
		testenv.ORT(t)
		opts.NERModelFS, opts.NERDir = nermodel.FS, "."
	}
	det, err := detect.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = det.Close() })
	return det
}

func holdBackProse(t *testing.T, det *detect.Detector) {
	svc, _ := newTestService(t, nil, det)
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = time.Hour })
	text := strings.Repeat(answerProse, 4)
	whole, _, _ := svc.CheckResponse(context.Background(), check.Request{Tenant: "default"}, e.cfg.Plan(), text)
	for _, size := range []int{1, 4} {
		held, sp, out, o := heldAfterWrites(t, e, pieces(text, size))
		if o.Blocked || out != whole.Text {
			t.Fatalf("%d-byte pieces: blocked %v, streamed text differs from the whole-text check", size, o.Blocked)
		}
		slices.Sort(sp)
		slices.Sort(held)
		t.Logf("%d-byte pieces: held p50 %d max %d; after a space p50 %d max %d (was MaxMatch %d)", size, held[len(held)/2], held[len(held)-1], sp[len(sp)/2], sp[len(sp)-1], det.MaxMatch())
		if sp[len(sp)-1] > 32 {
			t.Fatalf("%d-byte pieces: %d bytes held after a space", size, sp[len(sp)-1])
		}
	}
}

// A long CJK answer (no ASCII white space, over the 4 KiB hold-back bound)
// in 1-byte pieces, with the default fail mode (closed): released as it
// comes, never an overflow, and the same text as the whole-text check.
func TestRealDetectorCJK(t *testing.T) {
	for _, ner := range []bool{false, true} {
		t.Run(map[bool]string{false: "rules", true: "ner"}[ner], func(t *testing.T) { realDetectorCJK(t, realDetector(t, ner)) })
	}
}

func realDetectorCJK(t *testing.T, det *detect.Detector) {
	svc, _ := newTestService(t, nil, det)
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = time.Hour })
	text := strings.Repeat(answerCJK, 30)
	if len(text) < 2*e.cfg.MaxHoldBackBytes || strings.ContainsAny(text, " \t\n") {
		t.Fatalf("want a long text without ASCII white space, got %d bytes", len(text))
	}
	whole, _, _ := svc.CheckResponse(context.Background(), check.Request{Tenant: "default"}, e.cfg.Plan(), text)
	if whole.Action == types.ActionBlock {
		t.Fatalf("the whole text blocks: %v", whole.Reasons)
	}
	held, _, out, o := heldAfterWrites(t, e, strings.Split(text, ""))
	if o.Blocked {
		t.Fatalf("blocked: %v (fail mode %q)", o.Result.Reasons, o.Result.FailMode)
	}
	if out != whole.Text {
		t.Fatalf("streamed text differs from the whole-text check:\nstreamed %q\nwhole    %q", out, whole.Text)
	}
	slices.Sort(held)
	t.Logf("%d bytes in 1-byte pieces: held p50 %d max %d", len(text), held[len(held)/2], held[len(held)-1])
	// Rules: at most an e-mail local part (64 bytes of letters); with
	// names, a clause (one token to the tagger).
	if held[len(held)-1] > 192 {
		t.Fatalf("held up to %d bytes", held[len(held)-1])
	}
}

// The first words of an answer go out with the next chunk, not after a
// detector window: at a model's pace (4-byte pieces) the first release
// comes with the second piece ("Sure" may still begin an e-mail address),
// with the name tagger by the third ("He" may grow into a name, whose two
// left neighbours the tagger labels). The time to first token through the
// proxies follows (BenchmarkTTFTPaced).
func TestRealDetectorFirstRelease(t *testing.T) {
	for _, c := range []struct {
		ner  bool
		want int
	}{{false, 8}, {true, 12}} {
		det := realDetector(t, c.ner)
		svc, _ := newTestService(t, nil, det)
		e := newTestEngine(t, svc, func(cfg *Config) { cfg.MaxHoldBackTime = time.Hour })
		ctx := context.Background()
		f, _ := e.NewFilter(FilterOptions{})
		got := -1
		for _, p := range pieces(answerProse, 4) {
			o := f.Write(ctx, p)
			if d, ok := f.Due(); ok && !d.After(time.Now()) {
				o.Text += f.Tick(ctx, time.Now()).Text
			}
			if o.Text != "" {
				got = f.Len()
				t.Logf("ner %v: first release %q after %d bytes", c.ner, o.Text, got)
				break
			}
		}
		f.Abort(ctx)
		if got < 0 || got > c.want {
			t.Fatalf("ner %v: first release after %d bytes, want <= %d", c.ner, got, c.want)
		}
	}
}

// Zero-width spaces between "api_key = " and its value: the whole-text
// check reads past them (the detectors' view) and redacts the key, and so
// must a stream in small pieces, whose context before the unreleased text
// is counted as a reader sees it. 1,200 of them (3,600 bytes) fit in the
// hold-back bound, and the stream must redact as the whole text does (in
// plain bytes, the keyword fell out of the context and the key went out);
// 3,000 overflow it, and the stream fails closed without releasing the key.
func TestRealDetectorHiddenCharactersBeforeValue(t *testing.T) {
	det := realDetector(t, false)
	svc, _ := newTestService(t, nil, det)
	e := newTestEngine(t, svc, func(c *Config) { c.MaxHoldBackTime = time.Hour })
	const key = "Zx9f3kLm2Qp7Rt5Vw8Yz1Bc4Nd6Hj0"
	for _, n := range []int{1200, 3000} {
		text := "Here is the config: api_key = " + strings.Repeat("\u200b", n) + key + " and that is all."
		whole, _, err := svc.CheckResponse(context.Background(), check.Request{Tenant: "default"}, e.cfg.Plan(), text)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(whole.Text, key) {
			t.Fatalf("%d: the whole-text check does not redact the key: %v", n, whole.Action)
		}
		for _, size := range []int{1, 5, 64} {
			got := runFilter(t, e, pieces(text, size))
			if strings.Contains(got.text, key) {
				t.Fatalf("%d, %d-byte pieces: the key went out (%v, %v)", n, size, got.action, got.result.Reasons)
			}
			if n == 1200 && (got.blocked || got.text != whole.Text) {
				t.Fatalf("%d, %d-byte pieces: streamed %v (%v), whole %v", n, size, got.action, got.result.Reasons, whole.Action)
			}
		}
	}
}
