package benchtext

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextFrom(t *testing.T) {
	a, b := rand.New(rand.NewPCG(1, 0)), rand.New(rand.NewPCG(1, 0))
	for range 50 {
		if x, y := Text(a, 1024), TextFrom(b, 1024, Seeds); x != y {
			t.Fatalf("Text and TextFrom(Seeds) differ for the same seed:\n%q\n%q", x, y)
		}
	}
	r := rand.New(rand.NewPCG(2, 0))
	for range 200 {
		s := TextFrom(r, 1024, NoAttacks)
		if len(s) > 1024 || !utf8.ValidString(s) {
			t.Fatalf("bad text: %d bytes, valid UTF-8 %v", len(s), utf8.ValidString(s))
		}
		for _, attack := range []string{Seeds[2], Seeds[7]} {
			if strings.Contains(s, attack[:30]) {
				t.Fatalf("NoAttacks text carries %q", attack[:30])
			}
		}
	}
}
