package textnorm

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name, in, want string
		signals        []string
	}{
		{"plain", "Hello, world", "Hello, world", nil},
		{"fullwidth folds", "ｉｇｎｏｒｅ", "ignore", nil},
		{"ligature folds", "ﬁle", "file", nil},
		{"zero width stripped", "ig\u200bnore", "ignore", []string{SignalInvisible}},
		{"bidi stripped", "a\u202eb", "ab", []string{SignalBidi}},
		{"tag chars decoded", "hi\U000E0041\U000E0042", "hiAB", []string{SignalTagChars}},
		{"tag smuggling", "ok\U000E0001\U000E0069\U000E0067\U000E006E\U000E0020\U000E0041\U000E007F", "okign A", []string{SignalTagChars}},
		{"emoji subdivision flag quiet", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F!", "🏴!", nil},
		{"payload after a flag", "🏴\U000E0067\U000E0020\U000E0061\U000E007F", "🏴 a", []string{SignalTagChars}},
		{"too long for a flag", "🏴\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0061\U000E0062", "🏴b", []string{SignalTagChars}},
		{"khmer invisible vowel", "a\u17b4b", "ab", []string{SignalInvisible}},
		{"emoji zwj kept quiet", "👨\u200d👩", "👨👩", nil},
		{"variation selector quiet", "❤\ufe0f", "❤", nil},
		{"ideographic variation sequence quiet", "葛\U000E0100城", "葛城", nil},
		{"bytes in variation selectors", "😈\U000E0159\U000E0157\U000E015E\U000E015F\U000E0162\U000E0155\ufe0a", "😈ignore",
			[]string{SignalVariationSelectors}},
		{"unprintable byte in a variation selector", "ok\U000E01EF", "ok", []string{SignalVariationSelectors}},
		{"utf-8 in variation selectors", "😈\U000E01B3\U000E01AC\U000E0152\U000E0155\U000E0162", "😈über", []string{SignalVariationSelectors}},
		{"cut utf-8 in variation selectors", "😈\U000E01B3x\U000E0152", "😈xb", []string{SignalVariationSelectors}},
		{"soft hyphen", "pass\u00adword", "password", []string{SignalInvisible}},
		{"invalid utf8 replaced", "a\xffb", "a\uFFFDb", nil},
		{"nul between letters", "ig\x00no\x01re", "ignore", []string{SignalInvisible}},
		{"white space controls kept", "a\tb\nc\rd\ve\ff", "a\tb\nc\rd\ve\ff", nil},
		{"del and c1 controls", "i\x7fg\u0080n\u009fore", "ignore", []string{SignalInvisible}},
		{"next line kept", "a\u0085b", "a\u0085b", nil},
		{"noncharacters", "ig\ufffen\uffffo\ufdd0r\U0010FFFFe", "ignore", []string{SignalInvisible}},
		{"private use quiet", "ig\ue000no\U000F0000r\U0010FFFDe", "ignore", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Normalize(c.in)
			if got.Text != c.want {
				t.Errorf("Normalize(%q).Text = %q, want %q", c.in, got.Text, c.want)
			}
			if !slices.Equal(got.Signals, c.signals) {
				t.Errorf("Normalize(%q).Signals = %v, want %v", c.in, got.Signals, c.signals)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "abc", "ｉｇ\u200bn", "\U000E0041", "\xff\xfe", "ﷺ", "😈\U000E0159\U000E0157", "葛\U000E0100", "a\x00b\ue000\ufffe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Normalize(s)
		if !utf8.ValidString(r.Text) {
			t.Fatalf("invalid UTF-8 out for %q", s)
		}
		// Idempotent: normalising twice changes nothing more.
		if r2 := Normalize(r.Text); r2.Text != r.Text {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, r.Text, r2.Text)
		}
	})
}

// TestVisibleStart: the window counts what a reader sees, stops at the
// limit, and starts on a rune.
func TestVisibleStart(t *testing.T) {
	zw := strings.Repeat("\u200b", 1000)
	text := "api_key = " + zw + "value"
	end := len(text)
	if got := VisibleStart(text, end, 15, 1<<20); got != 0 {
		t.Errorf("15 visible bytes over 1,000 zero-width spaces: start %d, want 0", got)
	}
	if got := VisibleStart([]byte(text), end, 15, 1<<20); got != 0 {
		t.Errorf("[]byte: start %d, want 0", got)
	}
	if got := VisibleStart(text, end, 5, 1<<20); got != end-5 {
		t.Errorf("5 visible bytes: start %d, want %d", got, end-5)
	}
	if got := VisibleStart(text, end, 15, 100); got != end-101 {
		// 100 bytes back is the second byte of a zero-width space: the
		// start moves back to the rune's first byte
		t.Errorf("limit 100: start %d, want %d", got, end-101)
	}
	if got := VisibleStart("ａｂｃdef", len("ａｂｃdef"), 4, 100); got != len("ａｂ") {
		t.Errorf("fullwidth counts one: start %d, want %d", got, len("ａｂ"))
	}
	if got := VisibleStart("héllo", len("héllo"), 3, 100); got != len("hé") {
		t.Errorf("two-byte rune: start %d", got)
	}
	if got := VisibleStart("ab\xffcd", 5, 3, 100); got != 2 {
		t.Errorf("invalid byte counts one: start %d, want 2", got)
	}
}
