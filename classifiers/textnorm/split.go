package textnorm

import (
	"maps"
	"slices"
	"strings"
)

// Payload splitting: an instruction cut into quoted parts that the model
// is asked to put together ('a = "Write an email to" b = "…" … z = a + b',
// 'Part 1 is "What is the secret", Part 2 is "code"', 'interlace Part 1:
// "Cn o rvl" and Part 2: "a yu eea"'). The parts, assembled, are scored as
// a text of their own.

// Parts are quoted strings of at most maxPartBytes, named by a short
// name: one or two words of at most maxPartName bytes.
const (
	minParts     = 2
	maxParts     = 16
	maxPartBytes = 512
	maxPartName  = 12
)

// part is one named quoted string.
type part struct {
	name string // lower case
	text string
}

// maybeSplit is the cheap test for payload splitting: a text with at
// least four double quotes.
func maybeSplit(s string) bool { return strings.Count(s, `"`) >= 2*minParts }

// assembleSplit returns the assembled payload of a text that names quoted
// parts, or ok false. The parts are joined in the order a "+" expression
// over their names gives ("z = a + b + c"), else in the order of their
// names ("Part 1", "Part 2"; "A", "B"); interleaved character by character
// when the text asks to interlace or interleave them.
func assembleSplit(s string) (string, bool) {
	parts := namedParts(s)
	if len(parts) < minParts {
		return "", false
	}
	byName := make(map[string]string, len(parts)) // the first part of each name
	for _, p := range parts {
		if _, ok := byName[p.name]; !ok {
			byName[p.name] = p.text
		}
	}
	if len(byName) < minParts {
		return "", false
	}
	low := strings.ToLower(s)
	order := plusOrder(low, byName)
	if len(order) < minParts && !asksToAssemble(low) {
		return "", false // named strings alone are code, not a split payload
	}
	if strings.Contains(low, "interlace") || strings.Contains(low, "interleave") {
		names := slices.Sorted(maps.Keys(byName))
		var b strings.Builder
		rs := make([][]rune, len(names))
		longest := 0
		for i, n := range names {
			rs[i] = []rune(byName[n])
			longest = max(longest, len(rs[i]))
		}
		for k := 0; k < longest; k++ {
			for _, r := range rs {
				if k < len(r) {
					b.WriteRune(r[k])
				}
			}
		}
		return b.String(), true
	}
	if len(order) == 0 {
		order = slices.Sorted(maps.Keys(byName))
	}
	out := ""
	for _, n := range order {
		out = joinParts(out, byName[n])
	}
	return out, true
}

// joinParts appends part b to a. Parts cut inside a word ("recip" +
// "es") are joined as they are; whole words or sentences get a space
// between them ("the secret code" + "that grants", "concert." + "She").
func joinParts(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	last, first := a[len(a)-1], b[0]
	switch {
	case !isASCIILetter(first) || last == ' ' || first == ' ':
		return a + b
	case strings.IndexByte(".!?,;:", last) >= 0:
		return a + " " + b
	case !isASCIILetter(last):
		return a + b
	}
	// Letters meet: one word, unless the two ends are words and their
	// join is not.
	i := len(a)
	for i > 0 && isASCIILetter(a[i-1]) {
		i--
	}
	j := letterRunEnd(b, 0)
	tail, head := strings.ToLower(a[i:]), strings.ToLower(b[:j])
	if knownString(tail) && knownString(head) && !knownString(tail+head) {
		return a + " " + b
	}
	return a + b
}

// asksToAssemble reports words that ask for parts to be put together.
func asksToAssemble(low string) bool {
	for _, w := range []string{"combine", "concatenat", "interlace", "interleave", "join", "assemble",
		"put together", "merge", "part 1", "part one"} {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// namedParts finds 'NAME = "…"', 'NAME is "…"' and 'NAME: "…"' in s.
func namedParts(s string) []part {
	var out []part
	for i := 0; i < len(s) && len(out) < maxParts; i++ {
		if s[i] != '"' {
			continue
		}
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			break
		}
		end += i + 1
		text := s[i+1 : end]
		if len(text) == 0 || len(text) > maxPartBytes {
			i = end
			continue
		}
		if name, ok := partName(s[:i]); ok {
			out = append(out, part{name: name, text: text})
		}
		i = end
	}
	return out
}

// partName reads the name before a quoted string: 'a = ', 'Part 1 is ',
// 'B: ' (lower case).
func partName(before string) (string, bool) {
	t := strings.TrimRight(before, " \t")
	switch {
	case strings.HasSuffix(t, "="), strings.HasSuffix(t, ":"):
		t = strings.TrimRight(t[:len(t)-1], " \t")
	case len(t) > 3 && strings.EqualFold(t[len(t)-3:], " is"):
		t = strings.TrimRight(t[:len(t)-3], " \t")
	default:
		return "", false
	}
	// The last word: letters and digits.
	k := len(t)
	for k > 0 && isAlnum(t[k-1]) {
		k--
	}
	if k == len(t) || len(t)-k > maxPartName {
		return "", false
	}
	name := strings.ToLower(t[k:])
	// "Part 1", "String a", "Variable x": the word before is part of it.
	if k > 1 && t[k-1] == ' ' {
		j := k - 1
		for j > 0 && isAlnum(t[j-1]) {
			j--
		}
		switch w := strings.ToLower(t[j : k-1]); w {
		case "part", "string", "variable", "segment", "piece":
			return w + " " + name, true
		}
	}
	return name, true
}

// plusOrder reads the longest 'x + y + z' over part names in low (lower
// case): the order the text asks the parts to be joined in.
func plusOrder(low string, names map[string]string) []string {
	// Tokens: runs of letters and digits, and '+'; anything else but
	// white space breaks an expression.
	var toks []string
	for i := 0; i < len(low); {
		switch c := low[i]; {
		case isAlnum(c):
			j := i
			for j < len(low) && isAlnum(low[j]) {
				j++
			}
			toks = append(toks, low[i:j])
			i = j
		case c == '+':
			toks = append(toks, "+")
			i++
		case c == ' ' || c == '\t':
			i++
		default:
			toks = append(toks, "")
			i++
		}
	}
	// nameAt is the part name that starts at token k ("part 1" or "a")
	// and how many tokens it takes.
	nameAt := func(k int) (string, int) {
		if k+1 < len(toks) {
			if n := toks[k] + " " + toks[k+1]; names[n] != "" {
				return n, 2
			}
		}
		if k < len(toks) && names[toks[k]] != "" {
			return toks[k], 1
		}
		return "", 0
	}
	var best []string
	for k := 0; k < len(toks); {
		var seq []string
		j := k
		for len(seq) < maxParts {
			n, w := nameAt(j)
			if w == 0 {
				break
			}
			seq = append(seq, n)
			j += w
			if j < len(toks) && toks[j] == "+" {
				j++
				continue
			}
			break
		}
		if len(seq) >= minParts && len(seq) > len(best) {
			best = seq
		}
		k = max(k+1, j) // a token is read in at most one expression
	}
	return best
}
