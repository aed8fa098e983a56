package review_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/internal/testkit"
	"github.com/wardenhq/warden/review/keyring"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/verdict"
)

// Scale-out: a guard that only runs its outbox and relay (KAFKA_BROKERS
// set), and two review services in one consumer group on the same Kafka
// and PostgreSQL, each with its own data directory.
func TestRolesSplitOnPostgres(t *testing.T) {
	if pgErr != nil {
		if os.Getenv("WARDEN_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL required: %v", pgErr)
		}
		t.Skipf("skipping: %v", pgErr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, addr := testkit.Broker(t)
	keys, _ := keyring.Generate()
	dbURL := pg.Database(t)
	conf := func() review.Config {
		c, err := review.LoadConfig(t.TempDir(), func(k string) (string, bool) {
			v, ok := map[string]string{
				"KAFKA_BROKERS": addr, "DATABASE_URL": dbURL, "WARDEN_REVIEW_KEY": keys.Spec(),
				"WARDEN_KAFKA_PARTITIONS": "4", "WARDEN_KAFKA_SESSION_TIMEOUT": "6s",
			}[k]
			return v, ok
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	g, err := review.OpenGuard(conf(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	var svcs []*review.Service
	for range 2 {
		s, err := review.OpenService(ctx, conf(), conf().Brokers, quiet)
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	done := make(chan struct{}, 3)
	go func() { g.Run(ctx); done <- struct{}{} }()
	for _, s := range svcs {
		go func() { s.Run(ctx); done <- struct{}{} }()
	}
	defer func() {
		cancel()
		for range 3 {
			<-done
		}
		for _, s := range svcs {
			s.Close()
		}
		g.Close()
	}()

	chk := newCheck(t, g.Recorder())
	for i := range 1000 {
		res, err := chk.Check(ctx, check.Request{Stage: types.StagePrompt, Text: fmt.Sprintf("ESCALATE %d", i),
			Metadata: map[string]any{"conversation_id": fmt.Sprint(i % 37)}})
		if err != nil || res.IncidentID == "" {
			t.Fatalf("check %d: %v", i, err)
		}
	}
	a, b := svcs[0].Store(), svcs[1].Store()
	waitFor(t, 60*time.Second, "1000 incidents in PostgreSQL", func() bool {
		n, _ := a.Count(ctx, store.Query{})
		return n == 1000
	})
	time.Sleep(300 * time.Millisecond)
	if n, _ := b.Count(ctx, store.Query{}); n != 1000 {
		t.Fatalf("%d incidents, want exactly 1000", n)
	}
	// Either service works any incident, whoever ingested it.
	p, _ := a.List(ctx, store.Query{Limit: 2})
	if _, err := b.Reveal(ctx, p.Incidents[0].ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, p.Incidents[1].ID, "alice", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Claim(ctx, p.Incidents[1].ID, "bob", time.Minute); err == nil {
		t.Fatal("bob claimed what alice holds, through the other service")
	}
	if _, err := a.RecordVerdict(ctx, store.VerdictInput{IncidentID: p.Incidents[1].ID, Reviewer: "alice", Kind: verdict.Overturn}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the verdict on Kafka", func() bool {
		ms, _ := testkit.ReadTopic(ctx, addr, "warden.verdicts")
		return len(ms) >= 1
	})
	if n, err := b.VerifyAudit(ctx); err != nil || n != 3 {
		t.Fatalf("audit: %d %v", n, err)
	}
}
