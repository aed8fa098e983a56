package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/internal/testkit"
	"github.com/wardenhq/warden/review/keyring"
	"github.com/wardenhq/warden/review/store"
)

var topics = bus.Topics{Incidents: "warden.incidents", Verdicts: "warden.verdicts", DLQ: "warden.incidents.dlq"}

func setup(t *testing.T) (string, *store.Store) {
	t.Helper()
	_, addr := testkit.Broker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, []string{addr}, bus.Specs(topics, 3, 1, 8<<20)); err != nil {
		t.Fatal(err)
	}
	k, _ := keyring.Generate()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "review.db"), Keyring: k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return addr, st
}

func produce(t *testing.T, addr string, msgs []kafka.Message) {
	t.Helper()
	p := bus.NewProducer([]string{addr}, bus.ProducerOptions{})
	defer p.Close()
	if err := p.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

func incidents(n int) ([]kafka.Message, map[string]bool) {
	ids := map[string]bool{}
	var msgs []kafka.Message
	for i := range n {
		inc := testkit.Incident(i)
		ids[inc.ID] = true
		msgs = append(msgs, kafka.Message{Topic: topics.Incidents, Key: []byte(inc.Key), Value: testkit.Encode(inc),
			Headers: []kafka.Header{{Key: "traceparent", Value: []byte("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01")}}})
	}
	return msgs, ids
}

func reader(addr string) *kafka.Reader {
	return bus.NewConsumer([]string{addr}, bus.ConsumerOptions{Group: "warden-review", Topic: topics.Incidents, SessionTimeout: 6 * time.Second})
}

func count(t *testing.T, st *store.Store) int {
	n, err := st.Count(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errKilled = errors.New("killed between the store write and the commit")

// The consumer dies after writing to the store and before committing, many
// times; each time a new group member takes over from the last commit and
// the redelivered messages are deduped: the count stays exact.
func TestKilledBetweenStoreAndCommit(t *testing.T) {
	addr, st := setup(t)
	msgs, ids := incidents(3000)
	produce(t, addr, msgs)
	dlq := bus.NewProducer([]string{addr}, bus.ProducerOptions{})
	defer dlq.Close()

	kills := 0
	for round := 0; round < 30; round++ {
		r := reader(addr)
		var batches atomic.Int32
		c := New(r, st, dlq, Options{BatchSize: 100, afterStore: func() error {
			// Die on the first batch of most lives, so that most of them
			// end between a store write and its commit.
			if batches.Add(1) > 1 || rand.IntN(10) < 8 {
				return errKilled
			}
			return nil
		}})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.Run(ctx)
		cancel()
		r.Close() // leaves the group; nothing is committed on close
		if !errors.Is(err, errKilled) {
			t.Fatalf("round %d: %v", round, err)
		}
		kills++
	}
	if kills < 20 {
		t.Fatalf("only %d kills", kills)
	}
	// A last, healthy member drains what is left uncommitted.
	r := reader(addr)
	c := New(r, st, dlq, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	t0 := time.Now()
	waitFor(t, 30*time.Second, "lag 0", func() bool { return c.Lag() == 0 && count(t, st) == 3000 })
	t.Logf("drained in %v", time.Since(t0))
	cancel()
	<-done
	r.Close()
	if n := count(t, st); n != 3000 {
		t.Fatalf("%d incidents stored, want exactly 3000", n)
	}
	q := store.Query{Limit: 500}
	for {
		p, err := st.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range p.Incidents {
			delete(ids, inc.ID)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if len(ids) != 0 {
		t.Fatalf("%d produced incidents missing from the store", len(ids))
	}
	t.Logf("%d kills between store write and commit; 3000 stored exactly", kills)
}

// flaky wraps the real store: it refuses one incident id, or pretends the
// database is down.
type flaky struct {
	*store.Store
	refuse string
	down   atomic.Bool
	calls  atomic.Int32
}

func (f *flaky) UpsertIncidents(ctx context.Context, incs []*incident.Incident) (int, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return 0, errors.New("connection refused")
	}
	for _, inc := range incs {
		if inc.ID == f.refuse {
			return 0, fmt.Errorf("constraint violated by %s", inc.ID)
		}
	}
	return f.Store.UpsertIncidents(ctx, incs)
}

func (f *flaky) Ping(ctx context.Context) error {
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.Store.Ping(ctx)
}

func TestPoisonGoesToDeadLetterTopic(t *testing.T) {
	addr, st := setup(t)
	msgs, _ := incidents(50)
	bad := testkit.Incident(99)
	bad.Action = "allow" // not an incident action: fails the schema
	refused := testkit.Incident(98)
	poison := []kafka.Message{
		{Topic: topics.Incidents, Key: []byte("x"), Value: []byte("not json at all")},
		{Topic: topics.Incidents, Key: []byte("y"), Value: testkit.Encode(bad)},
		{Topic: topics.Incidents, Key: []byte("z"), Value: testkit.Encode(refused)},
	}
	produce(t, addr, append(append(msgs[:25:25], poison...), msgs[25:]...))
	f := &flaky{Store: st, refuse: refused.ID}
	dlq := bus.NewProducer([]string{addr}, bus.ProducerOptions{})
	defer dlq.Close()
	r := reader(addr)
	defer r.Close()
	c := New(r, f, dlq, Options{MaxAttempts: 3, BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	var dead []kafka.Message
	waitFor(t, 30*time.Second, "50 stored and 3 dead-lettered", func() bool {
		var err error
		dead, err = testkit.ReadTopic(context.Background(), addr, topics.DLQ)
		if err != nil {
			t.Fatal(err)
		}
		return count(t, st) == 50 && len(dead) >= 3
	})
	cancel()
	<-done
	if len(dead) != 3 {
		t.Fatalf("%d messages in the dead-letter topic, want 3", len(dead))
	}
	byKey := map[string]kafka.Message{}
	for _, m := range dead {
		byKey[string(m.Key)] = m
	}
	hdr := func(m kafka.Message, k string) string {
		for _, h := range m.Headers {
			if h.Key == k {
				return string(h.Value)
			}
		}
		return ""
	}
	if m := byKey["x"]; string(m.Value) != "not json at all" || hdr(m, HeaderDLQTopic) != topics.Incidents || hdr(m, HeaderDLQOffset) == "" || hdr(m, HeaderDLQError) == "" {
		t.Fatalf("undecodable message in the DLQ: %+v", m)
	}
	if m := byKey["z"]; hdr(m, HeaderDLQAttempts) != "3" {
		t.Fatalf("refused message: attempts %q, want 3", hdr(m, HeaderDLQAttempts))
	}
	if _, err := st.Get(context.Background(), refused.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused incident: %v", err)
	}
}

// An unreachable store dead-letters nothing: the batch waits.
func TestStoreOutageDeadLettersNothing(t *testing.T) {
	addr, st := setup(t)
	f := &flaky{Store: st}
	f.down.Store(true)
	msgs, _ := incidents(100)
	produce(t, addr, msgs)
	dlq := bus.NewProducer([]string{addr}, bus.ProducerOptions{})
	defer dlq.Close()
	r := reader(addr)
	defer r.Close()
	c := New(r, f, dlq, Options{MaxAttempts: 2, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Run(ctx) }()
	waitFor(t, 20*time.Second, "retries while down", func() bool { return f.calls.Load() > 10 })
	f.down.Store(false)
	waitFor(t, 20*time.Second, "100 stored", func() bool { return count(t, st) == 100 && c.Lag() == 0 })
	cancel()
	wg.Wait()
	dead, err := testkit.ReadTopic(context.Background(), addr, topics.DLQ)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 0 {
		t.Fatalf("%d messages dead-lettered during a store outage", len(dead))
	}
}
