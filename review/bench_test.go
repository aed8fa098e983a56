package review_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/review/internal/testkit"
)

// BenchmarkPipeline measures sustained incidents per second through
// outbox → relay → Kafka (kfake) → ingest → SQLite store: the clock runs
// from the first Record until the store holds every incident.
func BenchmarkPipeline(b *testing.B) {
	p := startPipeline(b, inProcess)
	ctx := context.Background()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := p.rec.rec.Record(ctx, testkit.Incident(n)); err != nil {
			b.Fatal(err)
		}
		n++
	}
	deadline := time.Now().Add(5 * time.Minute)
	recorded := time.Since(start)
	relayed := time.Duration(0)
	for p.count(b) < n {
		if relayed == 0 && p.outbox.Stats().Depth == 0 {
			relayed = time.Since(start)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d stored", p.count(b), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(start)
	if c := p.count(b); c != n {
		b.Fatalf("%d stored, want %d", c, n)
	}
	b.ReportMetric(float64(n)/el.Seconds(), "incidents/s")
	b.Logf("n=%d recorded %v relayed %v stored %v", n, recorded, relayed, el)
}

// BenchmarkCheckLatency measures POST /v1/check (an escalation: the
// incident is recorded) and the outbox Record inside it, paced at 500
// checks/s, with the broker up (the relay publishing) and down (the proxy
// refuses connections; the relay is backing off). Two topologies:
// guard=alone has the broker in another process, as a guard with
// KAFKA_BROKERS runs; guard=embedded has broker, ingest and SQLite store in
// the guard's own process, as the single-process default runs.
func BenchmarkCheckLatency(b *testing.B) {
	for _, topo := range []struct {
		name  string
		where int
	}{{"guard=alone", otherProcess}, {"guard=embedded", behindProxy}} {
		for _, down := range []bool{false, true} {
			name := topo.name + "/broker=up"
			if down {
				name = topo.name + "/broker=down"
			}
			b.Run(name, func(b *testing.B) { benchCheck(b, topo.where, down) })
		}
	}
}

func benchCheck(b *testing.B, where int, down bool) {
	p := startPipeline(b, where)
	srv := httptest.NewServer(api.New(api.Options{Checker: p.check, MaxBodyBytes: 1 << 20, Logger: quiet,
		Ready: func() (bool, map[string]any) { return true, nil }}).Handler())
	defer srv.Close()
	client := srv.Client()
	if down {
		p.proxy.SetDown(true)
	}
	post := func(i int) time.Duration {
		body := fmt.Sprintf(`{"stage":"prompt","tenant":"acme","text":"ESCALATE %d: contact me at u%d@example.com","metadata":{"conversation_id":"%d"}}`, i, i, i%50)
		t0 := time.Now()
		resp, err := client.Post(srv.URL+"/v1/check", "application/json", strings.NewReader(body))
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) // so the connection is reused
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return d
	}
	for i := range 200 { // warm up
		post(i)
	}
	p.rec.take()
	var lat []time.Duration
	next := time.Now()
	i := 0
	for b.Loop() {
		lat = append(lat, post(i))
		i++
		next = next.Add(2 * time.Millisecond)
		time.Sleep(time.Until(next))
	}
	rec := p.rec.take()
	b.ReportMetric(float64(quantile(lat, .5).Microseconds()), "check-p50-µs")
	b.ReportMetric(float64(quantile(lat, .99).Microseconds()), "check-p99-µs")
	b.ReportMetric(float64(quantile(rec, .5).Microseconds()), "record-p50-µs")
	b.ReportMetric(float64(quantile(rec, .99).Microseconds()), "record-p99-µs")
	if down {
		p.proxy.SetDown(false)
	}
}
