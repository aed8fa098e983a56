package eval

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress reports rows done: a redrawn bar on a terminal, or a plain line
// at every tenth of the rows (and at most every few seconds otherwise) when
// the output is a file or a pipe. Safe for concurrent use.
type Progress struct {
	w     io.Writer
	total int
	tty   bool
	now   func() time.Time

	mu       sync.Mutex
	start    time.Time
	lastDraw time.Time
	lastStep int
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewProgress reports progress over total rows to w; tty selects the bar.
func NewProgress(w io.Writer, total int, tty bool) *Progress {
	p := &Progress{w: w, total: total, tty: tty, now: time.Now}
	p.start = p.now()
	p.lastDraw = p.start
	return p
}

// Update records that done rows are finished.
func (p *Progress) Update(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	if p.tty {
		if done < p.total && now.Sub(p.lastDraw) < 100*time.Millisecond {
			return
		}
		p.lastDraw = now
		const width = 30
		fill := width * done / max(p.total, 1)
		eta := "-"
		if rate > 0 {
			eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
		}
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d rows  %.0f rows/s  ETA %s ", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
			100*done/max(p.total, 1), done, p.total, rate, eta)
		if done >= p.total {
			fmt.Fprintln(p.w)
		}
		return
	}
	step := 10 * done / max(p.total, 1)
	if step > p.lastStep || done == p.total || now.Sub(p.lastDraw) >= 10*time.Second {
		p.lastStep, p.lastDraw = step, now
		fmt.Fprintf(p.w, "eval: %d/%d rows (%d%%), %.0f rows/s\n", done, p.total, 100*done/max(p.total, 1), rate)
	}
}
