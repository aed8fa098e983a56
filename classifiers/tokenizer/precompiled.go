package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// precompiled is SentencePiece's compiled normalisation map (nmt_nfkc and
// friends), as exported in tokenizer.json by DeBERTa-v3, XLM-R, T5, ALBERT
// and other SentencePiece models: a Darts double-array trie from UTF-8 byte
// sequences to replacement strings.
//
// It follows the Rust library's spm_precompiled crate: text is taken one
// grapheme cluster at a time; a cluster shorter than 6 bytes is replaced
// whole by the value of the shortest trie key that prefixes it, if any;
// otherwise each of its characters is looked up alone.
type precompiled struct {
	units      []uint32
	normalized string
	// asciiSame[c]: the ASCII character c alone is left as it is.
	asciiSame [128]bool
}

func newPrecompiled(charsmap string) (normalizer, error) {
	raw, err := base64.StdEncoding.DecodeString(charsmap)
	if err != nil {
		return nil, fmt.Errorf("precompiled_charsmap: %w", err)
	}
	if len(raw) == 0 {
		return nil, nil // an empty map normalises nothing
	}
	if len(raw) < 4 {
		return nil, errors.New("precompiled_charsmap: too short")
	}
	size := int(binary.LittleEndian.Uint32(raw))
	if size%4 != 0 || size > len(raw)-4 || size == 0 {
		return nil, fmt.Errorf("precompiled_charsmap: trie of %d bytes in %d", size, len(raw))
	}
	p := &precompiled{units: make([]uint32, size/4), normalized: string(raw[4+size:])}
	for i := range p.units {
		p.units[i] = binary.LittleEndian.Uint32(raw[4+4*i:])
	}
	if !utf8.ValidString(p.normalized) {
		return nil, errors.New("precompiled_charsmap: replacements are not UTF-8")
	}
	for c := range p.asciiSame {
		_, mapped := p.transform(string(rune(c)))
		p.asciiSame[c] = !mapped
	}
	return p, nil
}

// Darts-clone unit layout.
func unitLabel(u uint32) uint32  { return u & (1<<31 | 0xFF) }
func unitValue(u uint32) uint32  { return u & (1<<31 - 1) }
func unitHasLeaf(u uint32) bool  { return (u>>8)&1 == 1 }
func unitOffset(u uint32) uint32 { return (u >> 10) << ((u & (1 << 9)) >> 6) }

// firstPrefixValue returns the value of the shortest key that is a prefix
// of key (common_prefix_search(...)[0] in the Rust crate).
func (p *precompiled) firstPrefixValue(key string) (uint32, bool) {
	pos := unitOffset(p.units[0])
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == 0 {
			break
		}
		pos ^= uint32(c)
		if int(pos) >= len(p.units) {
			return 0, false
		}
		u := p.units[pos]
		if unitLabel(u) != uint32(c) {
			return 0, false
		}
		pos ^= unitOffset(u)
		if int(pos) >= len(p.units) {
			return 0, false
		}
		if unitHasLeaf(u) {
			return unitValue(p.units[pos]), true
		}
	}
	return 0, false
}

func (p *precompiled) transform(chunk string) (string, bool) {
	v, ok := p.firstPrefixValue(chunk)
	if !ok || int(v) > len(p.normalized) {
		return "", false
	}
	s := p.normalized[v:]
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s, true
}

func (p *precompiled) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		// Fast path: an unmapped ASCII character followed by ASCII (or
		// the end) is a grapheme of its own and stays.
		if c := s[0]; c < utf8.RuneSelf && p.asciiSame[c] && c != '\r' && (len(s) == 1 || s[1] < utf8.RuneSelf) {
			b.WriteByte(c)
			s = s[1:]
			continue
		}
		n := graphemeLen(s)
		g := s[:n]
		s = s[n:]
		if len(g) < 6 {
			if norm, ok := p.transform(g); ok {
				b.WriteString(norm)
				continue
			}
		}
		for i, r := range g {
			part := g[i : i+utf8.RuneLen(r)]
			if r == utf8.RuneError {
				_, size := utf8.DecodeRuneInString(g[i:])
				part = g[i : i+size]
			}
			if norm, ok := p.transform(part); ok {
				b.WriteString(norm)
			} else {
				b.WriteString(part)
			}
		}
	}
	return b.String()
}

// graphemeLen is the byte length of the extended grapheme cluster at the
// start of s, by the rules that matter for clusters under 6 bytes: CR LF,
// controls alone, and a base followed by extending characters (Grapheme
// Extend, ZWJ, spacing marks, emoji modifiers). Longer clusters (Hangul
// jamo runs, emoji sequences, regional-indicator pairs) are handled one
// character at a time either way.
func graphemeLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	if r == '\r' {
		if len(s) > 1 && s[1] == '\n' {
			return 2
		}
		return 1
	}
	if isGraphemeControl(r) {
		return n
	}
	for n < len(s) {
		r2, m := utf8.DecodeRuneInString(s[n:])
		if !isGraphemeExtend(r2) {
			break
		}
		n += m
	}
	return n
}

func isGraphemeControl(r rune) bool {
	if r < 0x20 || r == 0x7f {
		return true
	}
	if r < 0x80 {
		return false
	}
	return r != 0x200C && r != 0x200D && (unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp) ||
		(unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r)))
}

func isGraphemeExtend(r rune) bool {
	if r < 0x300 {
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Other_Grapheme_Extend) ||
		r == 0x200D || r == 0x0E33 || r == 0x0EB3 || (r >= 0x1F3FB && r <= 0x1F3FF)
}
