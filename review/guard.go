package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/outbox"
)

// Guard is the guard's side of the pipeline: the durable outbox the check
// records incidents into, the relay that publishes them, and, on the
// embedded default, the in-process broker.
type Guard struct {
	cfg      Config
	log      *slog.Logger
	outbox   *outbox.Log
	recorder *outbox.Recorder
	broker   *bus.Embedded
	brokers  []string
}

// OpenGuard opens the outbox and, when no brokers are configured, starts
// the embedded broker. It does not contact an external Kafka: Run does,
// in the background, so the guard serves even while Kafka is down.
func OpenGuard(cfg Config, log *slog.Logger) (*Guard, error) {
	if log == nil {
		log = slog.Default()
	}
	o := cfg.outboxOptions()
	o.Logger = log
	ob, err := outbox.Open(cfg.OutboxDir(), o)
	if err != nil {
		return nil, err
	}
	g := &Guard{cfg: cfg, log: log, outbox: ob, recorder: outbox.NewRecorder(ob, cfg.Topics.Incidents), brokers: cfg.Brokers}
	if cfg.Embedded() {
		b, err := bus.StartEmbedded(bus.EmbeddedOptions{Addr: cfg.EmbeddedAddr, DataDir: cfg.BrokerDir(), MaxMessageBytes: cfg.MaxMessageBytes, Logger: log})
		if err != nil {
			ob.Close()
			return nil, err
		}
		g.broker, g.brokers = b, []string{b.Addr()}
		log.Info("embedded Kafka broker listening", "addr", b.Addr())
	}
	return g, nil
}

// Recorder is what the check records incidents with.
func (g *Guard) Recorder() *outbox.Recorder { return g.recorder }

// Outbox is the outbox log (stats).
func (g *Guard) Outbox() *outbox.Log { return g.outbox }

// Brokers are the bootstrap brokers in use (the embedded one's address on
// the default).
func (g *Guard) Brokers() []string { return g.brokers }

// Run relays the outbox to Kafka until ctx is cancelled, creating the
// topics when missing (on the embedded broker before the relay starts;
// on a cluster alongside it, retrying while Kafka is unreachable).
func (g *Guard) Run(ctx context.Context) error {
	if !prepareTopics(ctx, g.cfg, g.brokers, g.log) {
		return nil
	}
	p := bus.NewProducer(g.brokers, bus.ProducerOptions{MaxMessageBytes: g.cfg.MaxMessageBytes, ClientID: "warden-guard", Logger: g.log})
	defer p.Close()
	return outbox.NewRelay(g.outbox, p, outbox.RelayOptions{Name: "incidents", Logger: g.log}).Run(ctx)
}

// Close closes the outbox and stops the embedded broker. Call it after
// Run has returned.
func (g *Guard) Close() error {
	err := g.outbox.Close()
	if g.broker != nil {
		g.broker.Close()
	}
	return err
}

// prepareTopics creates the topics: on the embedded broker synchronously
// (false if ctx ended first), on a cluster in the background so that
// relaying and consuming start at once (they retry until the topics
// exist).
func prepareTopics(ctx context.Context, cfg Config, brokers []string, log *slog.Logger) bool {
	if cfg.Embedded() {
		return EnsureTopics(ctx, cfg, brokers, log)
	}
	go EnsureTopics(ctx, cfg, brokers, log)
	return true
}

// EnsureTopics creates the missing topics, retrying with backoff until it
// succeeds (true), ctx ends, or Kafka denies it (false; the topics must
// then be created by an administrator).
func EnsureTopics(ctx context.Context, cfg Config, brokers []string, log *slog.Logger) bool {
	repl := cfg.Replication
	if cfg.Embedded() {
		repl = 1
	}
	specs := bus.Specs(cfg.Topics, cfg.Partitions, repl, cfg.MaxMessageBytes)
	delay := 500 * time.Millisecond
	for {
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := bus.EnsureTopics(tctx, brokers, specs)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if bus.Denied(err) {
			log.Error("not allowed to create the Kafka topics; create them (see bus.Specs) or grant CreateTopics", "topics", cfg.Topics, "err", err)
			return false
		}
		log.Warn("Kafka topics not ready; retrying", "brokers", brokers, "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

var errNoBrokers = errors.New("no Kafka brokers")

func needBrokers(brokers []string) error {
	if len(brokers) == 0 {
		return fmt.Errorf("%w: set KAFKA_BROKERS (on the embedded default, `warden serve` runs the review service itself)", errNoBrokers)
	}
	return nil
}
