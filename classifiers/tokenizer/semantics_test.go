package tokenizer

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func preSplit(t *testing.T, cfg, text string) []string {
	t.Helper()
	p, err := parsePreTokenizer(json.RawMessage(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	return p.split([]string{text}, &preState{first: true, tmp: &tmp})
}

func normalizeWith(t *testing.T, cfg, text string) string {
	t.Helper()
	n, err := parseNormalizer(json.RawMessage(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return n.normalize(text)
}

// TestRustSemantics pins the behaviour of the Rust tokenizers library where
// transformers.js differs (DIVERGENCES.md), and other fine points.
func TestRustSemantics(t *testing.T) {
	pre := []struct {
		name, cfg, text string
		want            []string
	}{
		{"digits are char::is_numeric", `{"type":"Digits","individual_digits":true}`, "a١٢b3", []string{"a", "١", "٢", "b", "3"}},
		{"digits contiguous", `{"type":"Digits","individual_digits":false}`, "ab12½c", []string{"ab", "12½", "c"}},
		{"bert whitespace is White_Space", `{"type":"BertPreTokenizer"}`, "a\u0085b \ufeffc", []string{"a", "b", "\ufeffc"}},
		{"bert punctuation isolated", `{"type":"BertPreTokenizer"}`, "Hey friend!     How are you?!?", []string{"Hey", "friend", "!", "How", "are", "you", "?", "!", "?"}},
		{"punctuation isolated per char", `{"type":"Punctuation"}`, "Hello!! ok", []string{"Hello", "!", "!", " ok"}},
		{"punctuation contiguous", `{"type":"Punctuation","behavior":"Contiguous"}`, "Hello!! ok", []string{"Hello", "!!", " ok"}},
		{"whitespace uses Unicode \\w", `{"type":"Whitespace"}`, "café! naïve?", []string{"café", "!", "naïve", "?"}},
		{"whitespace split", `{"type":"WhitespaceSplit"}`, "Hey, man,\u00a0Good?", []string{"Hey,", "man,", "Good?"}},
		{"metaspace merged with next", `{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}`, "Hey   friend!", []string{"▁Hey", "▁", "▁", "▁friend!"}},
		{"metaspace legacy add_prefix_space false", `{"type":"Metaspace","replacement":"▁","add_prefix_space":false}`, "Hey you", []string{"Hey", "▁you"}},
		{"metaspace no split", `{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":false}`, "a b", []string{"▁a▁b"}},
		{"gpt2 spaces before a word", `{"type":"ByteLevel","add_prefix_space":false}`, "Hello  world", []string{"Hello", " ", " world"}},
		{"gpt2 newlines", `{"type":"ByteLevel","add_prefix_space":false}`, "a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"gpt2 trailing spaces", `{"type":"ByteLevel","add_prefix_space":false}`, "a  ", []string{"a", "  "}},
		{"gpt2 contractions", `{"type":"ByteLevel","add_prefix_space":true}`, "I'm 'S''s", []string{" I", "'m", " '", "S", "''", "s"}},
		{"split removed", `{"type":"Split","pattern":{"String":"-"},"behavior":"Removed","invert":false}`, "a-b--c", []string{"a", "b", "c"}},
		{"split merged with previous", `{"type":"Split","pattern":{"String":"-"},"behavior":"MergedWithPrevious","invert":false}`, "a-b--c", []string{"a-", "b-", "-", "c"}},
		{"split merged with next", `{"type":"Split","pattern":{"String":"-"},"behavior":"MergedWithNext","invert":false}`, "a-b--c", []string{"a", "-b", "-", "-c"}},
		{"split contiguous", `{"type":"Split","pattern":{"String":"-"},"behavior":"Contiguous","invert":false}`, "a-b--c", []string{"a", "-", "b", "--", "c"}},
		{"split invert", `{"type":"Split","pattern":{"Regex":"\\d+"},"behavior":"Removed","invert":true}`, "ab12cd345", []string{"12", "345"}},
		{"split lookahead emulation", `{"type":"Split","pattern":{"Regex":"\\p{L}+|\\s+(?!\\S)|\\s+"},"behavior":"Isolated","invert":false}`, "ab   cd  ", []string{"ab", "  ", " ", "cd", "  "}},
		{"fixed length", `{"type":"FixedLength","length":3}`, "abcdéfg", []string{"abc", "déf", "g"}},
		{"char delimiter", `{"type":"CharDelimiterSplit","delimiter":"_"}`, "a_b__c", []string{"a", "b", "c"}},
	}
	for _, c := range pre {
		if got := preSplit(t, c.cfg, c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q -> %q, want %q", c.name, c.text, got, c.want)
		}
	}
	norm := []struct {
		name, cfg, text, want string
	}{
		{"bert pads CJK outside the BMP", `{"type":"BertNormalizer","lowercase":false}`, "x𠀀y", "x 𠀀 y"},
		{"bert drops \\v \\f and unassigned", `{"type":"BertNormalizer","lowercase":false}`, "a\vb\fc\u0378d\ue000e\u200bf", "abcdef"},
		{"bert maps whitespace", `{"type":"BertNormalizer","lowercase":false}`, "a\tb\u3000c", "a b c"},
		{"bert lowercase strips accents", `{"type":"BertNormalizer","lowercase":true}`, "ÉCOLE İ", "ecole i"},
		{"no final sigma", `{"type":"Lowercase"}`, "ΟΔΟΣ", "οδοσ"},
		{"dotted capital I", `{"type":"Lowercase"}`, "İ", "i\u0307"},
		{"strip accents removes all marks", `{"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"}]}`, "ñà", "na"},
		{"prepend skips empty", `{"type":"Prepend","prepend":"▁"}`, "", ""},
		{"replace regex", `{"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "}`, "a   b  c d", "a b c d"},
		{"strip", `{"type":"Strip","strip_left":true,"strip_right":false}`, "  a  ", "a  "},
		{"nmt", `{"type":"Nmt"}`, "a\x01b\tc\u200bd", "ab c d"},
	}
	for _, c := range norm {
		if got := normalizeWith(t, c.cfg, c.text); got != c.want {
			t.Errorf("%s: %q -> %q, want %q", c.name, c.text, got, c.want)
		}
	}
}

func TestUnsupportedRegexIsRefused(t *testing.T) {
	for _, re := range []string{`(?=a)b`, `a(?<=b)`, `(?>ab)`, `a++`, `\h+`} {
		_, err := parsePreTokenizer(json.RawMessage(`{"type":"Split","pattern":{"Regex":` + mustJSON(re) + `},"behavior":"Isolated","invert":false}`))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%q: err = %v, want ErrUnsupported", re, err)
		}
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
