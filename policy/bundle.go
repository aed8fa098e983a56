package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// Query is the rule every bundle must define: an object with action,
// reasons, rules and (optionally) redactions.
const Query = "data.warden.decision"

// ErrBundle marks a bundle that cannot become active: it does not parse,
// compile or pass its own tests.
var ErrBundle = errors.New("policy bundle rejected")

// compiled is an active, tested, prepared bundle.
type compiled struct {
	query    rego.PreparedEvalQuery
	input    inputUse // the input keys the bundle reads
	revision string
	loadedAt time.Time
	tests    int
	digest   string
}

// manifestFile is the optional OPA bundle manifest.
type manifestFile struct {
	Revision string `json:"revision"`
}

// TestResult summarises a bundle's _test.rego run.
type TestResult struct {
	Passed, Failed int
	// Failures names the failing tests (package.rule), never their inputs.
	Failures []string
}

// compile loads every .rego and data.json/.yaml file of fsys, runs the
// bundle's tests and prepares the decision query.
func compile(ctx context.Context, fsys fs.FS) (*compiled, TestResult, error) {
	var tr TestResult
	digest, err := digestFS(fsys)
	if err != nil {
		return nil, tr, fmt.Errorf("%w: reading bundle: %w", ErrBundle, err)
	}
	res, err := loader.NewFileLoader().
		WithFS(fsys).
		WithRegoVersion(ast.RegoV1).
		Filtered([]string{"."}, func(abspath string, info fs.FileInfo, depth int) bool {
			// Skip hidden files (.manifest is read separately) and anything
			// that is neither policy nor data.
			name := info.Name()
			if info.IsDir() {
				return strings.HasPrefix(name, ".") && name != "."
			}
			return strings.HasPrefix(name, ".") ||
				!(strings.HasSuffix(name, ".rego") || name == "data.json" || name == "data.yaml")
		})
	if err != nil {
		return nil, tr, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	modules := res.ParsedModules()
	if len(modules) == 0 {
		return nil, tr, fmt.Errorf("%w: no .rego files", ErrBundle)
	}
	store := inmem.NewFromObjectWithOpts(res.Documents, inmem.OptRoundTripOnWrite(true), inmem.OptReturnASTValuesOnRead(true))

	// The bundle's own tests must pass before it may run.
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, tr, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	ch, err := tester.NewRunner().
		SetStore(store).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		SetTimeout(30*time.Second).
		RaiseBuiltinErrors(true).
		AddCustomBuiltins(builtins()).
		RunTests(ctx, txn)
	if err != nil {
		store.Abort(ctx, txn)
		return nil, tr, fmt.Errorf("%w: compiling: %w", ErrBundle, err)
	}
	for r := range ch {
		if r.Pass() {
			tr.Passed++
			continue
		}
		tr.Failed++
		tr.Failures = append(tr.Failures, r.Package+"."+r.Name)
	}
	store.Abort(ctx, txn)
	sort.Strings(tr.Failures)
	if tr.Failed > 0 {
		return nil, tr, fmt.Errorf("%w: %d of %d tests failed: %s", ErrBundle, tr.Failed, tr.Failed+tr.Passed, strings.Join(tr.Failures, ", "))
	}

	opts := []func(*rego.Rego){
		rego.Query(Query),
		rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	}
	for _, m := range modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	for _, b := range builtins() {
		opts = append(opts, b.Func)
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, tr, fmt.Errorf("%w: preparing %s: %w", ErrBundle, Query, err)
	}
	use, err := analyseInput(modules)
	if err != nil {
		return nil, tr, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	rev := readRevision(fsys)
	if rev == "" {
		rev = "sha256:" + digest[:12]
	}
	return &compiled{query: pq, input: use, revision: rev, loadedAt: time.Now(), tests: tr.Passed, digest: digest}, tr, nil
}

func readRevision(fsys fs.FS) string {
	b, err := fs.ReadFile(fsys, ".manifest")
	if err != nil {
		return ""
	}
	var m manifestFile
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	return m.Revision
}

// digestFS hashes the names and contents of every regular file in fsys, in
// path order, so that any change to the bundle changes the digest.
func digestFS(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
