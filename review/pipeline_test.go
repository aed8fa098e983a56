package review_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/policy"
	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/internal/testkit"
	"github.com/wardenhq/warden/review/outbox"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/verdict"
)

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// Every incident the check produces validates against the schema, its id
// is the incident_id the check returned, and its text is redacted.
func TestProducedIncidentsValidate(t *testing.T) {
	ctx := context.Background()
	ob, err := outbox.Open(t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	rec := outbox.NewRecorder(ob, "warden.incidents")
	pol := responsePolicy(t)
	svc := check.New(scorer{}, emails{}, pol, rec, check.Options{Timeout: 5 * time.Second})
	reqs := []check.Request{
		{Stage: types.StagePrompt, Text: "ESCALATE: mail bob@example.com the admin password"},
		{Stage: types.StagePrompt, Text: "BLOCK everything", Tenant: "globex", Metadata: map[string]any{"conversation_id": "c-42"}},
		{Stage: types.StagePrompt, Messages: []types.Message{{Role: "system", Content: "be nice"}, {Role: "user", Content: "ESCALATE me at a@b.co"}}},
		{Stage: types.StageResponse, Text: "ESCALATE reply to carol@example.org", Prompt: "my address is dave@example.net"},
		{Stage: types.StageResponse, Text: "BLOCK streamed", Source: incident.SourceStream, Stream: &policy.StreamInput{Delivered: 120}},
		{Stage: types.StagePrompt, Text: "ESCALATE via proxy", Source: incident.SourceProxy},
		{Stage: types.StagePrompt, Text: "harmless"},
	}
	var ids []string
	for _, r := range reqs {
		res, err := svc.Check(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.FailMode != "" {
			t.Fatalf("%q: fail mode %s: %v", r.Text, res.FailMode, res.Reasons)
		}
		if res.Action.Incident() != (res.IncidentID != "") {
			t.Fatalf("%q: action %s incident %q", r.Text, res.Action, res.IncidentID)
		}
		if res.IncidentID != "" {
			ids = append(ids, res.IncidentID)
		}
	}
	if len(ids) != 6 {
		t.Fatalf("%d incidents, want 6", len(ids))
	}
	es, err := ob.Pending(ctx, 100, 1<<20)
	if err != nil || len(es) != 6 {
		t.Fatalf("outbox %d entries: %v", len(es), err)
	}
	for i, e := range es {
		if err := incident.ValidateJSON(e.Value); err != nil {
			t.Fatalf("incident %d does not validate: %v\n%s", i, err, e.Value)
		}
		inc, _ := incident.Decode(e.Value)
		if inc.ID != ids[i] {
			t.Fatalf("incident id %s, check returned %s", inc.ID, ids[i])
		}
		if strings.Contains(string(e.Value), "@example") || strings.Contains(string(e.Value), "a@b.co") {
			t.Fatalf("raw PII left the guard: %s", e.Value)
		}
		var tp string
		for _, h := range e.Headers {
			if h.Key == outbox.HeaderTraceparent {
				tp = string(h.Value)
			}
		}
		if tp != inc.Trace.Traceparent || string(e.Key) != inc.Key {
			t.Fatalf("headers/key: traceparent %q vs %q, key %q vs %q", tp, inc.Trace.Traceparent, e.Key, inc.Key)
		}
	}
	var second, fourth, fifth incident.Incident
	json.Unmarshal(es[1].Value, &second)
	json.Unmarshal(es[3].Value, &fourth)
	json.Unmarshal(es[4].Value, &fifth)
	if second.Key != "globex/c-42" || second.Action != "block" {
		t.Fatalf("keyed by conversation: %+v", second)
	}
	if fourth.Prompt == "" || fourth.Stage != "response" {
		t.Fatalf("response incident without prompt context: %+v", fourth)
	}
	if fifth.Delivered == nil || *fifth.Delivered != 120 || fifth.Source != "stream" {
		t.Fatalf("stream incident: %+v", fifth)
	}
}

// The embedded default end to end: guard (outbox, relay, embedded broker)
// and review service (ingest into SQLite, verdict relay) as `warden serve`
// wires them; kcat reads the topic and the payloads validate.
func TestEmbeddedPipeline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := review.DefaultConfig(t.TempDir())
	cfg.EmbeddedAddr = "127.0.0.1:0"
	cfg.Partitions = 3
	g, err := review.OpenGuard(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := review.OpenService(ctx, cfg, g.Brokers(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { g.Run(ctx); done <- struct{}{} }()
	go func() { svc.Run(ctx); done <- struct{}{} }()
	defer func() {
		cancel()
		<-done
		<-done
		svc.Close()
		g.Close()
	}()

	chk := newCheck(t, g.Recorder())
	ids := map[string]bool{}
	for i := range 100 {
		res, err := chk.Check(ctx, check.Request{Stage: types.StagePrompt, Text: fmt.Sprintf("ESCALATE request %d from x%d@example.com", i, i),
			Metadata: map[string]any{"conversation_id": fmt.Sprint(i % 7)}})
		if err != nil || res.IncidentID == "" {
			t.Fatalf("check %d: %+v %v", i, res, err)
		}
		ids[res.IncidentID] = true
	}
	st := svc.Store()
	waitFor(t, 30*time.Second, "100 incidents in the store", func() bool {
		n, _ := st.Count(ctx, store.Query{})
		return n == 100
	})
	waitFor(t, 10*time.Second, "empty outbox", func() bool { return g.Outbox().Stats().Depth == 0 })

	// A verdict flows out to the verdicts topic.
	var one string
	for id := range ids {
		one = id
		break
	}
	if _, err := st.Claim(ctx, one, "alice", time.Minute); err != nil {
		t.Fatal(err)
	}
	v, err := st.RecordVerdict(ctx, store.VerdictInput{IncidentID: one, Reviewer: "alice", Kind: verdict.Confirm})
	if err != nil {
		t.Fatal(err)
	}
	var verdicts []kafka.Message
	waitFor(t, 20*time.Second, "the verdict event", func() bool {
		verdicts, _ = testkit.ReadTopic(ctx, g.Brokers()[0], cfg.Topics.Verdicts)
		return len(verdicts) >= 1
	})
	if err := verdict.ValidateJSON(verdicts[0].Value); err != nil || !bytes.Contains(verdicts[0].Value, []byte(v.ID)) || string(verdicts[0].Key) != one {
		t.Fatalf("verdict event %s: %v", verdicts[0].Value, err)
	}

	// kcat, a client that is not ours, lists and reads the topics.
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (Debian package kcat; `make test-deps` installs it): skipping the kcat part")
	}
	broker := g.Brokers()[0]
	out, err := exec.CommandContext(ctx, kcat, "-b", broker, "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	for _, topic := range []string{cfg.Topics.Incidents, cfg.Topics.Verdicts, cfg.Topics.DLQ} {
		if !strings.Contains(string(out), `topic "`+topic+`"`) {
			t.Fatalf("kcat -L does not list %s:\n%s", topic, out)
		}
	}
	out, err = exec.CommandContext(ctx, kcat, "-b", broker, "-C", "-t", cfg.Topics.Incidents, "-o", "beginning", "-e", "-q", "-J").Output()
	if err != nil {
		t.Fatalf("kcat -C: %v", err)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var env struct {
			Key     string   `json:"key"`
			Payload string   `json:"payload"`
			Headers []string `json:"headers"`
		}
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("kcat line: %v", err)
		}
		if err := incident.ValidateJSON([]byte(env.Payload)); err != nil {
			t.Fatalf("payload read by kcat does not validate: %v", err)
		}
		inc, _ := incident.Decode([]byte(env.Payload))
		if env.Key != inc.Key || !strings.Contains(strings.Join(env.Headers, ","), "traceparent") {
			t.Fatalf("key %q vs %q, headers %v", env.Key, inc.Key, env.Headers)
		}
		seen[inc.ID] = true
	}
	if len(seen) != 100 {
		t.Fatalf("kcat read %d distinct incidents, want 100", len(seen))
	}
	for id := range ids {
		if !seen[id] {
			t.Fatalf("incident %s not read by kcat", id)
		}
	}
}

// relayChild is the body of the child process TestRelayKilledRepeatedly
// kills: it relays the outbox and exits 0 once it is empty.
func relayChild() int {
	ob, err := outbox.Open(os.Getenv("WARDEN_TEST_OUTBOX"), outbox.Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer ob.Close()
	p := busProducer(os.Getenv("WARDEN_TEST_BROKER"))
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go outbox.NewRelay(ob, p, outbox.RelayOptions{BatchSize: 5, Logger: quiet}).Run(ctx)
	for ob.Stats().Depth > 0 {
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}

// The relay process is killed (SIGKILL) again and again while it
// publishes: every restart republishes the unacknowledged batch; the
// store still ends with each incident exactly once.
func TestRelayKilledRepeatedly(t *testing.T) {
	ctx := context.Background()
	_, addr := testkit.Broker(t)
	ensure(t, addr)
	dir := filepath.Join(t.TempDir(), "outbox")
	ob, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := outbox.NewRecorder(ob, "warden.incidents")
	const n = 5000
	ids := map[string]bool{}
	for i := range n {
		inc := testkit.Incident(i)
		if err := rec.Record(ctx, inc); err != nil {
			t.Fatal(err)
		}
		ids[inc.ID] = true
	}
	ob.Close()

	depth := func() uint64 {
		o, err := outbox.Open(dir, outbox.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		return o.Stats().Depth
	}
	// Up to maxKills lives are killed; the next one relays to the end. The
	// kill count is the point, not the speed: on a loaded machine a -race
	// child spends most of a 250 ms life starting up.
	const maxKills = 30
	kills := 0
	for depth() > 0 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WARDEN_TEST_CHILD=relay", "WARDEN_TEST_OUTBOX="+dir, "WARDEN_TEST_BROKER="+addr)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Let it start and relay for a while, then kill it.
		wait := 250*time.Millisecond + time.Duration(kills%5)*50*time.Millisecond
		if kills == maxKills {
			wait = 3 * time.Minute
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("relay child failed: %v", err)
			}
		case <-time.After(wait):
			cmd.Process.Kill()
			<-exited
			if kills == maxKills {
				t.Fatalf("the last relay did not empty the outbox in %v (depth %d)", wait, depth())
			}
			kills++
		}
	}
	msgs, err := testkit.ReadTopic(ctx, addr, "warden.incidents")
	if err != nil {
		t.Fatal(err)
	}
	if kills < 5 {
		t.Fatalf("only %d kills", kills)
	}

	// Ingest everything: exactly n.
	st := sqliteStore(t)
	svcCount := ingestAll(t, addr, st, n)
	if svcCount != n {
		t.Fatalf("%d stored, want exactly %d", svcCount, n)
	}
	t.Logf("relay SIGKILLed %d times; %d messages in Kafka for %d incidents; %d stored", kills, len(msgs), n, svcCount)
	if len(msgs) < n {
		t.Fatalf("%d messages in Kafka, fewer than %d incidents", len(msgs), n)
	}
}

// A full outbox (Kafka away too long) never drops an incident silently:
// the check applies its fail mode — closed by default, so the text is
// blocked — and says why.
func TestFullOutboxFailsClosed(t *testing.T) {
	ctx := context.Background()
	ob, err := outbox.Open(t.TempDir(), outbox.Options{MaxEntryBytes: 4096, SegmentBytes: 8192, MaxBytes: 16384, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	chk := newCheck(t, outbox.NewRecorder(ob, "warden.incidents"))
	recorded, refused, lateRecorded := 0, 0, 0
	for i := range 100 {
		res, err := chk.Check(ctx, check.Request{Stage: types.StagePrompt, Text: fmt.Sprintf("ESCALATE %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case res.Action == types.ActionEscalate && res.IncidentID != "":
			// After a refusal a later entry may still fit: entries differ
			// by a few bytes (timestamps drop trailing zeros), and the log
			// refuses by size only. Every one is counted below.
			if refused > 0 {
				lateRecorded++
			}
			recorded++
		case res.Action == types.ActionBlock && res.FailMode == "closed" && strings.Contains(strings.Join(res.Reasons, " "), "incident_unrecorded"):
			refused++
		default:
			t.Fatalf("check %d: action %s fail mode %q reasons %v", i, res.Action, res.FailMode, res.Reasons)
		}
	}
	if recorded < 5 || refused == 0 || lateRecorded > refused {
		t.Fatalf("%d recorded (%d after the first refusal), %d refused", recorded, lateRecorded, refused)
	}
	// Publishing frees room: escalations are recorded again.
	es, _ := ob.Pending(ctx, 1000, 1<<20)
	if len(es) != recorded {
		t.Fatalf("%d entries for %d recorded incidents", len(es), recorded)
	}
	if err := ob.Ack(ctx, es); err != nil {
		t.Fatal(err)
	}
	res, _ := chk.Check(ctx, check.Request{Stage: types.StagePrompt, Text: "ESCALATE again"})
	if res.Action != types.ActionEscalate || res.IncidentID == "" {
		t.Fatalf("after the relay caught up: %+v", res)
	}
}

// oddCategory scores like scorer plus a category whose name the incident
// schema refuses (a user's model with a label such as "Jailbreak-X").
type oddCategory struct{ scorer }

func (o oddCategory) Score(ctx context.Context, st types.Stage, texts []string) ([]types.Scores, error) {
	out, err := o.scorer.Score(ctx, st, texts)
	for _, s := range out {
		s["Jailbreak-X"] = 0.2
	}
	return out, err
}

// An incident the ingest would dead-letter (it does not match the schema)
// is not recorded as if it had been raised: the check applies its fail
// mode and says why, and nothing enters the outbox. Before, the check
// answered with an incident id that never reached the review queue.
func TestInvalidIncidentFailsClosed(t *testing.T) {
	ctx := context.Background()
	ob, err := outbox.Open(t.TempDir(), outbox.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	pol := policy.New(policy.Options{})
	if err := pol.Load(ctx); err != nil {
		t.Fatal(err)
	}
	chk := check.New(oddCategory{}, emails{}, pol, outbox.NewRecorder(ob, "warden.incidents"), check.Options{Timeout: 5 * time.Second})
	res, err := chk.Check(ctx, check.Request{Stage: types.StagePrompt, Text: "ESCALATE this"})
	if err != nil {
		t.Fatal(err)
	}
	if res.IncidentID != "" || res.Action != types.ActionBlock || res.FailMode != "closed" || !strings.Contains(strings.Join(res.Reasons, " "), "incident_unrecorded") {
		t.Fatalf("check: action %s incident %q fail mode %q reasons %v", res.Action, res.IncidentID, res.FailMode, res.Reasons)
	}
	if es, _ := ob.Pending(ctx, 10, 1<<20); len(es) != 0 {
		t.Fatalf("%d entries in the outbox; the ingest would dead-letter them", len(es))
	}
}
