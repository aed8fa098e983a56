package check_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review/incident"
)

// reDetector is a minimal detector for these tests (the real detectors are
// tested in classifiers/detect): emails as PII, AKIA keys as secrets.
type reDetector struct{ err error }

var (
	emailRE = regexp.MustCompile(`[a-z0-9.]+@[a-z0-9.]+\.[a-z]{2,}`)
	akiaRE  = regexp.MustCompile(`AKIA[A-Z0-9]{16}`)
)

func (d reDetector) Detect(_ context.Context, text string) ([]types.Finding, error) {
	if d.err != nil {
		return nil, d.err
	}
	var out []types.Finding
	for _, m := range emailRE.FindAllStringIndex(text, -1) {
		out = append(out, types.Finding{Type: "EMAIL", Class: "pii", Start: m[0], End: m[1], Score: 1})
	}
	for _, m := range akiaRE.FindAllStringIndex(text, -1) {
		out = append(out, types.Finding{Type: "AWS_ACCESS_KEY", Class: "secret", Start: m[0], End: m[1], Score: 1})
	}
	return out, nil
}

// memRecorder keeps incidents in memory so tests can inspect them.
type memRecorder struct {
	mu   sync.Mutex
	incs []*incident.Incident
	err  error
}

func (r *memRecorder) Record(_ context.Context, inc *incident.Incident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.incs = append(r.incs, inc)
	return nil
}

// fixedPolicy is a real OPA engine on an inline bundle.
func fixedPolicy(t *testing.T, rego string) *policy.Engine {
	t.Helper()
	e := policy.New(policy.Options{FS: fstest.MapFS{"p.rego": {Data: []byte(rego)}}})
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// redactSecrets redacts AWS keys whatever the scores say, so that tests of
// the redaction mechanics do not depend on the shipped model's scores.
const redactSecrets = `package warden
decision := {"action": "redact", "reasons": ["test"], "rules": ["t"], "redactions": [{"type": "AWS_ACCESS_KEY", "mode": "mask"}]}
`

const escalateAll = `package warden
decision := {"action": "escalate", "reasons": ["test"], "rules": ["t"], "redactions": [{"type": "AWS_ACCESS_KEY", "mode": "mask"}]}
`

func TestSecretRedactedInPrompt(t *testing.T) {
	svc := testenv.Service(t, reDetector{}, nil, check.Options{})
	res, err := svc.Check(context.Background(), check.Request{Stage: types.StagePrompt, Text: "deploy with AKIAABCDEFGHIJKLMNOP and mail bob@corp.com"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != types.ActionRedact {
		t.Fatalf("action %v (%v)", res.Action, res.Reasons)
	}
	// Default policy: secrets masked in prompts, PII left (tenant choice).
	if res.Text != "deploy with [AWS_ACCESS_KEY] and mail bob@corp.com" {
		t.Fatalf("text %q", res.Text)
	}
	if len(res.Findings) != 2 {
		t.Fatalf("findings %+v", res.Findings)
	}
}

func TestMessagesRedactedOneByOne(t *testing.T) {
	svc := check.New(testenv.Suite(t), reDetector{}, fixedPolicy(t, redactSecrets), nil, check.Options{})
	msgs := []types.Message{
		{Role: "system", Content: "key AKIAZZZZZZZZZZZZZZZZ is the operator's"},
		{Role: "user", Content: "first line"},
		{Role: "user", Content: "use AKIAABCDEFGHIJKLMNOP\nplease"},
	}
	res, err := svc.Check(context.Background(), check.Request{Stage: types.StagePrompt, Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != types.ActionRedact || len(res.Messages) != 3 {
		t.Fatalf("%v %+v", res.Action, res.Messages)
	}
	if res.Messages[0].Content != msgs[0].Content {
		t.Fatal("system message was changed: it is not checked")
	}
	if res.Messages[2].Content != "use [AWS_ACCESS_KEY]\nplease" || res.Messages[1].Content != "first line" {
		t.Fatalf("messages %+v", res.Messages)
	}
	if res.Text != "first line\nuse [AWS_ACCESS_KEY]\nplease" {
		t.Fatalf("text %q", res.Text)
	}
}

func TestIncidentCarriesNoRawValues(t *testing.T) {
	rec := &memRecorder{}
	svc := check.New(testenv.Suite(t), reDetector{}, fixedPolicy(t, escalateAll), rec, check.Options{})
	raw := "mail bob@corp.com key AKIAABCDEFGHIJKLMNOP"
	res, err := svc.Check(context.Background(), check.Request{Stage: types.StageResponse, Text: raw, Prompt: "who is alice@corp.com?", Tenant: "acme",
		Metadata: map[string]any{"conversation_id": "c-9"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != types.ActionEscalate || res.IncidentID == "" || len(rec.incs) != 1 {
		t.Fatalf("action %v incident %q recorded %d", res.Action, res.IncidentID, len(rec.incs))
	}
	// The caller gets the policy's redaction (secret masked, email kept).
	if res.Text != "mail bob@corp.com key [AWS_ACCESS_KEY]" {
		t.Fatalf("reply text %q", res.Text)
	}
	inc := rec.incs[0]
	b, _ := json.Marshal(inc)
	for _, v := range []string{"bob@corp.com", "alice@corp.com", "AKIAABCDEFGHIJKLMNOP"} {
		if strings.Contains(string(b), v) {
			t.Fatalf("incident contains raw %q: %s", v, b)
		}
	}
	if inc.ID != res.IncidentID || inc.DecisionID != res.ID || inc.Schema != incident.Schema || inc.Key != "acme/c-9" {
		t.Fatalf("incident ids: %+v", inc)
	}
	if inc.Text != "mail [EMAIL] key [AWS_ACCESS_KEY]" || inc.Prompt != "who is [EMAIL]?" {
		t.Fatalf("incident text %q prompt %q", inc.Text, inc.Prompt)
	}
	for _, f := range inc.Findings {
		if inc.Text[f.Start:f.End] != "["+f.Type+"]" {
			t.Fatalf("incident finding %+v does not point at its placeholder in %q", f, inc.Text)
		}
	}
}

func TestFailModes(t *testing.T) {
	cases := []struct {
		name     string
		cls      check.Classifier
		det      check.Detector
		rego     string
		timeout  time.Duration
		rec      *memRecorder
		cause    string
		failOpen bool
		want     types.Action
	}{
		{name: "detector error closed", det: reDetector{err: errors.New("boom")}, cause: "detector_error", want: types.ActionBlock},
		{name: "detector error open", det: reDetector{err: errors.New("boom")}, cause: "detector_error", failOpen: true, want: types.ActionAllow},
		{name: "undefined decision", rego: "package warden\n", cause: "policy_error", want: types.ActionBlock},
		{name: "ill-typed decision open", rego: "package warden\ndecision := true\n", cause: "policy_error", failOpen: true, want: types.ActionAllow},
		{name: "deadline", timeout: time.Nanosecond, cause: "deadline", want: types.ActionBlock},
		{name: "incident not recorded", rego: escalateAll, rec: &memRecorder{err: errors.New("outbox full")}, cause: "incident_unrecorded", want: types.ActionBlock},
		{name: "classifier error", cls: failingClassifier{errors.New("boom")}, cause: "classifier_error", want: types.ActionBlock},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pol check.Decider = testenv.Policy(t)
			if c.rego != "" {
				pol = fixedPolicy(t, c.rego)
			}
			var rec check.Recorder
			if c.rec != nil {
				rec = c.rec
			}
			var cls check.Classifier = testenv.Suite(t)
			if c.cls != nil {
				cls = c.cls
			}
			svc := check.New(cls, c.det, pol, rec, check.Options{
				Timeout:  c.timeout,
				FailOpen: map[types.Stage]bool{types.StagePrompt: c.failOpen},
			})
			res, err := svc.Check(context.Background(), check.Request{Stage: types.StagePrompt, Text: "some text AKIAABCDEFGHIJKLMNOP"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != c.want {
				t.Fatalf("action %v, want %v (%v)", res.Action, c.want, res.Reasons)
			}
			mode := map[bool]string{true: "open", false: "closed"}[c.failOpen]
			if res.FailMode != mode || len(res.Reasons) != 1 || !strings.Contains(res.Reasons[0], c.cause) {
				t.Fatalf("fail mode %q reasons %v, want %s/%s", res.FailMode, res.Reasons, mode, c.cause)
			}
			if res.Action == types.ActionBlock && res.Text != "" {
				t.Fatalf("blocked text released: %q", res.Text)
			}
			if res.IncidentID != "" {
				t.Fatal("a fail-mode decision raised an incident")
			}
		})
	}
}

func TestInvalidRequests(t *testing.T) {
	svc := testenv.Service(t, nil, nil, check.Options{})
	for name, req := range map[string]check.Request{
		"no stage":      {Text: "x"},
		"both":          {Stage: types.StagePrompt, Text: "x", Messages: []types.Message{{Role: "user", Content: "y"}}},
		"no role":       {Stage: types.StagePrompt, Messages: []types.Message{{Content: "y"}}},
		"nothing to do": {Stage: types.StageResponse, Messages: []types.Message{{Role: "user", Content: "y"}}},
	} {
		if _, err := svc.Check(context.Background(), req); !errors.Is(err, check.ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// Unjudged: only a failure before the policy decided makes a retry worth it.
func TestResultUnjudged(t *testing.T) {
	for _, c := range []struct {
		mode, cause string
		want        bool
	}{
		{"", "", false},
		{"closed", "deadline", true},
		{"closed", "classifier_error", true},
		{"open", "policy_error", true},
		{"closed", "incident_unrecorded", false},
		{"closed", "redaction_error", false},
	} {
		if got := (check.Result{FailMode: c.mode, FailCause: c.cause}).Unjudged(); got != c.want {
			t.Errorf("%q/%q: Unjudged %v, want %v", c.mode, c.cause, got, c.want)
		}
	}
}

// failingClassifier fails every Score with err.
type failingClassifier struct{ err error }

func (f failingClassifier) Score(context.Context, types.Stage, []string) ([]types.Scores, error) {
	return nil, f.err
}
func (failingClassifier) Versions() map[string]string { return map[string]string{"failing": "1"} }

// A stream whose classifier queue is full fails with cause "overloaded"
// (a retry may succeed), other classifier failures with
// "classifier_error".
func TestStreamClassifierFailureCause(t *testing.T) {
	ctx := context.Background()
	for cause, err := range map[string]error{
		"overloaded":       &classifiers.OverloadError{Model: "m", Queued: 9, Limit: 8, Wait: time.Second},
		"classifier_error": errors.New("boom"),
	} {
		svc := check.New(failingClassifier{err}, nil, testenv.Policy(t), nil, check.Options{})
		st, err := svc.NewStream(check.Request{}, check.DefaultPlan)
		if err != nil {
			t.Fatal(err)
		}
		st.Append(ctx, "hello there")
		st.EndSegment(ctx)
		res := st.Decide(ctx, check.Evidence{TextLength: len("hello there"), Streamed: true})
		if res.Action != types.ActionBlock || res.FailCause != cause {
			t.Fatalf("%s: streamed %v, fail cause %q", cause, res.Action, res.FailCause)
		}
	}
}

// slowDetector ignores the context and takes d.
type slowDetector struct{ d time.Duration }

func (s slowDetector) Detect(context.Context, string) ([]types.Finding, error) {
	time.Sleep(s.d)
	return nil, nil
}

// The deadline ends a check whose detectors are still scanning: the fail
// mode answers at the deadline, not when the scan ends (a 1 MiB body took
// 640 ms against a 250 ms deadline). The bound is 20 times the deadline,
// against a detector three times slower still.
func TestDeadlineDoesNotWaitForDetectors(t *testing.T) {
	svc := check.New(testenv.Suite(t), slowDetector{3 * time.Second}, testenv.Policy(t), nil, check.Options{Timeout: 50 * time.Millisecond})
	t0 := time.Now()
	res, err := svc.Check(context.Background(), check.Request{Stage: types.StagePrompt, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(t0); took > time.Second {
		t.Fatalf("answered after %v", took)
	}
	if res.Action != types.ActionBlock || res.FailCause != "deadline" {
		t.Fatalf("%v (fail cause %q), want a deadline block", res.Action, res.FailCause)
	}
}

// A full classifier queue is "retry later" for a whole response checked
// through Check (POST /v1/check answers 503 with Retry-After) as for a
// prompt: no fail-mode block, no decision. It took the response fail mode
// (a block under fail-closed), which warden eval counted as a decision.
func TestCheckOverloadedIsAnErrorAtBothStages(t *testing.T) {
	ovl := &classifiers.OverloadError{Model: "m", Queued: 9, Limit: 8, Wait: time.Second}
	rec := &memRecorder{}
	svc := check.New(failingClassifier{ovl}, nil, testenv.Policy(t), rec, check.Options{})
	for _, st := range []types.Stage{types.StagePrompt, types.StageResponse} {
		res, err := svc.Check(context.Background(), check.Request{Stage: st, Text: "hello there"})
		if !errors.Is(err, classifiers.ErrOverloaded) {
			t.Fatalf("%v: err %v, action %v fail mode %q cause %q", st, err, res.Action, res.FailMode, res.FailCause)
		}
	}
	if len(rec.incs) != 0 {
		t.Fatal("an overload recorded an incident")
	}
}
