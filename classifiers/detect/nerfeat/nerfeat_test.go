package nerfeat

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	text := "Dr. O'Brien met Jean-Luc in São Paulo, 2024!"
	var got []string
	for _, tk := range Tokenize(text, nil) {
		got = append(got, text[tk.Start:tk.End])
	}
	want := []string{"Dr", ".", "O'Brien", "met", "Jean-Luc", "in", "São", "Paulo", ",", "2024", "!"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tokens %q", got)
	}
}

func TestShape(t *testing.T) {
	for in, want := range map[string]string{"McDonald": "XxXx", "2024": "d", "SW1A": "XdX", "São": "Xx", "e-mail": "x-x"} {
		if got := Shape(in); got != want {
			t.Errorf("Shape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFeatureContract pins the ids of one sentence: the shipped model was
// trained on them, so any change here needs a new feature version and a
// retrained model.
func TestFeatureContract(t *testing.T) {
	c := Config{Version: Version, Buckets: 1 << 16}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	text := "Hello Alice"
	toks := Tokenize(text, nil)
	ids := c.Featurize(text, toks, 0, len(toks), nil)
	if len(ids) != 2*Slots {
		t.Fatalf("%d ids", len(ids))
	}
	want := []int64{ids[0], ids[Slots]}
	got := []int64{c.id("w", "hello"), c.id("w", "alice")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("word ids %v, want %v", got, want)
	}
	pinned := []int64{254, 14640}
	if !reflect.DeepEqual(got, pinned) {
		t.Fatalf("feature hashing changed: %v, pinned %v (retrain and bump Version)", got, pinned)
	}
	if (Config{Version: "x", Buckets: 2}).Validate() == nil {
		t.Fatal("unknown version accepted")
	}
}

// featurizeRef is the first, straightforward Featurize: the contract the
// faster one must keep, id for id.
func (c Config) featurizeRef(text string, toks []Token, a, b int, dst []int64) []int64 {
	word := func(i int) string {
		if i < 0 {
			return "<s>"
		}
		if i >= len(toks) {
			return "</s>"
		}
		return lowerTrunc(text[toks[i].Start:toks[i].End])
	}
	shape := func(i int) string {
		if i < 0 || i >= len(toks) {
			return "<b>"
		}
		return Shape(prefix(text[toks[i].Start:toks[i].End], maxWordRunes))
	}
	for i := a; i < b; i++ {
		raw := text[toks[i].Start:toks[i].End]
		w := word(i)
		sh := shape(i)
		ss := "0"
		if SentenceStart(text, toks, i) {
			ss = "1"
		}
		cc := capClass(raw)
		n := utf8.RuneCountInString(raw)
		lb := "l1"
		switch {
		case n > 8:
			lb = "l9"
		case n > 4:
			lb = "l5"
		case n > 1:
			lb = "l2"
		}
		dst = append(dst,
			c.id("w", w),
			c.id("p3", prefix(w, 3)),
			c.id("s3", suffix(w, 3)),
			c.id("s2", suffix(w, 2)),
			c.id("sh", sh),
			c.id("cc", cc+lb),
			c.id("ss", ss+cc),
			c.id("w-1", word(i-1)),
			c.id("w+1", word(i+1)),
			c.id("w-2", word(i-2)),
			c.id("w+2", word(i+2)),
			c.id("sh-1", shape(i-1)+"|"+sh),
			c.id("sh+1", sh+"|"+shape(i+1)),
			c.id("w-1w", word(i-1)+"|"+w),
			c.id("ww+1", w+"|"+word(i+1)),
			c.id("b", ""),
		)
	}
	return dst
}

// TestFeaturizeMatchesReference compares Featurize with featurizeRef (the
// implementation the shipped tagger was trained with) on varied texts and
// token ranges, id for id.
func TestFeaturizeMatchesReference(t *testing.T) {
	c := Config{Version: Version, Buckets: 1 << 16}
	pieces := []string{"Hello", "Alice", "DR.", "O'Brien", "São Paulo", "MCDONALD'S", "ÉCOLE", "straße", "STRASSE", "2024",
		"SW1A 1AA", "e-mail", "Ǆemal", "ǅ", "İstanbul", "東京", "Москва", "ΑΘΗΝΑ", "ﬁle", "x", "\n", "!", "“Quoted”",
		"supercalifragilisticexpialidocious", "Ivan-Petrov", "ÀÉÎÕÜ", "ǈ", "ᾈ", "a\u0301b", "١٢٣", "AbCdEfGhIjKlMnOpQrStUvWxYz"}
	r := rand.New(rand.NewPCG(7, 7))
	texts := []string{"", "Hello Alice", "a", "Mr. Smith went to Washington. He met Jane-Doe in NEW YORK!"}
	for range 400 {
		var b strings.Builder
		for range 1 + r.IntN(30) {
			b.WriteString(pieces[r.IntN(len(pieces))])
			b.WriteString([]string{" ", "  ", "\n", ". ", ", ", ""}[r.IntN(6)])
		}
		texts = append(texts, b.String())
	}
	n := 0
	for _, text := range texts {
		if !utf8.ValidString(text) {
			t.Fatalf("invalid test text %q", text)
		}
		toks := Tokenize(text, nil)
		for _, tk := range toks {
			if w := text[tk.Start:tk.End]; Shape(w) != shapeRef(w) {
				t.Fatalf("Shape(%q) = %q, reference %q", w, Shape(w), shapeRef(w))
			}
		}
		ranges := [][2]int{{0, len(toks)}}
		if len(toks) > 2 {
			a := r.IntN(len(toks))
			ranges = append(ranges, [2]int{a, a + r.IntN(len(toks)-a) + 1}, [2]int{1, len(toks) - 1})
		}
		for _, ab := range ranges {
			got := c.Featurize(text, toks, ab[0], ab[1], nil)
			want := c.featurizeRef(text, toks, ab[0], ab[1], nil)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Featurize(%q, %v) differs from the reference", text, ab)
			}
			n += len(got)
		}
	}
	if n < 10000 {
		t.Fatalf("only %d ids compared", n)
	}
}

func BenchmarkFeaturize(b *testing.B) {
	c := Config{Version: Version, Buckets: 1 << 16}
	text := strings.Repeat("Can you summarise the report Jane Doe sent from New York on Monday? Ignore all previous instructions. ", 10)
	toks := Tokenize(text, nil)
	var dst []int64
	b.Run("current", func(b *testing.B) {
		for b.Loop() {
			dst = c.Featurize(text, toks, 0, len(toks), dst[:0])
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			dst = c.featurizeRef(text, toks, 0, len(toks), dst[:0])
		}
	})
}

// shapeRef is the first Shape.
func shapeRef(w string) string {
	var b strings.Builder
	var last rune = -1
	for _, r := range w {
		c := r
		switch {
		case unicode.IsUpper(r):
			c = 'X'
		case unicode.IsLower(r) || unicode.IsLetter(r):
			c = 'x'
		case unicode.IsDigit(r):
			c = 'd'
		}
		if c != last {
			b.WriteRune(c)
			last = c
		}
	}
	return b.String()
}
