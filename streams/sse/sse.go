// Package sse reads and writes server-sent events as the WHATWG HTML
// standard defines them (the format OpenAI and Anthropic stream in): lines
// end with CRLF, LF or CR; "data" lines of one event are joined with "\n";
// a blank line dispatches the event; lines starting with ':' are comments
// (keep-alives); a leading byte order mark is skipped.
//
// The Reader bounds the size of one event, never blocks on a line that is
// already complete (a lone CR ends a line at once), and reports a stream
// cut inside an event as io.ErrUnexpectedEOF rather than a clean end.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrEventTooLarge is returned when one event (or comment) exceeds the
// reader's limit. The stream cannot be resynchronised after it.
var ErrEventTooLarge = errors.New("sse: event exceeds size limit")

// Event is one dispatched event, or a comment.
type Event struct {
	// Name is the event type ("" when the stream gave none: "message").
	Name string
	// Data is the event's data lines joined with "\n".
	Data []byte
	// ID is the last event id seen (carried over, as the standard says).
	ID string
	// Retry is a reconnection time in milliseconds (0: none given).
	Retry int
	// Comment is set for a comment line; Data then holds its text (after
	// the colon and one optional space).
	Comment bool
}

// Reader parses events from an io.Reader.
type Reader struct {
	rd  io.Reader
	buf []byte
	r   int // read position in buf
	w   int // write position in buf
	max int
	err error

	started bool // BOM checked
	skipLF  bool // previous line ended with CR

	// Event being built.
	name    []byte
	data    []byte
	hasData bool
	id      string
	retry   int
	size    int // bytes of the event so far
}

// NewReader returns a Reader that refuses events larger than maxEvent bytes
// (counting every line of the event).
func NewReader(r io.Reader, maxEvent int) *Reader {
	if maxEvent <= 0 {
		maxEvent = 1 << 20
	}
	return &Reader{rd: r, buf: make([]byte, 4096), max: maxEvent}
}

// Next returns the next event or comment. At the end of the stream it
// returns io.EOF, or io.ErrUnexpectedEOF if the stream stopped inside an
// event; read errors are returned as they come.
func (r *Reader) Next() (Event, error) {
	if r.err == ErrEventTooLarge {
		return Event{}, r.err
	}
	for {
		line, err := r.line()
		if err != nil {
			if err == io.EOF && (r.size > 0 || r.hasData) {
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			ev, ok := r.dispatch()
			if ok {
				return ev, nil
			}
			continue
		}
		if line[0] == ':' {
			// A comment is a unit of its own: the same limit applies.
			if len(line)+1 > r.max {
				r.err = ErrEventTooLarge
				return Event{}, r.err
			}
			c := line[1:]
			if len(c) > 0 && c[0] == ' ' {
				c = c[1:]
			}
			return Event{Comment: true, Data: bytes.Clone(c)}, nil
		}
		r.size += len(line) + 1
		if r.size > r.max {
			r.err = ErrEventTooLarge
			return Event{}, r.err
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			r.name = append(r.name[:0], value...)
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			r.hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.id = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 && isDigits(value) {
				r.retry = n
			}
		}
	}
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// dispatch ends the event being built. Events without data are dropped, as
// the standard says.
func (r *Reader) dispatch() (Event, bool) {
	defer func() {
		r.name = r.name[:0]
		r.data = r.data[:0]
		r.hasData = false
		r.size = 0
	}()
	if !r.hasData {
		return Event{}, false
	}
	return Event{Name: string(r.name), Data: bytes.Clone(r.data), ID: r.id, Retry: r.retry}, true
}

var bom = []byte("\xEF\xBB\xBF")

// line returns the next line without its terminator. The slice is valid
// until the next call.
func (r *Reader) line() ([]byte, error) {
	scanned := 0
	for {
		if !r.started {
			avail := r.buf[r.r:r.w]
			switch {
			case len(avail) >= len(bom) || r.err != nil:
				r.started = true
				if bytes.HasPrefix(avail, bom) {
					r.r += len(bom)
				}
			case !bytes.HasPrefix(bom, avail):
				r.started = true
			}
		}
		if r.started {
			if r.skipLF && r.r < r.w {
				r.skipLF = false
				if r.buf[r.r] == '\n' {
					r.r++
				}
			}
			if !r.skipLF {
				if i := bytes.IndexAny(r.buf[r.r+scanned:r.w], "\r\n"); i >= 0 {
					end := r.r + scanned + i
					line := r.buf[r.r:end]
					r.skipLF = r.buf[end] == '\r'
					r.r = end + 1
					return line, nil
				}
				scanned = r.w - r.r
			}
		}
		if r.err != nil {
			if r.w > r.r {
				// A last line without terminator is not a complete line:
				// the event it belongs to was cut.
				r.r = r.w
				if r.err == io.EOF {
					return nil, io.ErrUnexpectedEOF
				}
			}
			return nil, r.err
		}
		if r.w-r.r > r.max {
			r.err = ErrEventTooLarge
			return nil, r.err
		}
		r.fill()
	}
}

// fill reads more bytes, compacting or growing the buffer (up to the
// event limit plus one read).
func (r *Reader) fill() {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.w, r.r = n, 0
	}
	if r.w == len(r.buf) {
		nb := make([]byte, max(min(2*len(r.buf), r.max+4096), len(r.buf)+4096))
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	for range 100 {
		n, err := r.rd.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = io.ErrNoProgress
}

// AppendEvent appends the wire form of an event: an optional "event:" line,
// one "data:" line per line of data, and the blank line that dispatches it.
func AppendEvent(dst []byte, name string, data []byte) []byte {
	if name != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, name...)
		dst = append(dst, '\n')
	}
	for {
		i := bytes.IndexAny(data, "\r\n")
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			dst = append(dst, '\n')
			break
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
	return append(dst, '\n')
}

// AppendComment appends a comment line (a keep-alive) and a blank line.
func AppendComment(dst []byte, text []byte) []byte {
	dst = append(dst, ':')
	if len(text) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, text)...)
	}
	return append(dst, '\n', '\n')
}

// Writer writes events to an HTTP response and flushes each one at once.
type Writer struct {
	w     io.Writer
	flush func() error
	buf   []byte
	err   error
}

// NewWriter writes to w; flush (may be nil) is called after every event.
func NewWriter(w io.Writer, flush func() error) *Writer {
	return &Writer{w: w, flush: flush, buf: make([]byte, 0, 1024)}
}

// Event writes one event and flushes.
func (w *Writer) Event(name string, data []byte) error {
	w.buf = AppendEvent(w.buf[:0], name, data)
	return w.send()
}

// Comment writes a comment and flushes.
func (w *Writer) Comment(text []byte) error {
	w.buf = AppendComment(w.buf[:0], text)
	return w.send()
}

// Err is the first write error (a client that went away).
func (w *Writer) Err() error { return w.err }

func (w *Writer) send() error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("sse: writing event: %w", err)
		return w.err
	}
	if w.flush != nil {
		if err := w.flush(); err != nil {
			w.err = fmt.Errorf("sse: flushing event: %w", err)
			return w.err
		}
	}
	return nil
}
