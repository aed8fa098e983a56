package nerfeat

import (
	"reflect"
	"testing"
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
