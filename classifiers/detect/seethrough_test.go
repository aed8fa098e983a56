package detect

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSeeThroughHiddenCharacters: a character a reader does not see, or a
// fullwidth form, inside a value does not hide it. The finding covers the
// value in the caller's text, hidden characters included, so a redaction
// masks all of it.
func TestSeeThroughHiddenCharacters(t *testing.T) {
	d := newRuleDetector(t)
	cases := []struct {
		name, value, typ string
	}{
		{"zero-width space in an address", "jane.doe\u200b@example.com", "EMAIL"},
		{"soft hyphen in an address", "jane\u00ad.doe@exam\u00adple.com", "EMAIL"},
		{"nul in an address", "jane.doe\x00@example.com", "EMAIL"},
		{"bidi override in an address", "jane.doe@\u202eexample.com", "EMAIL"},
		{"fullwidth address", "ｊａｎｅ．ｄｏｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "EMAIL"},
		{"zero-width space in a card", "4111 1111 1111\u200b 1111", "CREDIT_CARD"},
		{"word joiner in a card", "4111\u20601111\u206011111111", "CREDIT_CARD"},
		{"fullwidth card", "４１１１１１１１１１１１１１１１", "CREDIT_CARD"},
		{"zero-width space in a key", "AKIAZ7VRSQ5T\u200bLMN3PQ2X", "AWS_ACCESS_KEY"},
		{"private-use character in a key", "ghp_R8kq2Lm9Xw3Zt7Vb1Nc5\ue000Qp4Hd6Jf8Ks0Lw2M", "GITHUB_TOKEN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := "Please contact " + c.value + " today."
			fs, err := d.Detect(context.Background(), text)
			if err != nil {
				t.Fatal(err)
			}
			start := strings.Index(text, c.value)
			var hit bool
			for _, f := range fs {
				if !utf8.RuneStart(text[f.Start]) || (f.End < len(text) && !utf8.RuneStart(text[f.End])) {
					t.Fatalf("finding %+v is not on rune boundaries", f)
				}
				if f.Start <= start && f.End >= start+len(c.value) {
					hit = f.Type == c.typ
				}
			}
			if !hit {
				t.Fatalf("no %s finding covering %q in %+v", c.typ, c.value, fs)
			}
		})
	}
}

// TestSeeThroughPlainTextUnchanged: text without hidden characters takes
// no view, and a view of text with them maps back onto it.
func TestSeeThroughPlainTextUnchanged(t *testing.T) {
	if _, ok := seeThrough("plain text, jane@example.com, 中文标点。"); ok {
		t.Fatal("a view of text that needs none")
	}
	text := "a\u200bb\x00c\uff41\ue000"
	v, ok := seeThrough(text)
	if !ok || v.text != "abca" {
		t.Fatalf("view %q %v", v.text, ok)
	}
	if got := text[v.from[2]:v.to[3]]; got != "c\uff41" {
		t.Fatalf("mapped %q", got)
	}
	if v.offset(len(v.text), len(text)) != len(text) {
		t.Fatal("end of the view is not the end of the text")
	}
}

// TestStreamSeesThroughHiddenCharacters: streamed in any chunks, an
// address or key with a hidden character inside is held back until it is
// complete and released with one finding over all of it, as a whole-text
// scan reports it.
func TestStreamSeesThroughHiddenCharacters(t *testing.T) {
	d := newRuleDetector(t)
	r := newRand()
	for _, text := range []string{
		"Mail jane.doe\u200b@example.com, or call later.",
		"key AKIAZ7VRSQ5T\u200bLMN3PQ2X and card 4111 1111 1111\u200b 1111, thanks",
		"ｍａｉｌ ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ ｎｏｗ",
		// fullwidth punctuation before the first fullwidth letter: the
		// stream must read "jane．" as the view will once "＠" arrives
		"Write to jane．doe＠example.com today",
		// a view's release point must not cut a finding only the
		// original text has (an IPv6 address here)
		"ｘ e\u200b1111::1-． x",
		// thousands of zero-width spaces between a keyword and its value
		// must not push the keyword out of a stream's context
		"config: api_key = " + strings.Repeat("\u200b", 3000) + "Zx9f3kLm2Qp7Rt5Vw8Yz1Bc4Nd6Hj0 done",
	} {
		whole, err := d.Detect(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		if len(whole) == 0 {
			t.Fatalf("no findings in %q", text)
		}
		for _, oneByte := range []bool{false, true} {
			streamAgrees(t, d, text, whole, split(text, r, oneByte), fmt.Sprintf("%.60q (1-byte %v)", text, oneByte))
		}
	}
}
