package textnorm

import (
	"slices"
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
