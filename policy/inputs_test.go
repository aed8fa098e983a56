package policy

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"

	"github.com/wardenhq/warden/internal/types"
)

func analyseFS(t *testing.T, fsys fstest.MapFS) inputUse {
	t.Helper()
	res, err := loader.NewFileLoader().WithFS(fsys).WithRegoVersion(ast.RegoV1).All([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	u, err := analyseInput(res.ParsedModules())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAnalyseInput(t *testing.T) {
	const head = "package p\nimport rego.v1\n"
	cases := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"paths", fstest.MapFS{"p.rego": {Data: []byte(head + `decision := {"action": "allow"} if { input.stage == "x"; input.scores[input.tenant] > 1 }`)}}, "scores,stage,tenant"},
		{"whole input", fstest.MapFS{"p.rego": {Data: []byte(head + `decision := {"action": "allow", "x": x} if { x := input }`)}}, "*"},
		{"dynamic key", fstest.MapFS{"p.rego": {Data: []byte(head + `decision := {"action": "allow"} if { some k; input[k] == 1 }`)}}, "*"},
		{"input as an argument", fstest.MapFS{"p.rego": {Data: []byte(head + `decision := {"action": "allow"} if { object.get(input, "findings", []) == [] }`)}}, "*"},
		{"function of input", fstest.MapFS{"p.rego": {Data: []byte(head + "f(x) := x.findings\n" + `decision := {"action": "allow"} if { f(input) == [] }`)}}, "*"},
		{"import", fstest.MapFS{"p.rego": {Data: []byte("package p\nimport rego.v1\nimport input.findings as fs\n" + `decision := {"action": "allow"} if { count(fs) == 0 }`)}}, "findings"},
		{"with in a rule", fstest.MapFS{"p.rego": {Data: []byte(head + "g := input.source\n" + `decision := {"action": "allow"} if { g == "x" with input.source as "x" }`)}}, "source"},
		{"tests do not count", fstest.MapFS{
			"p.rego":      {Data: []byte(head + `decision := {"action": "allow"} if { input.stage }`)},
			"p_test.rego": {Data: []byte("package p_test\nimport rego.v1\nimport data.p\ntest_x if { p.decision with input as {\"stage\": true, \"findings\": []} }\n")},
		}, "stage"},
		{"test module in the policy's package", fstest.MapFS{
			"p.rego":      {Data: []byte(head + `decision := {"action": "allow"} if { input.stage }`)},
			"p_test.rego": {Data: []byte("package p\nimport rego.v1\nhelper := input.findings\ntest_x if { decision with input as {\"stage\": true} }\n")},
		}, "*"},
		{"policy reads a test package", fstest.MapFS{
			"p.rego":      {Data: []byte(head + `decision := {"action": "allow"} if { data.p_test.h }`)},
			"p_test.rego": {Data: []byte("package p_test\nimport rego.v1\nh := input.findings\n")},
		}, "*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := analyseFS(t, tc.fsys).String(); got != tc.want {
				t.Errorf("input keys %q, want %q", got, tc.want)
			}
		})
	}
}

// TestDefaultBundleInput pins what the default policy reads: if it starts
// reading another key, this fails and the engine builds that key (the
// analysis is what decides; the test keeps the change visible).
func TestDefaultBundleInput(t *testing.T) {
	e := loadDefault(t)
	if got, want := e.current.Load().input.String(), "finding_types,scores,signals,stage,tenant"; got != want {
		t.Errorf("default bundle reads %q, want %q", got, want)
	}
}

// TestUnreadInputKeysStillReachPolicies: a bundle that reads the findings
// one by one, the metadata and the text length gets them.
func TestUnreadInputKeysStillReachPolicies(t *testing.T) {
	e := New(Options{FS: bundleFS(`package warden
import rego.v1
decision := {"action": "escalate", "reasons": [sprintf("%d findings, first at %d, %d bytes, team %s", [count(input.findings), input.findings[0].start, input.text_length, input.metadata.team])]}
`)})
	ctx := context.Background()
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := e.Decide(ctx, Input{Stage: types.StagePrompt, Findings: []types.Finding{{Type: "EMAIL", Class: "pii", Start: 7, End: 9, Score: 1}},
		TextLength: 42, Metadata: map[string]any{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 findings, first at 7, 42 bytes, team blue"; len(d.Reasons) != 1 || d.Reasons[0] != want {
		t.Errorf("reasons %q, want %q", d.Reasons, want)
	}
}
