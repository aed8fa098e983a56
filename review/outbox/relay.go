package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Source is an outbox the relay drains: the file Log, or the review
// store's transactional outbox of verdicts.
type Source interface {
	// Pending returns the oldest unacknowledged entries, in order.
	Pending(ctx context.Context, max, maxBytes int) ([]Entry, error)
	// Ack acknowledges entries (a batch Pending returned, all published).
	Ack(ctx context.Context, entries []Entry) error
	// Ready is signalled when entries may have been added (it may also
	// never fire: the relay polls too).
	Ready() <-chan struct{}
}

// Writer publishes messages: a *kafka.Writer configured with RequiredAcks
// RequireAll and Async false (see review/bus).
type Writer interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// RelayOptions configure a Relay. Zero values take the defaults.
type RelayOptions struct {
	// BatchSize is the most entries published per round (default 500).
	BatchSize int
	// BatchBytes bounds the payload bytes per round (default 8 MiB).
	BatchBytes int
	// WriteTimeout bounds one WriteMessages call (default 30 s); on expiry
	// the outcome is unknown and the batch is retried.
	WriteTimeout time.Duration
	// BackoffMin and BackoffMax bound the exponential backoff between
	// failed rounds (defaults 100 ms and 10 s), with full jitter.
	BackoffMin, BackoffMax time.Duration
	// PollInterval is how often an idle relay looks for entries that did
	// not signal Ready (default 1 s).
	PollInterval time.Duration
	// Linger is how long an idle relay waits after the first new entry
	// for more to batch with it (default 5 ms; negative: none). It trades
	// a few ms of delivery delay, off the request path, for far fewer
	// produce requests at moderate rates.
	Linger time.Duration
	// Name labels metrics and logs (outbox="incidents").
	Name   string
	Logger *slog.Logger
}

func (o *RelayOptions) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 8 << 20
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = 100 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 10 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Linger == 0 {
		o.Linger = 5 * time.Millisecond
	}
	if o.Name == "" {
		o.Name = "outbox"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Relay publishes a Source to Kafka, at least once and in order per key
// while nothing fails: it reads a batch, writes it synchronously, and
// acknowledges the batch only when every message of it was acknowledged by
// the brokers (acks=all). Messages that failed, or whose outcome is unknown
// (timeout, connection cut after sending), are retried with the same key
// and the same bytes after a backoff, so a consumer may see duplicates and
// must dedupe (incidents by id). A relay stopped mid-batch republishes the
// batch when it starts again.
type Relay struct {
	src  Source
	w    Writer
	opts RelayOptions

	published metric.Int64Counter
	errs      metric.Int64Counter
	duration  metric.Float64Histogram
	attrs     metric.MeasurementOption
}

// NewRelay returns a relay from src to w; Run starts it.
func NewRelay(src Source, w Writer, opts RelayOptions) *Relay {
	opts.defaults()
	m := otel.Meter("github.com/wardenhq/warden/review/outbox")
	r := &Relay{src: src, w: w, opts: opts, attrs: metric.WithAttributes(attribute.String("outbox", opts.Name))}
	r.published, _ = m.Int64Counter("warden.outbox.published", metric.WithDescription("Outbox entries acknowledged by Kafka."))
	r.errs, _ = m.Int64Counter("warden.outbox.publish.errors", metric.WithDescription("Messages whose publish failed and will be retried, by outcome: rejected (the broker answered with an error) or unknown (timeout or connection lost: it may have been written)."))
	r.duration, _ = m.Float64Histogram("warden.outbox.publish.duration", metric.WithUnit("s"),
		metric.WithDescription("Time of one synchronous publish round."),
		metric.WithExplicitBucketBoundaries(1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10, 30))
	return r
}

// Run publishes until ctx is cancelled; it returns nil then. Publish
// failures are retried forever (with backoff): an outage only makes the
// outbox deeper. A Source error other than ErrClosed is retried too.
func (r *Relay) Run(ctx context.Context) error {
	failures := 0
	poll := time.NewTicker(r.opts.PollInterval)
	defer poll.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		entries, err := r.src.Pending(ctx, r.opts.BatchSize, r.opts.BatchBytes)
		if errors.Is(err, ErrClosed) {
			return nil
		}
		if err != nil && len(entries) == 0 {
			r.opts.Logger.Error("outbox relay: reading the outbox", "outbox", r.opts.Name, "err", err)
			failures++
			if !r.sleep(ctx, failures) {
				return nil
			}
			continue
		}
		if len(entries) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-r.src.Ready():
				if r.opts.Linger > 0 && !r.wait(ctx, r.opts.Linger) {
					return nil
				}
			case <-poll.C:
			}
			continue
		}
		if !r.publish(ctx, entries) {
			return nil
		}
		if err := r.src.Ack(ctx, entries); err != nil {
			if errors.Is(err, ErrClosed) || ctx.Err() != nil {
				return nil
			}
			// The batch was published; it will be published again
			// (duplicates, deduped downstream).
			r.opts.Logger.Error("outbox relay: acknowledging published entries", "outbox", r.opts.Name, "err", err)
			failures++
			if !r.sleep(ctx, failures) {
				return nil
			}
			continue
		}
		failures = 0
		r.published.Add(context.Background(), int64(len(entries)), r.attrs)
	}
}

// publish writes entries until every one is acknowledged; false when ctx
// ended first.
func (r *Relay) publish(ctx context.Context, entries []Entry) bool {
	todo := make([]int, len(entries))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 1; ; attempt++ {
		msgs := make([]kafka.Message, len(todo))
		for j, i := range todo {
			msgs[j] = toKafka(entries[i].Message)
		}
		start := time.Now()
		wctx, cancel := context.WithTimeout(ctx, r.opts.WriteTimeout)
		err := r.w.WriteMessages(wctx, msgs...)
		cancel()
		r.duration.Record(context.Background(), time.Since(start).Seconds(), r.attrs)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var werrs kafka.WriteErrors
		var failed []int
		var rejected, unknown int64
		var first error
		if errors.As(err, &werrs) && len(werrs) == len(todo) {
			for j, e := range werrs {
				if e == nil {
					continue
				}
				failed = append(failed, todo[j])
				if first == nil {
					first = e
				}
				if isRejected(e) {
					rejected++
				} else {
					unknown++
				}
			}
		} else {
			// No per-message outcome (timeout, metadata, connection):
			// every message's outcome is unknown.
			failed, unknown, first = todo, int64(len(todo)), err
		}
		if rejected > 0 {
			r.errs.Add(context.Background(), rejected, r.attrs, metric.WithAttributes(attribute.String("outcome", "rejected")))
		}
		if unknown > 0 {
			r.errs.Add(context.Background(), unknown, r.attrs, metric.WithAttributes(attribute.String("outcome", "unknown")))
		}
		r.opts.Logger.Warn("outbox relay: publish failed; retrying with the same keys",
			"outbox", r.opts.Name, "failed", len(failed), "of", len(todo), "attempt", attempt, "err", first)
		todo = failed
		if len(todo) == 0 {
			return true
		}
		if !r.sleep(ctx, attempt) {
			return false
		}
	}
}

// isRejected tells a broker's error answer (the message was not written)
// from an unknown outcome.
func isRejected(err error) bool {
	var kerr kafka.Error
	return errors.As(err, &kerr) && kerr != kafka.RequestTimedOut
}

func (r *Relay) sleep(ctx context.Context, attempt int) bool {
	return r.wait(ctx, backoff(attempt, r.opts.BackoffMin, r.opts.BackoffMax))
}

func (r *Relay) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff is exponential with full jitter in [min/2, min*2^(attempt-1)],
// capped at max.
func backoff(attempt int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

func toKafka(m Message) kafka.Message {
	km := kafka.Message{Topic: m.Topic, Key: m.Key, Value: m.Value}
	if len(m.Headers) > 0 {
		km.Headers = make([]kafka.Header, len(m.Headers))
		for i, h := range m.Headers {
			km.Headers[i] = kafka.Header{Key: h.Key, Value: h.Value}
		}
	}
	return km
}
