package web

import (
	"fmt"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// run is a piece of an incident's text as the page shows it. The text is
// only ever rendered as text (html/template escapes it); runs only say
// which pieces to mark.
type run struct {
	Text string
	// Finding is the index of the finding covering the run (-1: none).
	Finding int
	// Type is that finding's type.
	Type string
	// Delivered marks text a stream released before the block.
	Delivered bool
	// Ctrl marks an invisible or direction-changing character, shown as
	// its code point (Text holds "U+202E").
	Ctrl bool
}

// badFinding is a finding whose offsets do not fit the stored text.
type badFinding struct {
	Index int
	Why   string
}

// textRuns cuts text at the findings' offsets (byte offsets into the
// stored, redacted text, pointing at its placeholders) and at the
// delivered mark. Findings out of range, inside a rune or overlapping an
// earlier one are reported, not marked.
func textRuns(text string, findings []types.Finding, delivered *int) ([]run, []badFinding) {
	type span struct{ start, end, idx int }
	var spans []span
	var bad []badFinding
	order := make([]int, len(findings))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return findings[order[a]].Start < findings[order[b]].Start })
	last := 0
	for _, i := range order {
		f := findings[i]
		switch {
		case f.Start < 0 || f.End > len(text) || f.Start >= f.End:
			bad = append(bad, badFinding{i, fmt.Sprintf("offsets %d-%d outside the text (%d bytes)", f.Start, f.End, len(text))})
		case !boundary(text, f.Start) || !boundary(text, f.End):
			bad = append(bad, badFinding{i, fmt.Sprintf("offsets %d-%d split a character", f.Start, f.End)})
		case f.Start < last:
			bad = append(bad, badFinding{i, fmt.Sprintf("offsets %d-%d overlap another finding", f.Start, f.End)})
		default:
			spans = append(spans, span{f.Start, f.End, i})
			last = f.End
		}
	}
	sort.Slice(bad, func(a, b int) bool { return bad[a].Index < bad[b].Index })
	cut := -1
	if delivered != nil && *delivered > 0 {
		cut = min(*delivered, len(text))
		for cut > 0 && !boundary(text, cut) {
			cut--
		}
	}
	var out []run
	emit := func(s string, finding int, typ string, deliv bool) {
		for len(s) > 0 {
			// Split off invisible and bidi characters as visible marks.
			i := 0
			for i < len(s) {
				r, n := utf8.DecodeRuneInString(s[i:])
				if hidden(r) {
					break
				}
				i += n
			}
			if i > 0 {
				out = append(out, run{Text: s[:i], Finding: finding, Type: typ, Delivered: deliv})
				s = s[i:]
				continue
			}
			r, n := utf8.DecodeRuneInString(s)
			out = append(out, run{Text: fmt.Sprintf("U+%04X", r), Finding: finding, Type: typ, Delivered: deliv, Ctrl: true})
			s = s[n:]
		}
	}
	piece := func(from, to, finding int, typ string) {
		if cut > from && cut < to {
			emit(text[from:cut], finding, typ, true)
			emit(text[cut:to], finding, typ, false)
			return
		}
		emit(text[from:to], finding, typ, to <= cut)
	}
	pos := 0
	for _, s := range spans {
		if s.start > pos {
			piece(pos, s.start, -1, "")
		}
		piece(s.start, s.end, s.idx, findings[s.idx].Type)
		pos = s.end
	}
	if pos < len(text) {
		piece(pos, len(text), -1, "")
	}
	return out, bad
}

func boundary(s string, i int) bool {
	return i == 0 || i == len(s) || (i > 0 && i < len(s) && utf8.RuneStart(s[i]))
}

// hidden reports characters a reviewer could not see or that reorder the
// text around them: controls other than newline and tab, format
// characters (bidi overrides, zero-width), invalid bytes.
func hidden(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}
