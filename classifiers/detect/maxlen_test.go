package detect

import (
	"regexp/syntax"
	"testing"
)

func TestRuleLengths(t *testing.T) {
	for _, r := range gitleaksRules {
		p, _ := syntax.Parse(r.Regex, syntax.Perl)
		n := maxMatchLen(p)
		if n == unbounded || n > 400 {
			t.Logf("%-40s %6d %.120s", r.ID, n, r.Regex)
		}
	}
}

func TestEngineMaxMatch(t *testing.T) {
	d, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("secret engine bounded max %d, detector MaxMatch %d", d.secrets.maxMatch, d.MaxMatch())
	for _, r := range d.secrets.rules {
		if r.open {
			t.Logf("open: %s", r.id)
		} else if p, _ := syntax.Parse(r.re.String(), syntax.Perl); r.maxLen > 200 && !tokenOnly(p) {
			t.Logf("long: %s %d", r.id, r.maxLen)
		}
	}
}
