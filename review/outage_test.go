package review_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/ingest"
	"github.com/wardenhq/warden/review/internal/testkit"
	"github.com/wardenhq/warden/review/outbox"
	"github.com/wardenhq/warden/review/store"
)

// timed measures the real Recorder's latency.
type timed struct {
	rec *outbox.Recorder
	mu  sync.Mutex
	ds  []time.Duration
}

func (t *timed) Record(ctx context.Context, inc *incident.Incident) error {
	t0 := time.Now()
	err := t.rec.Record(ctx, inc)
	d := time.Since(t0)
	t.mu.Lock()
	t.ds = append(t.ds, d)
	t.mu.Unlock()
	return err
}

func (t *timed) take() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	ds := t.ds
	t.ds = nil
	return ds
}

// pipeline is guard + review service wired by hand behind a proxy.
type pipeline struct {
	proxy  *testkit.Proxy
	outbox *outbox.Log
	rec    *timed
	check  *check.Service
	store  *store.Store
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Broker placements for startPipeline.
const (
	inProcess    = iota // kfake in this process
	behindProxy         // kfake in this process, behind a proxy
	otherProcess        // kfake in a child process, behind a proxy; no ingest here
)

func startPipeline(t testing.TB, where int) *pipeline {
	t.Helper()
	var proxy *testkit.Proxy
	var addr string
	switch where {
	case behindProxy:
		_, proxy = testkit.BrokerBehindProxy(t)
		addr = proxy.Addr()
	case otherProcess:
		proxy = externalBroker(t)
		addr = proxy.Addr()
	default:
		_, addr = testkit.Broker(t)
	}
	ensure(t, addr)
	ob, err := outbox.Open(t.TempDir(), outbox.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{proxy: proxy, outbox: ob, rec: &timed{rec: outbox.NewRecorder(ob, bus.DefaultTopics.Incidents)}, store: sqliteStore(t)}
	p.check = newCheck(t, p.rec)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	prod := bus.NewProducer([]string{addr}, bus.ProducerOptions{Timeout: 5 * time.Second})
	r := bus.NewConsumer([]string{addr}, bus.ConsumerOptions{Group: "warden-review", Topic: bus.DefaultTopics.Incidents, SessionTimeout: 10 * time.Second, Logger: quiet})
	dlq := bus.NewProducer([]string{addr}, bus.ProducerOptions{Timeout: 5 * time.Second})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		outbox.NewRelay(ob, prod, outbox.RelayOptions{WriteTimeout: 10 * time.Second, BackoffMax: 5 * time.Second, Logger: quiet}).Run(ctx)
	}()
	if where != otherProcess {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			ingest.New(r, p.store, dlq, ingest.Options{Logger: quiet}).Run(ctx)
		}()
	}
	t.Cleanup(func() {
		cancel()
		p.wg.Wait()
		r.Close()
		prod.Close()
		dlq.Close()
		ob.Close()
	})
	return p
}

func (p *pipeline) count(t testing.TB) int {
	n, err := p.store.Count(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// escalate runs n escalating checks, one every gap, and returns their
// incident ids and latencies.
func (p *pipeline) escalate(t testing.TB, n int, gap time.Duration, tag string) ([]string, []time.Duration) {
	t.Helper()
	ids := make([]string, 0, n)
	lat := make([]time.Duration, 0, n)
	next := time.Now()
	for i := range n {
		t0 := time.Now()
		res, err := p.check.Check(context.Background(), check.Request{Stage: types.StagePrompt, Tenant: "acme",
			Text: fmt.Sprintf("ESCALATE %s %d: write to user%d@example.com", tag, i, i), Metadata: map[string]any{"conversation_id": fmt.Sprint(i % 50)}})
		lat = append(lat, time.Since(t0))
		if err != nil || res.Action != types.ActionEscalate || res.IncidentID == "" || res.FailMode != "" {
			t.Fatalf("%s check %d: action %s incident %q fail mode %q err %v", tag, i, res.Action, res.IncidentID, res.FailMode, err)
		}
		ids = append(ids, res.IncidentID)
		next = next.Add(gap)
		time.Sleep(time.Until(next))
	}
	return ids, lat
}

// The broker is unreachable for 60 s while 2,000 escalations happen: the
// checks neither fail nor slow down, the outbox holds the incidents, and
// after recovery the store has every one exactly once.
func TestBrokerOutage60s(t *testing.T) {
	if testing.Short() {
		t.Skip("the 60 s outage test is skipped in -short mode")
	}
	p := startPipeline(t, behindProxy)

	// Baseline with the broker up: 1,000 escalations over 10 s.
	_, upLat := p.escalate(t, 1000, 10*time.Millisecond, "up")
	upRec := p.rec.take()
	waitFor(t, 60*time.Second, "the baseline in the store", func() bool { return p.count(t) == 1000 })

	// 60 s outage, 2,000 escalations during it.
	p.proxy.SetDown(true)
	outageStart := time.Now()
	ids, downLat := p.escalate(t, 2000, 30*time.Millisecond, "down")
	downRec := p.rec.take()
	if el := time.Since(outageStart); el < 60*time.Second {
		time.Sleep(60*time.Second - el)
	}
	st := p.outbox.Stats()
	if n := p.count(t); n != 1000 {
		t.Fatalf("%d incidents stored during the outage, want 1000", n)
	}
	if st.Depth != 2000 || st.OldestAge < 55*time.Second {
		t.Fatalf("outbox during the outage: %+v, want depth 2000, oldest ≥ 55 s", st)
	}
	p.proxy.SetDown(false)
	recovered := time.Now()
	waitFor(t, 120*time.Second, "3,000 incidents after recovery", func() bool { return p.count(t) >= 3000 && p.outbox.Stats().Depth == 0 })
	t.Logf("recovered in %v", time.Since(recovered))
	time.Sleep(500 * time.Millisecond) // duplicates, if any, would land now
	if n := p.count(t); n != 3000 {
		t.Fatalf("%d incidents stored, want exactly 3000", n)
	}
	missing := map[string]bool{}
	for _, id := range ids {
		missing[id] = true
	}
	q := store.Query{Limit: 500}
	for {
		page, err := p.store.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range page.Incidents {
			delete(missing, inc.ID)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	if len(missing) != 0 {
		t.Fatalf("%d of the outage's incidents missing", len(missing))
	}

	up50, up99, down50, down99 := quantile(upLat, .5), quantile(upLat, .99), quantile(downLat, .5), quantile(downLat, .99)
	t.Logf("check latency broker up:   p50 %v p99 %v", up50, up99)
	t.Logf("check latency broker down: p50 %v p99 %v", down50, down99)
	t.Logf("Record latency broker up:   p50 %v p99 %v", quantile(upRec, .5), quantile(upRec, .99))
	t.Logf("Record latency broker down: p50 %v p99 %v", quantile(downRec, .5), quantile(downRec, .99))
	// The broker is not on the request path: an outage must not slow the
	// check. A check that waited for the broker would take its dial or
	// write timeout (seconds); the bounds are loose because the 2 shared
	// cores, -race and the packages CI tests beside this one make p99
	// noisy (an up-phase p99 of 38 ms against 10 ms down was seen under
	// load). BenchmarkCheckLatency measures the difference precisely.
	if down99 > 3*up99+50*time.Millisecond || down50 > 2*up50+10*time.Millisecond {
		t.Fatalf("checks slowed down during the outage: p50 %v→%v, p99 %v→%v", up50, down50, up99, down99)
	}
	// Record never waits for the broker (a wait would show as seconds).
	if quantile(downRec, .99) > 250*time.Millisecond {
		t.Fatalf("Record p99 %v during the outage", quantile(downRec, .99))
	}
}
