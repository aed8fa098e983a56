// Package ingest moves incidents from the incidents topic into the review
// store: a consumer group member fetches messages (FetchMessage, never
// ReadMessage, which commits before processing), upserts them by incident
// id, and only then commits their offsets (CommitMessages). A crash between
// the store write and the commit redelivers the messages, and the upsert
// makes the redelivery harmless: each incident is stored once.
//
// A message that cannot be decoded or does not match warden.incident.v1 is
// poison: it goes to the dead-letter topic at once (retrying cannot fix
// it). A valid message the store keeps refusing goes there after
// Options.MaxAttempts tries. When the store itself is unreachable, nothing
// is dead-lettered: the batch waits, with backoff, until it is back.
// Dead-lettered messages keep their key, value and headers and gain
// dlq-* headers (origin topic, partition, offset, error, attempts).
package ingest

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/wardenhq/warden/review/incident"
)

// Store is where incidents land.
type Store interface {
	// UpsertIncidents stores incidents by id (ignoring known ids) and
	// returns how many were new.
	UpsertIncidents(ctx context.Context, incs []*incident.Incident) (int, error)
	Ping(ctx context.Context) error
}

// Reader is a consumer group member (a *kafka.Reader with a GroupID and
// CommitInterval 0).
type Reader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Writer publishes to the dead-letter topic (acks=all, synchronous).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Options configure a Consumer. Zero values take the defaults.
type Options struct {
	// DLQTopic receives poison messages (default warden.incidents.dlq).
	DLQTopic string
	// MaxAttempts is how often the store may refuse a valid message before
	// it is dead-lettered (default 5).
	MaxAttempts int
	// BatchSize is the most messages stored per transaction (default 500).
	BatchSize int
	// BatchWait is how long to wait for more messages after the first
	// (default 5 ms).
	BatchWait time.Duration
	// BackoffMin and BackoffMax bound retry backoff (100 ms, 5 s).
	BackoffMin, BackoffMax time.Duration
	Logger                 *slog.Logger

	// afterStore, when set (tests), runs after a batch is stored and
	// before its offsets are committed; an error stops Run there.
	afterStore func() error
}

func (o *Options) defaults() {
	if o.DLQTopic == "" {
		o.DLQTopic = "warden.incidents.dlq"
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.BatchWait <= 0 {
		o.BatchWait = 5 * time.Millisecond
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = 100 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Consumer runs the ingest loop. One Consumer per Reader.
type Consumer struct {
	r    Reader
	st   Store
	dlq  Writer
	opts Options

	tracer   trace.Tracer
	messages metric.Int64Counter
	errs     metric.Int64Counter
	delay    metric.Float64Histogram
	reg      metric.Registration

	mu  sync.Mutex
	lag map[string]int64 // topic/partition → messages behind the high watermark
}

// New returns a consumer; Run starts it.
func New(r Reader, st Store, dlq Writer, o Options) *Consumer {
	o.defaults()
	c := &Consumer{r: r, st: st, dlq: dlq, opts: o, lag: map[string]int64{},
		tracer: otel.Tracer("github.com/wardenhq/warden/review/ingest")}
	m := otel.Meter("github.com/wardenhq/warden/review/ingest")
	c.messages, _ = m.Int64Counter("warden.ingest.messages", metric.WithDescription("Incident messages handled, by outcome: stored, duplicate (already stored: a redelivery), dead_lettered."))
	c.errs, _ = m.Int64Counter("warden.ingest.errors", metric.WithDescription("Ingest errors by kind: store, store_unavailable, dlq, commit, fetch."))
	c.delay, _ = m.Float64Histogram("warden.ingest.delay", metric.WithUnit("s"),
		metric.WithDescription("Time from the decision to the incident being stored (end-to-end delay of the review queue)."),
		metric.WithExplicitBucketBoundaries(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600))
	return c
}

// Lag returns the messages the consumer is behind, summed over the
// partitions it has consumed from.
func (c *Consumer) Lag() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, l := range c.lag {
		n += l
	}
	return n
}

type msgKey struct {
	topic     string
	partition int
	offset    int64
}

func keyOf(m kafka.Message) msgKey { return msgKey{m.Topic, m.Partition, m.Offset} }

// Run consumes until ctx is cancelled; it returns nil then. Fetch errors
// (broker unreachable) are retried with backoff. Close the reader only
// after Run has returned.
func (c *Consumer) Run(ctx context.Context) error {
	m := otel.Meter("github.com/wardenhq/warden/review/ingest")
	lag, err := m.Int64ObservableGauge("warden.ingest.lag", metric.WithDescription("Incident messages not yet consumed (high watermark minus position), summed over this consumer's partitions."))
	if err == nil {
		c.reg, _ = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			o.ObserveInt64(lag, c.Lag())
			return nil
		}, lag)
	}
	defer func() {
		if c.reg != nil {
			_ = c.reg.Unregister()
		}
	}()

	attempts := map[msgKey]int{}
	done := map[msgKey]bool{} // dead-lettered while the batch waits
	var batch []kafka.Message
	failures := 0
	for {
		if len(batch) == 0 {
			batch, err = c.fetch(ctx)
			if err != nil {
				// kafka-go also reports a lost connection as io.EOF,
				// so only ctx ends the loop: close the reader after Run
				// returns.
				if ctx.Err() != nil {
					return nil
				}
				c.errs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kind", "fetch")))
				c.opts.Logger.Warn("ingest: fetch failed", "err", err)
				failures++
				if !sleep(ctx, backoff(failures, c.opts.BackoffMin, c.opts.BackoffMax)) {
					return nil
				}
				continue
			}
			clear(attempts)
			clear(done)
		}
		ok := c.process(ctx, batch, attempts, done)
		if ctx.Err() != nil {
			return nil
		}
		if !ok {
			failures++
			if !sleep(ctx, backoff(failures, c.opts.BackoffMin, c.opts.BackoffMax)) {
				return nil
			}
			continue
		}
		failures = 0
		if c.opts.afterStore != nil {
			if err := c.opts.afterStore(); err != nil {
				return err
			}
		}
		if err := c.r.CommitMessages(ctx, batch...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// The messages are stored; a later commit on the same
			// partitions covers them, or they are redelivered and deduped.
			c.errs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kind", "commit")))
			c.opts.Logger.Warn("ingest: commit failed; the messages may be redelivered (deduped)", "messages", len(batch), "err", err)
		}
		c.mu.Lock()
		for _, msg := range batch {
			c.lag[msg.Topic+"/"+strconv.Itoa(msg.Partition)] = max(0, msg.HighWaterMark-msg.Offset-1)
		}
		c.mu.Unlock()
		batch = nil
	}
}

// fetch blocks for one message, then takes what else arrives within
// BatchWait, up to BatchSize.
func (c *Consumer) fetch(ctx context.Context) ([]kafka.Message, error) {
	first, err := c.r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{first}
	wctx, cancel := context.WithTimeout(ctx, c.opts.BatchWait)
	defer cancel()
	for len(batch) < c.opts.BatchSize {
		m, err := c.r.FetchMessage(wctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// process stores the batch; it returns true when every message is stored
// or dead-lettered, false when the batch must be retried.
func (c *Consumer) process(ctx context.Context, batch []kafka.Message, attempts map[msgKey]int, done map[msgKey]bool) bool {
	ctx, span := c.tracer.Start(ctx, "warden.ingest", trace.WithLinks(links(batch)...),
		trace.WithAttributes(attribute.Int("warden.messages", len(batch))))
	defer span.End()

	var valid []*incident.Incident
	var validMsgs []kafka.Message
	allOK := true
	for _, m := range batch {
		if done[keyOf(m)] {
			continue
		}
		inc, err := incident.Decode(m.Value)
		if err != nil {
			attempts[keyOf(m)] = c.opts.MaxAttempts
			if c.deadLetter(ctx, m, err, 1) {
				done[keyOf(m)] = true
			} else {
				allOK = false
			}
			continue
		}
		valid = append(valid, inc)
		validMsgs = append(validMsgs, m)
	}
	if len(valid) == 0 {
		return allOK
	}
	n, err := c.st.UpsertIncidents(ctx, valid)
	if err == nil {
		c.stored(valid, n)
		return allOK
	}
	if perr := c.st.Ping(ctx); perr != nil {
		c.errs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kind", "store_unavailable")))
		c.opts.Logger.Warn("ingest: review store unavailable; retrying the batch", "messages", len(valid), "err", perr)
		return false
	}
	// The store is up but refused the batch: find the culprits one by one.
	for i, inc := range valid {
		n, err := c.st.UpsertIncidents(ctx, []*incident.Incident{inc})
		if err == nil {
			c.stored(valid[i:i+1], n)
			continue
		}
		if ctx.Err() != nil {
			return false
		}
		k := keyOf(validMsgs[i])
		attempts[k]++
		c.errs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kind", "store")))
		c.opts.Logger.Warn("ingest: the store refused an incident", "incident_id", inc.ID, "attempt", attempts[k], "of", c.opts.MaxAttempts, "err", err)
		if attempts[k] >= c.opts.MaxAttempts {
			if c.deadLetter(ctx, validMsgs[i], err, attempts[k]) {
				done[k] = true
				continue
			}
		}
		allOK = false
	}
	return allOK
}

func (c *Consumer) stored(incs []*incident.Incident, inserted int) {
	now := time.Now()
	c.messages.Add(context.Background(), int64(inserted), metric.WithAttributes(attribute.String("outcome", "stored")))
	if d := len(incs) - inserted; d > 0 {
		c.messages.Add(context.Background(), int64(d), metric.WithAttributes(attribute.String("outcome", "duplicate")))
	}
	for _, inc := range incs {
		c.delay.Record(context.Background(), now.Sub(inc.Time).Seconds())
	}
}

// Dead-letter headers.
const (
	HeaderDLQTopic     = "dlq-topic"
	HeaderDLQPartition = "dlq-partition"
	HeaderDLQOffset    = "dlq-offset"
	HeaderDLQError     = "dlq-error"
	HeaderDLQAttempts  = "dlq-attempts"
	HeaderDLQTime      = "dlq-time"
)

func (c *Consumer) deadLetter(ctx context.Context, m kafka.Message, cause error, attempts int) bool {
	errText := cause.Error()
	if len(errText) > 1024 {
		errText = errText[:1024]
	}
	h := append([]kafka.Header{}, m.Headers...)
	h = append(h,
		kafka.Header{Key: HeaderDLQTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: HeaderDLQPartition, Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafka.Header{Key: HeaderDLQError, Value: []byte(errText)},
		kafka.Header{Key: HeaderDLQAttempts, Value: []byte(strconv.Itoa(attempts))},
		kafka.Header{Key: HeaderDLQTime, Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	)
	dm := kafka.Message{Topic: c.opts.DLQTopic, Key: m.Key, Value: m.Value, Headers: h}
	if err := c.dlq.WriteMessages(ctx, dm); err != nil {
		c.errs.Add(context.Background(), 1, metric.WithAttributes(attribute.String("kind", "dlq")))
		c.opts.Logger.Error("ingest: writing to the dead-letter topic failed; will retry", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
		return false
	}
	c.messages.Add(context.Background(), 1, metric.WithAttributes(attribute.String("outcome", "dead_lettered")))
	// The cause may quote the payload (a schema error): log only where.
	c.opts.Logger.Warn("ingest: message dead-lettered", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "attempts", attempts, "dlq", c.opts.DLQTopic)
	return true
}

type headerCarrier []kafka.Header

func (h headerCarrier) Get(key string) string {
	for _, x := range h {
		if x.Key == key {
			return string(x.Value)
		}
	}
	return ""
}
func (h headerCarrier) Set(string, string) {}
func (h headerCarrier) Keys() []string {
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.Key
	}
	return out
}

// links are the trace contexts of the checks that raised the incidents
// (traceparent headers), at most 128.
func links(batch []kafka.Message) []trace.Link {
	var out []trace.Link
	prop := propagation.TraceContext{}
	for _, m := range batch {
		if len(out) == 128 {
			break
		}
		sc := trace.SpanContextFromContext(prop.Extract(context.Background(), headerCarrier(m.Headers)))
		if sc.IsValid() {
			out = append(out, trace.Link{SpanContext: sc})
		}
	}
	return out
}

func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	return time.Duration(float64(min(d, hi)) * (0.5 + rand.Float64()/2))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
