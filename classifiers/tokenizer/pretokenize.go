package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// preState carries what a pre-tokenizer needs besides the words.
type preState struct {
	first bool // the section starts the text (Metaspace prepend_scheme "first")
	tmp   *[]string
}

type preTokenizer interface {
	// split replaces words with their pieces; it may reuse words' array
	// and *st.tmp.
	split(words []string, st *preState) []string
}

// wordSplitter splits one word at a time.
type wordSplitter interface {
	appendSplit(dst []string, w string, st *preState) []string
}

// each applies a wordSplitter to every word.
type each struct{ ws wordSplitter }

func (e each) split(words []string, st *preState) []string {
	out := (*st.tmp)[:0]
	first := st.first
	for i, w := range words {
		// Only the piece at the very start of the text is "first".
		st.first = first && i == 0
		out = e.ws.appendSplit(out, w, st)
	}
	st.first = first
	*st.tmp = words[:0]
	return out
}

type sequencePre []preTokenizer

func (s sequencePre) split(words []string, st *preState) []string {
	for _, p := range s {
		words = p.split(words, st)
	}
	return words
}

func endsWithByteLevel(p preTokenizer) bool {
	switch v := p.(type) {
	case each:
		_, ok := v.ws.(byteLevelPre)
		return ok
	case sequencePre:
		return len(v) > 0 && endsWithByteLevel(v[len(v)-1])
	}
	return false
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var h typed
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	switch h.Type {
	case "BertPreTokenizer":
		return each{bertPre{}}, nil
	case "Whitespace":
		return each{whitespacePre{}}, nil
	case "WhitespaceSplit":
		return each{charSplit{pred: unicode.IsSpace, b: removed}}, nil
	case "ByteLevel":
		var c struct {
			AddPrefixSpace *bool `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return each{byteLevelPre{prefix: orTrue(c.AddPrefixSpace), regex: orTrue(c.UseRegex)}}, nil
	case "Metaspace":
		var c struct {
			Replacement    string  `json:"replacement"`
			PrependScheme  *string `json:"prepend_scheme"`
			AddPrefixSpace *bool   `json:"add_prefix_space"`
			Split          *bool   `json:"split"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		m := metaspacePre{rep: "\u2581", scheme: "always", split: orTrue(c.Split)}
		if c.Replacement != "" {
			if utf8.RuneCountInString(c.Replacement) != 1 {
				return nil, fmt.Errorf("metaspace replacement %q is not one character", c.Replacement)
			}
			m.rep = c.Replacement
		}
		switch {
		case c.PrependScheme != nil:
			m.scheme = *c.PrependScheme
		case c.AddPrefixSpace != nil && !*c.AddPrefixSpace:
			m.scheme = "never"
		}
		if m.scheme != "always" && m.scheme != "never" && m.scheme != "first" {
			return nil, fmt.Errorf("metaspace prepend_scheme %q", m.scheme)
		}
		return each{m}, nil
	case "Split":
		var c struct {
			Pattern  patternJSON `json:"pattern"`
			Behavior string      `json:"behavior"`
			Invert   bool        `json:"invert"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		p, err := c.Pattern.compile()
		if err != nil {
			return nil, err
		}
		b, err := parseBehavior(c.Behavior, removed)
		if err != nil {
			return nil, err
		}
		return each{regexSplit{p: p, b: b, invert: c.Invert}}, nil
	case "Punctuation":
		var c struct {
			Behavior string `json:"behavior"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		b, err := parseBehavior(c.Behavior, isolated)
		if err != nil {
			return nil, err
		}
		return each{charSplit{pred: isPunct, b: b}}, nil
	case "Digits":
		var c struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		b := contiguous
		if c.Individual {
			b = isolated
		}
		return each{charSplit{pred: unicode.IsNumber, b: b}}, nil
	case "CharDelimiterSplit":
		var c struct {
			Delimiter string `json:"delimiter"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		d, n := utf8.DecodeRuneInString(c.Delimiter)
		if n == 0 || n != len(c.Delimiter) {
			return nil, fmt.Errorf("delimiter %q is not one character", c.Delimiter)
		}
		return each{charSplit{pred: func(r rune) bool { return r == d }, b: removed}}, nil
	case "FixedLength":
		var c struct {
			Length *int `json:"length"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		n := 5
		if c.Length != nil {
			n = *c.Length
		}
		if n <= 0 {
			return nil, fmt.Errorf("fixed length %d", n)
		}
		return each{fixedLength(n)}, nil
	case "Sequence":
		var c struct {
			Pre []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		var seq sequencePre
		for i, r := range c.Pre {
			p, err := parsePreTokenizer(r)
			if err != nil {
				return nil, fmt.Errorf("sequence[%d]: %w", i, err)
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		for i, p := range seq {
			if i < len(seq)-1 && endsWithByteLevel(p) {
				return nil, fmt.Errorf("%w: a pre-tokenizer after ByteLevel", ErrUnsupported)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("%w: pre_tokenizer %q", ErrUnsupported, h.Type)
}

// behavior is the Rust library's SplitDelimiterBehavior.
type behavior int

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s string, def behavior) (behavior, error) {
	switch s {
	case "":
		return def, nil
	case "Removed":
		return removed, nil
	case "Isolated":
		return isolated, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, fmt.Errorf("split behavior %q", s)
}

// segment is a span of a word and whether it is a delimiter.
type segment struct {
	start, end int
	match      bool
}

// applyBehavior turns the segments covering w into pieces, following the
// Rust library's NormalizedString::split.
func applyBehavior(dst []string, w string, segs []segment, b behavior) []string {
	switch b {
	case removed:
		for _, s := range segs {
			if !s.match && s.end > s.start {
				dst = append(dst, w[s.start:s.end])
			}
		}
	case isolated:
		for _, s := range segs {
			if s.end > s.start {
				dst = append(dst, w[s.start:s.end])
			}
		}
	case mergedWithPrevious:
		start, end, have, prev := 0, 0, false, false
		for _, s := range segs {
			if s.match && !prev && have {
				end = s.end
			} else {
				if have && end > start {
					dst = append(dst, w[start:end])
				}
				start, end, have = s.start, s.end, true
			}
			prev = s.match
		}
		if have && end > start {
			dst = append(dst, w[start:end])
		}
	case mergedWithNext:
		// Fold from the right: a delimiter joins the following non-delimiter.
		n0 := len(dst)
		start, end, have, next := 0, 0, false, false
		for i := len(segs) - 1; i >= 0; i-- {
			s := segs[i]
			if s.match && !next && have {
				start = s.start
			} else {
				if have && end > start {
					dst = append(dst, w[start:end])
				}
				start, end, have = s.start, s.end, true
			}
			next = s.match
		}
		if have && end > start {
			dst = append(dst, w[start:end])
		}
		for i, j := n0, len(dst)-1; i < j; i, j = i+1, j-1 {
			dst[i], dst[j] = dst[j], dst[i]
		}
	case contiguous:
		start, end, have, prev := 0, 0, false, false
		for _, s := range segs {
			if s.match == prev && have {
				end = s.end
			} else {
				if have && end > start {
					dst = append(dst, w[start:end])
				}
				start, end, have = s.start, s.end, true
			}
			prev = s.match
		}
		if have && end > start {
			dst = append(dst, w[start:end])
		}
	}
	return dst
}

// charSplit splits where pred holds, each matching rune a delimiter.
type charSplit struct {
	pred func(rune) bool
	b    behavior
}

func (c charSplit) appendSplit(dst []string, w string, _ *preState) []string {
	if c.b == removed {
		start := -1
		for i, r := range w {
			if c.pred(r) {
				if start >= 0 {
					dst = append(dst, w[start:i])
					start = -1
				}
			} else if start < 0 {
				start = i
			}
		}
		if start >= 0 {
			dst = append(dst, w[start:])
		}
		return dst
	}
	var segs []segment
	gap := 0
	for i, r := range w {
		if c.pred(r) {
			if i > gap {
				segs = append(segs, segment{gap, i, false})
			}
			end := i + utf8.RuneLen(r)
			if r == utf8.RuneError {
				_, end2 := utf8.DecodeRuneInString(w[i:])
				end = i + end2
			}
			segs = append(segs, segment{i, end, true})
			gap = end
		}
	}
	if gap < len(w) {
		segs = append(segs, segment{gap, len(w), false})
	}
	return applyBehavior(dst, w, segs, c.b)
}

type regexSplit struct {
	p      *pattern
	b      behavior
	invert bool
}

func (r regexSplit) appendSplit(dst []string, w string, _ *preState) []string {
	spans := r.p.findAll(w, nil)
	segs := make([]segment, 0, 2*len(spans)+1)
	gap := 0
	for _, m := range spans {
		if m[0] > gap {
			segs = append(segs, segment{gap, m[0], r.invert})
		}
		segs = append(segs, segment{m[0], m[1], !r.invert})
		gap = m[1]
	}
	if gap < len(w) {
		segs = append(segs, segment{gap, len(w), r.invert})
	}
	return applyBehavior(dst, w, segs, r.b)
}

// isPunct is the BERT notion: ASCII punctuation (which includes symbols
// such as $ + < = > ^ ` | ~) or a Unicode punctuation character.
func isPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126)
	}
	return unicode.IsPunct(r)
}

// bertPre splits on whitespace (removed) and isolates punctuation.
type bertPre struct{}

func (bertPre) appendSplit(dst []string, w string, _ *preState) []string {
	start := -1
	for i := 0; i < len(w); {
		c := w[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(w[i:])
		}
		var space, punct bool
		if c < utf8.RuneSelf {
			space = c == ' ' || (c >= '\t' && c <= '\r')
			punct = !space && isPunct(r)
		} else {
			space = unicode.IsSpace(r)
			punct = !space && unicode.IsPunct(r)
		}
		switch {
		case space:
			if start >= 0 {
				dst = append(dst, w[start:i])
				start = -1
			}
		case punct:
			if start >= 0 {
				dst = append(dst, w[start:i])
				start = -1
			}
			dst = append(dst, w[i:i+size])
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 {
		dst = append(dst, w[start:])
	}
	return dst
}

// whitespacePre keeps the matches of `\w+|[^\w\s]+` (Unicode classes).
type whitespacePre struct{}

func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) ||
		unicode.Is(unicode.Nl, r) || r == 0x200C || r == 0x200D || unicode.Is(unicode.Other_Alphabetic, r)
}

func (whitespacePre) appendSplit(dst []string, w string, _ *preState) []string {
	start, kind := 0, 0 // kind: 0 none, 1 word run, 2 other run
	for i, r := range w {
		k := 2
		if unicode.IsSpace(r) {
			k = 0
		} else if isWordChar(r) {
			k = 1
		}
		if k != kind {
			if kind != 0 {
				dst = append(dst, w[start:i])
			}
			start, kind = i, k
		}
	}
	if kind != 0 {
		dst = append(dst, w[start:])
	}
	return dst
}

type fixedLength int

func (n fixedLength) appendSplit(dst []string, w string, _ *preState) []string {
	count, start := 0, 0
	for i := range w {
		if count == int(n) {
			dst = append(dst, w[start:i])
			start, count = i, 0
		}
		count++
	}
	if start < len(w) {
		dst = append(dst, w[start:])
	}
	return dst
}

// metaspacePre replaces spaces with ▁ (SentencePiece), optionally prepends
// one, and splits before each ▁.
type metaspacePre struct {
	rep    string
	scheme string
	split  bool
}

func (m metaspacePre) appendSplit(dst []string, w string, st *preState) []string {
	w = strings.ReplaceAll(w, " ", m.rep)
	if !strings.HasPrefix(w, m.rep) && (m.scheme == "always" || (m.scheme == "first" && st.first)) {
		w = m.rep + w
	}
	if !m.split {
		return append(dst, w)
	}
	start := 0
	for {
		j := strings.Index(w[start+1:], m.rep)
		if j < 0 {
			break
		}
		dst = append(dst, w[start:start+1+j])
		start += 1 + j
	}
	if start < len(w) {
		dst = append(dst, w[start:])
	}
	return dst
}

// byteLevelPre is GPT-2's pre-tokenizer. Words stay raw UTF-8: the BPE
// model of a byte-level tokenizer works on bytes, its vocabulary having been
// mapped back from the printable byte alphabet at load.
type byteLevelPre struct {
	prefix bool
	regex  bool
}

func (b byteLevelPre) appendSplit(dst []string, w string, _ *preState) []string {
	if b.prefix && !strings.HasPrefix(w, " ") {
		w = " " + w
	}
	if !b.regex {
		return append(dst, w)
	}
	return gpt2Split(dst, w)
}

// gpt2Split scans with the GPT-2 pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// where \s is Unicode White_Space.
func gpt2Split(dst []string, s string) []string {
	for i := 0; i < len(s); {
		end := gpt2Match(s, i)
		dst = append(dst, s[i:end])
		i = end
	}
	return dst
}

const (
	clsSpace = iota
	clsLetter
	clsNumber
	clsOther
)

func gpt2Class(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
			return clsLetter
		case '0' <= r && r <= '9':
			return clsNumber
		case r == ' ' || (r >= '\t' && r <= '\r'):
			return clsSpace
		}
		return clsOther
	}
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// run returns the end of the run of class cls starting at i.
func run(s string, i, cls int) int {
	for i < len(s) {
		r, n := decode(s, i)
		if gpt2Class(r) != cls {
			break
		}
		i += n
	}
	return i
}

func gpt2Match(s string, i int) int {
	r, n := decode(s, i)
	if r == '\'' && i+1 < len(s) {
		rest := s[i+1:]
		for _, suf := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if strings.HasPrefix(rest, suf) {
				return i + 1 + len(suf)
			}
		}
	}
	cls := gpt2Class(r)
	if r == ' ' && i+1 < len(s) {
		r2, _ := decode(s, i+1)
		if c2 := gpt2Class(r2); c2 != clsSpace {
			return run(s, i+1, c2)
		}
	}
	if cls != clsSpace {
		return run(s, i+n, cls)
	}
	end := run(s, i, clsSpace)
	if end < len(s) {
		_, last := utf8.DecodeLastRuneInString(s[:end])
		if end-last > i {
			return end - last
		}
	}
	return end
}
