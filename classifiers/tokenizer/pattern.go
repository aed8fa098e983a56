package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// patternJSON is a Split/Replace pattern: {"String": "..."} or
// {"Regex": "..."}.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// pattern finds delimiters: a literal string or a regular expression.
//
// tokenizer.json regexes are Oniguruma syntax. They are translated to RE2
// (linear time; Warden uses no backtracking engine): \s, \d and \w get
// Oniguruma's Unicode meaning, and the lookahead idiom `\s+(?!\S)|\s+` that
// ends the GPT-2, Llama 3 and Qwen patterns is emulated exactly. Any other
// lookaround, atomic group or possessive quantifier is refused.
type pattern struct {
	lit string
	re  *regexp.Regexp
	// wsGroup is the submatch index of the emulated `\s+(?!\S)|\s+`
	// alternative, or 0.
	wsGroup int
}

func (p patternJSON) compile() (*pattern, error) {
	switch {
	case p.String != nil:
		if *p.String == "" {
			return nil, fmt.Errorf("empty string pattern")
		}
		return &pattern{lit: *p.String}, nil
	case p.Regex != nil:
		return compileOniguruma(*p.Regex)
	}
	return nil, fmt.Errorf("pattern has neither String nor Regex")
}

const (
	wsClassBody = `\t\n\v\f\r \x{85}\p{Z}`
	wordBody    = `\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}\x{24B6}-\x{24E9}\x{1F130}-\x{1F149}\x{1F150}-\x{1F169}\x{1F170}-\x{1F189}`
	lookaheadWS = `\s+(?!\S)|\s+`
)

func compileOniguruma(src string) (*pattern, error) {
	body := src
	ws := false
	if strings.HasSuffix(body, "|"+lookaheadWS) {
		body = strings.TrimSuffix(body, lookaheadWS) + `(?P<wsla>\s+)`
		ws = true
	} else if body == lookaheadWS {
		body = `(?P<wsla>\s+)`
		ws = true
	}
	tr, err := translateRegex(body)
	if err != nil {
		return nil, fmt.Errorf("%w: regex %q: %w", ErrUnsupported, src, err)
	}
	re, err := regexp.Compile(tr)
	if err != nil {
		return nil, fmt.Errorf("%w: regex %q: %w", ErrUnsupported, src, err)
	}
	p := &pattern{re: re}
	if ws {
		p.wsGroup = re.SubexpIndex("wsla")
	}
	return p, nil
}

// translateRegex rewrites Oniguruma escapes whose meaning differs in RE2.
func translateRegex(src string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			n := src[i+1]
			i++
			switch n {
			case 's':
				if inClass {
					b.WriteString(wsClassBody)
				} else {
					b.WriteString(`[` + wsClassBody + `]`)
				}
			case 'S':
				if inClass {
					return "", fmt.Errorf(`\S inside a character class`)
				}
				b.WriteString(`[^` + wsClassBody + `]`)
			case 'd':
				b.WriteString(`\p{Nd}`)
			case 'D':
				b.WriteString(`\P{Nd}`)
			case 'w':
				if inClass {
					b.WriteString(wordBody)
				} else {
					b.WriteString(`[` + wordBody + `]`)
				}
			case 'W':
				if inClass {
					return "", fmt.Errorf(`\W inside a character class`)
				}
				b.WriteString(`[^` + wordBody + `]`)
			case 'h', 'H', 'R', 'X', 'K', 'G', 'g', 'k':
				return "", fmt.Errorf(`escape \%c`, n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
				if n == 'p' || n == 'P' || n == 'x' {
					// copy a braced argument verbatim
					if i+1 < len(src) && src[i+1] == '{' {
						j := strings.IndexByte(src[i+1:], '}')
						if j < 0 {
							return "", fmt.Errorf("unterminated \\%c{", n)
						}
						b.WriteString(src[i+1 : i+2+j])
						i += 1 + j
					}
				}
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if i+1 < len(src) && src[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(src) && src[i+1] == ']' { // literal ] first in class
				b.WriteString(`\]`)
				i++
			}
		case c == '[' && inClass:
			if strings.HasPrefix(src[i:], "[:") {
				return "", fmt.Errorf("POSIX bracket or nested class")
			}
			b.WriteString(`\[`)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case c == '(' && !inClass && strings.HasPrefix(src[i:], "(?"):
			rest := src[i+2:]
			if strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "<=") ||
				strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, ">") {
				return "", fmt.Errorf("lookaround or atomic group at %d", i)
			}
			b.WriteByte(c)
		case (c == '+' || c == '?') && !inClass && i > 0 && isQuantifierEnd(src, i) && i+1 < len(src) && src[i+1] == '+':
			return "", fmt.Errorf("possessive quantifier at %d", i)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isQuantifierEnd(src string, i int) bool {
	p := src[i-1]
	return p != '\\' && p != '('
}

// findAll returns the [start, end) byte spans of the non-empty matches.
func (p *pattern) findAll(s string, dst [][2]int) [][2]int {
	if p.re == nil {
		for i := 0; ; {
			j := strings.Index(s[i:], p.lit)
			if j < 0 {
				return dst
			}
			dst = append(dst, [2]int{i + j, i + j + len(p.lit)})
			i += j + len(p.lit)
		}
	}
	if p.wsGroup == 0 {
		for _, m := range p.re.FindAllStringIndex(s, -1) {
			if m[1] > m[0] {
				dst = append(dst, [2]int{m[0], m[1]})
			}
		}
		return dst
	}
	// Emulate `\s+(?!\S)`: a whitespace run followed by a non-space gives
	// up its last rune (unless it is the only one).
	for pos := 0; pos < len(s); {
		loc := p.re.FindStringSubmatchIndex(s[pos:])
		if loc == nil {
			break
		}
		start, end := pos+loc[0], pos+loc[1]
		if g := 2 * p.wsGroup; loc[g] >= 0 && end < len(s) {
			_, size := utf8.DecodeLastRuneInString(s[start:end])
			if end-size > start {
				end -= size
			}
		}
		if end > start {
			dst = append(dst, [2]int{start, end})
			pos = end
		} else {
			_, size := utf8.DecodeRuneInString(s[pos+loc[1]:])
			pos = pos + loc[1] + max(size, 1)
		}
	}
	return dst
}

func (p *pattern) replaceAll(s, with string) string {
	if p.re == nil {
		return strings.ReplaceAll(s, p.lit, with)
	}
	spans := p.findAll(s, nil)
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range spans {
		b.WriteString(s[last:m[0]])
		b.WriteString(with)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}
