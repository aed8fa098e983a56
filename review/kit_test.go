package review_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/ingest"
	"github.com/wardenhq/warden/review/keyring"
	"github.com/wardenhq/warden/review/store"
)

func busProducer(addr string) *bus.Producer {
	return bus.NewProducer([]string{addr}, bus.ProducerOptions{Timeout: 5 * time.Second})
}

func ensure(t testing.TB, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, []string{addr}, bus.Specs(bus.DefaultTopics, 3, 1, 8<<20)); err != nil {
		t.Fatal(err)
	}
}

func sqliteStore(t testing.TB) *store.Store {
	t.Helper()
	k, _ := keyring.Generate()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "review.db"), Keyring: k})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// ingestAll runs one ingest consumer until the store holds want incidents
// (or 60 s pass) and returns the count.
func ingestAll(t testing.TB, addr string, st *store.Store, want int) int {
	t.Helper()
	r := bus.NewConsumer([]string{addr}, bus.ConsumerOptions{Group: "warden-review", Topic: bus.DefaultTopics.Incidents, SessionTimeout: 6 * time.Second})
	dlq := busProducer(addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	c := ingest.New(r, st, dlq, ingest.Options{Logger: quiet})
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	n := 0
	for time.Now().Before(deadline) {
		n, _ = st.Count(context.Background(), store.Query{})
		if n >= want && c.Lag() == 0 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	// Give duplicates a moment to show up if there were any.
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	r.Close()
	dlq.Close()
	n, _ = st.Count(context.Background(), store.Query{})
	return n
}
