package review

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/outbox"
)

// Config is the configuration of the incident pipeline: Kafka, the
// guard's outbox, the review store and the ingest. Start from
// DefaultConfig; FromEnv applies the environment.
type Config struct {
	// DataDir is WARDEN_DATA_DIR (outbox, embedded broker, SQLite store,
	// key file live under it).
	DataDir string

	// Brokers are the Kafka bootstrap brokers (KAFKA_BROKERS, comma
	// separated). Empty: the embedded broker, and `warden serve` runs the
	// whole pipeline in one process.
	Brokers []string
	// EmbeddedAddr is the embedded broker's loopback listen address
	// (WARDEN_KAFKA_ADDR, default 127.0.0.1:9092).
	EmbeddedAddr string
	// Topics (WARDEN_KAFKA_TOPIC_INCIDENTS, _VERDICTS, _DLQ; defaults
	// warden.incidents, warden.verdicts, warden.incidents.dlq).
	Topics bus.Topics
	// Partitions of the incidents and verdicts topics when Warden creates
	// them (WARDEN_KAFKA_PARTITIONS, default 6).
	Partitions int
	// Replication factor of created topics (WARDEN_KAFKA_REPLICATION,
	// default -1: the cluster's default.replication.factor; always 1 on
	// the embedded broker).
	Replication int
	// MaxMessageBytes is the topics' max.message.bytes and the producer's
	// limit (WARDEN_KAFKA_MAX_MESSAGE_BYTES, default 8 MiB); it must be at
	// least OutboxMaxEntryBytes.
	MaxMessageBytes int
	// Group is the ingest consumer group (WARDEN_KAFKA_GROUP, default
	// warden-review).
	Group string
	// SessionTimeout of the consumer group (WARDEN_KAFKA_SESSION_TIMEOUT,
	// default 30s).
	SessionTimeout time.Duration

	// OutboxMaxBytes bounds the outbox on disk (WARDEN_OUTBOX_MAX_BYTES,
	// default 1 GiB); when full, block and escalate checks fail by their
	// stage's fail mode.
	OutboxMaxBytes int64
	// OutboxMaxEntryBytes bounds one incident (WARDEN_OUTBOX_MAX_ENTRY_BYTES,
	// default 4 MiB).
	OutboxMaxEntryBytes int
	// OutboxSync is interval (default) or always (WARDEN_OUTBOX_SYNC).
	OutboxSync outbox.SyncMode
	// OutboxSyncInterval is the background fsync period
	// (WARDEN_OUTBOX_SYNC_INTERVAL, default 50ms).
	OutboxSyncInterval time.Duration

	// DatabaseURL selects PostgreSQL for the review store (DATABASE_URL).
	// Empty: SQLite at DataDir/review.db.
	DatabaseURL string
	// ReviewKey is the key spec sealing sensitive fields
	// (WARDEN_REVIEW_KEY: "id:base64key[,id:base64key…]", first active).
	// Empty: the key file.
	ReviewKey string
	// ReviewKeyFile is used when ReviewKey is empty
	// (WARDEN_REVIEW_KEY_FILE, default DataDir/review-keys.json; generated
	// on first start).
	ReviewKeyFile string
	// IngestMaxAttempts is how often the store may refuse a message
	// before it is dead-lettered (WARDEN_INGEST_MAX_ATTEMPTS, default 5).
	IngestMaxAttempts int
}

// DefaultConfig returns the documented defaults for a data directory.
func DefaultConfig(dataDir string) Config {
	return Config{
		DataDir:             dataDir,
		EmbeddedAddr:        "127.0.0.1:9092",
		Topics:              bus.DefaultTopics,
		Partitions:          6,
		Replication:         -1,
		MaxMessageBytes:     8 << 20,
		Group:               "warden-review",
		SessionTimeout:      30 * time.Second,
		OutboxMaxBytes:      outbox.DefaultMaxBytes,
		OutboxMaxEntryBytes: outbox.DefaultMaxEntryBytes,
		OutboxSync:          outbox.SyncInterval,
		OutboxSyncInterval:  outbox.DefaultSyncInterval,
		IngestMaxAttempts:   5,
	}
}

// Embedded reports whether the embedded broker is used.
func (c Config) Embedded() bool { return len(c.Brokers) == 0 }

// OutboxDir is DataDir/outbox.
func (c Config) OutboxDir() string { return filepath.Join(c.DataDir, "outbox") }

// BrokerDir is DataDir/kafka (the embedded broker's state).
func (c Config) BrokerDir() string { return filepath.Join(c.DataDir, "kafka") }

// SQLitePath is DataDir/review.db.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "review.db") }

// KeyFile is ReviewKeyFile or DataDir/review-keys.json.
func (c Config) KeyFile() string {
	if c.ReviewKeyFile != "" {
		return c.ReviewKeyFile
	}
	return filepath.Join(c.DataDir, "review-keys.json")
}

// FromEnv returns DefaultConfig(dataDir) overridden by the environment.
func FromEnv(dataDir string) (Config, error) { return LoadConfig(dataDir, os.LookupEnv) }

// LoadConfig returns DefaultConfig(dataDir) overridden by the variables
// lookup finds, validated.
func LoadConfig(dataDir string, lookup func(string) (string, bool)) (Config, error) {
	c := DefaultConfig(dataDir)
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok && v != "" {
			*dst = v
		}
	}
	num := func(name string, dst *int) {
		if v, ok := lookup(name); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v, ok := lookup(name); ok && v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	if v, ok := lookup("KAFKA_BROKERS"); ok {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				c.Brokers = append(c.Brokers, b)
			}
		}
	}
	str("WARDEN_KAFKA_ADDR", &c.EmbeddedAddr)
	str("WARDEN_KAFKA_TOPIC_INCIDENTS", &c.Topics.Incidents)
	str("WARDEN_KAFKA_TOPIC_VERDICTS", &c.Topics.Verdicts)
	str("WARDEN_KAFKA_TOPIC_DLQ", &c.Topics.DLQ)
	num("WARDEN_KAFKA_PARTITIONS", &c.Partitions)
	num("WARDEN_KAFKA_REPLICATION", &c.Replication)
	num("WARDEN_KAFKA_MAX_MESSAGE_BYTES", &c.MaxMessageBytes)
	str("WARDEN_KAFKA_GROUP", &c.Group)
	dur("WARDEN_KAFKA_SESSION_TIMEOUT", &c.SessionTimeout)
	if v, ok := lookup("WARDEN_OUTBOX_MAX_BYTES"); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_OUTBOX_MAX_BYTES: %w", err))
		}
		c.OutboxMaxBytes = n
	}
	num("WARDEN_OUTBOX_MAX_ENTRY_BYTES", &c.OutboxMaxEntryBytes)
	if v, ok := lookup("WARDEN_OUTBOX_SYNC"); ok && v != "" {
		m, err := outbox.ParseSyncMode(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_OUTBOX_SYNC: %w", err))
		}
		c.OutboxSync = m
	}
	dur("WARDEN_OUTBOX_SYNC_INTERVAL", &c.OutboxSyncInterval)
	str("DATABASE_URL", &c.DatabaseURL)
	str("WARDEN_REVIEW_KEY", &c.ReviewKey)
	str("WARDEN_REVIEW_KEY_FILE", &c.ReviewKeyFile)
	num("WARDEN_INGEST_MAX_ATTEMPTS", &c.IngestMaxAttempts)
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("WARDEN_DATA_DIR is empty"))
	}
	if c.Embedded() {
		host, _, err := net.SplitHostPort(c.EmbeddedAddr)
		if err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_KAFKA_ADDR %q: %w", c.EmbeddedAddr, err))
		} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			errs = append(errs, fmt.Errorf("WARDEN_KAFKA_ADDR %q: the embedded broker has no authentication; it listens on loopback only", c.EmbeddedAddr))
		}
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_BROKERS entry %q: %w", b, err))
		}
	}
	names := map[string]string{"WARDEN_KAFKA_TOPIC_INCIDENTS": c.Topics.Incidents, "WARDEN_KAFKA_TOPIC_VERDICTS": c.Topics.Verdicts, "WARDEN_KAFKA_TOPIC_DLQ": c.Topics.DLQ}
	seen := map[string]bool{}
	for env, t := range names {
		if !validTopic(t) {
			errs = append(errs, fmt.Errorf("%s %q: want 1-249 of [a-zA-Z0-9._-]", env, t))
		}
		if seen[t] {
			errs = append(errs, fmt.Errorf("%s %q: topics must differ", env, t))
		}
		seen[t] = true
	}
	if c.Partitions < 1 || c.Partitions > 1000 {
		errs = append(errs, fmt.Errorf("WARDEN_KAFKA_PARTITIONS %d outside 1..1000", c.Partitions))
	}
	if c.Replication == 0 || c.Replication < -1 || c.Replication > 32 {
		errs = append(errs, fmt.Errorf("WARDEN_KAFKA_REPLICATION %d: want -1 (cluster default) or 1..32", c.Replication))
	}
	if c.MaxMessageBytes < c.OutboxMaxEntryBytes+64<<10 {
		errs = append(errs, fmt.Errorf("WARDEN_KAFKA_MAX_MESSAGE_BYTES %d must exceed WARDEN_OUTBOX_MAX_ENTRY_BYTES %d by 64 KiB", c.MaxMessageBytes, c.OutboxMaxEntryBytes))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("WARDEN_KAFKA_GROUP is empty"))
	}
	if c.SessionTimeout < 6*time.Second || c.SessionTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("WARDEN_KAFKA_SESSION_TIMEOUT %v outside 6s..5m", c.SessionTimeout))
	}
	if err := c.outboxOptions().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("outbox (WARDEN_OUTBOX_*): %w", err))
	}
	if c.OutboxSyncInterval < time.Millisecond || c.OutboxSyncInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("WARDEN_OUTBOX_SYNC_INTERVAL %v outside 1ms..10s", c.OutboxSyncInterval))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("DATABASE_URL must start with postgres:// or postgresql://"))
	}
	if c.IngestMaxAttempts < 1 || c.IngestMaxAttempts > 100 {
		errs = append(errs, fmt.Errorf("WARDEN_INGEST_MAX_ATTEMPTS %d outside 1..100", c.IngestMaxAttempts))
	}
	return errors.Join(errs...)
}

func validTopic(t string) bool {
	if t == "" || len(t) > 249 || t == "." || t == ".." {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (c Config) outboxOptions() outbox.Options {
	return outbox.Options{
		MaxBytes:      c.OutboxMaxBytes,
		MaxEntryBytes: c.OutboxMaxEntryBytes,
		Sync:          c.OutboxSync,
		SyncInterval:  c.OutboxSyncInterval,
		Name:          "incidents",
	}
}
