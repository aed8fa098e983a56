package detect

import (
	"unicode/utf8"

	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

// A view is the caller's text as a reader sees it: without the characters
// that textnorm.Normalize drops (zero-width and other format characters,
// controls other than white space, noncharacters, private-use characters)
// and with fullwidth ASCII ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ") read as ASCII.
// One such character inside an address, a card number or a key hides it
// from every pattern while the text still displays the value, so the
// detectors scan the view as well and its findings are mapped back onto
// the original text, covering the characters in between: redacting them
// masks the hidden characters too.
type view struct {
	text string
	// from[i] and to[i] are the start and end in the original text of the
	// rune that byte i of text came from.
	from, to []int32
}

// seeThrough returns the view of text, or false when it would be text
// itself. Text that needs no view costs one scan of its bytes (and a rune
// decode per non-ASCII rune).
func seeThrough(text string) (view, bool) {
	if !needsView(text) {
		return view{}, false
	}
	v := view{from: make([]int32, 0, len(text)), to: make([]int32, 0, len(text))}
	b := make([]byte, 0, len(text))
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			// An invalid or cut byte stays as it is (a stream's last rune
			// may still be arriving).
			b = append(b, text[i])
			n = 1
		case textnorm.Ignorable(r):
			i += n
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			b = append(b, byte(r-0xFF01+'!'))
		default:
			b = append(b, text[i:i+n]...)
		}
		for len(v.from) < len(b) {
			v.from = append(v.from, int32(i))
			v.to = append(v.to, int32(i+n))
		}
		i += n
	}
	v.text = string(b)
	return v, true
}

// needsView reports whether text has a character that seeThrough drops or
// folds. Every such character triggers the view, fullwidth punctuation
// too: how a character reads must not depend on the rest of the text, or a
// stream (which sees part of it) and the whole text would read
// "jane．doe＠x.io" differently. Chinese and Japanese prose, which uses
// fullwidth commas, is therefore scanned twice.
func needsView(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < 0x80 {
			if (c < 0x20 && (c < '\t' || c > '\r')) || c == 0x7F {
				return true
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if (r >= 0xFF01 && r <= 0xFF5E) || (r != utf8.RuneError && textnorm.Ignorable(r)) {
			return true
		}
		i += n - 1
	}
	return false
}

// finding maps a finding in the view onto the original text.
func (v view) finding(f types.Finding) types.Finding {
	f.Start, f.End = int(v.from[f.Start]), int(v.to[f.End-1])
	return f
}

// offset maps a boundary of the view onto the original text: the start
// of the rune that view byte p came from, or the original's end.
func (v view) offset(p, end int) int {
	if p >= len(v.from) {
		return end
	}
	return int(v.from[p])
}
