package policy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"
)

// Warden's own Rego built-in functions, available to every bundle (and to
// its tests) next to OPA's. There is one: the threshold pass, which in
// plain Rego is a comprehension over every category, and OPA's interpreter
// spends a few microseconds per expression on each (docs/decisions.md §8).
//
// warden.threshold_hits(scores, thresholds) returns the categories whose
// score reaches their escalate threshold, sorted by category, each as
// [category, score, level, threshold]:
//
//   - scores is an object of numbers (input.scores);
//   - thresholds is an object of {"escalate": number, "block": number}
//     ("block" optional: a category without it never blocks);
//   - level is "block" when the score is at or above "block", else
//     "escalate"; threshold is the one that level names;
//   - a category with a threshold but no score (or the reverse) is left
//     out; a threshold that is not an object with a numeric "escalate"
//     (and, if present, a numeric "block") is an error, so a malformed
//     configuration fails the decision rather than passing silently.
//
// A bundle that calls it runs under `warden policy test`, not plain
// `opa test`, which does not know the function; `warden policy
// capabilities` writes a capabilities file with which `opa check` and
// editors type-check such a bundle.
var thresholdHits = &ast.Builtin{
	Name: "warden.threshold_hits",
	Description: "The categories whose score reaches their escalate threshold, sorted by category, " +
		"as [category, score, level, threshold] with level \"block\" or \"escalate\".",
	Decl: types.NewFunction(
		types.Args(
			types.Named("scores", types.NewObject(nil, types.NewDynamicProperty(types.S, types.N))).Description("category scores"),
			types.Named("thresholds", types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))).Description(`per category {"escalate": n, "block": n}`),
		),
		types.Named("hits", types.NewArray(nil, types.NewArray([]types.Type{types.S, types.N, types.S, types.N}, nil))).Description("[category, score, level, threshold], sorted by category"),
	),
}

// errThreshold marks a malformed threshold entry.
var errThreshold = errors.New("malformed threshold")

var (
	keyEscalate, keyBlock = ast.StringTerm("escalate"), ast.StringTerm("block")
	levelEscalate         = ast.StringTerm("escalate")
	levelBlock            = ast.StringTerm("block")
)

func builtinThresholdHits(_ rego.BuiltinContext, scoresT, thresholdsT *ast.Term) (*ast.Term, error) {
	scores, ok := scoresT.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("%s: scores is %s, want object", thresholdHits.Name, ast.ValueName(scoresT.Value))
	}
	thresholds, ok := thresholdsT.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("%s: thresholds is %s, want object", thresholdHits.Name, ast.ValueName(thresholdsT.Value))
	}
	var hits []*ast.Term
	err := thresholds.Iter(func(cat, t *ast.Term) error {
		levels, ok := t.Value.(ast.Object)
		if !ok {
			return fmt.Errorf("%w: %v is %s, want object", errThreshold, cat, ast.ValueName(t.Value))
		}
		esc, err := number(levels.Get(keyEscalate), cat, "escalate", true)
		if err != nil {
			return err
		}
		blk, err := number(levels.Get(keyBlock), cat, "block", false)
		if err != nil {
			return err
		}
		s := scores.Get(cat)
		if s == nil {
			return nil
		}
		sn, ok := s.Value.(ast.Number)
		if !ok {
			return fmt.Errorf("%s: score %v is %s, want number", thresholdHits.Name, cat, ast.ValueName(s.Value))
		}
		if compare(sn, esc) < 0 {
			return nil
		}
		level, at := levelEscalate, esc
		if blk != "" && compare(sn, blk) >= 0 {
			level, at = levelBlock, blk
		}
		hits = append(hits, ast.ArrayTerm(cat, s, level, ast.NewTerm(at)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(hits, func(a, b *ast.Term) int { return a.Value.Compare(b.Value) })
	return ast.ArrayTerm(hits...), nil
}

// compare orders two numbers as float64 when both are: scores are float64
// (widened from the models' float32) and print with up to 17 digits, which
// OPA's exact comparison (ast.NumberCompare) handles with math/big — tens
// of microseconds per decision in a profile of the server under load.
// Parsing both as float64 is exact for such numbers, and for thresholds
// written with fewer digits it compares the values Go would.
func compare(a, b ast.Number) int {
	if x, ok := a.Float64(); ok {
		if y, ok := b.Float64(); ok {
			return cmp.Compare(x, y)
		}
	}
	return ast.NumberCompare(a, b)
}

// number reads a threshold; "" when it is absent and not required.
func number(t *ast.Term, cat *ast.Term, name string, required bool) (ast.Number, error) {
	if t == nil {
		if required {
			return "", fmt.Errorf("%w: %v has no %q", errThreshold, cat, name)
		}
		return "", nil
	}
	n, ok := t.Value.(ast.Number)
	if !ok {
		return "", fmt.Errorf("%w: %v.%s is %s, want number", errThreshold, cat, name, ast.ValueName(t.Value))
	}
	return n, nil
}

// builtins are the functions compile makes available to a bundle's
// decision query and to its tests.
func builtins() []*tester.Builtin {
	return []*tester.Builtin{{
		Decl: thresholdHits,
		Func: rego.Function2(&rego.Function{Name: thresholdHits.Name, Decl: thresholdHits.Decl, Description: thresholdHits.Description}, builtinThresholdHits),
	}}
}

// Capabilities are OPA's capabilities for the OPA version Warden is built
// with, plus Warden's built-ins: what the input analysis compiles with, and
// what `warden policy capabilities` writes for OPA's own tools (opa check
// --capabilities, editors and linters) to type-check a bundle that calls
// them.
func Capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	for _, b := range builtins() {
		c.Builtins = append(c.Builtins, b.Decl)
	}
	return c
}
