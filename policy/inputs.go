package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// inputUse says which top-level keys of the input document a bundle can
// read, so that Decide builds only those: the engine's input has costly
// parts (every finding as an object, metadata) that the default policy
// never reads. The analysis is syntactic and conservative: any reference
// to the whole input, or to input[x] with a non-constant x, means every
// key is built.
type inputUse struct {
	all  bool
	keys map[string]bool
}

// uses reports whether key must be built.
func (u inputUse) uses(key string) bool { return u.all || u.keys[key] }

// size is how many keys the input document can have.
func (u inputUse) size() int {
	if u.all {
		return 12
	}
	return len(u.keys)
}

// String lists the keys read ("*" for all), for logs and tests.
func (u inputUse) String() string {
	if u.all {
		return "*"
	}
	return strings.Join(slices.Sorted(maps.Keys(u.keys)), ",")
}

// analyseInput compiles modules (the whole bundle, tests included, as OPA
// would, so imports and rule references are resolved) and collects the
// input keys referenced by the modules that are not tests. Test modules
// set their own input (`with input as`), so their references do not count
// — unless a test module shares a package with, or is referenced by, a
// module that is not a test, in which case every key is built.
func analyseInput(modules map[string]*ast.Module) (inputUse, error) {
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithCapabilities(Capabilities())
	if c.Compile(modules); c.Failed() {
		return inputUse{}, fmt.Errorf("compiling for input analysis: %w", c.Errors)
	}
	u := inputUse{keys: map[string]bool{}}
	var testPkgs []ast.Ref
	for name, m := range c.Modules {
		if isTestFile(name) {
			testPkgs = append(testPkgs, m.Package.Path)
		}
	}
	for name, m := range c.Modules {
		if isTestFile(name) {
			continue
		}
		for _, p := range testPkgs {
			if p.HasPrefix(m.Package.Path) || m.Package.Path.HasPrefix(p) {
				return inputUse{all: true}, nil
			}
		}
		var visit func(x any) bool
		visit = func(x any) bool {
			switch v := x.(type) {
			case ast.Var:
				// input outside a reference (an argument, a with
				// target): the whole document
				if v.Equal(ast.InputRootDocument.Value) {
					u.all = true
				}
			case ast.Ref:
				u.ref(v, testPkgs)
				// the head is handled; walk the rest (input.a[input.b])
				for _, t := range v[1:] {
					ast.NewGenericVisitor(visit).Walk(t)
				}
				return true
			}
			return false
		}
		ast.NewGenericVisitor(visit).Walk(m)
		if u.all {
			return inputUse{all: true}, nil
		}
	}
	return u, nil
}

// ref records what reference r reads.
func (u *inputUse) ref(r ast.Ref, testPkgs []ast.Ref) {
	switch {
	case r[0].Equal(ast.DefaultRootDocument):
		// a reference into a test package (or to data as a whole) could
		// reach rules that read any input
		for _, p := range testPkgs {
			if r.HasPrefix(p) || p.HasPrefix(r.ConstantPrefix()) {
				u.all = true
			}
		}
	case r[0].Equal(ast.InputRootDocument):
		if len(r) < 2 {
			u.all = true
			return
		}
		s, ok := r[1].Value.(ast.String)
		if !ok {
			u.all = true
			return
		}
		u.keys[string(s)] = true
	}
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }
