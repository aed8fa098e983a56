package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Spaced-letter chains: at least minSpacedLetters single letters, each gap
// at most maxGapRunes runes of spaces, punctuation or symbols.
const (
	minSpacedLetters = 5
	maxGapRunes      = 3
	maxWordLen       = 24   // longest dictionary word tried when segmenting
	maxSegment       = 2048 // longest run of letters segmented into words
)

// atom reports the runes that spaced-out words are made of: letters and
// combining marks of any script, digits and the leetspeak symbols '@' and
// '$'.
func atom(r rune) bool {
	switch {
	case r < 0x80:
		return isASCIILetter(byte(r)) || isDigit(byte(r)) || r == '@' || r == '$'
	case r >= 0x410 && r <= 0x44F: // basic Cyrillic letters
		return true
	}
	return unicode.IsLetter(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) || unicode.IsDigit(r)
}

func gapRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// joinSpaced joins letters that were spaced out ("i g n o r e  a l l" →
// "ignore all", "i.g.n.o.r.e" → "ignore"). Within a chain of single
// letters the most common gap separates letters of a word; a longer gap,
// or a space where letters are joined by punctuation, separates words. A
// chain with no word gaps is segmented into known English words when it
// mostly consists of them. It reports whether anything changed.
func joinSpaced(s string) (string, bool) { return joinSpacedWith(s, true) }

// joinSpacedWith is joinSpaced; with words false, a chain without word
// gaps is joined into one run instead of being segmented into words (a
// second reading for text whose words the English list does not know).
func joinSpacedWith(s string, words bool) (string, bool) {
	var b strings.Builder
	changed := false
	start := 0                   // text before start has been written (when changed)
	chain := make([]span, 0, 64) // the single letters of the current chain
	flush := func() {
		if len(chain) >= minSpacedLetters {
			if out, ok := joinChain(s, chain, words); ok {
				if !changed {
					b.Grow(len(s))
					changed = true
				}
				b.WriteString(s[start:chain[0].start])
				b.WriteString(out)
				start = int(chain[len(chain)-1].end)
			}
		}
		chain = chain[:0]
	}
	prevEnd := -1 // end of the last single in the chain
	for i := 0; i < len(s); {
		if c := s[i]; c < 0x80 && asciiClass[c]&(clLetter|clDigit) == 0 && c != '@' && c != '$' {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !atom(r) {
			i += n
			continue
		}
		// An atom run s[i:j].
		j := i + n
		runes := 1
		for j < len(s) {
			if c := s[j]; c < 0x80 {
				if asciiClass[c]&(clLetter|clDigit) == 0 && c != '@' && c != '$' {
					break
				}
				j++
				runes++
				continue
			}
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if !atom(r2) {
				break
			}
			j += n2
			runes++
		}
		if runes != 1 {
			flush()
			prevEnd = -1
			i = j
			continue
		}
		if prevEnd >= 0 && !validGap(s[prevEnd:i]) {
			flush()
		}
		chain = append(chain, span{int32(i), int32(j)})
		prevEnd = j
		i = j
	}
	flush()
	if !changed {
		return s, false
	}
	b.WriteString(s[start:])
	return b.String(), true
}

func validGap(g string) bool {
	if len(g) == 1 {
		return asciiClass[g[0]]&clGap != 0
	}
	n := 0
	for _, r := range g {
		n++
		if n > maxGapRunes || !gapRune(r) {
			return false
		}
	}
	return n > 0
}

// keptPunct is the sentence and clause punctuation a word gap keeps.
const keptPunct = ".,:;!?'\"()¿¡’“”«»。，、：；！？"

// wordGap is what replaces a gap between two words of a chain: the
// punctuation the gap held besides the letter separator ("r : d" →
// "r: d", "d.o.n.e.! T" → "done! T"), then a space; an apostrophe alone
// joins ("w e ' v e" → "we've"); separators such as "/" are dropped. Classifiers read
// punctuation too, so dropping it would weaken the joined text.
func wordGap(g, tight string) string {
	var b strings.Builder
	for _, r := range g {
		if strings.ContainsRune(tight, r) || !strings.ContainsRune(keptPunct, r) {
			continue // separators ("/", "|", "-", "*") only split words
		}
		b.WriteRune(r)
	}
	switch p := b.String(); p {
	case "'", "’":
		return p
	default:
		return p + " "
	}
}

func hasSpace(g string) bool {
	for _, r := range g {
		if unicode.IsSpace(r) {
			return true
		}
	}
	return false
}

// span is a single letter's byte range.
type span struct{ start, end int32 }

// joinChain joins one chain of single letters of s. It splits the chain
// where a gap is neither the letter gap nor a word gap and joins every part
// long enough; ok is false when nothing qualifies.
func joinChain(s string, chain []span, words bool) (string, bool) {
	gap := func(k int) string { return s[chain[k-1].end:chain[k].start] } // before letter k >= 1
	// The letter gap is the most common gap (among the first few kinds).
	type kind struct {
		gap string
		n   int
	}
	var kindsBuf [8]kind
	kinds := kindsBuf[:0]
	tight, tightN := "", 0
	for k := 1; k < len(chain); k++ {
		g := gap(k)
		at := -1
		for x := range kinds {
			if kinds[x].gap == g {
				at = x
				break
			}
		}
		if at < 0 {
			if len(kinds) == cap(kinds) {
				continue
			}
			kinds = append(kinds, kind{gap: g})
			at = len(kinds) - 1
		}
		kinds[at].n++
		if c := kinds[at].n; c > tightN || (c == tightN && len(g) < len(tight)) {
			tight, tightN = g, c
		}
	}
	tightRunes := utf8.RuneCountInString(tight)
	tightSpace := hasSpace(tight)
	out := make([]byte, 0, int(chain[len(chain)-1].end-chain[0].start))
	ok := false
	part := 0               // first letter of the current part
	nTight, nBreak := 0, 0  // gaps inside the current part
	emit := func(end int) { // letters part..end-1
		letters := 0
		for k := part; k < end; k++ {
			if r, _ := utf8.DecodeRuneInString(s[chain[k].start:]); unicode.IsLetter(r) {
				letters++
			}
		}
		// Mostly letters: lists of digits ("3, 9, 5, 7") are data.
		if end-part >= minSpacedLetters && nTight >= 3 && nTight >= nBreak && letters >= 3 && 2*letters >= end-part {
			// Word gaps made of white space alone mark words; gaps with
			// punctuation only mark sentences and clauses.
			wordGaps := false
			for k := part + 1; k < end; k++ {
				if g := gap(k); g != tight && strings.TrimSpace(g) == "" {
					wordGaps = true
					break
				}
			}
			mark := len(out) // start of the letters since the last gap
			flushGroup := func() {
				// Without word gaps, or for a group too long to be one
				// word, find the words.
				if n := len(out) - mark; words && n >= 8 && (!wordGaps || n >= 16) {
					seg := segment(string(out[mark:]))
					out = append(out[:mark], seg...)
				}
			}
			for k := part; k < end; k++ {
				if k > part && gap(k) != tight {
					flushGroup()
					out = append(out, wordGap(gap(k), tight)...)
					mark = len(out)
				}
				out = append(out, s[chain[k].start:chain[k].end]...)
			}
			flushGroup()
			ok = true
		} else {
			// Too short: keep the original text of the part.
			out = append(out, s[chain[part].start:chain[end-1].end]...)
		}
	}
	for k := 1; k < len(chain); k++ {
		g := gap(k)
		if g == tight {
			nTight++
			continue
		}
		if utf8.RuneCountInString(g) > tightRunes || (hasSpace(g) && !tightSpace) {
			nBreak++
			continue
		}
		emit(k)
		if strings.TrimSpace(g) != "" && strings.ContainsRune(tight, ' ') {
			// "w o r d , n e x t": the comma belongs to the word before.
			g = strings.TrimLeftFunc(g, unicode.IsSpace)
		}
		out = append(out, g...)
		part, nTight, nBreak = k, 0, 0
	}
	emit(len(chain))
	return string(out), ok
}

// segment splits a run of letters into known English words by dynamic
// programming (fewest words, unknown letters expensive). It returns the
// run unchanged unless it is ASCII and at least 70% of its letters fall in
// known words.
func segment(w string) string {
	n := len(w)
	if n < 8 || n > maxSegment {
		return w
	}
	for i := 0; i < n; i++ {
		if w[i] >= 0x80 {
			return w
		}
	}
	low := strings.ToLower(w)
	// Cost: a known word costs costWord less the square of its length
	// (long words win ties: "instructions and", not "instruction sand"),
	// an unknown letter costUnknown, a one-letter word more.
	const (
		costWord    = 400
		costUnknown = 500
		costLetter  = 600 // "a", "i": rather an unknown letter than a guess
	)
	cost := make([]int32, n+1)
	from := make([]int32, n+1)
	known := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = cost[i-1] + costUnknown
		from[i] = int32(i - 1)
		for j := max(0, i-maxWordLen); j < i; j++ {
			if !knownString(low[j:i]) {
				continue
			}
			c := cost[j] + costWord - int32((i-j)*(i-j))
			if i-j == 1 {
				c = cost[j] + costLetter
			}
			if c < cost[i] {
				cost[i], from[i], known[i] = c, int32(j), true
			}
		}
	}
	// Walk back.
	var cuts []int32
	knownLetters := 0
	for i := int32(n); i > 0; i = from[i] {
		if known[i] {
			knownLetters += int(i - from[i])
		}
		cuts = append(cuts, i)
	}
	if knownLetters*10 < n*7 {
		return w
	}
	var b strings.Builder
	b.Grow(n + len(cuts))
	prev, prevKnown := int32(0), true
	for k := len(cuts) - 1; k >= 0; k-- {
		i := cuts[k]
		// Unknown letters stay together; known words get spaces.
		if prev > 0 && (known[i] || prevKnown) {
			b.WriteByte(' ')
		}
		b.WriteString(w[prev:i])
		prev, prevKnown = i, known[i]
	}
	return b.String()
}
