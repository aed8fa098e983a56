package check

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

// fakeScorer records the windows it is asked to score; the score of a
// window is a function of its text only. (The real classifiers are
// exercised by the streams tests; here the point is which windows.)
type fakeScorer struct{ windows []string }

func (f *fakeScorer) Score(_ context.Context, _ types.Stage, texts []string) ([]types.Scores, error) {
	out := make([]types.Scores, len(texts))
	for i, t := range texts {
		f.windows = append(f.windows, t)
		out[i] = types.Scores{"x": float64(utf8.RuneCountInString(t)%97) / 100}
	}
	return out, nil
}

func (f *fakeScorer) Versions() map[string]string { return map[string]string{"fake": "0"} }

var normAlphabet = []string{"a", "b", " ", "e\u0301", "\u0301", "\u0300", "ﬁ", "Å", "Ａ", "\u200b", "\u200d", "👩", "\u202e",
	"\U000E0041", "\U000E0067", "\U000E0020", "\U000E007F", "🏴", "\u17b4", "\uFE0F", "한", "\u1100", "\u1161", "\u11ab", "。", "\n", "ß", "ǅ", "\u0345", "\u0f73"}

func randomText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(normAlphabet[rng.IntN(len(normAlphabet))])
	}
	return b.String()
}

// The incremental normaliser gives textnorm.Normalize's text and signals,
// whatever the pieces (checked on the windows it emits with a window as
// large as the text, and on the signals).
func TestStreamNormalizeMatchesTextnorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		text := randomText(rng, 1+rng.IntN(60))
		want := textnorm.Normalize(text)
		plan := Plan{WindowRunes: 1 << 20, StepRunes: 1 << 20}
		fs := &fakeScorer{}
		st, err := New(fs, nil, nil, nil, Options{}).NewStream(Request{}, plan)
		if err != nil {
			t.Fatal(err)
		}
		for rest := text; len(rest) > 0; {
			n := 1 + rng.IntN(8)
			for n < len(rest) && !utf8.RuneStart(rest[n]) {
				n++
			}
			n = min(n, len(rest))
			st.Append(context.Background(), rest[:n])
			rest = rest[n:]
		}
		st.EndSegment(context.Background())
		if len(fs.windows) != 1 || fs.windows[0] != want.Text {
			t.Fatalf("%q: stream normalised to %q, textnorm to %q", text, fs.windows, want.Text)
		}
		if !slices.Equal(st.Signals(), want.Signals) {
			t.Fatalf("%q: signals %v, textnorm %v", text, st.Signals(), want.Signals)
		}
	}
}

// The windows depend on the text only: any chunking scores the same set.
func TestStreamWindowsIndependentOfChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	plan := Plan{WindowRunes: 16, StepRunes: 5}
	for range 500 {
		text := randomText(rng, rng.IntN(80))
		var ref []string
		for k := range 4 {
			fs := &fakeScorer{}
			st, _ := New(fs, nil, nil, nil, Options{}).NewStream(Request{}, plan)
			if k == 0 {
				st.Append(context.Background(), text)
			} else {
				for _, r := range text {
					st.Append(context.Background(), string(r))
				}
			}
			st.EndSegment(context.Background())
			got := slices.Clone(fs.windows)
			if k == 0 {
				ref = got
				for _, w := range got {
					if utf8.RuneCountInString(w) > plan.WindowRunes {
						t.Fatalf("window of %d runes", utf8.RuneCountInString(w))
					}
				}
				continue
			}
			if !slices.Equal(got, ref) {
				t.Fatalf("%q: windows %q vs %q", text, got, ref)
			}
		}
	}
}

func TestPlanValidate(t *testing.T) {
	for _, p := range []Plan{{16, 0}, {8, 4}, {16, 17}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if DefaultPlan.Validate() != nil {
		t.Error("default plan rejected")
	}
}

func TestValidText(t *testing.T) {
	if got := ValidText("a\xff\xfeb\xe2\x82"); got != "a\uFFFD\uFFFDb\uFFFD\uFFFD" {
		t.Fatalf("%q", got)
	}
	// Split anywhere, one U+FFFD per invalid byte: the same.
	s := "x\xe2\x82\xacy\xff"
	for i := 0; i <= len(s); i++ {
		if ValidText(s[:i])+ValidText(s[i:]) != ValidText(s) && utf8.RuneStart(s[min(i, len(s)-1)]) {
			t.Fatalf("split at %d", i)
		}
	}
}

func TestClipFindings(t *testing.T) {
	fs := []types.Finding{{Type: "A", Start: 0, End: 5}, {Type: "B", Start: 4, End: 12}, {Type: "C", Start: 12, End: 14}}
	got := ClipFindings(fs, 5, 12)
	if len(got) != 1 || got[0].Type != "B" || got[0].Start != 0 || got[0].End != 7 {
		t.Fatalf("%+v", got)
	}
}
