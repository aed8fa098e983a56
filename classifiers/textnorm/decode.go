package textnorm

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Encoded segments: base64 runs of at least minBase64 characters, hex of at
// least minHexBytes bytes; the decoded bytes must read as text (textLike).
const (
	minBase64   = 12
	minHexBytes = 8
)

func isB64(c byte) bool {
	return isASCIILetter(c) || isDigit(c) || c == '+' || c == '/' || c == '-' || c == '_'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isAlnum(c byte) bool { return isASCIILetter(c) || isDigit(c) }

// splice rebuilds a text with some of its pieces replaced by what they
// decode to, and keeps the decoded pieces alone too (the payload, one per
// line: a decoded instruction is also judged without the text around it).
type splice struct {
	b, pay  strings.Builder
	start   int
	changed bool
}

// replace replaces s[from:to] (after the previous replacement) by dec.
func (sp *splice) replace(s string, from, to int, dec string) {
	if !sp.changed {
		sp.b.Grow(len(s))
		sp.changed = true
	} else {
		sp.pay.WriteByte('\n')
	}
	sp.b.WriteString(s[sp.start:from])
	sp.b.WriteString(dec)
	sp.pay.WriteString(dec)
	sp.start = to
}

// result is the rebuilt text and the payload, or s and false when nothing
// was replaced.
func (sp *splice) result(s string) (out, payload string, ok bool) {
	if !sp.changed {
		return s, "", false
	}
	sp.b.WriteString(s[sp.start:])
	return sp.b.String(), sp.pay.String(), true
}

// decodeSegments replaces base64 and hex segments that decode to text by
// that text. It reports which kinds it decoded, and payload: the decoded
// segments alone, one per line.
func decodeSegments(s string) (out, payload string, b64, hex bool) {
	var sp splice
	write := func(from, to int, dec []byte) { sp.replace(s, from, to, string(dec)) }
	for i := 0; i < len(s); {
		c := s[i]
		if !isB64(c) && c != '\\' && c != '%' {
			i++
			continue
		}
		// Segments start at a token boundary.
		if i > 0 && isAlnum(s[i-1]) {
			i++
			continue
		}
		end, dec, ok := hexAt(s, i)
		if ok {
			write(i, end, dec)
			hex = true
			i = end
			continue
		}
		scanned := end // hex bytes scanned that did not read as text
		if end, dec, ok := base64At(s, i); ok {
			write(i, end, dec)
			b64 = true
			i = end
			continue
		}
		// Skip the rest of this token (and of a failed hex sequence, so
		// that no byte is scanned twice).
		j := i + 1
		for j < len(s) && isB64(s[j]) {
			j++
		}
		i = max(j, scanned)
	}
	out, payload, _ = sp.result(s)
	return out, payload, b64, hex
}

// hexAt parses hex-encoded bytes at s[i:]: "69676e6f7265", "69 67 6e",
// "\x69\x67", "0x69,0x67", "%69%67". The bytes must be followed by a token
// boundary and read as text. end is where the scan stopped, also when ok is
// false.
func hexAt(s string, i int) (end int, dec []byte, ok bool) {
	j := i
	var buf []byte
	for {
		k := j
		switch {
		case strings.HasPrefix(s[k:], `\x`), strings.HasPrefix(s[k:], "0x"), strings.HasPrefix(s[k:], "0X"):
			k += 2
		case k < len(s) && s[k] == '%':
			k++
		}
		if k+2 > len(s) {
			break
		}
		hi, ok1 := hexVal(s[k])
		lo, ok2 := hexVal(s[k+1])
		if !ok1 || !ok2 {
			break
		}
		buf = append(buf, hi<<4|lo)
		j = k + 2
		// One separator between bytes.
		if j+1 < len(s) && (s[j] == ' ' || s[j] == ':' || s[j] == ',' || s[j] == '-') {
			if _, ok := hexVal(s[j+1]); ok || s[j+1] == '\\' || s[j+1] == '%' {
				j++
			}
		}
	}
	// Trailing separator consumed without a byte after it.
	for j > i && (s[j-1] == ' ' || s[j-1] == ':' || s[j-1] == ',' || s[j-1] == '-') {
		j--
	}
	if len(buf) < minHexBytes || (j < len(s) && isAlnum(s[j])) || !textLike(buf) {
		return j, nil, false
	}
	return j, buf, true
}

// base64At decodes the base64 run at s[i:] (standard or URL alphabet, with
// or without padding). A run that starts the text may have been cut from a
// longer one (a window of a stream): every alignment is tried.
func base64At(s string, i int) (end int, dec []byte, ok bool) {
	j := i
	upper, lower, digit := false, false, false
	for j < len(s) && isB64(s[j]) {
		c := s[j]
		upper = upper || (c >= 'A' && c <= 'Z')
		lower = lower || (c >= 'a' && c <= 'z')
		digit = digit || isDigit(c)
		j++
	}
	run := s[i:j]
	for j < len(s) && s[j] == '=' && j-i < len(run)+2 {
		j++
	}
	// Words, paths and numbers are not base64: encoded text mixes cases
	// or digits with letters.
	if len(run) < minBase64 || !((upper && lower) || (digit && (upper || lower))) {
		return 0, nil, false
	}
	if j < len(s) && isAlnum(s[j]) {
		return 0, nil, false
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(run, "-_") {
		if strings.ContainsAny(run, "+/") {
			return 0, nil, false
		}
		enc = base64.RawURLEncoding
	}
	aligns := 1
	if i == 0 {
		aligns = 4
	}
	for a := 0; a < aligns && len(run)-a >= minBase64; a++ {
		r := run[a:]
		if len(r)%4 == 1 {
			r = r[:len(r)-1]
		}
		d, err := enc.DecodeString(r)
		if err != nil {
			continue
		}
		if textLike(d) {
			return j, d, true
		}
		// A cut at the end (a window boundary) leaves a partial rune.
		if i == 0 || j == len(s) {
			if t := trimPartialRune(d); len(t) < len(d) && textLike(t) {
				return j, t, true
			}
		}
	}
	return 0, nil, false
}

func trimPartialRune(d []byte) []byte {
	for k := 0; k < 3 && len(d) > 0 && !utf8.Valid(d); k++ {
		d = d[:len(d)-1]
	}
	return d
}

// textLike reports whether decoded bytes read as text: valid UTF-8, hardly
// any control characters but tab and newlines (at most one in 50), and
// mostly letters, digits and spaces.
func textLike(d []byte) bool {
	if len(d) < 4 || !utf8.Valid(d) {
		return false
	}
	n, good, bad := 0, 0, 0
	for len(d) > 0 {
		if c := d[0]; c < 0x80 {
			d = d[1:]
			n++
			switch cl := asciiClass[c]; {
			case cl&(clLetter|clDigit) != 0, c == ' ', c == '\n', c == '\r', c == '\t':
				good++
			case c < ' ' || c == 0x7F:
				bad++
			}
			continue
		}
		r, size := utf8.DecodeRune(d)
		d = d[size:]
		n++
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			good++
		case unicode.Is(unicode.Cf, r):
			// Invisible format characters: Normalize removes them.
		case r == utf8.RuneError || unicode.IsControl(r) || !unicode.IsPrint(r):
			// Real text has a stray control character at most (mojibake).
			bad++
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ':
			good++
		}
	}
	return bad*50 <= n && good*10 >= n*6
}

// rot13 applies ROT13 to ASCII letters.
func rot13(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+13)%26
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+13)%26
	}
	return c
}

// decodeRot13 decodes ROT13 spans: runs of words that start with a word
// that is English only after ROT13 ("vtaber", "nyy") and end before a word
// that is English as it stands; such words must be at least half of the
// span, and two or more. Words unknown either way (names, rare words) and
// short words English both ways ("be"/"or") do not end a span. It reports
// whether anything changed.
func decodeRot13(s string) (string, bool) {
	return decodeWordSpans(s, func(w []byte) {
		for k := range w {
			w[k] = rot13(w[k])
		}
	}, func(b *strings.Builder, span string) {
		for k := 0; k < len(span); k++ {
			b.WriteByte(rot13(span[k]))
		}
	})
}

// decodeReversed reverses spans of text written backwards (".tpmorp
// metsys ruoy laever"), found as decodeRot13 finds its spans: words that
// are English only when reversed. It reports whether anything changed.
func decodeReversed(s string) (string, bool) {
	return decodeWordSpans(s, func(w []byte) {
		for i, j := 0, len(w)-1; i < j; i, j = i+1, j-1 {
			w[i], w[j] = w[j], w[i]
		}
	}, func(b *strings.Builder, span string) {
		rs := []rune(span)
		for k := len(rs) - 1; k >= 0; k-- {
			b.WriteRune(rs[k])
		}
	})
}

// decodeWordSpans finds the spans of s whose words are English only after
// word (which rewrites a lower-case word in place), and writes each span
// decoded by span. See decodeRot13.
func decodeWordSpans(s string, word func(w []byte), span func(b *strings.Builder, span string)) (string, bool) {
	var b strings.Builder
	changed := false
	start := 0
	spanStart, spanEnd, hits, words := -1, -1, 0, 0
	leadStart, leadWords := -1, 0 // unknown words before the span's first hit
	closeSpan := func() {
		if spanStart >= 0 && hits >= 2 && hits*2 >= words {
			if !changed {
				b.Grow(len(s))
				changed = true
			}
			b.WriteString(s[start:spanStart])
			span(&b, s[spanStart:spanEnd])
			start = spanEnd
		}
		spanStart, spanEnd, hits, words = -1, -1, 0, 0
		leadStart, leadWords = -1, 0
	}
	var buf [maxWordLen]byte
	for i := 0; i < len(s); {
		if !isASCIILetter(s[i]) {
			i++
			continue
		}
		j := letterRunEnd(s, i)
		if (i > 0 && (s[i-1] >= 0x80 || isDigit(s[i-1]))) || (j < len(s) && (s[j] >= 0x80 || isDigit(s[j]))) || j-i > maxWordLen {
			i = j // part of a longer token (non-ASCII word, id, hash), or too long to be a word
			continue
		}
		w := buf[:j-i]
		for k := range w {
			w[k] = s[i+k] | 0x20
		}
		plain := known(w)
		if plain && len(w) > 3 {
			// An English word ends the span. (Short ones may be English
			// both ways, "be" and "or": they are looked at below.)
			closeSpan()
			i = j
			continue
		}
		word(w)
		rot := known(w)
		switch {
		case plain && !rot:
			closeSpan()
		case rot && !plain:
			if spanStart < 0 {
				spanStart, words = i, leadWords
				if leadStart >= 0 {
					spanStart = leadStart
				}
			}
			hits++
			fallthrough
		default:
			// Unknown either way (a name, a rare word): part of the span.
			if spanStart >= 0 {
				spanEnd = j
				words++
			} else {
				if leadStart < 0 {
					leadStart = i
				}
				leadWords++
			}
		}
		i = j
	}
	closeSpan()
	if !changed {
		return s, false
	}
	b.WriteString(s[start:])
	return b.String(), true
}
