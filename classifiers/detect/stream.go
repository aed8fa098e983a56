package detect

import (
	"context"
	"fmt"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

// Stream runs a Detector over text that arrives in chunks, and says which
// text is final: Push returns the next segment that may be released and
// the findings inside it (offsets relative to the segment). A finding is
// never split across segments, and a segment never ends inside a rune, an
// unfinished token or a finding that could still grow; the concatenated
// segments are the pushed text, byte for byte.
//
// Stream keeps LookBehind bytes of released text as context (as a reader
// counts them: zero-width and other hidden characters are free, up to
// textnorm.HiddenReach times LookBehind in all), so its memory is bounded
// by that plus the unreleased text (which the caller bounds: a
// token, an address or a key block still arriving is held until it ends).
// A Stream is not safe for concurrent use.
type Stream struct {
	d        *Detector
	buf      string // context + unreleased text
	released int    // bytes of buf already released
	total    int    // bytes pushed so far
	// Straddled counts findings that started in released text; it stays
	// 0 unless the hold-back was too small (a bug; tests assert it).
	Straddled int
}

// NewStream starts a stream.
func (d *Detector) NewStream() *Stream { return &Stream{d: d} }

// Pending is the number of bytes pushed but not yet released.
func (s *Stream) Pending() int { return len(s.buf) - s.released }

// Push adds a chunk (it may split a rune) and returns the text that can now
// be released with its findings. With final set, everything left is
// released.
func (s *Stream) Push(ctx context.Context, chunk string, final bool) (string, []types.Finding, error) {
	s.buf += chunk
	s.total += len(chunk)
	fs, r, err := s.d.DetectReleasable(ctx, s.buf, s.released, final)
	if err != nil {
		return "", nil, fmt.Errorf("detect stream at byte %d: %w", s.total, err)
	}
	if r <= s.released {
		return "", nil, nil
	}
	seg := s.buf[s.released:r]
	var out []types.Finding
	for _, f := range fs {
		if f.End <= s.released || f.Start >= r {
			continue
		}
		if f.Start < s.released {
			// Part of it is already out; redact what is left.
			s.Straddled++
			f.Start = s.released
		}
		f.Start -= s.released
		f.End = min(f.End, r) - s.released
		out = append(out, f)
	}
	// Keep LookBehind bytes before r as context, counted as a reader sees
	// them: hidden characters do not push a keyword out of it.
	lb := s.d.LookBehind()
	keep := textnorm.VisibleStart(s.buf, r, lb, textnorm.HiddenReach*lb)
	s.buf = s.buf[keep:]
	s.released = r - keep
	return seg, out, nil
}
