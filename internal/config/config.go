// Package config holds Warden's configuration: a plain struct with
// documented defaults, filled from WARDEN_* environment variables (and the
// standard OTEL_* ones, read by the OpenTelemetry SDK itself), and checked
// by Validate before anything starts.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FailMode says what a stage does when a check cannot be completed
// (classifier error, deadline, policy error): closed blocks, open allows.
type FailMode string

// Fail modes.
const (
	FailClosed FailMode = "closed"
	FailOpen   FailMode = "open"
)

// ParseFailMode parses "closed" or "open".
func ParseFailMode(s string) (FailMode, error) {
	switch FailMode(s) {
	case FailClosed, FailOpen:
		return FailMode(s), nil
	}
	return "", fmt.Errorf("unknown fail mode %q (want closed or open)", s)
}

// Config is the whole configuration. The zero value is not usable; start
// from Default.
type Config struct {
	// Addr is the HTTP listen address (WARDEN_ADDR).
	Addr string
	// DataDir holds local state: outbox, SQLite review store, vault
	// (WARDEN_DATA_DIR).
	DataDir string
	// ONNXRuntimeLib is the path of libonnxruntime.so.1
	// (WARDEN_ONNXRUNTIME_LIB); empty means the fetch script's cache.
	ONNXRuntimeLib string
	// ModelsDir is a directory of models to load instead of the models
	// embedded in the binary (WARDEN_MODELS_DIR).
	ModelsDir string
	// ExtraModels are directories of users' own models (each holding a
	// manifest.json, e.g. kind hf), loaded beside the built-in models
	// (WARDEN_EXTRA_MODELS, comma-separated).
	ExtraModels []string
	// PolicyDir is a bundle directory to load (and hot-reload) instead of
	// the embedded default bundle (WARDEN_POLICY_DIR).
	PolicyDir string
	// PolicyReloadInterval is how often PolicyDir is checked for changes
	// (WARDEN_POLICY_RELOAD_INTERVAL).
	PolicyReloadInterval time.Duration
	// CheckTimeout is the deadline of one check (WARDEN_CHECK_TIMEOUT).
	CheckTimeout time.Duration
	// MaxBodyBytes limits a request body (WARDEN_MAX_BODY_BYTES).
	MaxBodyBytes int64
	// FailModePrompt and FailModeResponse (WARDEN_FAIL_MODE_PROMPT,
	// WARDEN_FAIL_MODE_RESPONSE) apply when a check cannot complete.
	FailModePrompt   FailMode
	FailModeResponse FailMode
	// IntraOpThreads is ONNX Runtime's per-session thread count
	// (WARDEN_ORT_THREADS).
	IntraOpThreads int
	// MallocArenas caps glibc's malloc arenas in the serving process
	// (WARDEN_MALLOC_ARENAS; 0 leaves glibc's default, 8 per core). ONNX
	// Runtime allocates with malloc from several threads; each arena keeps
	// its own free memory, and fewer arenas hold less of it.
	MallocArenas int
	// LogLevel is debug, info, warn or error (WARDEN_LOG_LEVEL); LogFormat
	// is json or text (WARDEN_LOG_FORMAT).
	LogLevel  string
	LogFormat string
	// ShutdownTimeout bounds graceful shutdown (WARDEN_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// RedactKey keys hash pseudonyms and vault tokens (WARDEN_REDACT_KEY,
	// at least 16 bytes). Empty: a key generated on first start and kept in
	// DataDir/redact.key. Guard replicas must share it.
	RedactKey string
	// VaultTTL is how long a reversible vault token can be restored
	// (WARDEN_VAULT_TTL).
	VaultTTL time.Duration
	// NER enables the PERSON/LOCATION model among the detectors
	// (WARDEN_NER=on|off).
	NER bool
	// Batch coalesces concurrent checks' texts into batched ONNX runs
	// (WARDEN_BATCH=on|off). BatchMax rows per run (WARDEN_BATCH_MAX),
	// BatchWait the longest a row waits for company (WARDEN_BATCH_WAIT),
	// BatchQueue the rows that may wait before requests are refused with
	// 503 overloaded (WARDEN_BATCH_QUEUE), BatchWorkers the runs of one
	// model in flight (WARDEN_BATCH_WORKERS, 0: half the cores).
	Batch        bool
	BatchMax     int
	BatchWait    time.Duration
	BatchQueue   int
	BatchWorkers int
	// Tier2Model names a loaded model that re-scores only texts whose
	// first-tier score falls in an uncertain band (WARDEN_TIER2_MODEL;
	// empty: one tier). Tier2Bands is "category=lo:hi,..."
	// (WARDEN_TIER2_BANDS; empty: bands around the manifest thresholds);
	// Tier2Budget bounds tier 2 per check (WARDEN_TIER2_BUDGET).
	Tier2Model  string
	Tier2Bands  string
	Tier2Budget time.Duration
	// PprofAddr, when set, serves Go's net/http/pprof profiles on a
	// separate listener (WARDEN_PPROF_ADDR, e.g. 127.0.0.1:6060; empty:
	// off). Profiles carry no request text, but keep it on loopback.
	PprofAddr string
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Addr:                 "127.0.0.1:8080",
		DataDir:              defaultDataDir(),
		PolicyReloadInterval: 2 * time.Second,
		CheckTimeout:         250 * time.Millisecond,
		MaxBodyBytes:         1 << 20,
		FailModePrompt:       FailClosed,
		FailModeResponse:     FailClosed,
		IntraOpThreads:       1,
		MallocArenas:         2,
		LogLevel:             "info",
		LogFormat:            "json",
		ShutdownTimeout:      10 * time.Second,
		VaultTTL:             time.Hour,
		NER:                  true,
		Batch:                true,
		BatchMax:             32,
		BatchWait:            200 * time.Microsecond,
		BatchQueue:           1024,
		Tier2Budget:          25 * time.Millisecond,
	}
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "warden")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "warden")
	}
	return "warden-data"
}

// FromEnv returns Default overridden by the environment (os.LookupEnv).
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load returns Default overridden by the variables lookup finds.
func Load(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v, ok := lookup(name); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	integer := func(name string, dst *int64) {
		if v, ok := lookup(name); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	fail := func(name string, dst *FailMode) {
		if v, ok := lookup(name); ok {
			m, err := ParseFailMode(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = m
		}
	}
	str("WARDEN_ADDR", &c.Addr)
	str("WARDEN_DATA_DIR", &c.DataDir)
	str("WARDEN_ONNXRUNTIME_LIB", &c.ONNXRuntimeLib)
	str("WARDEN_MODELS_DIR", &c.ModelsDir)
	str("WARDEN_POLICY_DIR", &c.PolicyDir)
	if v, ok := lookup("WARDEN_EXTRA_MODELS"); ok {
		for _, d := range strings.Split(v, ",") {
			if d = strings.TrimSpace(d); d != "" {
				c.ExtraModels = append(c.ExtraModels, d)
			}
		}
	}
	dur("WARDEN_POLICY_RELOAD_INTERVAL", &c.PolicyReloadInterval)
	dur("WARDEN_CHECK_TIMEOUT", &c.CheckTimeout)
	integer("WARDEN_MAX_BODY_BYTES", &c.MaxBodyBytes)
	fail("WARDEN_FAIL_MODE_PROMPT", &c.FailModePrompt)
	fail("WARDEN_FAIL_MODE_RESPONSE", &c.FailModeResponse)
	small := func(name string, dst *int) {
		n := int64(*dst)
		integer(name, &n)
		*dst = int(n)
	}
	small("WARDEN_ORT_THREADS", &c.IntraOpThreads)
	small("WARDEN_MALLOC_ARENAS", &c.MallocArenas)
	str("WARDEN_LOG_LEVEL", &c.LogLevel)
	str("WARDEN_LOG_FORMAT", &c.LogFormat)
	dur("WARDEN_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout)
	str("WARDEN_REDACT_KEY", &c.RedactKey)
	dur("WARDEN_VAULT_TTL", &c.VaultTTL)
	onOff := func(name string, dst *bool) {
		if v, ok := lookup(name); ok {
			switch strings.ToLower(v) {
			case "on", "true", "1":
				*dst = true
			case "off", "false", "0":
				*dst = false
			default:
				errs = append(errs, fmt.Errorf("%s %q: want on or off", name, v))
			}
		}
	}
	onOff("WARDEN_NER", &c.NER)
	onOff("WARDEN_BATCH", &c.Batch)
	small("WARDEN_BATCH_MAX", &c.BatchMax)
	dur("WARDEN_BATCH_WAIT", &c.BatchWait)
	small("WARDEN_BATCH_QUEUE", &c.BatchQueue)
	small("WARDEN_BATCH_WORKERS", &c.BatchWorkers)
	str("WARDEN_TIER2_MODEL", &c.Tier2Model)
	str("WARDEN_TIER2_BANDS", &c.Tier2Bands)
	dur("WARDEN_TIER2_BUDGET", &c.Tier2Budget)
	str("WARDEN_PPROF_ADDR", &c.PprofAddr)
	// Every problem at once: a value that did not parse keeps its default,
	// so Validate reports only the others.
	return c, errors.Join(errors.Join(errs...), c.Validate())
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("WARDEN_ADDR %q: %w", c.Addr, err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("WARDEN_DATA_DIR is empty"))
	}
	if c.CheckTimeout <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_CHECK_TIMEOUT %v must be positive", c.CheckTimeout))
	}
	if c.PolicyReloadInterval <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_POLICY_RELOAD_INTERVAL %v must be positive", c.PolicyReloadInterval))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		errs = append(errs, fmt.Errorf("WARDEN_MAX_BODY_BYTES %d outside 1 KiB..64 MiB", c.MaxBodyBytes))
	}
	for name, m := range map[string]FailMode{"WARDEN_FAIL_MODE_PROMPT": c.FailModePrompt, "WARDEN_FAIL_MODE_RESPONSE": c.FailModeResponse} {
		if _, err := ParseFailMode(string(m)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.IntraOpThreads < 1 || c.IntraOpThreads > 64 {
		errs = append(errs, fmt.Errorf("WARDEN_ORT_THREADS %d outside 1..64", c.IntraOpThreads))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("WARDEN_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("WARDEN_LOG_FORMAT %q: want json or text", c.LogFormat))
	}
	if c.RedactKey != "" && len(c.RedactKey) < 16 {
		errs = append(errs, fmt.Errorf("WARDEN_REDACT_KEY has %d bytes, want at least 16", len(c.RedactKey)))
	}
	if c.MallocArenas < 0 || c.MallocArenas > 1024 {
		errs = append(errs, fmt.Errorf("WARDEN_MALLOC_ARENAS %d outside 0..1024", c.MallocArenas))
	}
	if c.BatchMax < 1 || c.BatchMax > 4096 {
		errs = append(errs, fmt.Errorf("WARDEN_BATCH_MAX %d outside 1..4096", c.BatchMax))
	}
	if c.BatchWait < 0 || c.BatchWait > time.Second {
		errs = append(errs, fmt.Errorf("WARDEN_BATCH_WAIT %v outside 0..1s", c.BatchWait))
	}
	if c.BatchQueue < 1 {
		errs = append(errs, fmt.Errorf("WARDEN_BATCH_QUEUE %d must be positive", c.BatchQueue))
	} else if c.Batch && c.BatchQueue < c.BatchMax {
		// A full batch must fit in the queue (classifiers.BatchOptions).
		errs = append(errs, fmt.Errorf("WARDEN_BATCH_QUEUE %d is below WARDEN_BATCH_MAX %d", c.BatchQueue, c.BatchMax))
	}
	if c.BatchWorkers < 0 || c.BatchWorkers > 64 {
		errs = append(errs, fmt.Errorf("WARDEN_BATCH_WORKERS %d outside 0..64", c.BatchWorkers))
	}
	if c.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.PprofAddr); err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_PPROF_ADDR %q: %w", c.PprofAddr, err))
		}
	}
	if c.Tier2Budget <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_TIER2_BUDGET %v must be positive", c.Tier2Budget))
	}
	if c.Tier2Bands != "" && c.Tier2Model == "" {
		errs = append(errs, errors.New("WARDEN_TIER2_BANDS is set but WARDEN_TIER2_MODEL is not"))
	}
	if c.VaultTTL <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_VAULT_TTL %v must be positive", c.VaultTTL))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_SHUTDOWN_TIMEOUT %v must be positive", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}
