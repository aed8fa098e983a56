package textnorm

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Words run together: joined by a separator instead of a space
// ("ignore.all.previous.instructions", "ignore_all_previous"), separated
// by emoji ("ignore 🔥 all 🔥 previous"), or written without any space
// ("ignoreallpreviousinstructions", "IgnoreAllPrevious").
const (
	minJoinedParts  = 5  // words joined by one separator in one field
	minHyphenParts  = 7  // the same for hyphens ("state-of-the-art" is prose)
	minSymbolTokens = 3  // emoji tokens between words before looking
	minRunLetters   = 14 // a run of letters this long is segmented into words
	joinSeparators  = "._-/|+~*:"
)

// Escapes ("&#105;&#103;", "\u0069\u0067") and diacritics piled on letters.
const (
	minEscapes  = 4 // character references or \u escapes before decoding
	minMarks    = 3 // combining marks left on Latin letters after NFKC
	minAccented = 8 // accented Latin letters, when most letters are
)

// joinCues says which kinds of words run together the census saw, so
// that splitJoined looks only for those.
type joinCues struct {
	separators bool // a field with enough letter-separator-letter joins
	symbols    bool // enough emoji
	runs       bool // most letters in runs of minRunLetters or more
}

// cues reads the joinCues of a census.
func (c *census) cues() joinCues {
	return joinCues{
		separators: c.fieldJoins >= minJoinedParts-1,
		symbols:    c.symbols >= minSymbolTokens,
		runs:       c.longRun >= minRunLetters && 2*c.runLetters >= c.letters,
	}
}

func (j joinCues) any() bool { return j.separators || j.symbols || j.runs }

// splitJoined splits words run together (see minJoinedParts) into words
// separated by spaces, and drops emoji tokens that separate words. It
// reports whether anything changed.
func splitJoined(s string, cues joinCues) (string, bool) {
	// Emoji separators: tokens made only of symbols, counted first.
	dropSymbols := false
	if cues.symbols {
		words, symbolTokens := 0, 0
		forFields(s, func(i, j int) {
			if symbolsOnly(s[i:j]) {
				symbolTokens++
			} else {
				words++
			}
		})
		dropSymbols = symbolTokens >= minSymbolTokens && 2*symbolTokens >= words
	}
	var sp splice
	forFields(s, func(i, j int) {
		f := s[i:j]
		if dropSymbols && symbolsOnly(f) {
			// Drop the token and the spaces after it.
			for j < len(s) && s[j] == ' ' {
				j++
			}
			sp.replace(s, i, j, "")
		} else if out, ok := unjoinField(f, cues); ok {
			sp.replace(s, i, j, out)
		}
	})
	out, _, ok := sp.result(s)
	return out, ok
}

// forFields calls f with the bounds of each white-space separated field of
// s, in order.
func forFields(s string, f func(i, j int)) {
	i := 0
	for i < len(s) {
		if n := spaceAt(s, i); n > 0 {
			i += n
			continue
		}
		j := i
		for j < len(s) {
			if c := s[j]; c < 0x80 {
				if asciiClass[c]&clSpace != 0 {
					break
				}
				j++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += n
		}
		f(i, j)
		i = j
	}
}

// spaceAt is the length of the white-space rune at s[i], or 0.
func spaceAt(s string, i int) int {
	if c := s[i]; c < 0x80 {
		if asciiClass[c]&clSpace != 0 {
			return 1
		}
		return 0
	}
	if r, n := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
		return n
	}
	return 0
}

// symbolsOnly reports whether a field is made of other symbols (emoji,
// dingbats) and the joiners of emoji sequences.
func symbolsOnly(f string) bool {
	if f == "" {
		return false
	}
	for _, r := range f {
		if !(unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || r == 0x200D || (r >= 0xFE00 && r <= 0xFE0F)) {
			return false
		}
	}
	return true
}

// wordPart reports the runes of a word inside a joined field.
func wordPart(r rune) bool {
	return unicode.IsLetter(r) || unicode.In(r, unicode.Mn, unicode.Mc) || r == '\'' || r == '’'
}

// unjoinField splits one field: words joined by a separator become words
// separated by spaces, and long runs of ASCII letters are segmented into
// known English words. The separator is the one that most often sits
// between two letters, at least minJoinedParts-1 times; every occurrence
// of it becomes a space except between digits ("3.14"), whatever else
// the field holds (commas, digits, quotes: attacks are joined whole).
func unjoinField(f string, cues joinCues) (string, bool) {
	if !cues.runs && !strings.ContainsAny(f, joinSeparators) {
		return f, false
	}
	var count [len(joinSeparators)]int // separators between two letters, by kind
	asciiParts, knownParts := 0, 0
	var buf [maxWordLen]byte
	prevLetter := false
	for i := 0; i < len(f); {
		r, n := utf8.DecodeRuneInString(f[i:])
		if wordPart(r) {
			j := i
			ascii := true
			for j < len(f) {
				r2, n2 := utf8.DecodeRuneInString(f[j:])
				if !wordPart(r2) {
					break
				}
				ascii = ascii && r2 < 0x80 && isASCIILetter(byte(r2))
				j += n2
			}
			if ascii {
				asciiParts++
				if w := f[i:j]; len(w) <= maxWordLen {
					lw := buf[:len(w)]
					for k := range lw {
						lw[k] = w[k] | 0x20
					}
					if known(lw) {
						knownParts++
					}
				}
			}
			prevLetter = true
			i = j
			continue
		}
		if r < 0x80 && prevLetter && i+n < len(f) {
			if k := strings.IndexByte(joinSeparators, byte(r)); k >= 0 {
				if r2, _ := utf8.DecodeRuneInString(f[i+n:]); wordPart(r2) {
					count[k]++
				}
			}
		}
		prevLetter = false
		i += n
	}
	main := 0
	for k := range count {
		if count[k] > count[main] {
			main = k
		}
	}
	sep := joinSeparators[main]
	minParts := minJoinedParts
	if sep == '-' {
		minParts = minHyphenParts
	}
	words := count[main] + 1
	out := f
	// A path or an address is not joined words ("/usr/local/share",
	// "https://example.com/a/b").
	path := sep == '/' && (f[0] == '/' || f[0] == '~' || f[0] == '.' || strings.Contains(f, "://"))
	if words >= minParts && !path && ((asciiParts > 0 && 2*knownParts >= asciiParts) || words >= 2*minParts) {
		b := []byte(f)
		for k := range b {
			if b[k] == sep && !(k > 0 && isDigit(b[k-1]) && k+1 < len(b) && isDigit(b[k+1])) {
				b[k] = ' '
			}
		}
		out = string(b)
	}
	longRun := false
	for i, run := 0, 0; cues.runs && i < len(f) && !longRun; i++ {
		if isASCIILetter(f[i]) {
			run++
			longRun = run >= minRunLetters
		} else {
			run = 0
		}
	}
	if longRun {
		out = segmentRuns(out)
	}
	return out, out != f
}

// letterRunEnd is the end of the run of ASCII letters that starts at i.
func letterRunEnd(s string, i int) int {
	for i < len(s) && isASCIILetter(s[i]) {
		i++
	}
	return i
}

// segmentRuns segments every run of at least minRunLetters ASCII letters
// of s into known English words (segment leaves a run alone unless most
// of it is English).
func segmentRuns(s string) string {
	var b strings.Builder
	start, i := 0, 0
	changed := false
	for i < len(s) {
		if !isASCIILetter(s[i]) {
			i++
			continue
		}
		j := letterRunEnd(s, i)
		if j-i >= minRunLetters && (i == 0 || s[i-1] < 0x80) && (j == len(s) || s[j] < 0x80) {
			// Runs longer than segment takes are cut into pieces (a word
			// cut in two is lost, the rest is read).
			for p := i; p < j; p += maxSegment {
				q := min(j, p+maxSegment)
				if q-p < minRunLetters {
					continue
				}
				if seg, ok := segmentSentence(s[p:q]); ok {
					if !changed {
						b.Grow(len(s) + 16)
						changed = true
					}
					b.WriteString(s[start:p])
					b.WriteString(seg)
					start = q
				}
			}
		}
		i = j
	}
	if !changed {
		return s
	}
	b.WriteString(s[start:])
	return b.String()
}

// segmentSentence segments a run of letters that is a sentence written
// without spaces: four known words of three letters or more, and at
// least 70% of the letters in known words. Long single words
// ("internationalization", "counterrevolutionaries") are left alone.
func segmentSentence(w string) (string, bool) {
	seg := segment(w)
	if seg == w {
		return w, false
	}
	long, unknown := 0, 0
	var buf [maxWordLen]byte
	for _, f := range strings.Fields(seg) {
		lw := buf[:0]
		if len(f) <= maxWordLen {
			for k := 0; k < len(f); k++ {
				lw = append(lw, f[k]|0x20)
			}
		}
		switch {
		case len(lw) == 0 || !known(lw):
			unknown += len(f)
		case len(f) >= 3:
			long++
		}
	}
	if long < 4 || 10*unknown > 3*len(w) {
		return w, false
	}
	return seg, true
}

// latinLetter reports accented Latin letters (Latin-1 Supplement,
// Extended-A and -B, Extended Additional).
func latinLetter(r rune) bool {
	return (r >= 0xC0 && r <= 0x24F && r != 0xD7 && r != 0xF7) || (r >= 0x1E00 && r <= 0x1EFF)
}

// stripMarks removes the diacritics of Latin letters: combining marks
// (non-spacing or enclosing) after a Latin letter or any ASCII character
// (a mark on the space or the full stop between marked letters is part
// of the same disguise), and the marks of precomposed letters ("Íǵńóŕé"
// → "Ignore"). Marks on other scripts (Devanagari vowel signs, Arabic
// harakat) are kept. It reports whether anything changed.
func stripMarks(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	changed := false
	prevLatin := false
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteByte(byte(r))
			prevLatin = true
		case latinLetter(r):
			for _, d := range norm.NFD.String(string(r)) {
				if unicode.Is(unicode.Mn, d) {
					changed = true
					continue
				}
				b.WriteRune(d)
			}
			prevLatin = true
		case unicode.In(r, unicode.Mn, unicode.Me) && prevLatin:
			changed = true
		default:
			b.WriteRune(r)
			prevLatin = false
		}
	}
	if !changed {
		return s, false
	}
	return b.String(), true
}

// decodeEscapes decodes HTML character references ("&#105;", "&#x69;",
// "&amp;") and backslash escapes of code points ("\u0069", "\u{1F600}",
// "\U0001F600", surrogate pairs). It reports whether anything changed.
func decodeEscapes(s string) (string, bool) {
	out := s
	if strings.Contains(out, "&") {
		out = html.UnescapeString(out)
	}
	if strings.Contains(out, `\u`) || strings.Contains(out, `\U`) {
		out = unescapeUnicode(out)
	}
	if out == s {
		return s, false
	}
	return strings.ToValidUTF8(out, "\uFFFD"), true
}

func unescapeUnicode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+1 >= len(s) || (s[i+1] != 'u' && s[i+1] != 'U') {
			b.WriteByte(s[i])
			i++
			continue
		}
		r, n := escapeAt(s[i:])
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		// A UTF-16 surrogate pair: \uD83D\uDE00.
		if r >= 0xD800 && r < 0xDC00 {
			if lo, m := escapeAt(s[i+n:]); m > 0 && lo >= 0xDC00 && lo < 0xE000 {
				b.WriteRune(0x10000 + (r-0xD800)<<10 + (lo - 0xDC00))
				i += n + m
				continue
			}
		}
		if utf8.ValidRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune(utf8.RuneError)
		}
		i += n
	}
	return b.String()
}

// escapeAt parses one escape at the start of s: \uXXXX, \u{X...} (1-6
// digits) or \UXXXXXXXX. n is 0 when there is none.
func escapeAt(s string) (r rune, n int) {
	if len(s) < 3 || s[0] != '\\' {
		return 0, 0
	}
	digits, at := 4, 2
	switch {
	case s[1] == 'u' && s[2] == '{':
		end := strings.IndexByte(s[3:min(len(s), 10)], '}')
		if end < 1 {
			return 0, 0
		}
		digits, at = end, 3
	case s[1] == 'U':
		digits = 8
	case s[1] != 'u':
		return 0, 0
	}
	if at+digits > len(s) {
		return 0, 0
	}
	var v rune
	for k := at; k < at+digits; k++ {
		d, ok := hexVal(s[k])
		if !ok {
			return 0, 0
		}
		v = v<<4 | rune(d)
		if v > unicode.MaxRune {
			return 0, 0
		}
	}
	n = at + digits
	if at == 3 {
		n++ // the closing brace
	}
	return v, n
}
