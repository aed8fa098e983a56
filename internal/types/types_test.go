package types

import "testing"

func TestValidCategory(t *testing.T) {
	for name, want := range map[string]bool{
		"hate": true, "self_harm": true, "x9": true, "a_": true,
		"": false, "Hate": false, "9x": false, "_a": false, "jailbreak-x": false, "self harm": false, "é": false,
	} {
		if got := ValidCategory(name); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}
