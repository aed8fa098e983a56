// Package testenv builds real components for tests: ONNX Runtime with the
// shipped models, the default policy bundle and a check service. Tests that
// use it run against the real thing, never a mock.
package testenv

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/models"
	"github.com/wardenhq/warden/policy"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ORT initialises ONNX Runtime from WARDEN_ONNXRUNTIME_LIB or the fetch
// script's cache, failing the test with the fix if it is missing.
func ORT(t testing.TB) {
	t.Helper()
	if err := classifiers.Init(os.Getenv("WARDEN_ONNXRUNTIME_LIB")); err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
}

// ModelsDir is the shipped models directory.
func ModelsDir() string { return filepath.Join(RepoRoot(), "models") }

// ModelsFS is what the guard loads: the classifier models embedded in the
// binary (models.FS), or WARDEN_TEST_MODELS when set.
func ModelsFS() fs.FS {
	if d := os.Getenv("WARDEN_TEST_MODELS"); d != "" {
		return os.DirFS(d)
	}
	return models.FS
}

var (
	suiteOnce sync.Once
	suite     *classifiers.Suite
	suiteErr  error
)

// Suite returns the shipped models, loaded once per test binary.
func Suite(t testing.TB) *classifiers.Suite {
	t.Helper()
	ORT(t)
	suiteOnce.Do(func() {
		suite, suiteErr = classifiers.LoadAll(ModelsFS(), ".", classifiers.Options{})
	})
	if suiteErr != nil {
		t.Fatalf("loading models: %v", suiteErr)
	}
	return suite
}

// Policy returns the default policy engine, loaded.
func Policy(t testing.TB) *policy.Engine {
	t.Helper()
	e := policy.New(policy.Options{})
	if err := e.Load(context.Background()); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	return e
}

// Service returns a check service on the real models and default policy.
// det and rec may be nil.
func Service(t testing.TB, det check.Detector, rec check.Recorder, opts check.Options) *check.Service {
	t.Helper()
	if opts.FailOpen == nil {
		opts.FailOpen = map[types.Stage]bool{}
	}
	return check.New(Suite(t), det, Policy(t), rec, opts)
}
