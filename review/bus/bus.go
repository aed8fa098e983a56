// Package bus connects Warden to Kafka with kafka-go: producers and
// consumers configured the safe way (acks from all in-sync replicas,
// synchronous writes, explicit commits), topic creation, and the embedded
// Kafka-protocol broker (kfake) that the single-process default runs on
// loopback so that kcat and any Kafka client can read the topics.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Topics names the three topics.
type Topics struct {
	Incidents string
	Verdicts  string
	DLQ       string
}

// DefaultTopics are the default topic names.
var DefaultTopics = Topics{Incidents: "warden.incidents", Verdicts: "warden.verdicts", DLQ: "warden.incidents.dlq"}

// TopicSpec is a topic to create when missing.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int // -1: the broker's default
	Configs           map[string]string
}

// Specs returns the topic specs Warden creates: the incidents, verdicts and
// dead-letter topics with partitions partitions (the DLQ gets one), the
// given replication factor, max.message.bytes = maxMessageBytes, and
// retention of 7 days (30 for the dead-letter topic).
func Specs(t Topics, partitions, replication, maxMessageBytes int) []TopicSpec {
	cfg := func(retention time.Duration) map[string]string {
		return map[string]string{
			"max.message.bytes": strconv.Itoa(maxMessageBytes),
			"retention.ms":      strconv.FormatInt(retention.Milliseconds(), 10),
			"cleanup.policy":    "delete",
		}
	}
	week := 7 * 24 * time.Hour
	return []TopicSpec{
		{Name: t.Incidents, Partitions: partitions, ReplicationFactor: replication, Configs: cfg(week)},
		{Name: t.Verdicts, Partitions: partitions, ReplicationFactor: replication, Configs: cfg(week)},
		{Name: t.DLQ, Partitions: 1, ReplicationFactor: replication, Configs: cfg(30 * 24 * time.Hour)},
	}
}

// EnsureTopics creates the topics that do not exist yet; existing topics
// are left as they are. It asks for metadata first, so a client without
// the right to create topics works with topics an administrator created.
func EnsureTopics(ctx context.Context, brokers []string, specs []TopicSpec) error {
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, ClientID: "warden"}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 15 * time.Second}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return fmt.Errorf("reading topic metadata from %s: %w", strings.Join(brokers, ","), err)
	}
	exists := map[string]bool{}
	for _, t := range md.Topics {
		if t.Error == nil && len(t.Partitions) > 0 {
			exists[t.Name] = true
		}
	}
	req := &kafka.CreateTopicsRequest{}
	for _, s := range specs {
		if exists[s.Name] {
			continue
		}
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor}
		for k, v := range s.Configs {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
		}
		req.Topics = append(req.Topics, tc)
	}
	if len(req.Topics) == 0 {
		return nil
	}
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("creating topics on %s: %w", strings.Join(brokers, ","), err)
	}
	var errs []error
	for name, e := range res.Errors {
		if e != nil && !errors.Is(e, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("creating topic %s: %w", name, e))
		}
	}
	return errors.Join(errs...)
}

// Denied reports an authorization error: retrying will not help.
func Denied(err error) bool {
	return errors.Is(err, kafka.TopicAuthorizationFailed) || errors.Is(err, kafka.ClusterAuthorizationFailed) ||
		errors.Is(err, kafka.SASLAuthenticationFailed) || errors.Is(err, kafka.PolicyViolation)
}

// Producer is a kafka-go writer configured for the outbox relay.
type Producer struct {
	*kafka.Writer
	transport *kafka.Transport
}

// ProducerOptions configure NewProducer.
type ProducerOptions struct {
	// MaxMessageBytes bounds one message (kafka-go BatchBytes); it must
	// not exceed the topics' max.message.bytes.
	MaxMessageBytes int
	// Timeout bounds one produce request (default 10 s).
	Timeout  time.Duration
	ClientID string
	Logger   *slog.Logger
}

// NewProducer returns a writer that publishes synchronously
// (Async false), waits for all in-sync replicas (RequiredAcks RequireAll,
// set explicitly: kafka-go's default is no acknowledgement), flushes
// batches after 2 ms instead of kafka-go's default 1 s (BatchTimeout), and
// partitions by key with murmur2 like the Java client. Messages carry
// their topic. It retries a failed batch once itself; the outbox relay
// owns retries beyond that.
func NewProducer(brokers []string, o ProducerOptions) *Producer {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 8 << 20
	}
	if o.ClientID == "" {
		o.ClientID = "warden"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	tr := &kafka.Transport{DialTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second, MetadataTTL: 30 * time.Second, ClientID: o.ClientID}
	w := &kafka.Writer{
		Addr:            kafka.TCP(brokers...),
		Balancer:        &kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks:    kafka.RequireAll,
		Async:           false,
		BatchSize:       1000,
		BatchBytes:      int64(o.MaxMessageBytes),
		BatchTimeout:    2 * time.Millisecond,
		MaxAttempts:     2,
		WriteBackoffMin: 50 * time.Millisecond,
		WriteBackoffMax: 500 * time.Millisecond,
		ReadTimeout:     o.Timeout,
		WriteTimeout:    o.Timeout,
		Transport:       tr,
	}
	if o.Logger != nil {
		w.ErrorLogger = kafka.LoggerFunc(func(msg string, args ...any) {
			o.Logger.Debug("kafka writer: " + fmt.Sprintf(msg, args...))
		})
	}
	return &Producer{Writer: w, transport: tr}
}

// Close flushes and closes the writer and its connections.
func (p *Producer) Close() error {
	err := p.Writer.Close()
	p.transport.CloseIdleConnections()
	return err
}

// ConsumerOptions configure NewConsumer.
type ConsumerOptions struct {
	Group string
	Topic string
	// SessionTimeout is the consumer group session timeout (default 30 s;
	// a consumer that dies without leaving is replaced after it).
	SessionTimeout time.Duration
	// MaxBytes bounds one fetch (default 16 MiB; at least the largest
	// message).
	MaxBytes int
	ClientID string
	Logger   *slog.Logger
}

// NewConsumer returns a consumer group reader with explicit commits
// (CommitInterval 0: CommitMessages commits synchronously) that starts at
// the oldest offset when the group has none. Use FetchMessage then
// CommitMessages, never ReadMessage (it commits before processing).
func NewConsumer(brokers []string, o ConsumerOptions) *kafka.Reader {
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 30 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 16 << 20
	}
	if o.ClientID == "" {
		o.ClientID = "warden"
	}
	hb := o.SessionTimeout / 6
	cfg := kafka.ReaderConfig{
		Brokers:               brokers,
		GroupID:               o.Group,
		Topic:                 o.Topic,
		Dialer:                &kafka.Dialer{ClientID: o.ClientID, Timeout: 5 * time.Second, DualStack: true},
		QueueCapacity:         1000,
		MinBytes:              1,
		MaxBytes:              o.MaxBytes,
		MaxWait:               250 * time.Millisecond,
		ReadBatchTimeout:      5 * time.Second,
		CommitInterval:        0,
		StartOffset:           kafka.FirstOffset,
		SessionTimeout:        o.SessionTimeout,
		HeartbeatInterval:     hb,
		RebalanceTimeout:      o.SessionTimeout,
		JoinGroupBackoff:      time.Second,
		ReadBackoffMin:        100 * time.Millisecond,
		ReadBackoffMax:        2 * time.Second,
		WatchPartitionChanges: true,
		MaxAttempts:           3,
	}
	if o.Logger != nil {
		cfg.ErrorLogger = kafka.LoggerFunc(func(msg string, args ...any) {
			o.Logger.Debug("kafka reader: " + fmt.Sprintf(msg, args...))
		})
	}
	return kafka.NewReader(cfg)
}

// Embedded is the in-process Kafka-protocol broker of the single-process
// default (kfake, one broker).
type Embedded struct {
	cluster *kfake.Cluster
	addr    string
}

// EmbeddedOptions configure StartEmbedded.
type EmbeddedOptions struct {
	// Addr is the loopback listen address (WARDEN_KAFKA_ADDR); the broker
	// advertises it to clients.
	Addr string
	// DataDir persists topics, records and group offsets across restarts
	// (empty: memory only). Records are written through the OS page cache
	// (they survive the process being killed) and fsynced on segment roll
	// and shutdown.
	DataDir string
	// MaxMessageBytes is the broker's message.max.bytes.
	MaxMessageBytes int
	Logger          *slog.Logger
}

// StartEmbedded starts the broker; Close stops it.
func StartEmbedded(o EmbeddedOptions) (*Embedded, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:9092"
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 8 << 20
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded Kafka broker on %s: %w", o.Addr, err)
	}
	used := false
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ClusterID("warden-embedded"),
		kfake.ListenFn(func(string, string) (net.Listener, error) {
			if used {
				return nil, errors.New("embedded broker listens once")
			}
			used = true
			return ln, nil
		}),
		kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(o.MaxMessageBytes)}),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if o.Logger != nil {
		opts = append(opts, kfake.WithLogger(kfakeLogger{o.Logger}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("embedded Kafka broker: %w", err)
	}
	return &Embedded{cluster: c, addr: ln.Addr().String()}, nil
}

// Addr is the broker's address (for clients: the bootstrap server).
func (e *Embedded) Addr() string { return e.addr }

// Close stops the broker (persisting its state when it has a DataDir).
func (e *Embedded) Close() { e.cluster.Close() }

type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(lvl kfake.LogLevel, msg string, args ...any) {
	switch lvl {
	case kfake.LogLevelError:
		k.l.Error("embedded kafka: " + fmt.Sprintf(msg, args...))
	case kfake.LogLevelWarn:
		k.l.Debug("embedded kafka: " + fmt.Sprintf(msg, args...))
	}
}
