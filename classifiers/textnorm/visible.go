package textnorm

import "unicode/utf8"

// HiddenReach is how many times its visible size a context window may
// reach back in plain bytes (VisibleStart's limit for the streaming
// filters): 16 keeps a keyword in reach across thousands of hidden
// characters and bounds a step's scan to 16 windows.
const HiddenReach = 16

// VisibleStart returns where a context window that ends at end must start
// to hold want bytes of text as a reader sees it: Ignorable characters
// count nothing, a fullwidth ASCII form ("＠") counts one byte, anything
// else its length. A streaming filter keeps such a window of released text
// in front of what it has not released yet; counted in plain bytes, a run
// of zero-width characters between "api_key = " and its value would push
// the keyword out of the window while a reader (and a scan of the whole
// text) still sees the two side by side. The window never reaches further
// back than limit bytes before end (and the start of the rune there), so a
// flood of hidden characters costs at most limit bytes of scanning; the
// result is at a rune start (or 0).
func VisibleStart[T string | []byte](text T, end, want, limit int) int {
	floor := max(0, end-limit)
	i, seen := end, 0
	for i > floor && seen < want {
		c := text[i-1]
		if c < utf8.RuneSelf {
			i--
			if !asciiControl(c) {
				seen++
			}
			continue
		}
		j := i - 1
		for j > floor && i-j < utf8.UTFMax && !utf8.RuneStart(text[j]) {
			j--
		}
		r, n := utf8.DecodeRuneInString(string(text[j:i]))
		if n != i-j { // an invalid or cut sequence: read byte by byte
			i--
			seen++
			continue
		}
		i = j
		switch {
		case Ignorable(r):
		case r >= 0xFF01 && r <= 0xFF5E:
			seen++
		default:
			seen += n
		}
	}
	for i > 0 && i < len(text) && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}
