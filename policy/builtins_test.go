package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/wardenhq/warden/internal/types"
)

func TestThresholdHits(t *testing.T) {
	const th = `{"pi": {"escalate": 0.4, "block": 0.9}, "jb": {"escalate": 0.5}, "hate": {"escalate": 0.6, "block": 0.8}, "sexual": {"escalate": 0.3}}`
	cases := []struct {
		name, scores, thresholds, want string
	}{
		{"none reach escalate", `{"pi": 0.39, "jb": 0.1, "hate": 0.59999}`, th, `[]`},
		{"at escalate and at block", `{"pi": 0.9, "jb": 0.5, "hate": 0.6}`, th,
			`[["hate", 0.6, "escalate", 0.6], ["jb", 0.5, "escalate", 0.5], ["pi", 0.9, "block", 0.9]]`},
		{"no block threshold never blocks", `{"jb": 1}`, th, `[["jb", 1, "escalate", 0.5]]`},
		{"scores without thresholds and thresholds without scores are left out", `{"other": 1, "hate": 0.85}`, th,
			`[["hate", 0.85, "block", 0.8]]`},
		{"integer and float forms compare by value", `{"pi": 1, "jb": 0.50}`, `{"pi": {"escalate": 0.4, "block": 1.0}, "jb": {"escalate": 0.5}}`,
			`[["jb", 0.50, "escalate", 0.5], ["pi", 1, "block", 1.0]]`},
		{"empty thresholds", `{"pi": 1}`, `{}`, `[]`},
		// Scores are float32 model outputs widened to float64: 17 digits.
		{"widened float32 scores against short thresholds", `{"pi": 0.8650000095367432, "jb": 0.49999999999999994, "hate": 0.6000000238418579}`,
			`{"pi": {"escalate": 0.423, "block": 0.865}, "jb": {"escalate": 0.5}, "hate": {"escalate": 0.6000000238418579, "block": 0.6000000238418580}}`,
			`[["hate", 0.6000000238418579, "escalate", 0.6000000238418579], ["pi", 0.8650000095367432, "block", 0.865]]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := builtinThresholdHits(rego.BuiltinContext{}, ast.MustParseTerm(c.scores), ast.MustParseTerm(c.thresholds))
			if err != nil {
				t.Fatal(err)
			}
			if want := ast.MustParseTerm(c.want); got.Value.Compare(want.Value) != 0 {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
	for name, thresholds := range map[string]string{
		"threshold not an object": `{"pi": 0.5}`,
		"no escalate":             `{"pi": {"block": 0.9}}`,
		"escalate not a number":   `{"pi": {"escalate": "0.5"}}`,
		"block not a number":      `{"pi": {"escalate": 0.5, "block": true}}`,
	} {
		t.Run(name, func(t *testing.T) {
			// Malformed even when the category has no score: a bad
			// configuration must not wait for the one request that hits it.
			_, err := builtinThresholdHits(rego.BuiltinContext{}, ast.MustParseTerm(`{"jb": 1}`), ast.MustParseTerm(thresholds))
			if !errors.Is(err, errThreshold) {
				t.Fatalf("err = %v, want errThreshold", err)
			}
		})
	}
	if _, err := builtinThresholdHits(rego.BuiltinContext{}, ast.MustParseTerm(`{"pi": "high"}`), ast.MustParseTerm(`{"pi": {"escalate": 0.5}}`)); err == nil {
		t.Fatal("a score that is not a number must be an error")
	}
}

// TestThresholdHitsInBundles checks the function is there for a bundle's
// decision and for its tests, and that a configuration it rejects fails
// the decision (closed) instead of allowing.
func TestThresholdHitsInBundles(t *testing.T) {
	const policy = `package warden
import rego.v1
decision := {"action": action, "reasons": [x[0] | some x in hits]} if {
	hits := warden.threshold_hits(input.scores, data.thresholds)
	action := {true: "allow", false: "block"}[hits == []]
}
`
	const tests = `package warden_test
import rego.v1
test_blocks if data.warden.decision.action == "block" with input.scores as {"pi": 0.95} with data.thresholds as {"pi": {"escalate": 0.5}}
test_direct if warden.threshold_hits({"pi": 0.95}, {"pi": {"escalate": 0.5, "block": 0.9}}) == [["pi", 0.95, "block", 0.9]]
`
	fsys := fstest.MapFS{
		"p.rego":      {Data: []byte(policy)},
		"p_test.rego": {Data: []byte(tests)},
		"data.json":   {Data: []byte(`{"thresholds": {"pi": {"escalate": 0.5}}}`)},
	}
	e := New(Options{FS: fsys})
	if err := e.Load(context.Background()); err != nil {
		t.Fatalf("load: %v", err)
	}
	if st := e.Status(); st.Tests != 2 {
		t.Fatalf("%d bundle tests passed, want 2", st.Tests)
	}
	d, err := e.Decide(context.Background(), Input{Stage: types.StagePrompt, Scores: types.Scores{"pi": 0.7}})
	if err != nil || d.Action != types.ActionBlock {
		t.Fatalf("decision %v (%v), want block", d.Action, err)
	}

	fsys["data.json"] = &fstest.MapFile{Data: []byte(`{"thresholds": {"pi": {"escalate": "high"}}}`)}
	bad := New(Options{FS: fsys})
	if err := bad.Load(context.Background()); err != nil {
		t.Fatalf("load: %v", err)
	}
	d, err = bad.Decide(context.Background(), Input{Stage: types.StagePrompt, Scores: types.Scores{"pi": 0.1}})
	if err == nil || !strings.Contains(err.Error(), "malformed threshold") {
		t.Fatalf("decision %v with err %v, want a malformed threshold error", d.Action, err)
	}
}
