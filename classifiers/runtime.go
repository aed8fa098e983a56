package classifiers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ORTVersion is the ONNX Runtime release Warden is built and tested against.
const ORTVersion = "1.30.0"

// ErrRuntime marks a failure to load ONNX Runtime itself.
var ErrRuntime = errors.New("onnx runtime unavailable")

var (
	initMu   sync.Mutex
	initPath string
)

// DefaultLibraryPath is where scripts/fetch-onnxruntime.sh caches the
// library: $XDG_CACHE_HOME/warden/onnxruntime/<version>/libonnxruntime.so.1
// (or ~/.cache/...).
func DefaultLibraryPath() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "/tmp"
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "warden", "onnxruntime", ORTVersion, "libonnxruntime.so.1")
}

// fixHint tells the operator how to get the library.
const fixHint = "run `make onnxruntime` (scripts/fetch-onnxruntime.sh) to fetch it, or set WARDEN_ONNXRUNTIME_LIB to the path of libonnxruntime.so.1"

// Init loads the ONNX Runtime shared library at path and initialises the
// process-wide environment. Calling it again with the same path is a no-op;
// with another path it is an error (the library cannot be swapped).
func Init(path string) error {
	initMu.Lock()
	defer initMu.Unlock()
	if path == "" {
		path = DefaultLibraryPath()
	}
	if initPath != "" {
		if initPath == path {
			return nil
		}
		return fmt.Errorf("%w: already initialised from %s, cannot switch to %s", ErrRuntime, initPath, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: library %s not found: %v; %s", ErrRuntime, path, err, fixHint)
	}
	if st.IsDir() {
		return fmt.Errorf("%w: %s is a directory, want the libonnxruntime.so.1 file; %s", ErrRuntime, path, fixHint)
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: loading %s: %v; %s", ErrRuntime, path, err, fixHint)
	}
	initPath = path
	return nil
}

// RuntimeVersion reports the loaded ONNX Runtime version ("" before Init).
func RuntimeVersion() string {
	initMu.Lock()
	defer initMu.Unlock()
	if initPath == "" {
		return ""
	}
	return ort.GetVersion()
}

// Run runs sess with run options that ONNX Runtime terminates when ctx
// ends (a deadline or a client gone stops the run, not only the wait). It
// returns only once a termination that ctx started has finished: stopping
// a context.AfterFunc does not wait for a callback already running, and
// the options must not be destroyed while Terminate uses them.
func Run(ctx context.Context, sess *ort.DynamicAdvancedSession, in, out []ort.Value) error {
	ro, err := ort.NewRunOptions()
	if err != nil {
		return fmt.Errorf("run options: %w", err)
	}
	defer ro.Destroy()
	terminated := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(terminated)
		_ = ro.Terminate()
	})
	err = sess.RunWithOptions(in, out, ro)
	if !stop() {
		<-terminated
	}
	return err
}
