package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/segmentio/kafka-go"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/ingest"
	"github.com/wardenhq/warden/review/keyring"
	"github.com/wardenhq/warden/review/outbox"
	"github.com/wardenhq/warden/review/store"
)

// Service is the review side: the store, the ingest consumer group member
// and the relay of verdict events. Any number of Services may run against
// the same Kafka and PostgreSQL.
type Service struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	brokers []string
}

// OpenKeyring returns the keyring from WARDEN_REVIEW_KEY, or from the key
// file (generated on first start).
func OpenKeyring(cfg Config, log *slog.Logger) (*keyring.Keyring, error) {
	if cfg.ReviewKey != "" {
		k, err := keyring.Parse(cfg.ReviewKey)
		if err != nil {
			return nil, fmt.Errorf("WARDEN_REVIEW_KEY: %w", err)
		}
		return k, nil
	}
	k, created, err := keyring.LoadOrCreate(cfg.KeyFile())
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated the review store key", "file", cfg.KeyFile(), "key_id", k.Active())
	}
	if cfg.DatabaseURL != "" && created {
		log.Warn("review store on PostgreSQL with a locally generated key: every review process must use the same key (set WARDEN_REVIEW_KEY)", "file", cfg.KeyFile())
	}
	return k, nil
}

// OpenStore opens the review store the configuration names.
func OpenStore(ctx context.Context, cfg Config, log *slog.Logger) (*store.Store, error) {
	if log == nil {
		log = slog.Default()
	}
	keys, err := OpenKeyring(cfg, log)
	if err != nil {
		return nil, err
	}
	keyFile := "" // WARDEN_REVIEW_KEY: a restart takes a new key
	if cfg.ReviewKey == "" {
		keyFile = cfg.KeyFile() // reloaded when rotate-key rewrites it
	}
	return store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, Path: cfg.SQLitePath(), Keyring: keys, KeyFile: keyFile,
		VerdictTopic: cfg.Topics.Verdicts, Logger: log})
}

// OpenService opens the store for a review service consuming from brokers.
func OpenService(ctx context.Context, cfg Config, brokers []string, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := needBrokers(brokers); err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	log.Info("review store open", "driver", st.Driver())
	return &Service{cfg: cfg, log: log, store: st, brokers: brokers}, nil
}

// Store is the review store (for the UI and commands).
func (s *Service) Store() *store.Store { return s.store }

// Run creates the topics when missing, then consumes incidents into the
// store and relays verdict events until ctx is cancelled.
func (s *Service) Run(ctx context.Context) error {
	if !prepareTopics(ctx, s.cfg, s.brokers, s.log) {
		return nil
	}
	reader := bus.NewConsumer(s.brokers, bus.ConsumerOptions{Group: s.cfg.Group, Topic: s.cfg.Topics.Incidents,
		SessionTimeout: s.cfg.SessionTimeout, MaxBytes: 2 * s.cfg.MaxMessageBytes, ClientID: "warden-review", Logger: s.log})
	dlq := bus.NewProducer(s.brokers, bus.ProducerOptions{MaxMessageBytes: s.cfg.MaxMessageBytes, ClientID: "warden-review", Logger: s.log})
	verdicts := bus.NewProducer(s.brokers, bus.ProducerOptions{MaxMessageBytes: s.cfg.MaxMessageBytes, ClientID: "warden-review", Logger: s.log})
	consumer := ingest.New(reader, s.store, dlq, ingest.Options{DLQTopic: s.cfg.Topics.DLQ, MaxAttempts: s.cfg.IngestMaxAttempts, Logger: s.log})
	relay := outbox.NewRelay(s.store.VerdictOutbox(), verdicts, outbox.RelayOptions{Name: "verdicts", Logger: s.log})

	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = consumer.Run(ctx) }()
	go func() { defer wg.Done(); errs[1] = relay.Run(ctx) }()
	wg.Wait()
	return errors.Join(append(errs, closeReader(reader), dlq.Close(), verdicts.Close())...)
}

func closeReader(r *kafka.Reader) error {
	if err := r.Close(); err != nil {
		return fmt.Errorf("closing the incidents consumer: %w", err)
	}
	return nil
}

// Close closes the store. Call it after Run has returned.
func (s *Service) Close() error { return s.store.Close() }
