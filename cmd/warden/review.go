package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/config"
	"github.com/wardenhq/warden/internal/telemetry"
	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/keyring"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/web"
)

// incidents is the incident pipeline inside `warden serve`: the guard's
// outbox and relay always; on the embedded default (no KAFKA_BROKERS) also
// the embedded broker and the review service (ingest into the store).
type incidents struct {
	guard   *review.Guard
	service *review.Service // nil unless embedded
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startIncidents opens the outbox (and, embedded, the broker and the
// store) and starts relaying in the background. Kafka being unreachable
// does not fail it: the relay retries and the outbox fills.
func startIncidents(cfg config.Config, log *slog.Logger) (*incidents, error) {
	rcfg, err := review.FromEnv(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("review configuration: %w", err)
	}
	g, err := review.OpenGuard(rcfg, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &incidents{guard: g, cancel: cancel}
	if rcfg.Embedded() {
		svc, err := review.OpenService(ctx, rcfg, g.Brokers(), log)
		if err != nil {
			cancel()
			g.Close()
			return nil, err
		}
		in.service = svc
		in.run(func() error { return svc.Run(ctx) }, "review service", log)
	}
	in.run(func() error { return g.Run(ctx) }, "outbox relay", log)
	log.Info("incident pipeline started", "brokers", g.Brokers(), "embedded", rcfg.Embedded(), "outbox_depth", g.Outbox().Stats().Depth)
	return in, nil
}

func (in *incidents) run(fn func() error, what string, log *slog.Logger) {
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		if err := fn(); err != nil {
			log.Error(what+" stopped", "err", err)
		}
	}()
}

// Close stops the relay and ingest and closes the outbox, store and
// broker. Incidents still in the outbox are published on the next start.
func (in *incidents) Close() error {
	in.cancel()
	in.wg.Wait()
	var errs []error
	if in.service != nil {
		errs = append(errs, in.service.Close())
	}
	errs = append(errs, in.guard.Close())
	return errors.Join(errs...)
}

// reviewCmd: warden review [run|verify-audit|rotate-key|reseal].
func reviewCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "run":
		return reviewRun(ctx, args, stderr)
	case "verify-audit":
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			n, err := st.VerifyAudit(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "audit log ok: %d entries\n", n)
			return nil
		})
	case "rotate-key":
		return rotateKey(ctx, args, stdout, stderr)
	case "reseal":
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			n, err := st.Reseal(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "resealed %d incidents\n", n)
			return nil
		})
	}
	return usageError{"usage: warden review [run [-addr host:port] | verify-audit | rotate-key [-drop-old] | reseal]"}
}

// reviewRun is the review service on its own (scale-out): ingest from
// KAFKA_BROKERS into the store (DATABASE_URL or SQLite), relay verdicts,
// and serve the reviewer UI under /review/ with /metrics, /healthz and
// /readyz on WARDEN_REVIEW_ADDR.
func reviewRun(ctx context.Context, args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("review", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", envOr("WARDEN_REVIEW_ADDR", "127.0.0.1:8081"), "listen address for the reviewer UI (/review/), metrics and health (WARDEN_REVIEW_ADDR)")
	if err := fl.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, rcfg, log, err := reviewConfig(stderr)
	if err != nil {
		return err
	}
	if rcfg.Embedded() {
		return errors.New("warden review needs KAFKA_BROKERS: on the embedded default, `warden serve` runs the review service itself")
	}
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
	wcfg, err := web.LoadConfig(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("review UI configuration: %w", err)
	}
	svc, err := review.OpenService(ctx, rcfg, rcfg.Brokers, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	ui, err := web.New(web.Options{Store: svc.Store(), Config: wcfg, Logger: log})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/review/", ui.Handler())
	mux.Handle("GET /metrics", tel.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := svc.Store().Ping(r.Context()); err != nil {
			http.Error(w, "review store unreachable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	// The review UI streams no request bodies: a whole request must
	// arrive within WARDEN_BODY_READ_TIMEOUT (the server clears the
	// deadline once the handler runs, so long downloads are not cut).
	readTimeout, err := bodyReadTimeout(os.LookupEnv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout}
	go hs.Serve(ln)
	log.Info("review service running", "addr", ln.Addr().String(), "ui", "http://"+ln.Addr().String()+"/review/", "brokers", rcfg.Brokers, "store", svc.Store().Driver())

	err = svc.Run(ctx)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(err, hs.Shutdown(sctx))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func reviewConfig(stderr io.Writer) (config.Config, review.Config, *slog.Logger, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, review.Config{}, nil, fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	rcfg, err := review.FromEnv(cfg.DataDir)
	if err != nil {
		return cfg, rcfg, nil, fmt.Errorf("review configuration: %w", err)
	}
	return cfg, rcfg, log, nil
}

// withStore opens the review store the environment names (the same
// WARDEN_DATA_DIR / DATABASE_URL as the server) and runs fn.
func withStore(ctx context.Context, stderr io.Writer, fn func(*store.Store, review.Config, *slog.Logger) error) error {
	_, rcfg, log, err := reviewConfig(stderr)
	if err != nil {
		return err
	}
	st, err := review.OpenStore(ctx, rcfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st, rcfg, log)
}

// dropGrace is how long rotate-key -drop-old waits after the reseal for
// incidents a running process sealed with the old key as the file changed.
var dropGrace = time.Second

// rotateKey makes a new key active in the key file, reseals every
// incident with it, and with -drop-old removes the old keys. Running
// processes pick up the new key file before their next seal.
func rotateKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("rotate-key", flag.ContinueOnError)
	fl.SetOutput(stderr)
	drop := fl.Bool("drop-old", false, "remove the old keys from the key file once every incident is resealed")
	if err := fl.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	_, rcfg, log, err := reviewConfig(stderr)
	if err != nil {
		return err
	}
	if rcfg.ReviewKey != "" {
		return errors.New("WARDEN_REVIEW_KEY is set: rotate by prepending a new id:key pair to it, restart, then run `warden review reseal`")
	}
	old, _, err := keyring.LoadOrCreate(rcfg.KeyFile())
	if err != nil {
		return err
	}
	next, err := old.Rotate()
	if err != nil {
		return err
	}
	if err := next.Save(rcfg.KeyFile()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new active key %s in %s\n", next.Active(), rcfg.KeyFile())
	st, err := review.OpenStore(ctx, rcfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Reseal(ctx)
	if err != nil {
		return fmt.Errorf("resealing (the new key is saved; rerun `warden review reseal`): %w", err)
	}
	fmt.Fprintf(stdout, "resealed %d incidents\n", n)
	if err := st.Audit(ctx, envOr("USER", "cli"), "rotate_key", next.Active(), map[string]any{"resealed": n}); err != nil {
		return err
	}
	if *drop {
		// A running process reloads the key file before it seals
		// (store.Options.KeyFile), but one that read it just before the
		// rotation may commit an incident sealed with the old key after
		// the reseal above: wait, reseal again, and drop only keys that no
		// incident uses.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(dropGrace):
		}
		if _, err := st.Reseal(ctx); err != nil {
			return fmt.Errorf("resealing before dropping the old keys (the new key is saved; rerun `warden review reseal`): %w", err)
		}
		inUse, err := st.SealKeys(ctx)
		if err != nil {
			return err
		}
		for _, id := range next.IDs()[1:] {
			if inUse[id] > 0 {
				return fmt.Errorf("%d incidents are still sealed with key %s: old keys kept; run `warden review rotate-key -drop-old` again", inUse[id], id)
			}
		}
		ring := next
		for _, id := range next.IDs()[1:] {
			if ring, err = ring.Without(id); err != nil {
				return err
			}
		}
		if err := ring.Save(rcfg.KeyFile()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dropped %d old keys\n", len(next.IDs())-1)
	}
	return nil
}
