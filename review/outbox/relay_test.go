package outbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wardenhq/warden/review/bus"
	"github.com/wardenhq/warden/review/internal/testkit"
)

const topic = "warden.incidents"

func setupTopic(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := bus.EnsureTopics(ctx, []string{addr}, bus.Specs(bus.DefaultTopics, 3, 1, 8<<20)); err != nil {
		t.Fatal(err)
	}
}

func fill(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := range n {
		m := Message{Topic: topic, Key: []byte(fmt.Sprintf("tenant/conv-%d", i%13)), Value: []byte(fmt.Sprintf(`{"id":"%06d"}`, i)),
			Headers: []Header{{HeaderIncidentID, []byte(fmt.Sprintf("%06d", i))}}}
		if _, err := l.Append(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

// runRelay runs a relay until the log is empty.
func runRelay(t *testing.T, l *Log, addr string, o RelayOptions) {
	t.Helper()
	p := bus.NewProducer([]string{addr}, bus.ProducerOptions{Timeout: 3 * time.Second})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- NewRelay(l, p, o).Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for l.Stats().Depth > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("relay did not drain the outbox: depth %d", l.Stats().Depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func waitEmpty(t *testing.T, l *Log) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for l.Stats().Depth > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("relay did not drain the outbox: depth %d", l.Stats().Depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRelayPublishesAllInOrderPerKey(t *testing.T) {
	_, addr := testkit.Broker(t)
	setupTopic(t, addr)
	l := open(t, t.TempDir(), Options{})
	fill(t, l, 2000)
	start := time.Now()
	runRelay(t, l, addr, RelayOptions{})
	t.Logf("2000 relayed in %v", time.Since(start))

	msgs, err := testkit.ReadTopic(context.Background(), addr, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2000 {
		t.Fatalf("%d messages in the topic, want 2000", len(msgs))
	}
	// Per key, values are in append order; keys map to one partition.
	last := map[string]string{}
	part := map[string]int{}
	for _, m := range msgs {
		k := string(m.Key)
		if p, ok := part[k]; ok && p != m.Partition {
			t.Fatalf("key %s on partitions %d and %d", k, p, m.Partition)
		}
		part[k] = m.Partition
		if string(m.Value) <= last[k] {
			t.Fatalf("key %s out of order: %s after %s", k, m.Value, last[k])
		}
		last[k] = string(m.Value)
		if len(m.Headers) != 1 || m.Headers[0].Key != HeaderIncidentID {
			t.Fatalf("headers %v", m.Headers)
		}
	}
}

// A broker answering errors for one partition only: the relay retries just
// the messages of that partition, so nothing is written twice.
func TestRelayRetriesOnlyFailedMessages(t *testing.T) {
	c, addr := testkit.Broker(t)
	setupTopic(t, addr)
	var failed atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		if failed.Load() >= 6 || len(req.Topics) != 1 || len(req.Topics[0].Partitions) != 1 || req.Topics[0].Partitions[0].Partition != 0 {
			return nil, nil, false
		}
		failed.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic = req.Topics[0].Topic
		rp := kmsg.NewProduceResponseTopicPartition()
		rp.Partition = 0
		rp.ErrorCode = kerr.NotEnoughReplicas.Code
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	l := open(t, t.TempDir(), Options{})
	fill(t, l, 300)
	runRelay(t, l, addr, RelayOptions{BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if failed.Load() < 6 {
		t.Fatalf("only %d produce requests failed", failed.Load())
	}
	msgs, err := testkit.ReadTopic(context.Background(), addr, topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[string(m.Value)]++
	}
	if len(msgs) != 300 || len(seen) != 300 {
		t.Fatalf("%d messages, %d distinct: want exactly 300 (the partitions that succeeded must not be rewritten)", len(msgs), len(seen))
	}
}

// Answers lost on the way back (the write happened, the relay cannot know):
// the relay retries with the same key and bytes; consumers see duplicates
// of the same incident, never a loss.
func TestRelayUnknownOutcomeRetriesSameMessage(t *testing.T) {
	_, proxy := testkit.BrokerBehindProxy(t)
	setupTopic(t, proxy.Addr())
	l := open(t, t.TempDir(), Options{})
	p := bus.NewProducer([]string{proxy.Addr()}, bus.ProducerOptions{Timeout: time.Second})
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- NewRelay(l, p, RelayOptions{WriteTimeout: 2 * time.Second, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}).Run(ctx)
	}()
	// Warm up (metadata cached), then lose the answers for 2 s.
	fill(t, l, 1)
	waitEmpty(t, l)
	proxy.SetDropReplies(true)
	fill(t, l, 200)
	time.Sleep(2 * time.Second)
	proxy.SetDropReplies(false)
	waitEmpty(t, l)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs, err := testkit.ReadTopic(context.Background(), proxy.Addr(), topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, m := range msgs {
		if k, ok := seen[string(m.Value)]; ok && k != string(m.Key) {
			t.Fatalf("retried with another key")
		}
		seen[string(m.Value)] = string(m.Key)
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct of 200", len(seen))
	}
	if len(msgs) <= 200 {
		t.Fatalf("%d messages: the lost answers should have caused retries of written messages", len(msgs))
	}
	t.Logf("%d messages for 200 entries (%d duplicates from unknown outcomes)", len(msgs), len(msgs)-200)
}
