package detect

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/types"
)

// referenceScan is gitleaks' semantics, slowly: every rule whose keyword
// occurs anywhere in the text runs over the whole text.
func referenceScan(e *secretEngine, text string) []types.Finding {
	lt := strings.ToLower(text)
	var out []types.Finding
	for _, r := range e.rules {
		spec := specOf(r.id)
		hit := len(spec.Keywords) == 0
		for _, k := range spec.Keywords {
			if strings.Contains(lt, k) {
				hit = true
			}
		}
		if !hit {
			continue
		}
		for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
			out = e.emit(r, text, 0, m, m[0], false, out, nil)
		}
	}
	return out
}

func specOf(id string) ruleSpec {
	for _, s := range append(append([]ruleSpec(nil), gitleaksRules...), wardenRules...) {
		if s.ID == id {
			return s
		}
	}
	panic(id)
}

// keys lists findings as "detector start end", dropping generic findings
// that another finding covers (Warden does not report those twice).
func findingKeys(fs []types.Finding) []string {
	var out []string
	for _, f := range fs {
		covered := false
		if f.Score < 0.75 {
			for _, g := range fs {
				if g.Score >= 0.75 && g.Start <= f.Start && g.End >= f.End {
					covered = true
				}
			}
		}
		if !covered {
			out = append(out, fmt.Sprintf("%s %d %d", f.Detector, f.Start, f.End))
		}
	}
	sort.Strings(out)
	return dedupeStrings(out)
}

func dedupeStrings(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func diffKeys(a, b []string) (onlyA, onlyB []string) {
	in := map[string]int{}
	for _, x := range a {
		in[x] |= 1
	}
	for _, x := range b {
		in[x] |= 2
	}
	for k, v := range in {
		switch v {
		case 1:
			onlyA = append(onlyA, k)
		case 2:
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return
}

// TestSecretsMatchReference compares the fast engine (anchored at keywords,
// windows, prefilters, budgets) with the plain gitleaks semantics on the
// development texts and on random concatenations of them.
func TestSecretsMatchReference(t *testing.T) {
	e, err := sharedSecrets()
	if err != nil {
		t.Fatal(err)
	}
	cases := append(readCases(t, positivesFile), readCases(t, lookalikesFile)...)
	// The reference is slow (every rule over every text): a sample, every
	// step-th case plus random concatenations.
	step, mixes := 8, 60
	if testing.Short() || raceEnabled {
		step, mixes = 40, 10
	}
	var texts []string
	for i := 0; i < len(cases); i += step {
		texts = append(texts, cases[i].Text)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < mixes; i++ {
		var b strings.Builder
		for k := 0; k < 2+r.IntN(6); k++ {
			b.WriteString(cases[r.IntN(len(cases))].Text)
			b.WriteString([]string{" ", "\n", ", ", "; ", "\t"}[r.IntN(5)])
		}
		texts = append(texts, b.String())
	}
	mismatch := 0
	for _, text := range texts {
		fast := findingKeys(e.scan(text, nil))
		ref := findingKeys(referenceScan(e, text))
		onlyFast, onlyRef := diffKeys(fast, ref)
		if len(onlyFast)+len(onlyRef) > 0 {
			mismatch++
			if mismatch <= 10 {
				t.Logf("%q\n  only fast: %v\n  only reference: %v", text, onlyFast, onlyRef)
			}
		}
	}
	t.Logf("%d of %d texts differ from the reference", mismatch, len(texts))
	if mismatch > len(texts)/200 {
		t.Errorf("%d of %d texts differ from the reference (> 0.5%%)", mismatch, len(texts))
	}
}

// FuzzSecretsReference compares the fast engine with the reference on
// arbitrary texts.
func FuzzSecretsReference(f *testing.F) {
	e, err := sharedSecrets()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("api_key = 'x8Kd92jLq0PzV7mN3bT5rW1yE6uI4oA2' token: ghp_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		onlyFast, onlyRef := diffKeys(findingKeys(e.scan(text, nil)), findingKeys(referenceScan(e, text)))
		if len(onlyFast)+len(onlyRef) > 0 {
			t.Fatalf("%q\n  only fast: %v\n  only reference: %v", text, onlyFast, onlyRef)
		}
	})
}
