package detect

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// unbounded marks a pattern whose matches have no length limit.
const unbounded = -1

// maxMatchLen is the longest match, in bytes, a regexp can produce, or
// unbounded. It reads the parsed pattern: literals and classes count the
// longest UTF-8 encoding they can match, repeats multiply, alternations
// take the longest branch. Case folding is not widened: under (?i) an ASCII
// class also matches the Kelvin sign (U+212A, 3 bytes) and the long s
// (U+017F, 2 bytes), which no real credential contains; counting them
// would triple the bound, and with it the hold-back of every stream.
func maxMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += runeMaxLen(r, false)
		}
		return n
	case syntax.OpCharClass:
		m := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			hi := re.Rune[i+1]
			if re.Flags&syntax.FoldCase != 0 && (hi == 'K'+foldWiden || hi == 0x17F || hi == unicode.MaxRune) {
				// see above: folding widened the class past ASCII
				if re.Rune[i] >= 0x17F && hi != unicode.MaxRune {
					continue
				}
			}
			m = max(m, utf8.RuneLen(min(hi, unicode.MaxRune)))
		}
		return m
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxMatchLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxMatchLen(re.Sub[0]) == 0 {
			return 0
		}
		return unbounded
	case syntax.OpQuest:
		return maxMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		s := maxMatchLen(re.Sub[0])
		if s == unbounded || (re.Max == -1 && s > 0) {
			return unbounded
		}
		if re.Max == -1 {
			return 0
		}
		return s * re.Max
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			l := maxMatchLen(s)
			if l == unbounded {
				return unbounded
			}
			n += l
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			l := maxMatchLen(s)
			if l == unbounded {
				return unbounded
			}
			n = max(n, l)
		}
		return n
	}
	return unbounded
}

// foldWiden: 'K' + foldWiden is the Kelvin sign.
const foldWiden = 0x212A - 'K'

func runeMaxLen(r rune, fold bool) int {
	n := utf8.RuneLen(r)
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			n = max(n, utf8.RuneLen(f))
		}
	}
	return max(n, 1)
}

// startsAnchored reports whether every match must begin at a word boundary
// or at the beginning of the text or a line: such patterns cannot be run on
// a window cut in the middle of a word without a false start.
func startsAnchored(re *syntax.Regexp) bool {
	for {
		switch re.Op {
		case syntax.OpWordBoundary, syntax.OpBeginText, syntax.OpBeginLine:
			return true
		case syntax.OpCapture:
			re = re.Sub[0]
		case syntax.OpConcat:
			if len(re.Sub) == 0 {
				return false
			}
			re = re.Sub[0]
		default:
			return false
		}
	}
}

// tokenOnly reports whether every match is one run of non-space characters,
// perhaps followed by one terminator character: the gitleaks suffix
// (?:[\x60'"\s;]|\\[nr]|$) is dropped before the check.
func tokenOnly(re *syntax.Regexp) bool {
	if re.Op == syntax.OpConcat && len(re.Sub) > 1 {
		last := re.Sub[len(re.Sub)-1]
		if isTerminator(last) {
			re = &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[:len(re.Sub)-1], Flags: re.Flags}
		}
	}
	return !canMatchSpace(re)
}

// isTerminator recognises a final alternation whose every branch is one
// character or an assertion.
func isTerminator(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpAlternate && re.Op != syntax.OpCharClass {
		return false
	}
	return maxMatchLen(re) >= 0 && maxMatchLen(re) <= utf8.UTFMax
}

// spaces are the Unicode White_Space code points.
var spaces = []rune{'\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
	0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}

func canMatchSpace(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if unicode.IsSpace(r) {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for _, sp := range spaces {
				if sp >= re.Rune[i] && sp <= re.Rune[i+1] {
					return true
				}
			}
		}
		return false
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	}
	for _, s := range re.Sub {
		if canMatchSpace(s) {
			return true
		}
	}
	return false
}
