package detect

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
)

const (
	markOpen  = "⟦"
	markClose = "⟧"
)

type caseLine struct {
	line   int
	must   bool
	typ    string
	text   string
	spans  [][2]int
	source string
}

// parseCases reads testdata/cases.txt.
func parseCases(t *testing.T) []caseLine {
	t.Helper()
	b, err := os.ReadFile("testdata/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	return parseCaseLines(t, "cases.txt", string(b))
}

// parseCaseLines parses the case format (see testdata/cases.txt).
func parseCaseLines(t *testing.T, name, data string) []caseLine {
	t.Helper()
	var out []caseLine
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fields := strings.SplitN(l, " ", 2)
		rest := strings.TrimLeft(fields[1], " ")
		typ, raw, _ := strings.Cut(rest, " ")
		raw = strings.ReplaceAll(strings.TrimLeft(raw, " "), `\n`, "\n")
		c := caseLine{line: n, must: fields[0] == "+", typ: typ, source: l}
		var b strings.Builder
		for {
			i := strings.Index(raw, markOpen)
			if i < 0 {
				b.WriteString(raw)
				break
			}
			b.WriteString(raw[:i])
			raw = raw[i+len(markOpen):]
			j := strings.Index(raw, markClose)
			if j < 0 {
				t.Fatalf("%s:%d: unclosed %s", name, n, markOpen)
			}
			st := b.Len()
			b.WriteString(raw[:j])
			c.spans = append(c.spans, [2]int{st, b.Len()})
			raw = raw[j+len(markClose):]
		}
		c.text = b.String()
		if fields[0] != "+" && fields[0] != "-" {
			t.Fatalf("%s:%d: line must start with + or -", name, n)
		}
		if c.must && len(c.spans) == 0 {
			t.Fatalf("%s:%d: a + case needs a ⟦span⟧", name, n)
		}
		out = append(out, c)
	}
	return out
}

func TestCases(t *testing.T) {
	d := newRuleDetector(t)
	for _, c := range parseCases(t) {
		fs, err := d.Detect(context.Background(), c.text)
		if err != nil {
			t.Fatalf("line %d: %v", c.line, err)
		}
		if c.must {
			for _, sp := range c.spans {
				found := false
				for _, f := range fs {
					if f.Type == c.typ && f.Start <= sp[0] && f.End >= sp[1] {
						found = true
					}
				}
				if !found {
					t.Errorf("cases.txt:%d: want %s over %q; got %s", c.line, c.typ, c.text[sp[0]:sp[1]], describe(c.text, fs))
				}
			}
			continue
		}
		for _, f := range fs {
			if c.typ == "*" || f.Type == c.typ {
				t.Errorf("cases.txt:%d: unwanted %s in %q", c.line, describe(c.text, fs), c.text)
				break
			}
		}
	}
}
