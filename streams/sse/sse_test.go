package sse

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll parses every event from r.
func readAll(r io.Reader, max int) ([]Event, error) {
	sr := NewReader(r, max)
	var out []Event
	for {
		ev, err := sr.Next()
		if err != nil {
			if err == io.EOF {
				return out, nil
			}
			return out, err
		}
		out = append(out, ev)
	}
}

// chunkReader returns the input in the given piece sizes.
type chunkReader struct {
	b     []byte
	sizes []int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := len(c.b)
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[0])
		c.sizes = c.sizes[1:]
	}
	n = min(n, len(p))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

func TestReader(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []Event
		err  error
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []Event{{Data: []byte(`{"a":1}`)}, {Data: []byte("[DONE]")}}, nil},
		{"anthropic", "event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: ping\ndata: {\"type\": \"ping\"}\n\n",
			[]Event{{Name: "message_start", Data: []byte(`{"type":"message_start"}`)}, {Name: "ping", Data: []byte(`{"type": "ping"}`)}}, nil},
		{"crlf", "data: a\r\ndata: b\r\n\r\n", []Event{{Data: []byte("a\nb")}}, nil},
		{"cr", "data: a\rdata: b\r\r", []Event{{Data: []byte("a\nb")}}, nil},
		{"bom", "\xEF\xBB\xBFdata: x\n\n", []Event{{Data: []byte("x")}}, nil},
		{"comment", ": keep-alive\n\ndata:x\n\n", []Event{{Comment: true, Data: []byte("keep-alive")}, {Data: []byte("x")}}, nil},
		{"no space", "data:x\n\n", []Event{{Data: []byte("x")}}, nil},
		{"two spaces", "data:  x\n\n", []Event{{Data: []byte(" x")}}, nil},
		{"field only", "data\n\n", []Event{{Data: []byte("")}}, nil},
		{"no data dropped", "event: x\n\ndata: y\n\n", []Event{{Data: []byte("y")}}, nil},
		{"id and retry", "id: 7\nretry: 100\ndata: y\n\ndata: z\n\n", []Event{{Data: []byte("y"), ID: "7", Retry: 100}, {Data: []byte("z"), ID: "7", Retry: 100}}, nil},
		{"bad retry", "retry: 1x\ndata: y\n\n", []Event{{Data: []byte("y")}}, nil},
		{"unknown field", "foo: bar\ndata: y\n\n", []Event{{Data: []byte("y")}}, nil},
		{"cut event", "data: y\n\ndata: z\n", []Event{{Data: []byte("y")}}, io.ErrUnexpectedEOF},
		{"cut line", "data: y\n\ndata: z", []Event{{Data: []byte("y")}}, io.ErrUnexpectedEOF},
		{"empty", "", nil, nil},
		{"blank lines", "\n\n\n", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, mk := range []func() io.Reader{
				func() io.Reader { return strings.NewReader(tc.in) },
				func() io.Reader { return iotest.OneByteReader(strings.NewReader(tc.in)) },
				func() io.Reader { return iotest.DataErrReader(strings.NewReader(tc.in)) },
			} {
				got, err := readAll(mk(), 1<<10)
				if !errors.Is(err, tc.err) && err != tc.err {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if !eventsEqual(got, tc.want) {
					t.Fatalf("events = %+v, want %+v", got, tc.want)
				}
			}
		})
	}
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || !bytes.Equal(x.Data, y.Data) || x.ID != y.ID || x.Retry != y.Retry || x.Comment != y.Comment {
			return false
		}
	}
	return true
}

func TestReaderLimit(t *testing.T) {
	big := "data: " + strings.Repeat("x", 10<<20) + "\n\n"
	_, err := readAll(strings.NewReader("data: ok\n\n"+big+"data: after\n\n"), 1<<20)
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("10 MB event: err = %v, want ErrEventTooLarge", err)
	}
	// Many data lines that add up beyond the limit.
	many := strings.Repeat("data: "+strings.Repeat("y", 1000)+"\n", 2000) + "\n"
	if _, err := readAll(strings.NewReader(many), 1<<20); !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("many lines: err = %v, want ErrEventTooLarge", err)
	}
	// A comment is held to the limit too, also one that fits in the
	// reader's first read (the line reader checks only lines it must
	// wait for).
	for _, n := range []int{300, 4000, 5000} {
		comment := ":" + strings.Repeat("0", n) + "\n"
		if _, err := readAll(strings.NewReader(comment), 256); !errors.Is(err, ErrEventTooLarge) {
			t.Fatalf("comment of %d bytes: err = %v, want ErrEventTooLarge", n, err)
		}
	}
	// Just under the limit passes.
	ok := "data: " + strings.Repeat("z", 1000) + "\n\n"
	evs, err := readAll(strings.NewReader(ok), 1007)
	if err != nil || len(evs) != 1 {
		t.Fatalf("at limit: %v %d", err, len(evs))
	}
}

// A complete line ending in CR must be returned without waiting for the
// next byte (it might be an LF, or the upstream might pause).
func TestReaderDoesNotWaitAfterCR(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr, 1<<10)
	go func() { _, _ = pw.Write([]byte("data: a\r\r")) }()
	ev, err := r.Next()
	if err != nil || string(ev.Data) != "a" {
		t.Fatalf("got %+v %v", ev, err)
	}
	go func() { _, _ = pw.Write([]byte("\ndata: b\n\n")); pw.Close() }()
	ev, err = r.Next()
	if err != nil || string(ev.Data) != "b" {
		t.Fatalf("got %+v %v", ev, err)
	}
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab:\r\n é{}\"")
	for range 2000 {
		var want []Event
		var wire []byte
		for range rng.IntN(5) {
			d := make([]byte, rng.IntN(20))
			for i := range d {
				d[i] = alphabet[rng.IntN(len(alphabet))]
			}
			name := []string{"", "message_start", "ping"}[rng.IntN(3)]
			wire = AppendEvent(wire, name, d)
			norm := bytes.ReplaceAll(d, []byte("\r\n"), []byte("\n"))
			norm = bytes.ReplaceAll(norm, []byte("\r"), []byte("\n"))
			want = append(want, Event{Name: name, Data: norm})
		}
		sizes := make([]int, 64)
		for i := range sizes {
			sizes[i] = 1 + rng.IntN(7)
		}
		got, err := readAll(&chunkReader{b: wire, sizes: sizes}, 1<<10)
		if err != nil || !eventsEqual(got, want) {
			t.Fatalf("wire %q: got %+v (%v), want %+v", wire, got, err, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	flushes := 0
	w := NewWriter(&b, func() error { flushes++; return nil })
	_ = w.Event("content_block_delta", []byte(`{"x":1}`))
	_ = w.Event("", []byte("[DONE]"))
	_ = w.Comment([]byte("keep\nalive"))
	want := "event: content_block_delta\ndata: {\"x\":1}\n\ndata: [DONE]\n\n: keep alive\n\n"
	if b.String() != want || flushes != 3 {
		t.Fatalf("got %q (%d flushes)", b.String(), flushes)
	}
	w = NewWriter(errWriter{}, nil)
	if err := w.Event("", []byte("x")); err == nil || w.Err() == nil {
		t.Fatal("write error not reported")
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// FuzzReader: no panic, bounded events, and the same events whatever the
// read sizes.
func FuzzReader(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"), uint8(3))
	f.Add([]byte("event: ping\r\ndata: x\r\n\r\n: c\r\r"), uint8(1))
	f.Add([]byte("\xEF\xBB\xBFdata\nid: \x00\nretry: 12\n\n"), uint8(2))
	f.Add([]byte("data: a\rdata: b\r\n\r\n"), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		const max = 256
		whole, errW := readAll(bytes.NewReader(in), max)
		sizes := make([]int, len(in)+1)
		for i := range sizes {
			sizes[i] = 1 + int(step)%7 + i%3
		}
		pieces, errP := readAll(&chunkReader{b: in, sizes: sizes}, max)
		if !eventsEqual(whole, pieces) || (errW == nil) != (errP == nil) {
			t.Fatalf("chunking changed the result: %+v (%v) vs %+v (%v)", whole, errW, pieces, errP)
		}
		for _, ev := range whole {
			if len(ev.Data) > max {
				t.Fatalf("event of %d bytes passed a %d limit", len(ev.Data), max)
			}
		}
		// What we write, we read back.
		var wire []byte
		for _, ev := range whole {
			if !ev.Comment {
				wire = AppendEvent(wire, ev.Name, ev.Data)
			}
		}
		back, err := readAll(bytes.NewReader(wire), 1<<20)
		if err != nil {
			t.Fatalf("rereading: %v", err)
		}
		var noComments []Event
		for _, ev := range whole {
			if !ev.Comment {
				ev.ID, ev.Retry = "", 0
				noComments = append(noComments, ev)
			}
		}
		if !eventsEqual(back, noComments) {
			t.Fatalf("round trip: %+v vs %+v", back, noComments)
		}
	})
}
