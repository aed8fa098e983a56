package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenhq/warden/policy"
)

func TestPolicyTestCommand(t *testing.T) {
	var out bytes.Buffer
	if err := policyCmd(context.Background(), []string{"test"}, &out); err != nil {
		t.Fatalf("embedded bundle: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), ", 0 failed") || !strings.Contains(out.String(), "revision default-1 ok") {
		t.Fatalf("output:\n%s", out.String())
	}

	dir := t.TempDir()
	for name, src := range map[string]string{
		"p.rego":      "package warden\nimport rego.v1\ndecision := {\"action\": \"allow\"}\n",
		"p_test.rego": "package warden_test\nimport rego.v1\ntest_blocks if data.warden.decision.action == \"block\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	err := policyCmd(context.Background(), []string{"test", dir}, &out)
	if !errors.Is(err, policy.ErrBundle) || !strings.Contains(out.String(), "FAIL data.warden_test.test_blocks") {
		t.Fatalf("failing bundle: err %v, output:\n%s", err, out.String())
	}

	var ue usageError
	if err := policyCmd(context.Background(), []string{"lint"}, &out); !errors.As(err, &ue) {
		t.Fatalf("unknown subcommand: %v, want a usage error", err)
	}
}

// TestPolicyCapabilitiesCommand checks that the capabilities it writes are
// what OPA's own compiler needs to type-check the default bundle, which
// calls a Warden built-in that plain OPA does not know.
func TestPolicyCapabilitiesCommand(t *testing.T) {
	var out bytes.Buffer
	if err := policyCmd(context.Background(), []string{"capabilities"}, &out); err != nil {
		t.Fatal(err)
	}
	caps, err := ast.LoadCapabilitiesJSON(&out)
	if err != nil {
		t.Fatalf("capabilities do not parse: %v", err)
	}
	modules := map[string]*ast.Module{}
	err = fs.WalkDir(policy.DefaultBundle(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		src, err := fs.ReadFile(policy.DefaultBundle(), path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		modules[path] = m
		return err
	})
	if err != nil || len(modules) == 0 {
		t.Fatalf("reading the default bundle: %v (%d modules)", err, len(modules))
	}
	withWarden := ast.NewCompiler().WithCapabilities(caps).WithDefaultRegoVersion(ast.RegoV1)
	if withWarden.Compile(modules); withWarden.Failed() {
		t.Fatalf("the default bundle does not compile with the written capabilities: %v", withWarden.Errors)
	}
	c := ast.NewCompiler().WithCapabilities(ast.CapabilitiesForThisVersion()).WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(modules); !c.Failed() || !strings.Contains(c.Errors.Error(), "warden.threshold_hits") {
		t.Fatalf("with OPA's own capabilities the default bundle should fail on warden.threshold_hits, got %v", c.Errors)
	}
}
