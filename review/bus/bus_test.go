package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestEmbeddedProduceConsumeRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	b, err := StartEmbedded(EmbeddedOptions{Addr: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	brokers := []string{b.Addr()}
	topics := Topics{Incidents: "i", Verdicts: "v", DLQ: "d"}
	if err := EnsureTopics(ctx, brokers, Specs(topics, 3, 1, 8<<20)); err != nil {
		t.Fatal(err)
	}
	// Idempotent.
	if err := EnsureTopics(ctx, brokers, Specs(topics, 3, 1, 8<<20)); err != nil {
		t.Fatal(err)
	}
	p := NewProducer(brokers, ProducerOptions{})
	var msgs []kafka.Message
	for i := range 1000 {
		msgs = append(msgs, kafka.Message{Topic: "i", Key: []byte(fmt.Sprint(i % 10)), Value: []byte(fmt.Sprint(i))})
	}
	t0 := time.Now()
	if err := p.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("1000 messages written in %v", time.Since(t0))
	p.Close()

	consume := func(n int) int {
		r := NewConsumer(brokers, ConsumerOptions{Group: "g", Topic: "i", SessionTimeout: 6 * time.Second})
		defer r.Close()
		got := 0
		for got < n {
			fctx, c := context.WithTimeout(ctx, 3*time.Second)
			m, err := r.FetchMessage(fctx)
			c()
			if err != nil {
				break
			}
			if err := r.CommitMessages(ctx, m); err != nil {
				t.Fatal(err)
			}
			got++
		}
		return got
	}
	if got := consume(1000); got != 1000 {
		t.Fatalf("consumed %d", got)
	}
	b.Close()
	// Restart from the data dir on the same address: committed offsets
	// survive, nothing is redelivered.
	b2, err := StartEmbedded(EmbeddedOptions{Addr: brokers[0], DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if got := consume(1); got != 0 {
		t.Fatalf("redelivered %d after restart", got)
	}
}
