package classifiers

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ErrOverloaded marks a request refused because a model's queue is full.
// It is not a classification failure: the caller should answer "try again
// later" (the API: 503 with Retry-After), not apply a fail mode. Match it
// with errors.Is, or, without importing this package, with errors.As on
// interface{ RetryAfter() time.Duration } (*OverloadError implements it).
var ErrOverloaded = errors.New("classifier overloaded")

// ErrClosed is returned for requests made to, or queued in, a closed
// Batcher.
var ErrClosed = errors.New("classifier closed")

// OverloadError is the error of a request refused by a full queue.
type OverloadError struct {
	// Model is the name of the model whose queue is full.
	Model string
	// Queued and Limit are the rows waiting and the queue's bound.
	Queued, Limit int
	// Wait is the suggested delay before retrying.
	Wait time.Duration
}

func (e *OverloadError) Error() string {
	return fmt.Sprintf("model %s: %v: %d rows queued (limit %d)", e.Model, ErrOverloaded, e.Queued, e.Limit)
}

// Unwrap makes errors.Is(err, ErrOverloaded) hold.
func (e *OverloadError) Unwrap() error { return ErrOverloaded }

// RetryAfter is the suggested delay before retrying.
func (e *OverloadError) RetryAfter() time.Duration { return e.Wait }

// BatchOptions configure a Batcher. Zero fields take their defaults.
type BatchOptions struct {
	// MaxBatch is the most rows (windows) one ONNX run takes (default 32).
	// A single request with more rows runs alone, whole.
	MaxBatch int
	// MaxWait bounds how long the oldest queued row waits for more rows
	// to fill its batch (default 200µs). A worker waits only while other
	// requests are on their way (being featurised), so a lone request on
	// an idle model runs at once; negative: never wait.
	MaxWait time.Duration
	// QueueRows bounds the rows waiting for a run (default 1024). A
	// request that would exceed it fails at once with *OverloadError
	// (a request finding the queue empty is always taken).
	QueueRows int
	// Workers is the number of runs of one model in flight at once
	// (default GOMAXPROCS/2, at least 1: one core runs the model while
	// callers featurise their texts on the other; fewer, fuller runs beat
	// more, emptier ones).
	Workers int
	// RetryAfter is the delay suggested to refused callers (default 1s).
	RetryAfter time.Duration
}

// DefaultBatchOptions are the defaults (Workers resolved at use).
var DefaultBatchOptions = BatchOptions{MaxBatch: 32, MaxWait: 200 * time.Microsecond, QueueRows: 1024, RetryAfter: time.Second}

func (o BatchOptions) withDefaults() BatchOptions {
	d := DefaultBatchOptions
	if o.MaxBatch <= 0 {
		o.MaxBatch = d.MaxBatch
	}
	if o.MaxWait == 0 {
		o.MaxWait = d.MaxWait
	}
	if o.QueueRows <= 0 {
		o.QueueRows = d.QueueRows
	}
	if o.Workers <= 0 {
		o.Workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = d.RetryAfter
	}
	return o
}

// Validate reports options that cannot work (zero means default).
func (o BatchOptions) Validate() error {
	var errs []error
	if o.MaxBatch < 0 || o.QueueRows < 0 || o.Workers < 0 || o.RetryAfter < 0 {
		errs = append(errs, fmt.Errorf("batching: negative size, worker count or retry delay in %+v", o))
	}
	if o.MaxWait > time.Second {
		errs = append(errs, fmt.Errorf("batching: max wait %v over 1s", o.MaxWait))
	}
	if o.QueueRows > 0 && o.MaxBatch > o.QueueRows {
		errs = append(errs, fmt.Errorf("batching: max batch %d exceeds the queue bound %d", o.MaxBatch, o.QueueRows))
	}
	return errors.Join(errs...)
}

// rowScorer is a model whose Infer splits into featurisation, which a
// Batcher runs on the calling goroutine, and one ONNX run over the rows
// of many callers. Implementing it promises that a row's scores do not
// depend on the other rows of its run beyond the last bits (padding can
// change a GEMM's summation order; differences stay below 1e-6).
type rowScorer interface {
	featurize(texts []string) [][]int64
	inferRows(ctx context.Context, rows [][]int64) ([][]float32, error)
}

// BatchInvariant is implemented by models whose scores for a text do not
// depend, bit for bit, on the other texts of the same Infer call (no
// shape-dependent kernels, padding that cannot change a row). A Batcher
// coalesces the requests of such models only; others keep one run per
// request and get the queue bound alone. Coalescing must never change a
// decision: check.Stream relies on a window scoring the same alone or
// among others.
type BatchInvariant interface {
	BatchInvariant() bool
}

// Batcher is a Scorer that coalesces concurrent Infer calls into batched
// runs of the model it wraps, through a bounded FIFO queue. A request
// whose context ends while queued leaves the queue; a run is terminated
// only when every request in it has gone. It is safe for concurrent use.
type Batcher struct {
	m        Scorer
	rows     rowScorer // nil: texts go to m.Infer
	coalesce bool
	opts     BatchOptions

	mu      sync.Mutex
	queue   list.List // of *request
	queued  int       // rows in queue
	busy    int       // runs in flight (at most opts.Workers)
	lastEnd time.Time // end of the last run
	closed  bool

	inflight sync.WaitGroup // runs in flight, for Close

	arriving atomic.Int64 // callers featurising, about to enqueue
	active   atomic.Int64 // callers inside Infer
	kick     chan struct{}
	stop     chan struct{}
	wg       sync.WaitGroup

	stats batchCounters
	attrs metric.MeasurementOption
}

type request struct {
	ctx   context.Context
	texts []string
	rows  [][]int64
	n     int
	enq   time.Time
	elem  *list.Element // non-nil while queued (guarded by Batcher.mu)
	res   chan result   // buffered: the worker never blocks on it
}

type result struct {
	out [][]float32
	err error
}

type batchCounters struct {
	runs, rows, inline, rejected, left atomic.Int64
}

// BatchStats counts a Batcher's work since it started.
type BatchStats struct {
	// Queued is the number of rows waiting now.
	Queued int `json:"queued"`
	// Runs and Rows count the ONNX runs made and the rows they scored;
	// Inline counts the runs of an idle model made on the caller's
	// goroutine.
	Runs   int64 `json:"runs"`
	Rows   int64 `json:"rows"`
	Inline int64 `json:"inline"`
	// Rejected counts requests refused with ErrOverloaded; Left those
	// whose context ended while queued.
	Rejected int64 `json:"rejected"`
	Left     int64 `json:"left"`
}

var batchMetrics struct {
	once     sync.Once
	size     metric.Int64Histogram
	wait     metric.Float64Histogram
	rejected metric.Int64Counter
	left     metric.Int64Counter
}

func initBatchMetrics() {
	batchMetrics.once.Do(func() {
		m := otel.Meter("github.com/wardenhq/warden/classifiers")
		batchMetrics.size, _ = m.Int64Histogram("warden.batch.rows", metric.WithDescription("Rows per batched ONNX run, by model."),
			metric.WithExplicitBucketBoundaries(1, 2, 4, 8, 16, 32, 64, 128))
		batchMetrics.wait, _ = m.Float64Histogram("warden.batch.queue_wait", metric.WithUnit("s"),
			metric.WithDescription("Time a request waited in a model's queue before its run started."),
			metric.WithExplicitBucketBoundaries(10e-6, 50e-6, 100e-6, 200e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 50e-3))
		batchMetrics.rejected, _ = m.Int64Counter("warden.batch.rejected", metric.WithDescription("Requests refused because a model's queue was full (answered 503 / Retry-After)."))
		batchMetrics.left, _ = m.Int64Counter("warden.batch.abandoned", metric.WithDescription("Requests whose deadline or cancellation ended while queued."))
	})
}

// NewBatcher wraps m. The Batcher owns m: Close closes it. Options are
// validated with defaults applied; invalid ones are an error.
func NewBatcher(m Scorer, o BatchOptions) (*Batcher, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	initBatchMetrics()
	b := &Batcher{m: m, opts: o.withDefaults(), kick: make(chan struct{}, 1), stop: make(chan struct{})}
	b.attrs = metric.WithAttributes(attribute.String("model", m.Manifest().Name))
	if rs, ok := m.(rowScorer); ok {
		b.rows, b.coalesce = rs, true
	} else if bi, ok := m.(BatchInvariant); ok {
		b.coalesce = bi.BatchInvariant()
	}
	b.wg.Add(b.opts.Workers)
	for range b.opts.Workers {
		go b.worker()
	}
	return b, nil
}

// Manifest is the wrapped model's manifest.
func (b *Batcher) Manifest() *Manifest { return b.m.Manifest() }

// Options are the options in force (defaults applied).
func (b *Batcher) Options() BatchOptions { return b.opts }

// Stats reports queue depth and counters.
func (b *Batcher) Stats() BatchStats {
	b.mu.Lock()
	q := b.queued
	b.mu.Unlock()
	return BatchStats{Queued: q, Runs: b.stats.runs.Load(), Rows: b.stats.rows.Load(), Inline: b.stats.inline.Load(),
		Rejected: b.stats.rejected.Load(), Left: b.stats.left.Load()}
}

// Infer queues texts for the next run of the model and waits for their
// scores, the end of ctx, or refusal (*OverloadError) when the queue is
// full.
func (b *Batcher) Infer(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	name := b.m.Manifest().Name
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	r := &request{ctx: ctx, n: len(texts), res: make(chan result, 1)}
	b.active.Add(1)
	defer b.active.Add(-1)
	b.arriving.Add(1)
	if b.rows != nil {
		r.rows = b.rows.featurize(texts)
	} else {
		r.texts = texts
	}
	b.mu.Lock()
	b.arriving.Add(-1)
	switch {
	case b.closed:
		b.mu.Unlock()
		return nil, fmt.Errorf("model %s: %w", name, ErrClosed)
	case b.queued > 0 && b.queued+r.n > b.opts.QueueRows:
		q := b.queued
		b.mu.Unlock()
		b.stats.rejected.Add(1)
		batchMetrics.rejected.Add(context.WithoutCancel(ctx), 1, b.attrs)
		return nil, &OverloadError{Model: name, Queued: q, Limit: b.opts.QueueRows, Wait: b.opts.RetryAfter}
	}
	if b.active.Load() == 1 && b.busy < b.opts.Workers && time.Since(b.lastEnd) > b.opts.MaxWait {
		// Idle: no other caller queued, waiting or on its way, a run slot
		// free, and no run ended within MaxWait (under load, callers come
		// back from one run within it and should be batched). Run on the
		// caller's goroutine, sparing two goroutine handoffs.
		b.busy++
		b.inflight.Add(1)
		b.mu.Unlock()
		out, err := b.infer(ctx, r.rows, r.texts)
		b.release()
		b.count(int64(r.n))
		b.stats.inline.Add(1)
		if err == nil && len(out) != r.n {
			err = fmt.Errorf("%w: model %s returned %d rows for %d", ErrModel, name, len(out), r.n)
		}
		return out, err
	}
	r.enq = time.Now()
	r.elem = b.queue.PushBack(r)
	b.queued += r.n
	// Wake a worker for a new batch, a full one, or when no other caller
	// is on its way; otherwise the worker already waiting on this batch
	// sleeps on (its timer bounds the wait).
	wake := !b.coalesce || b.queue.Len() == 1 || b.queued >= b.opts.MaxBatch || b.arriving.Load() == 0
	b.mu.Unlock()
	if wake {
		b.wake()
	}

	select {
	case res := <-r.res:
		return res.out, res.err
	case <-ctx.Done():
	}
	b.mu.Lock()
	if r.elem != nil {
		b.queue.Remove(r.elem)
		r.elem = nil
		b.queued -= r.n
		b.mu.Unlock()
		b.stats.left.Add(1)
		batchMetrics.left.Add(context.WithoutCancel(ctx), 1, b.attrs)
		return nil, fmt.Errorf("model %s: left the queue: %w", name, ctx.Err())
	}
	b.mu.Unlock()
	// Already running: the run goes on for the other rows in it.
	return nil, fmt.Errorf("model %s: %w", name, ctx.Err())
}

// wake signals one idle or waiting worker.
func (b *Batcher) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *Batcher) worker() {
	defer b.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		batch := b.next(t)
		if batch == nil {
			return
		}
		b.run(batch)
	}
}

// next blocks until a batch is due and takes it off the queue; nil when
// the Batcher is closed.
func (b *Batcher) next(t *time.Timer) []*request {
	yielded := false
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil
		}
		if front := b.queue.Front(); front != nil && b.busy < b.opts.Workers {
			wait := b.opts.MaxWait - time.Since(front.Value.(*request).enq)
			full := !b.coalesce || b.queued >= b.opts.MaxBatch || wait <= 0
			if !full && b.arriving.Load() == 0 && !yielded {
				// Nobody is featurising, but callers just handed their
				// scores may be runnable: let them enqueue first (a
				// no-op when nothing else is runnable).
				yielded = true
				b.mu.Unlock()
				runtime.Gosched()
				continue
			}
			if full || b.arriving.Load() == 0 {
				batch := b.take()
				b.busy++
				b.inflight.Add(1)
				more := b.queue.Len() > 0 && b.busy < b.opts.Workers
				b.mu.Unlock()
				if more {
					b.wake()
				}
				return batch
			}
			b.mu.Unlock()
			t.Reset(wait)
			select {
			case <-b.kick:
			case <-t.C:
			case <-b.stop:
			}
			t.Stop()
			continue
		}
		b.mu.Unlock()
		select {
		case <-b.kick:
		case <-b.stop:
		}
	}
}

// take removes the requests of the next run from the queue: whole
// requests in FIFO order up to MaxBatch rows (at least one request).
// b.mu is held.
func (b *Batcher) take() []*request {
	var batch []*request
	rows := 0
	for e := b.queue.Front(); e != nil; {
		r := e.Value.(*request)
		if len(batch) > 0 && (!b.coalesce || rows+r.n > b.opts.MaxBatch) {
			break
		}
		next := e.Next()
		b.queue.Remove(e)
		r.elem = nil
		b.queued -= r.n
		rows += r.n
		batch = append(batch, r)
		e = next
	}
	return batch
}

// run scores one batch and hands each request its rows. The run's context
// ends when every request's context has ended.
func (b *Batcher) run(batch []*request) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live atomic.Int64
	live.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	now := time.Now()
	n := 0
	for i, r := range batch {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
		n += r.n
		batchMetrics.wait.Record(context.Background(), now.Sub(r.enq).Seconds(), b.attrs)
	}
	rows, texts := batch[0].rows, batch[0].texts
	if len(batch) > 1 {
		rows, texts = nil, nil
		for _, r := range batch {
			rows = append(rows, r.rows...)
			texts = append(texts, r.texts...)
		}
	}
	out, err := b.infer(ctx, rows, texts)
	for _, stop := range stops {
		stop()
	}
	b.release()
	b.count(int64(n))
	if err == nil && len(out) != n {
		err = fmt.Errorf("%w: model %s returned %d rows for %d", ErrModel, b.m.Manifest().Name, len(out), n)
	}
	off := 0
	for _, r := range batch {
		if err != nil {
			r.res <- result{err: err}
			continue
		}
		r.res <- result{out: out[off : off+r.n : off+r.n]}
		off += r.n
	}
}

// infer runs the model once over featurised rows or texts. A panic in the
// model (a tokenizer bug on some input) is an ErrModel error for every
// caller of the run: on the worker's goroutine it would end the process.
func (b *Batcher) infer(ctx context.Context, rows [][]int64, texts []string) (out [][]float32, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: model %s panicked: %v", ErrModel, b.m.Manifest().Name, p)
		}
	}()
	if b.rows != nil {
		return b.rows.inferRows(ctx, rows)
	}
	return b.m.Infer(ctx, texts)
}

// release frees a run slot and wakes a worker if requests wait for one.
func (b *Batcher) release() {
	b.mu.Lock()
	b.busy--
	b.lastEnd = time.Now()
	more := b.queue.Len() > 0
	b.mu.Unlock()
	b.inflight.Done()
	if more {
		b.wake()
	}
}

func (b *Batcher) count(rows int64) {
	b.stats.runs.Add(1)
	b.stats.rows.Add(rows)
	batchMetrics.size.Record(context.Background(), rows, b.attrs)
}

// Close fails queued requests with ErrClosed, waits for the runs in
// flight, stops the workers and closes the wrapped model.
func (b *Batcher) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	var pending []*request
	for e := b.queue.Front(); e != nil; e = e.Next() {
		r := e.Value.(*request)
		r.elem = nil
		pending = append(pending, r)
	}
	b.queue.Init()
	b.queued = 0
	b.mu.Unlock()
	for _, r := range pending {
		r.res <- result{err: fmt.Errorf("model %s: %w", b.m.Manifest().Name, ErrClosed)}
	}
	b.wg.Wait()
	b.inflight.Wait()
	return b.m.Close()
}

// EnableBatching wraps every model of the suite in a Batcher with options
// o. Call it once, before the suite is used or copied (WithVariants).
func (s *Suite) EnableBatching(o BatchOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	for i, m := range s.models {
		if _, ok := m.(*Batcher); ok {
			continue
		}
		bm, err := NewBatcher(m, o)
		if err != nil {
			return err
		}
		s.models[i] = bm
	}
	return nil
}

// BatchStats reports each batched model's counters, by model name.
func (s *Suite) BatchStats() map[string]BatchStats {
	out := map[string]BatchStats{}
	for _, m := range s.models {
		if bm, ok := m.(*Batcher); ok {
			out[m.Manifest().Name] = bm.Stats()
		}
	}
	return out
}
