package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/config"
	"github.com/wardenhq/warden/internal/redact"
	"github.com/wardenhq/warden/internal/telemetry"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/models"
	"github.com/wardenhq/warden/models/ner"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/web"
	"github.com/wardenhq/warden/streams"
)

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// modelsFS is the configured models directory, or the embedded models.
func modelsFS(cfg config.Config) (fs.FS, string) {
	if cfg.ModelsDir != "" {
		return os.DirFS(cfg.ModelsDir), cfg.ModelsDir
	}
	return models.FS, "embedded"
}

// guard is the inline path, wired.
type guard struct {
	suite  *classifiers.Suite
	router *classifiers.Router // nil without a second tier
	det    *detect.Detector
	vault  *redact.TokenVault
	policy *policy.Engine
	check  *check.Service
}

// newGuard loads models and policy and wires the check; rec is the
// incident outbox (nil: no incidents recorded). plan is the classifier
// windows of response text (WARDEN_STREAM_SCORE_WINDOW/_INTERVAL): a
// response checked whole (POST /v1/check) is scored on the windows a
// stream of it is, so that both decide alike.
func newGuard(ctx context.Context, cfg config.Config, plan check.Plan, log *slog.Logger, rec check.Recorder) (*guard, error) {
	capMallocArenas(cfg, log)
	if err := classifiers.Init(cfg.ONNXRuntimeLib); err != nil {
		return nil, err
	}
	mfs, where := modelsFS(cfg)
	mopts := classifiers.Options{IntraOpThreads: cfg.IntraOpThreads}
	suite, err := classifiers.LoadAll(mfs, ".", mopts)
	if err != nil {
		return nil, fmt.Errorf("loading models (%s): %w", where, err)
	}
	if len(cfg.ExtraModels) > 0 {
		extra, err := classifiers.OpenDirs(cfg.ExtraModels, mopts)
		if err != nil {
			suite.Close()
			return nil, fmt.Errorf("loading WARDEN_EXTRA_MODELS: %w", err)
		}
		// Models are named in decisions' model_versions, /readyz and
		// WARDEN_TIER2_MODEL: a second model of a name already loaded
		// would be scored but hidden from the first two and ambiguous in
		// the third.
		all := append(suite.Models(), extra...)
		seen := map[string]bool{}
		for i, m := range all {
			name := m.Manifest().Name
			if seen[name] {
				classifiers.NewSuite(all...).Close()
				return nil, fmt.Errorf("loading WARDEN_EXTRA_MODELS: model directory %s: a model named %q is already loaded (give it another name in its manifest)",
					cfg.ExtraModels[i-len(suite.Models())], name)
			}
			seen[name] = true
		}
		suite = classifiers.NewSuite(all...)
	}
	log.Info("models loaded", "from", where, "versions", suite.Versions(), "onnxruntime", classifiers.RuntimeVersion())
	cls, router, err := tiers(cfg, suite)
	if err != nil {
		suite.Close()
		return nil, err
	}
	dopts := detect.Options{}
	if cfg.NER {
		dopts.NERModelFS, dopts.NERDir = ner.FS, "."
	}
	det, err := detect.New(dopts)
	if err != nil {
		suite.Close()
		return nil, fmt.Errorf("loading detectors: %w", err)
	}
	key, err := redactKey(cfg)
	if err != nil {
		suite.Close()
		det.Close()
		return nil, err
	}
	vault, err := redact.NewTokenVault(redact.VaultOptions{Key: key, TTL: cfg.VaultTTL})
	if err != nil {
		suite.Close()
		det.Close()
		return nil, fmt.Errorf("token vault: %w", err)
	}
	pol := policy.New(policy.Options{Dir: cfg.PolicyDir, ReloadInterval: cfg.PolicyReloadInterval, Logger: log})
	if err := pol.Load(ctx); err != nil {
		suite.Close()
		det.Close()
		return nil, fmt.Errorf("loading policy: %w", err)
	}
	svc := check.New(cls, det, pol, rec, check.Options{
		Timeout: cfg.CheckTimeout,
		FailOpen: map[types.Stage]bool{
			types.StagePrompt:   cfg.FailModePrompt == config.FailOpen,
			types.StageResponse: cfg.FailModeResponse == config.FailOpen,
		},
		Redactor: &redact.Redactor{Key: key, Vault: vault},
		Restorer: vault,
		Plan:     plan,
		Logger:   log,
	})
	return &guard{suite: suite, router: router, det: det, vault: vault, policy: pol, check: svc}, nil
}

// capMallocArenas applies WARDEN_MALLOC_ARENAS before ONNX Runtime
// allocates anything, unless MALLOC_ARENA_MAX (glibc's own variable) is set.
// glibc's default, 8 arenas per core, lets the sessions' allocations from
// different threads spread over many arenas that each keep free memory:
// peak resident memory under load had a median of 278 MB over eleven runs
// (two above 300 MB), 270 MB over twelve with two arenas (docs/benchmarks.md).
func capMallocArenas(cfg config.Config, log *slog.Logger) {
	if cfg.MallocArenas == 0 || os.Getenv("MALLOC_ARENA_MAX") != "" {
		return
	}
	if !limitMallocArenas(cfg.MallocArenas) {
		log.Warn("WARDEN_MALLOC_ARENAS: the C library has no arena limit; ignored", "arenas", cfg.MallocArenas)
	}
}

// tiers turns on batching (WARDEN_BATCH) and, with WARDEN_TIER2_MODEL,
// moves that model out of the suite into a second tier that re-scores
// only uncertain texts. It returns what the check should score with.
func tiers(cfg config.Config, suite *classifiers.Suite) (check.Classifier, *classifiers.Router, error) {
	var t2 classifiers.Scorer
	if cfg.Tier2Model != "" {
		m, err := suite.Detach(cfg.Tier2Model)
		if err != nil {
			return nil, nil, fmt.Errorf("WARDEN_TIER2_MODEL: %w", err)
		}
		t2 = m
	}
	if cfg.Batch {
		bo := classifiers.BatchOptions{MaxBatch: cfg.BatchMax, MaxWait: cfg.BatchWait, QueueRows: cfg.BatchQueue, Workers: cfg.BatchWorkers}
		if cfg.BatchWait == 0 {
			bo.MaxWait = -1 // 0 means "never wait" here, not the default
		}
		if err := suite.EnableBatching(bo); err != nil {
			if t2 != nil {
				t2.Close()
			}
			return nil, nil, fmt.Errorf("WARDEN_BATCH: %w", err)
		}
	}
	if t2 == nil {
		return suite, nil, nil
	}
	var bands map[string]classifiers.Band
	if cfg.Tier2Bands != "" {
		b, err := classifiers.ParseBands(cfg.Tier2Bands)
		if err != nil {
			t2.Close()
			return nil, nil, fmt.Errorf("WARDEN_TIER2_BANDS: %w", err)
		}
		bands = b
	}
	r, err := classifiers.NewRouter(suite, t2, classifiers.TierOptions{Bands: bands, Budget: cfg.Tier2Budget})
	if err != nil {
		t2.Close()
		return nil, nil, fmt.Errorf("second tier: %w", err)
	}
	return r, r, nil
}

func (g *guard) Close() error {
	if g.router != nil {
		// The router closes both tiers (the suite is its first tier).
		return errors.Join(g.router.Close(), g.det.Close())
	}
	return errors.Join(g.suite.Close(), g.det.Close())
}

// redactKey is WARDEN_REDACT_KEY, or a random key kept in
// DataDir/redact.key (created on first start, mode 0600) so that
// pseudonyms and vault tokens stay stable across restarts.
func redactKey(cfg config.Config) ([]byte, error) {
	if cfg.RedactKey != "" {
		return []byte(cfg.RedactKey), nil
	}
	path := filepath.Join(cfg.DataDir, "redact.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 16 {
			return nil, fmt.Errorf("redaction key file %s is not a hex key of at least 16 bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading redaction key %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating redaction key: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing redaction key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("writing redaction key: %w", err)
	}
	return key, nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "", "listen address (overrides WARDEN_ADDR)")
	if err := fl.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	// Every invalid setting is listed, not only the first group's.
	cfg, err := config.FromEnv()
	scfg, serr := streams.FromEnv(os.LookupEnv)
	bodyTimeout, berr := bodyReadTimeout(os.LookupEnv)
	// The incident pipeline's and (embedded default) the reviewer UI's
	// settings are read again where they are used; reading them here too
	// lists their problems with the others, before anything starts.
	rcfg, rerr := review.FromEnv(cfg.DataDir)
	var uerr error
	if rcfg.Embedded() {
		_, uerr = web.LoadConfig(os.LookupEnv)
	}
	if err := errors.Join(err, serr, berr, rerr, uerr); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating WARDEN_DATA_DIR %s: %w", cfg.DataDir, err)
	}

	tel, err := telemetry.Setup(ctx, version)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()

	// The incident pipeline: outbox and relay; on the embedded default
	// also the Kafka-protocol broker on WARDEN_KAFKA_ADDR and the review
	// service. Kafka being down does not stop the guard.
	inc, err := startIncidents(cfg, log)
	if err != nil {
		return fmt.Errorf("incident pipeline: %w", err)
	}
	defer func() {
		if err := inc.Close(); err != nil {
			log.Error("closing the incident pipeline", "err", err)
		}
	}()

	// Listen first so that probes answer (not ready) while models load.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	var g atomic.Pointer[guard]
	ready := func() (bool, map[string]any) {
		gd := g.Load()
		if gd == nil {
			return false, map[string]any{"models": "loading", "policy": "loading"}
		}
		st := gd.policy.Status()
		ob := inc.guard.Outbox().Stats()
		return st.Loaded, map[string]any{"models": gd.check.ModelVersions(), "policy": st,
			"outbox": map[string]any{"depth": ob.Depth, "oldest_age_seconds": ob.OldestAge.Seconds()}}
	}
	var checker checkerFunc = func(ctx context.Context, req check.Request) (check.Result, error) {
		gd := g.Load()
		if gd == nil {
			return check.Result{}, errors.New("guard not ready")
		}
		return gd.check.Check(ctx, req)
	}
	srv := api.New(api.Options{Checker: checker, Ready: ready, Metrics: tel.Handler(), MaxBodyBytes: cfg.MaxBodyBytes, Logger: log,
		BodyReadTimeout: bodyTimeout, StreamingRoutes: streamingRoutes})
	// The streaming filter: OpenAI and Anthropic proxies, the generic
	// stream API and, without upstream URLs, the built-in demo upstream.
	if _, err := streams.Register(srv.Engine(), streams.Deps{
		Config: scfg,
		Service: func() *check.Service {
			if gd := g.Load(); gd != nil {
				return gd.check
			}
			return nil
		},
		NewRestorer: func(tenant string) streams.TokenRestorer {
			if gd := g.Load(); gd != nil {
				return gd.vault.NewRestorer(tenant)
			}
			return nil
		},
		Logger: log,
	}); err != nil {
		return fmt.Errorf("streams: %w", err)
	}
	// The reviewer UI under /review/ (embedded default: the review store
	// runs in this process).
	if inc.service != nil {
		ui, err := web.NewFromEnv(inc.service.Store(), log)
		if err != nil {
			ln.Close()
			return fmt.Errorf("reviewer UI: %w", err)
		}
		ui.Register(srv.Engine())
	}
	if cfg.PprofAddr != "" {
		_, stop, err := servePprof(cfg.PprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer stop()
	}
	// No ReadTimeout or WriteTimeout: the stream API reads its request
	// body, and the proxies write their answers, for as long as a stream
	// lasts. Request bodies are bounded per route instead
	// (WARDEN_BODY_READ_TIMEOUT, api.Options.BodyReadTimeout); streams
	// bound their own silences (WARDEN_UPSTREAM_IDLE_TIMEOUT, hold-back).
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "data_dir", cfg.DataDir)

	gd, err := newGuard(ctx, cfg, scfg.Plan(), log, inc.guard.Recorder())
	if err != nil {
		hs.Close()
		return err
	}
	defer gd.Close()
	g.Store(gd)
	go gd.policy.Watch(ctx)
	log.Info("ready", "policy_revision", gd.policy.Revision())

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// streamingRoutes are the routes whose request body lasts as long as the
// exchange: the generic stream API (streams.Register) reads NDJSON lines
// for as long as the caller streams. WARDEN_BODY_READ_TIMEOUT does not
// apply to them; it applies to every other route that reads a body
// (/v1/check, the proxies, which read the whole request before forwarding
// it, the reviewer UI's forms).
var streamingRoutes = []string{"/v1/stream"}

// defaultBodyReadTimeout is WARDEN_BODY_READ_TIMEOUT's default.
const defaultBodyReadTimeout = 30 * time.Second

// bodyReadTimeout reads WARDEN_BODY_READ_TIMEOUT: how long a request body
// may take to arrive after its headers (100ms..1h).
func bodyReadTimeout(lookup func(string) (string, bool)) (time.Duration, error) {
	v, ok := lookup("WARDEN_BODY_READ_TIMEOUT")
	if !ok || v == "" {
		return defaultBodyReadTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("WARDEN_BODY_READ_TIMEOUT %q: %w", v, err)
	}
	if d < 100*time.Millisecond || d > time.Hour {
		return 0, fmt.Errorf("WARDEN_BODY_READ_TIMEOUT %v outside 100ms..1h", d)
	}
	return d, nil
}

type checkerFunc func(context.Context, check.Request) (check.Result, error)

func (f checkerFunc) Check(ctx context.Context, r check.Request) (check.Result, error) {
	return f(ctx, r)
}

// servePprof serves Go's runtime profiles (net/http/pprof) on their own
// listener, apart from the API, for engineers measuring a running guard.
func servePprof(addr string, log *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("WARDEN_PPROF_ADDR: listening on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	log.Info("profiling endpoint", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { _ = hs.Close() }, nil
}
