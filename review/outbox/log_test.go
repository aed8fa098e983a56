package outbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

func msg(i int) Message {
	return Message{Topic: "t", Key: []byte(fmt.Sprintf("k%d", i%7)), Value: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		Headers: []Header{{"traceparent", []byte("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01")}}}
}

func open(t *testing.T, dir string, o Options) *Log {
	t.Helper()
	l, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func drain(t *testing.T, l *Log, batch int) []Entry {
	t.Helper()
	var all []Entry
	for {
		es, err := l.Pending(context.Background(), batch, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return all
		}
		all = append(all, es...)
		if err := l.Ack(context.Background(), es); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendPendingAckReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{SegmentBytes: 4096, MaxEntryBytes: 1024, MaxBytes: 1 << 20}
	l := open(t, dir, opts)
	for i := range 300 {
		if _, err := l.Append(ctx, msg(i)); err != nil {
			t.Fatal(err)
		}
	}
	if st := l.Stats(); st.Depth != 300 || st.OldestAge <= 0 {
		t.Fatalf("stats %+v", st)
	}
	// Pending does not consume.
	a, _ := l.Pending(ctx, 10, 1<<20)
	b, _ := l.Pending(ctx, 10, 1<<20)
	if len(a) != 10 || a[0].Seq != b[0].Seq || string(a[3].Value) != `{"n":3}` || string(a[3].Headers[0].Value) == "" {
		t.Fatalf("pending: %v %v", a[0], b[0])
	}
	// Ack half, reopen: the rest is still there, in order.
	got := 0
	for got < 150 {
		es, _ := l.Pending(ctx, 50, 1<<20)
		if err := l.Ack(ctx, es); err != nil {
			t.Fatal(err)
		}
		got += len(es)
	}
	segsBefore, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, msg(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	l2 := open(t, dir, opts)
	if st := l2.Stats(); st.Depth != 150 {
		t.Fatalf("depth after reopen %d, want 150", st.Depth)
	}
	rest := drain(t, l2, 64)
	if len(rest) != 150 || string(rest[0].Value) != `{"n":150}` || string(rest[149].Value) != `{"n":299}` {
		t.Fatalf("after reopen got %d entries, first %s", len(rest), rest[0].Value)
	}
	for i := 1; i < len(rest); i++ {
		if rest[i].Seq != rest[i-1].Seq+1 {
			t.Fatalf("seq gap at %d", i)
		}
	}
	segsAfter, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segsBefore) < 5 || len(segsAfter) != 1 {
		t.Fatalf("segments before %d after %d: acknowledged segments must be deleted", len(segsBefore), len(segsAfter))
	}
	if st := l2.Stats(); st.Depth != 0 || st.OldestAge != 0 {
		t.Fatalf("empty stats %+v", st)
	}
	// Seqs keep increasing across restarts.
	seq, _ := l2.Append(ctx, msg(1))
	if seq != 301 {
		t.Fatalf("next seq %d, want 301", seq)
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l := open(t, dir, Options{})
	for i := range 10 {
		l.Append(ctx, msg(i))
	}
	l.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	st, _ := os.Stat(segs[0])
	// A crash mid-write leaves half a frame.
	if err := os.Truncate(segs[0], st.Size()-5); err != nil {
		t.Fatal(err)
	}
	l2 := open(t, dir, Options{})
	if d := l2.Stats().Depth; d != 9 {
		t.Fatalf("depth %d after torn tail, want 9", d)
	}
	if _, err := l2.Append(ctx, msg(99)); err != nil {
		t.Fatal(err)
	}
	es := drain(t, l2, 100)
	if len(es) != 10 || string(es[9].Value) != `{"n":99}` {
		t.Fatalf("got %d, last %s", len(es), es[len(es)-1].Value)
	}
	// Garbage appended after valid frames is cut too.
	l2.Close()
	f, _ := os.OpenFile(segs[0], os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("garbage-garbage-garbage"))
	f.Close()
	l3 := open(t, dir, Options{})
	if d := l3.Stats().Depth; d != 0 {
		t.Fatalf("depth %d after garbage tail, want 0", d)
	}
}

func TestCorruptCursorRepublishesNeverSkips(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l := open(t, dir, Options{})
	for i := range 20 {
		l.Append(ctx, msg(i))
	}
	es, _ := l.Pending(ctx, 15, 1<<20)
	l.Ack(ctx, es[:15])
	l.Close()
	os.WriteFile(filepath.Join(dir, cursorName), []byte("junk"), 0o600)
	l2 := open(t, dir, Options{})
	if d := l2.Stats().Depth; d != 20 {
		t.Fatalf("depth %d with a corrupt cursor, want 20 (republish)", d)
	}
}

func TestFullRejectsAndRecovers(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{SegmentBytes: 2048, MaxEntryBytes: 1024, MaxBytes: 8192}
	l := open(t, dir, opts)
	n := 0
	var err error
	for {
		if _, err = l.Append(ctx, msg(n)); err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("append to a full log: %v, want ErrFull", err)
	}
	if n < 50 {
		t.Fatalf("only %d entries fit", n)
	}
	// Full is immediate, not blocking: an append that waited for space
	// would never return here (nothing acks). The bound only catches a
	// slow rejection; it is loose for -race on a loaded machine.
	start := time.Now()
	for range 100 {
		if _, err := l.Append(ctx, msg(0)); !errors.Is(err, ErrFull) {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("100 rejected appends took %v", d)
	}
	// Publishing (ack) frees space.
	es, _ := l.Pending(ctx, n/2, 1<<20)
	l.Ack(ctx, es)
	if _, err := l.Append(ctx, msg(1000)); err != nil {
		t.Fatalf("append after ack: %v", err)
	}
	if got := drain(t, l, 1000); len(got) != n-len(es)+1 {
		t.Fatalf("drained %d, want %d", len(got), n-len(es)+1)
	}
	// Too large.
	big := Message{Topic: "t", Value: make([]byte, 2000)}
	if _, err := l.Append(ctx, big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big entry: %v, want ErrTooLarge", err)
	}
}

func TestSecondOpenRefused(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, Options{})
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("a second Open of the same directory must fail")
	}
}

func TestConcurrentAppendsSyncAlways(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l := open(t, dir, Options{Sync: SyncAlways, SegmentBytes: 64 << 10, MaxEntryBytes: 4096})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seqs := map[uint64]bool{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				s, err := l.Append(ctx, msg(g*1000+i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs[s] = true
				mu.Unlock()
			}
		}()
	}
	// A concurrent reader acknowledges as it goes.
	done := make(chan []Entry)
	go func() {
		var got []Entry
		for len(got) < 800 {
			es, err := l.Pending(ctx, 37, 1<<20)
			if err != nil {
				t.Error(err)
				break
			}
			if len(es) > 0 {
				got = append(got, es...)
				l.Ack(ctx, es)
			}
		}
		done <- got
	}()
	wg.Wait()
	got := <-done
	if len(seqs) != 800 || len(got) != 800 {
		t.Fatalf("%d distinct seqs, %d read", len(seqs), len(got))
	}
	vals := map[string]bool{}
	for _, e := range got {
		vals[string(e.Value)] = true
	}
	if len(vals) != 800 {
		t.Fatalf("%d distinct values", len(vals))
	}
	l.mu.Lock()
	synced, next := l.synced, l.next
	l.mu.Unlock()
	if synced != next {
		t.Fatalf("SyncAlways: synced %d, next %d", synced, next)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	m := Message{Topic: "topic", Key: []byte("key"), Value: []byte("value"), Headers: []Header{{"a", []byte("1")}, {"b", nil}}}
	f := encode(m, time.Unix(0, 42))
	e, err := decode(f[frameHeader:])
	if err != nil || e.Topic != "topic" || string(e.Key) != "key" || string(e.Value) != "value" || len(e.Headers) != 2 || e.Time.UnixNano() != 42 {
		t.Fatalf("%+v %v", e, err)
	}
	for cut := bodyFixed; cut < len(f)-frameHeader; cut++ {
		if _, err := decode(f[frameHeader : frameHeader+cut]); err == nil {
			t.Fatalf("truncated body (%d) decoded", cut)
		}
	}
}

// BenchmarkAppend reports append latency quantiles (interval sync).
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []SyncMode{SyncInterval, SyncAlways} {
		b.Run(string(mode), func(b *testing.B) {
			l, err := Open(b.TempDir(), Options{Sync: mode})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			m := Message{Topic: "warden.incidents", Key: []byte("tenant/conv"), Value: make([]byte, 1500)}
			var ds []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := l.Append(context.Background(), m); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
				if l.Stats().Bytes > 512<<20 {
					es, _ := l.Pending(context.Background(), 1<<20, 1<<30)
					l.Ack(context.Background(), es)
				}
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
		})
	}
}
