// Package outbox is the guard's durable outbox: the inline check appends an
// incident to a local log and returns; a relay publishes the log to Kafka
// and only then moves the log's cursor. Kafka is never on the request path.
//
// # The log
//
// Entries are appended to segment files under a directory (by default
// WARDEN_DATA_DIR/outbox): each entry is one CRC-checked frame, segments
// roll at Options.SegmentBytes, and a small cursor file records the first
// entry not yet acknowledged by Kafka. Fully acknowledged segments are
// deleted. On open, a torn frame at the end of the last segment (a crash
// mid-write) is cut off; a lost or corrupt cursor restarts from the oldest
// segment, which republishes entries (consumers dedupe by incident id), and
// never skips one.
//
// An append writes its frame to the file before returning, so it survives
// the process being killed at any point. Durability against power loss
// depends on Options.Sync: SyncInterval (the default) fsyncs in the
// background every Options.SyncInterval (one fsync for everything appended
// since: group commit), so a power cut can lose at most that window;
// SyncAlways makes Append wait for the group fsync that covers its entry.
// The difference is the price of the disk's fsync, measured on the
// reference machine at ~0.4 ms p50 and ~7 ms p99, which SyncAlways adds to
// every blocked or escalated check.
//
// We chose an append-only log over a SQLite table: an insert in SQLite
// (WAL, synchronous=NORMAL, with the relay deleting published rows) measured
// 68 µs p50 and 1.2 ms p99 here, the log's append a few µs p50 and tens of
// µs p99, because appends never contend with the relay's deletes.
//
// # When full
//
// The log is bounded by Options.MaxBytes on disk. When an append would
// exceed it (Kafka unreachable for long enough), Append returns ErrFull at
// once, without blocking; the check then applies its stage's fail mode
// (closed by default: the text is blocked, cause incident_unrecorded), so a
// block or escalation is never silently dropped. Every rejection is counted
// (warden_outbox_rejected_total{reason="full"}). Appends succeed again as
// soon as the relay has published and acknowledged some entries. An entry
// larger than Options.MaxEntryBytes is rejected with ErrTooLarge the same
// way.
package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Errors returned by Append.
var (
	// ErrFull means the log holds Options.MaxBytes of unpublished entries.
	ErrFull = errors.New("outbox full")
	// ErrTooLarge means one entry exceeds Options.MaxEntryBytes.
	ErrTooLarge = errors.New("outbox entry too large")
	// ErrClosed means the log was closed.
	ErrClosed = errors.New("outbox closed")
)

// SyncMode says when appended entries are fsynced.
type SyncMode string

// Sync modes.
const (
	// SyncInterval fsyncs in the background every Options.SyncInterval.
	SyncInterval SyncMode = "interval"
	// SyncAlways makes Append wait until its entry is fsynced.
	SyncAlways SyncMode = "always"
)

// ParseSyncMode parses "interval" or "always".
func ParseSyncMode(s string) (SyncMode, error) {
	switch m := SyncMode(s); m {
	case SyncInterval, SyncAlways:
		return m, nil
	}
	return "", fmt.Errorf("unknown outbox sync mode %q (want interval or always)", s)
}

// Defaults of Options.
const (
	DefaultMaxBytes      = 1 << 30
	DefaultMaxEntryBytes = 4 << 20
	DefaultSegmentBytes  = 16 << 20
	DefaultSyncInterval  = 50 * time.Millisecond
)

// Options configure a Log. Zero values take the defaults.
type Options struct {
	// MaxBytes bounds the log on disk (default 1 GiB).
	MaxBytes int64
	// MaxEntryBytes bounds one encoded entry (default 4 MiB).
	MaxEntryBytes int
	// SegmentBytes is the size at which a segment file rolls (default 16 MiB).
	SegmentBytes int64
	// Sync is the fsync mode (default SyncInterval).
	Sync SyncMode
	// SyncInterval is the background fsync period (default 50 ms).
	SyncInterval time.Duration
	// Name labels the log's metrics (outbox="incidents").
	Name   string
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntryBytes <= 0 {
		o.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.Sync == "" {
		o.Sync = SyncInterval
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Name == "" {
		o.Name = "outbox"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Validate reports invalid options (after defaults).
func (o Options) Validate() error {
	o.defaults()
	var errs []error
	if o.MaxEntryBytes < 1024 {
		errs = append(errs, fmt.Errorf("outbox max entry bytes %d below 1 KiB", o.MaxEntryBytes))
	}
	if o.SegmentBytes < int64(o.MaxEntryBytes) {
		errs = append(errs, fmt.Errorf("outbox segment bytes %d below max entry bytes %d", o.SegmentBytes, o.MaxEntryBytes))
	}
	if o.MaxBytes < 2*o.SegmentBytes {
		errs = append(errs, fmt.Errorf("outbox max bytes %d below two segments (%d)", o.MaxBytes, 2*o.SegmentBytes))
	}
	if _, err := ParseSyncMode(string(o.Sync)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Header is a Kafka message header.
type Header struct {
	Key   string
	Value []byte
}

// Message is what an entry holds: a Kafka message to publish.
type Message struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers []Header
}

// Entry is one appended message.
type Entry struct {
	Message
	// Seq numbers entries in append order.
	Seq uint64
	// Time is when the entry was appended.
	Time time.Time
	end  position
}

// position is a place in the log: a segment (by its first seq) and a byte
// offset in it.
type position struct {
	seg uint64
	off int64
}

type segment struct {
	first uint64
	size  int64
}

const (
	frameHeader = 8 // u32 body length, u32 crc32c(body)
	bodyFixed   = 16
	segSuffix   = ".seg"
	cursorName  = "cursor"
	lockName    = "LOCK"
	cursorSize  = 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Log is the durable outbox. Append is safe for concurrent use; Pending and
// Ack are meant for one relay.
type Log struct {
	dir  string
	opts Options

	mu       sync.Mutex
	segs     []segment // ascending; the last one is active
	active   *os.File
	next     uint64 // seq of the next append
	total    int64  // bytes in all segments
	closed   bool
	broken   error
	dirty    bool       // appended since the last fsync
	toSync   []*os.File // rolled segments to fsync and close
	dirDirty bool
	synced   uint64 // entries with seq < synced are fsynced
	syncDone chan struct{}
	cursor   uint64   // first unacknowledged seq
	cpos     position // where that entry starts
	oldest   struct {
		seq uint64
		t   time.Time
	}

	rmu sync.Mutex // reader file handle
	rf  *os.File
	rfs uint64

	cursorFile *os.File
	lockFile   *os.File
	kick       chan struct{}
	ready      chan struct{}
	stop       chan struct{}
	done       chan struct{}

	appendDur metric.Float64Histogram
	rejected  metric.Int64Counter
	corrupt   metric.Int64Counter
	reg       metric.Registration
	attrs     metric.MeasurementOption
}

// Open opens (creating if needed) the log in dir and recovers it: it cuts a
// torn tail, loads the cursor and deletes acknowledged segments. It starts
// the background fsync goroutine; Close stops it. Only one process may open
// a directory at a time.
func Open(dir string, opts Options) (*Log, error) {
	opts.defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating outbox directory %s: %w", dir, err)
	}
	l := &Log{dir: dir, opts: opts, syncDone: make(chan struct{}),
		kick: make(chan struct{}, 1), ready: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening outbox lock in %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("outbox %s is in use by another process: %w", dir, err)
	}
	l.lockFile = lf
	if err := l.recover(); err != nil {
		l.closeFiles()
		return nil, err
	}
	if err := l.instrument(); err != nil {
		l.closeFiles()
		return nil, err
	}
	go l.syncLoop()
	return l, nil
}

func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segSuffix) }

func (l *Log) segPath(first uint64) string { return filepath.Join(l.dir, segName(first)) }

func (l *Log) recover() error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("listing outbox %s: %w", l.dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("outbox segment %s: %w", name, err)
		}
		l.segs = append(l.segs, segment{first: first, size: info.Size()})
	}
	sort.Slice(l.segs, func(i, j int) bool { return l.segs[i].first < l.segs[j].first })

	cf, err := os.OpenFile(filepath.Join(l.dir, cursorName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("opening outbox cursor in %s: %w", l.dir, err)
	}
	l.cursorFile = cf
	cur, cpos, cursorOK := l.readCursor()

	if len(l.segs) == 0 {
		first := uint64(1)
		if cursorOK && cur > 0 {
			first = cur
		}
		l.segs = []segment{{first: first}}
		l.next = first
	} else {
		// Scan the last segment: it may end in a torn frame.
		last := &l.segs[len(l.segs)-1]
		n, end, err := scanSegment(l.segPath(last.first), last.first)
		if err != nil {
			return err
		}
		if end < last.size {
			l.opts.Logger.Warn("outbox: cutting a torn tail", "outbox", l.opts.Name, "segment", segName(last.first), "at", end, "size", last.size)
			if err := os.Truncate(l.segPath(last.first), end); err != nil {
				return fmt.Errorf("truncating outbox segment %s: %w", segName(last.first), err)
			}
			last.size = end
		}
		l.next = last.first + n
	}
	f, err := os.OpenFile(l.segPath(l.segs[len(l.segs)-1].first), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("opening outbox segment: %w", err)
	}
	l.active = f
	for _, s := range l.segs {
		l.total += s.size
	}
	l.synced = l.next

	// Validate the cursor against the segments.
	valid := false
	if cursorOK {
		for _, s := range l.segs {
			if s.first == cpos.seg && cpos.off <= s.size && cur >= s.first && cur <= l.next {
				valid = true
			}
		}
	}
	switch {
	case valid:
		l.cursor, l.cpos = cur, cpos
	case cursorOK && cur >= l.next:
		// The log lost entries the cursor had passed (power loss in
		// interval mode after they were published): nothing to resend.
		l.cursor, l.cpos = l.next, position{seg: l.segs[len(l.segs)-1].first, off: l.segs[len(l.segs)-1].size}
	default:
		if cursorOK || l.total > 0 {
			l.opts.Logger.Warn("outbox: cursor missing or invalid; republishing from the oldest segment (consumers dedupe)", "outbox", l.opts.Name)
		}
		l.cursor, l.cpos = l.segs[0].first, position{seg: l.segs[0].first}
	}
	l.dropAcked()
	return l.writeCursor()
}

// scanSegment counts the valid frames of a segment and returns where they
// end.
func scanSegment(path string, first uint64) (n uint64, end int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("opening outbox segment %s: %w", path, err)
	}
	defer f.Close()
	r := newFrameReader(f, 0, 1<<62)
	for {
		body, next, err := r.next()
		if err != nil {
			return n, end, nil // torn or corrupt: the valid prefix ends here
		}
		if binary.BigEndian.Uint64(body[0:8]) != first+n {
			return n, end, nil
		}
		n++
		end = next
	}
}

func (l *Log) readCursor() (uint64, position, bool) {
	var b [cursorSize]byte
	if _, err := l.cursorFile.ReadAt(b[:], 0); err != nil {
		return 0, position{}, false
	}
	if string(b[0:4]) != "WOC1" || crc32.Checksum(b[:28], castagnoli) != binary.BigEndian.Uint32(b[28:]) {
		return 0, position{}, false
	}
	return binary.BigEndian.Uint64(b[4:12]), position{seg: binary.BigEndian.Uint64(b[12:20]), off: int64(binary.BigEndian.Uint64(b[20:28]))}, true
}

// writeCursor persists the cursor (not fsynced: a cursor lost in a power
// cut only republishes entries). Caller owns l (Open).
func (l *Log) writeCursor() error { return l.writeCursorAt(l.cursor, l.cpos) }

// writeCursorAt writes a cursor; callers serialise (rmu).
func (l *Log) writeCursorAt(cur uint64, pos position) error {
	var b [cursorSize]byte
	copy(b[0:4], "WOC1")
	binary.BigEndian.PutUint64(b[4:12], cur)
	binary.BigEndian.PutUint64(b[12:20], pos.seg)
	binary.BigEndian.PutUint64(b[20:28], uint64(pos.off))
	binary.BigEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	if _, err := l.cursorFile.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("writing outbox cursor in %s: %w", l.dir, err)
	}
	return nil
}

// dropAcked deletes the segments before the cursor's. Caller holds mu.
func (l *Log) dropAcked() {
	i := 0
	for i < len(l.segs)-1 && l.segs[i].first < l.cpos.seg {
		if err := os.Remove(l.segPath(l.segs[i].first)); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.opts.Logger.Warn("outbox: removing a published segment", "outbox", l.opts.Name, "segment", segName(l.segs[i].first), "err", err)
			break
		}
		l.total -= l.segs[i].size
		i++
	}
	if i > 0 {
		l.segs = slices.Delete(l.segs, 0, i)
		l.dirDirty = true
	}
}

func (l *Log) instrument() error {
	m := otel.Meter("github.com/wardenhq/warden/review/outbox")
	l.attrs = metric.WithAttributes(attribute.String("outbox", l.opts.Name))
	var err error
	l.appendDur, err = m.Float64Histogram("warden.outbox.append.duration", metric.WithUnit("s"),
		metric.WithDescription("Time to append one entry to the outbox (the part of a check that records an incident)."),
		metric.WithExplicitBucketBoundaries(10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3))
	if err != nil {
		return err
	}
	l.rejected, err = m.Int64Counter("warden.outbox.rejected", metric.WithDescription("Appends refused, by reason (full, too_large, io, closed); the check applies its fail mode."))
	if err != nil {
		return err
	}
	l.corrupt, err = m.Int64Counter("warden.outbox.corrupt", metric.WithDescription("Corrupt outbox frames skipped (only after a power loss or disk error)."))
	if err != nil {
		return err
	}
	depth, err := m.Int64ObservableGauge("warden.outbox.depth", metric.WithDescription("Entries in the outbox not yet acknowledged by Kafka."))
	if err != nil {
		return err
	}
	size, err := m.Int64ObservableGauge("warden.outbox.size", metric.WithUnit("By"), metric.WithDescription("Bytes of outbox segments on disk."))
	if err != nil {
		return err
	}
	age, err := m.Float64ObservableGauge("warden.outbox.oldest_age", metric.WithUnit("s"), metric.WithDescription("Age of the oldest entry not yet acknowledged by Kafka (0 when empty)."))
	if err != nil {
		return err
	}
	l.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := l.Stats()
		o.ObserveInt64(depth, int64(st.Depth), l.attrs)
		o.ObserveInt64(size, st.Bytes, l.attrs)
		o.ObserveFloat64(age, st.OldestAge.Seconds(), l.attrs)
		return nil
	}, depth, size, age)
	return err
}

// Stats is a snapshot of the log.
type Stats struct {
	// Depth counts entries not yet acknowledged.
	Depth uint64
	// Bytes is the size of all segments on disk.
	Bytes int64
	// OldestAge is the age of the oldest unacknowledged entry.
	OldestAge time.Duration
}

// Stats returns a snapshot of the log. Reading the oldest entry's time
// happens outside the append lock.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	st := Stats{Depth: l.next - l.cursor, Bytes: l.total}
	if st.Depth == 0 || l.closed {
		l.mu.Unlock()
		return st
	}
	cur, pos := l.cursor, l.cpos
	cached := l.oldest.seq == cur && !l.oldest.t.IsZero()
	t := l.oldest.t
	l.mu.Unlock()
	if !cached {
		var err error
		if t, err = l.entryTime(pos); err != nil {
			return st // the segment went away meanwhile: acked
		}
		l.mu.Lock()
		l.oldest.seq, l.oldest.t = cur, t
		l.mu.Unlock()
	}
	st.OldestAge = time.Since(t)
	return st
}

// entryTime reads the append time of the entry at p.
func (l *Log) entryTime(p position) (time.Time, error) {
	f, err := os.Open(l.segPath(p.seg))
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	var b [frameHeader + bodyFixed]byte
	if _, err := f.ReadAt(b[:], p.off); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[frameHeader+8:]))), nil
}

// encode builds a frame with a zero seq; Append fills seq and crc.
func encode(m Message, now time.Time) []byte {
	n := frameHeader + bodyFixed + 5*4 + len(m.Topic) + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	b := make([]byte, frameHeader+bodyFixed, n)
	binary.BigEndian.PutUint64(b[frameHeader+8:], uint64(now.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(m.Topic)))
	b = append(b, m.Topic...)
	b = binary.AppendUvarint(b, uint64(len(m.Key)))
	b = append(b, m.Key...)
	b = binary.AppendUvarint(b, uint64(len(m.Headers)))
	for _, h := range m.Headers {
		b = binary.AppendUvarint(b, uint64(len(h.Key)))
		b = append(b, h.Key...)
		b = binary.AppendUvarint(b, uint64(len(h.Value)))
		b = append(b, h.Value...)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Value)))
	b = append(b, m.Value...)
	return b
}

var errFrame = errors.New("corrupt outbox frame")

func decode(body []byte) (Entry, error) {
	if len(body) < bodyFixed {
		return Entry{}, errFrame
	}
	e := Entry{Seq: binary.BigEndian.Uint64(body[0:8]), Time: time.Unix(0, int64(binary.BigEndian.Uint64(body[8:16])))}
	rest := body[bodyFixed:]
	bytesField := func() ([]byte, error) {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errFrame
		}
		v := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		return v, nil
	}
	topic, err := bytesField()
	if err != nil {
		return Entry{}, err
	}
	e.Topic = string(topic)
	if e.Key, err = bytesField(); err != nil {
		return Entry{}, err
	}
	nh, k := binary.Uvarint(rest)
	if k <= 0 || nh > uint64(len(rest)) {
		return Entry{}, errFrame
	}
	rest = rest[k:]
	for range nh {
		hk, err := bytesField()
		if err != nil {
			return Entry{}, err
		}
		hv, err := bytesField()
		if err != nil {
			return Entry{}, err
		}
		e.Headers = append(e.Headers, Header{Key: string(hk), Value: hv})
	}
	if e.Value, err = bytesField(); err != nil {
		return Entry{}, err
	}
	if len(rest) != 0 {
		return Entry{}, errFrame
	}
	return e, nil
}

// Append writes m to the log. It returns ErrFull or ErrTooLarge at once
// when the entry does not fit, and in SyncAlways mode waits (bounded by
// ctx) for the fsync that covers the entry.
func (l *Log) Append(ctx context.Context, m Message) (uint64, error) {
	start := time.Now()
	frame := encode(m, start)
	if len(frame) > l.opts.MaxEntryBytes {
		l.rejected.Add(context.Background(), 1, l.attrs, metric.WithAttributes(attribute.String("reason", "too_large")))
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(frame), l.opts.MaxEntryBytes)
	}
	binary.BigEndian.PutUint32(frame[0:4], uint32(len(frame)-frameHeader))

	l.mu.Lock()
	seq, err := l.appendLocked(frame)
	l.mu.Unlock()
	if err != nil {
		reason := "io"
		switch {
		case errors.Is(err, ErrFull):
			reason = "full"
		case errors.Is(err, ErrClosed):
			reason = "closed"
		}
		l.rejected.Add(context.Background(), 1, l.attrs, metric.WithAttributes(attribute.String("reason", reason)))
		return 0, err
	}
	select {
	case l.ready <- struct{}{}:
	default:
	}
	if l.opts.Sync == SyncAlways {
		select {
		case l.kick <- struct{}{}:
		default:
		}
		if err := l.waitSynced(ctx, seq); err != nil {
			return 0, err
		}
	}
	l.appendDur.Record(context.Background(), time.Since(start).Seconds(), l.attrs)
	return seq, nil
}

func (l *Log) appendLocked(frame []byte) (uint64, error) {
	if l.closed {
		return 0, ErrClosed
	}
	if l.broken != nil {
		return 0, fmt.Errorf("outbox %s unusable after an I/O error: %w", l.dir, l.broken)
	}
	n := int64(len(frame))
	if l.total+n > l.opts.MaxBytes {
		return 0, fmt.Errorf("%w: %d bytes on disk, limit %d", ErrFull, l.total, l.opts.MaxBytes)
	}
	act := &l.segs[len(l.segs)-1]
	if act.size > 0 && act.size+n > l.opts.SegmentBytes {
		f, err := os.OpenFile(l.segPath(l.next), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
		if err != nil {
			return 0, fmt.Errorf("rolling outbox segment in %s: %w", l.dir, err)
		}
		l.toSync = append(l.toSync, l.active)
		l.active = f
		l.segs = append(l.segs, segment{first: l.next})
		l.dirDirty = true
		act = &l.segs[len(l.segs)-1]
	}
	seq := l.next
	binary.BigEndian.PutUint64(frame[frameHeader:], seq)
	binary.BigEndian.PutUint32(frame[4:8], crc32.Checksum(frame[frameHeader:], castagnoli))
	if _, err := l.active.WriteAt(frame, act.size); err != nil {
		if terr := l.active.Truncate(act.size); terr != nil {
			l.broken = errors.Join(err, terr)
		}
		return 0, fmt.Errorf("appending to outbox %s: %w", l.dir, err)
	}
	act.size += n
	l.total += n
	l.next++
	l.dirty = true
	return seq, nil
}

func (l *Log) waitSynced(ctx context.Context, seq uint64) error {
	for {
		l.mu.Lock()
		if l.synced > seq {
			l.mu.Unlock()
			return nil
		}
		if l.broken != nil {
			err := l.broken
			l.mu.Unlock()
			return fmt.Errorf("outbox %s fsync failed: %w", l.dir, err)
		}
		if l.closed {
			l.mu.Unlock()
			return ErrClosed
		}
		ch := l.syncDone
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for the outbox fsync: %w", ctx.Err())
		}
	}
}

func (l *Log) syncLoop() {
	defer close(l.done)
	var tick <-chan time.Time
	if l.opts.Sync == SyncInterval {
		t := time.NewTicker(l.opts.SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-l.stop:
			l.syncOnce()
			return
		case <-l.kick:
		case <-tick:
		}
		l.syncOnce()
	}
}

// syncOnce fsyncs everything appended so far (group commit) and wakes the
// appenders waiting for it.
func (l *Log) syncOnce() {
	l.mu.Lock()
	if !l.dirty && len(l.toSync) == 0 && !l.dirDirty {
		l.mu.Unlock()
		return
	}
	target, files, f, dir := l.next, l.toSync, l.active, l.dirDirty
	l.toSync, l.dirty, l.dirDirty = nil, false, false
	l.mu.Unlock()

	var errs []error
	for _, old := range files {
		errs = append(errs, old.Sync(), old.Close())
	}
	errs = append(errs, f.Sync())
	if dir {
		errs = append(errs, syncDir(l.dir))
	}
	err := errors.Join(errs...)

	l.mu.Lock()
	if err != nil && l.broken == nil {
		l.broken = err
		l.opts.Logger.Error("outbox fsync failed; appends now fail (fail mode applies)", "outbox", l.opts.Name, "err", err)
	}
	if err == nil && target > l.synced {
		l.synced = target
	}
	close(l.syncDone)
	l.syncDone = make(chan struct{})
	l.mu.Unlock()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Ready is signalled after appends; the relay waits on it when idle.
func (l *Log) Ready() <-chan struct{} { return l.ready }

// Pending returns up to max entries (and about maxBytes) from the cursor on,
// in order, without moving the cursor. It returns the same entries again
// until they are acknowledged.
func (l *Log) Pending(_ context.Context, max int, maxBytes int) ([]Entry, error) {
	l.rmu.Lock()
	defer l.rmu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	pos, seq, next := l.cpos, l.cursor, l.next
	segs := slices.Clone(l.segs)
	l.mu.Unlock()

	var out []Entry
	size := 0
	for i := 0; i < len(segs) && seq < next && len(out) < max && size < maxBytes; i++ {
		s := segs[i]
		if s.first < pos.seg {
			continue
		}
		off := int64(0)
		if s.first == pos.seg {
			off = pos.off
		}
		if off >= s.size {
			continue
		}
		if seq < s.first {
			seq = s.first // entries lost to corruption in the previous segment
		}
		f, err := l.reader(s.first)
		if err != nil {
			return out, err
		}
		r := newFrameReader(f, off, s.size)
		for seq < next && len(out) < max && size < maxBytes {
			body, end, err := r.next()
			if errors.Is(err, io.EOF) {
				break
			}
			var e Entry
			if err == nil {
				e, err = decode(bytes.Clone(body))
			}
			if err == nil && e.Seq != seq {
				err = errFrame
			}
			if err != nil {
				if i == len(segs)-1 {
					return out, fmt.Errorf("outbox %s segment %s at %d: %w", l.dir, segName(s.first), r.off, err)
				}
				l.corrupt.Add(context.Background(), 1, l.attrs)
				l.opts.Logger.Error("outbox: corrupt frame; skipping the rest of the segment", "outbox", l.opts.Name, "segment", segName(s.first), "offset", r.off)
				break
			}
			e.end = position{seg: s.first, off: end}
			out = append(out, e)
			size += len(e.Value) + len(e.Key)
			seq++
		}
	}
	return out, nil
}

func (l *Log) reader(first uint64) (*os.File, error) {
	if l.rf != nil && l.rfs == first {
		return l.rf, nil
	}
	if l.rf != nil {
		l.rf.Close()
		l.rf = nil
	}
	f, err := os.Open(l.segPath(first))
	if err != nil {
		return nil, fmt.Errorf("opening outbox segment %s: %w", segName(first), err)
	}
	l.rf, l.rfs = f, first
	return f, nil
}

// Ack moves the cursor past the last of entries (and everything before
// it) and deletes the segments that are then fully acknowledged. The file
// work happens outside the append lock, so Ack never delays Append.
func (l *Log) Ack(_ context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	e := entries[len(entries)-1]
	l.rmu.Lock()
	defer l.rmu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if e.Seq < l.cursor {
		l.mu.Unlock()
		return nil
	}
	if e.Seq >= l.next {
		l.mu.Unlock()
		return fmt.Errorf("outbox ack of entry %d beyond the end %d", e.Seq, l.next)
	}
	l.cursor, l.cpos = e.Seq+1, e.end
	// At the end of a rolled segment, the cursor moves to the next one.
	for i := 0; i < len(l.segs)-1; i++ {
		if l.segs[i].first == l.cpos.seg && l.cpos.off >= l.segs[i].size {
			l.cpos = position{seg: l.segs[i+1].first}
		}
	}
	cur, pos := l.cursor, l.cpos
	// Segments before the cursor's are done: forget them now, delete
	// their files below.
	var done []segment
	for len(l.segs) > 1 && l.segs[0].first < pos.seg {
		done = append(done, l.segs[0])
		l.total -= l.segs[0].size
		l.segs = l.segs[1:]
	}
	if len(done) > 0 {
		l.dirDirty = true
	}
	l.mu.Unlock()

	// Cursor first, then the files: a crash in between leaves a cursor
	// pointing at a live segment, or files the next Open deletes.
	if err := l.writeCursorAt(cur, pos); err != nil {
		return err
	}
	if l.rf != nil && l.rfs < pos.seg {
		l.rf.Close()
		l.rf = nil
	}
	for _, sg := range done {
		if err := os.Remove(l.segPath(sg.first)); err != nil && !errors.Is(err, os.ErrNotExist) {
			l.opts.Logger.Warn("outbox: removing a published segment", "outbox", l.opts.Name, "segment", segName(sg.first), "err", err)
		}
	}
	return nil
}

// Close stops the background fsync (after a last one) and releases the
// files. Appends after Close fail with ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	close(l.syncDone)
	l.syncDone = make(chan struct{})
	err := l.broken
	l.mu.Unlock()
	if l.reg != nil {
		_ = l.reg.Unregister()
	}
	l.rmu.Lock()
	defer l.rmu.Unlock()
	return errors.Join(err, l.closeFiles())
}

func (l *Log) closeFiles() error {
	var errs []error
	for _, f := range l.toSync {
		errs = append(errs, f.Close())
	}
	l.toSync = nil
	for _, f := range []*os.File{l.active, l.rf, l.cursorFile, l.lockFile} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	l.active, l.rf, l.cursorFile, l.lockFile = nil, nil, nil, nil
	return errors.Join(errs...)
}

// frameReader reads frames from a file section.
type frameReader struct {
	f        *os.File
	off, end int64
	buf      []byte
	bufOff   int64 // file offset of buf[0]
}

func newFrameReader(f *os.File, off, end int64) *frameReader {
	return &frameReader{f: f, off: off, end: end, bufOff: off}
}

// fill makes buf cover [off, off+n).
func (r *frameReader) fill(n int64) error {
	if r.off+n > r.end {
		return io.ErrUnexpectedEOF
	}
	if r.off >= r.bufOff && r.off+n <= r.bufOff+int64(len(r.buf)) {
		return nil
	}
	want := max(n, 256<<10)
	if r.off+want > r.end {
		want = r.end - r.off
	}
	if int64(cap(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	r.buf = r.buf[:want]
	got, err := r.f.ReadAt(r.buf, r.off)
	r.buf = r.buf[:got]
	r.bufOff = r.off
	if int64(got) < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// next returns the next frame's body (valid until the next call) and the
// offset after it; io.EOF at the end, another error on a torn or corrupt
// frame.
func (r *frameReader) next() ([]byte, int64, error) {
	if r.off >= r.end {
		return nil, r.off, io.EOF
	}
	if err := r.fill(frameHeader); err != nil {
		return nil, r.off, err
	}
	h := r.buf[r.off-r.bufOff:]
	n := int64(binary.BigEndian.Uint32(h[0:4]))
	sum := binary.BigEndian.Uint32(h[4:8])
	if n < bodyFixed || n > 1<<30 {
		return nil, r.off, errFrame
	}
	if err := r.fill(frameHeader + n); err != nil {
		return nil, r.off, err
	}
	body := r.buf[r.off-r.bufOff+frameHeader : r.off-r.bufOff+frameHeader+n]
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, r.off, errFrame
	}
	r.off += frameHeader + n
	return body, r.off, nil
}
