package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/rangetable"
)

type normalizer interface {
	normalize(s string) string
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var h typed
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	switch h.Type {
	case "BertNormalizer":
		var c struct {
			CleanText          *bool `json:"clean_text"`
			HandleChineseChars *bool `json:"handle_chinese_chars"`
			StripAccents       *bool `json:"strip_accents"`
			Lowercase          *bool `json:"lowercase"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		b := bertNormalizer{clean: orTrue(c.CleanText), chinese: orTrue(c.HandleChineseChars), lower: orTrue(c.Lowercase)}
		// strip_accents: null follows lowercase (as in the Rust library).
		b.strip = b.lower
		if c.StripAccents != nil {
			b.strip = *c.StripAccents
		}
		return b, nil
	case "NFC":
		return unicodeForm{norm.NFC}, nil
	case "NFD":
		return unicodeForm{norm.NFD}, nil
	case "NFKC":
		return unicodeForm{norm.NFKC}, nil
	case "NFKD":
		return unicodeForm{norm.NFKD}, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Strip":
		var c struct {
			Left  *bool `json:"strip_left"`
			Right *bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return strip{left: orTrue(c.Left), right: orTrue(c.Right)}, nil
	case "Prepend":
		var c struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return prepend(c.Prepend), nil
	case "Replace":
		var c struct {
			Pattern patternJSON `json:"pattern"`
			Content string      `json:"content"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		p, err := c.Pattern.compile()
		if err != nil {
			return nil, err
		}
		return replace{p: p, with: c.Content}, nil
	case "Nmt":
		return nmt{}, nil
	case "Precompiled":
		var c struct {
			Charsmap string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		return newPrecompiled(c.Charsmap)
	case "Sequence":
		var c struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, err
		}
		var seq sequenceNormalizer
		for i, r := range c.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("sequence[%d]: %w", i, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("%w: normalizer %q", ErrUnsupported, h.Type)
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func orTrue(b *bool) bool { return b == nil || *b }

type sequenceNormalizer []normalizer

func (s sequenceNormalizer) normalize(text string) string {
	for _, n := range s {
		text = n.normalize(text)
	}
	return text
}

type unicodeForm struct{ f norm.Form }

func (u unicodeForm) normalize(s string) string {
	if isASCII(s) {
		return s
	}
	return u.f.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

type lowercase struct{}

func (lowercase) normalize(s string) string { return toLower(s) }

// toLower maps each rune to its full lowercase mapping (Rust's
// char::to_lowercase, without context-sensitive rules such as Greek final
// sigma). U+0130 is the one code point whose full mapping is two runes.
func toLower(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r == '\u0130':
			b.WriteString("i\u0307")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

type stripAccents struct{}

// normalize removes combining marks (Mn, Mc, Me); callers put NFD before it.
func (stripAccents) normalize(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.M, r) {
			return -1
		}
		return r
	}, s)
}

type strip struct{ left, right bool }

func (p strip) normalize(s string) string {
	if p.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if p.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

type prepend string

// normalize prepends to non-empty text only (as the Rust library does).
func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

type replace struct {
	p    *pattern
	with string
}

func (r replace) normalize(s string) string { return r.p.replaceAll(s, r.with) }

// nmt is SentencePiece's NMT normalisation: drop some control characters and
// map other spaces to a plain space.
type nmt struct{}

func (nmt) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x1 && r <= 0x8, r == 0xB, r >= 0xE && r <= 0x1F, r == 0x7F, r == 0x8F, r == 0x9F:
			return -1
		case r == 0x9, r == 0xA, r == 0xC, r == 0xD, r == 0x1680, r >= 0x200B && r <= 0x200F,
			r == 0x2028, r == 0x2029, r == 0x2581, r == 0xFEFF, r == 0xFFFD:
			return ' '
		}
		return r
	}, s)
}

// bertNormalizer is BERT's basic cleaning: drop control characters, map
// whitespace to ' ', isolate CJK ideographs, strip accents, lowercase — in
// the Rust library's order.
type bertNormalizer struct {
	clean, chinese, strip, lower bool
}

func (b bertNormalizer) normalize(s string) string {
	if isASCII(s) {
		return b.normalizeASCII(s)
	}
	if b.clean || b.chinese {
		var sb strings.Builder
		sb.Grow(len(s) + 8)
		for _, r := range s {
			if b.clean {
				if r == 0 || r == utf8.RuneError || isBertControl(r) {
					continue
				}
				if isBertWhitespace(r) {
					r = ' '
				}
			}
			if b.chinese && isChineseChar(r) {
				sb.WriteByte(' ')
				sb.WriteRune(r)
				sb.WriteByte(' ')
				continue
			}
			sb.WriteRune(r)
		}
		s = sb.String()
	}
	if b.strip {
		// NFD, drop nonspacing marks, and lowercase in the same pass.
		s = norm.NFD.String(s)
		var sb strings.Builder
		sb.Grow(len(s))
		for _, r := range s {
			switch {
			case r < utf8.RuneSelf:
				if b.lower && 'A' <= r && r <= 'Z' {
					r += 'a' - 'A'
				}
				sb.WriteByte(byte(r))
			case unicode.Is(unicode.Mn, r):
			case b.lower && r == '\u0130':
				sb.WriteString("i\u0307")
			case b.lower:
				sb.WriteRune(unicode.ToLower(r))
			default:
				sb.WriteRune(r)
			}
		}
		return sb.String()
	}
	if b.lower {
		s = toLower(s)
	}
	return s
}

func (b bertNormalizer) normalizeASCII(s string) string {
	needs := false
	for i := 0; i < len(s) && !needs; i++ {
		c := s[i]
		needs = (b.clean && (c < 0x20 || c == 0x7f)) || (b.lower && 'A' <= c && c <= 'Z')
	}
	if !needs {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if b.clean {
			switch {
			case c == '\t' || c == '\n' || c == '\r':
				c = ' '
			case c < 0x20 || c == 0x7f:
				continue
			}
		}
		if b.lower && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}

// isBertWhitespace is Rust's char::is_whitespace (the White_Space property).
func isBertWhitespace(r rune) bool { return unicode.IsSpace(r) }

// isBertControl: categories Cc, Cf, Co and unassigned code points (Cn),
// except tab, newline and carriage return (so \v and \f are dropped, as in
// the Rust library).
func isBertControl(r rune) bool {
	if r <= 0xFFFF {
		return bmpControl[r>>6]&(1<<(r&63)) != 0
	}
	return isBertControlSlow(r)
}

func isBertControlSlow(r rune) bool {
	switch r {
	case '\t', '\n', '\r':
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co) || !unicode.Is(assigned, r)
}

// bmpControl is isBertControl for the Basic Multilingual Plane, one bit a
// code point.
var bmpControl = func() (t [1024]uint64) {
	for r := rune(0); r <= 0xFFFF; r++ {
		if isBertControlSlow(r) {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return t
}()

// assigned holds every code point with a general category other than Cn.
var assigned = func() *unicode.RangeTable {
	var ts []*unicode.RangeTable
	for name, t := range unicode.Categories {
		// Two-letter categories only: newer Go lists Cn itself, and "C" may
		// include it.
		if len(name) == 2 && name != "Cn" {
			ts = append(ts, t)
		}
	}
	return rangetable.Merge(ts...)
}()

func isChineseChar(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF,
		r >= 0x3400 && r <= 0x4DBF,
		r >= 0x20000 && r <= 0x2A6DF,
		r >= 0x2A700 && r <= 0x2B73F,
		r >= 0x2B740 && r <= 0x2B81F,
		r >= 0x2B920 && r <= 0x2CEAF,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0x2F800 && r <= 0x2FA1F:
		return true
	}
	return false
}
