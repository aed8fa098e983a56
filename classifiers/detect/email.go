package detect

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// RFC 5321 limits.
const (
	maxLocalPart = 64
	maxDomain    = 253
)

// Bytes from 0x80 are parts of multi-byte runes: internationalised
// addresses (RFC 6531) carry letters beyond ASCII on both sides (see
// localBefore and domainAt for the runes themselves).
func isLocalChar(c byte) bool {
	return isAlnum(c) || c >= 0x80 || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", c) >= 0
}

func isDomainChar(c byte) bool { return isAlnum(c) || c >= 0x80 || c == '-' || c == '.' }

// isAddrRune reports a rune beyond ASCII that an address may hold:
// letters, marks and digits. Punctuation, symbols and spaces (the CJK
// full stop and comma, U+3000, NBSP) end the address, as ASCII
// punctuation outside the allowed set does.
func isAddrRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) }

// localBefore returns the start of the local-part character that ends at
// s (a byte, or a whole rune beyond ASCII) and whether there is one.
func localBefore(text string, s int) (int, bool) {
	if c := text[s-1]; c < utf8.RuneSelf {
		return s - 1, isLocalChar(c)
	}
	r, size := utf8.DecodeLastRuneInString(text[:s])
	return s - size, isAddrRune(r)
}

// domainAt returns the end of the domain character at e (a byte, or a
// whole rune beyond ASCII) and whether there is one.
func domainAt(text string, e int) (int, bool) {
	if c := text[e]; c < utf8.RuneSelf {
		return e + 1, isDomainChar(c)
	}
	r, size := utf8.DecodeRuneInString(text[e:])
	return e + size, isAddrRune(r)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanEmails finds addresses around each '@': the local part extends left
// and the domain right, each stopping at the previous or next '@', so every
// byte is visited a bounded number of times however many '@' there are.
func scanEmails(text string, dst []types.Finding) []types.Finding {
	prevAt := -1
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		// Local part.
		s := at
		for s > 0 && s > prevAt+1 && at-s < maxLocalPart {
			k, ok := localBefore(text, s)
			if !ok || at-k > maxLocalPart {
				break
			}
			s = k
		}
		prevAt = at
		// Quote-like punctuation that rarely starts an address; never
		// start inside a rune.
		for s < at && (strings.IndexByte("'`{|}.", text[s]) >= 0 || !utf8.RuneStart(text[s])) {
			s++
		}
		if s == at {
			continue
		}
		if s > 0 && at-s >= maxLocalPart {
			if _, ok := localBefore(text, s); ok {
				continue // a longer local part than an address may have
			}
		}
		if s > 0 && (text[s-1] == ':' || text[s-1] == '/') && inURLAuthority(text, s) {
			continue // user:password@host of a URL, not an address
		}
		local := text[s:at]
		if local[len(local)-1] == '.' || strings.Contains(local, "..") {
			continue
		}
		// Domain.
		e := at + 1
		for e < len(text) && e-at-1 < maxDomain {
			k, ok := domainAt(text, e)
			if !ok {
				break
			}
			e = k
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		if e < len(text) && e-at-1 >= maxDomain {
			if _, ok := domainAt(text, e); ok {
				continue
			}
		}
		for e < len(text) && e > at+1 && !utf8.RuneStart(text[e]) {
			e--
		}
		if !validDomain(text[at+1 : e]) {
			continue
		}
		// host:path after user@host is an scp/ssh remote (git@github.com:org/repo).
		if e+1 < len(text) && text[e] == ':' && (isAlnum(text[e+1]) || text[e+1] == '/' || text[e+1] == '~') {
			continue
		}
		dst = append(dst, types.Finding{Type: "EMAIL", Class: ClassPII, Start: s, End: e, Score: 1, Detector: "email"})
		i = e
	}
	return dst
}

// inURLAuthority reports whether "://" precedes pos within the same run of
// non-space bytes.
func inURLAuthority(text string, pos int) bool {
	for i := pos - 1; i >= 2 && pos-i < maxLocalPart+32; i-- {
		if isSpace(text[i]) {
			return false
		}
		if text[i] == '/' && text[i-1] == '/' && text[i-2] == ':' {
			return true
		}
	}
	return false
}

// validDomain checks a host name with at least two labels and an
// alphabetic top-level label (or punycode).
func validDomain(d string) bool {
	if len(d) < 4 || strings.Count(d, ".") == 0 {
		return false
	}
	labels := 0
	last := ""
	for d != "" {
		k := strings.IndexByte(d, '.')
		var l string
		if k < 0 {
			l, d = d, ""
		} else {
			l, d = d[:k], d[k+1:]
		}
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		labels++
		last = l
	}
	if labels < 2 {
		return false
	}
	if strings.HasPrefix(last, "xn--") {
		return true
	}
	if utf8.RuneCountInString(last) < 2 || len(last) > 24 {
		return false
	}
	for _, r := range last {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
