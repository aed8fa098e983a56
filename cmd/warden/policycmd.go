package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/wardenhq/warden/policy"
)

// policyCmd: warden policy test [dir] — compiles the bundle and runs its
// tests exactly as a hot reload would; warden policy capabilities — writes
// the OPA capabilities (OPA's built-ins and Warden's) as JSON, for
// `opa check --capabilities FILE` and editors.
func policyCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 1 && args[0] == "capabilities" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(policy.Capabilities())
	}
	if len(args) == 0 || args[0] != "test" || len(args) > 2 {
		return usageError{"usage: warden policy test [bundle-dir] (default: the embedded bundle) | warden policy capabilities"}
	}
	opts := policy.Options{}
	name := "embedded default bundle"
	if len(args) > 1 {
		opts.FS = os.DirFS(args[1])
		name = args[1]
	}
	tr, rev, err := policy.Test(ctx, opts)
	fmt.Fprintf(stdout, "%s: %d passed, %d failed\n", name, tr.Passed, tr.Failed)
	for _, f := range tr.Failures {
		fmt.Fprintf(stdout, "FAIL %s\n", f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revision %s ok\n", rev)
	return nil
}
