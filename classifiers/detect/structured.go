package detect

import (
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/wardenhq/warden/internal/types"
)

// ibanLengths is the IBAN length of each country in the SWIFT registry.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanTable is ibanLengths indexed by the country code's letters.
var ibanTable = func() (t [26][26]uint8) {
	for cc, n := range ibanLengths {
		t[cc[0]-'A'][cc[1]-'A'] = uint8(n)
	}
	return t
}()

const maxIBANLen = 34 + 8 // with a space every four characters

// scanIBANs finds IBANs written whole or in groups of four separated by
// single spaces, checked against the country's length and mod 97.
func scanIBANs(text string, dst []types.Finding) []types.Finding {
	for i := 0; i+4 <= len(text); i++ {
		if !(isAlpha(text[i]) && isAlpha(text[i+1]) && isDigit(text[i+2]) && isDigit(text[i+3])) || isUpper(text[i]) != isUpper(text[i+1]) {
			continue
		}
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_') {
			continue
		}
		want := int(ibanTable[upperASCII(text[i])-'A'][upperASCII(text[i+1])-'A'])
		if want == 0 {
			continue
		}
		var buf [34]byte
		n := 0
		j := i
		for j < len(text) && n < want {
			c := text[j]
			switch {
			case isAlnum(c):
				buf[n] = upperASCII(c)
				n++
				j++
			case c == ' ' && n%4 == 0 && n > 0 && j+1 < len(text) && isAlnum(text[j+1]):
				j++
			default:
				goto done
			}
		}
	done:
		if n != want || (j < len(text) && (isAlnum(text[j]) || text[j] == '_')) {
			continue
		}
		if !ibanMod97(buf[:n]) {
			continue
		}
		dst = append(dst, types.Finding{Type: "IBAN", Class: ClassPII, Start: i, End: j, Score: 1, Detector: "iban:" + strings.ToUpper(text[i:i+2])})
		i = j - 1
	}
	return dst
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func upperASCII(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ibanMod97 checks the ISO 7064 MOD 97-10 check digits.
func ibanMod97(iban []byte) bool {
	r := 0
	feed := func(c byte) bool {
		switch {
		case isDigit(c):
			r = (r*10 + int(c-'0')) % 97
		case isUpper(c):
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range iban[4:] {
		if !feed(c) {
			return false
		}
	}
	for _, c := range iban[:4] {
		if !feed(c) {
			return false
		}
	}
	return r == 1
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

const maxIPv6Len = 45

// scanIPv6 checks runs of hex digits, ':' and '.' holding at least two
// colons with net/netip; runs longer than an address are skipped whole.
func scanIPv6(text string, dst []types.Finding) []types.Finding {
	for i := 0; i < len(text); {
		k := strings.IndexByte(text[i:], ':')
		if k < 0 {
			break
		}
		c := i + k
		// Extend left and right over address characters.
		s := c
		for s > 0 && (isHex(text[s-1]) || text[s-1] == ':' || text[s-1] == '.') && c-s <= maxIPv6Len {
			s--
		}
		e := c
		for e < len(text) && (isHex(text[e]) || text[e] == ':' || text[e] == '.') && e-s <= maxIPv6Len+1 {
			e++
		}
		i = e
		if e-s > maxIPv6Len || s > 0 && (isAlnum(text[s-1]) || text[s-1] == '_') {
			// Too long, or inside a word; skip the rest of the run.
			for i < len(text) && (isHex(text[i]) || text[i] == ':' || text[i] == '.') {
				i++
			}
			if i == c {
				i++
			}
			continue
		}
		for e > s && text[e-1] == '.' {
			e--
		}
		if e < len(text) && (isAlnum(text[e]) || text[e] == '_') {
			if i == c {
				i++
			}
			continue
		}
		cand := text[s:e]
		if strings.Count(cand, ":") >= 2 {
			if a, err := netip.ParseAddr(cand); err == nil && a.Is6() && hexDigits(cand) >= 3 {
				dst = append(dst, types.Finding{Type: "IP_ADDRESS", Class: ClassPII, Start: s, End: e, Score: 1, Detector: "ip:v6"})
			}
		}
		if i == c {
			i++
		}
	}
	return dst
}

func hexDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isHex(s[i]) {
			n++
		}
	}
	return n
}

// placeholderPasswords are credentials used in documentation; a URL with
// one of them is not reported.
var placeholderPasswords = map[string]bool{
	"password": true, "pass": true, "passwd": true, "pwd": true, "secret": true, "xxx": true, "xxxx": true,
	"****": true, "***": true, "changeme": true, "your_password": true, "yourpassword": true, "<password>": true,
	"[password]": true, "mypassword": true, "example": true, "pw": true, "p": true, "x": true,
}

const maxUserinfo = 256

// scanURLCredentials finds user:password@ in scheme://user:password@host
// and reports the user:password part.
func scanURLCredentials(text string, dst []types.Finding) []types.Finding {
	for i := 0; i < len(text); {
		k := strings.Index(text[i:], "://")
		if k < 0 {
			break
		}
		p := i + k
		i = p + 3
		// A scheme must precede.
		s := p
		for s > 0 && (isAlnum(text[s-1]) || text[s-1] == '+' || text[s-1] == '.' || text[s-1] == '-') && p-s < 32 {
			s--
		}
		if s == p || !isAlpha(text[s]) {
			continue
		}
		u := p + 3
		e := u
		colon, at := -1, -1
		for e < len(text) && e-u <= maxUserinfo {
			c := text[e]
			if c == '@' {
				at = e // the last '@' before the host ends userinfo
			} else if c == ':' && colon < 0 && at < 0 {
				colon = e
			} else if c == '/' || isSpace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`' {
				// '?' and '#' may sit in an unencoded password: the host
				// part starts after the last '@' anyway.
				break
			}
			e++
		}
		if at < 0 || colon < 0 || colon > at || at == colon+1 {
			continue
		}
		pw := text[colon+1 : at]
		if placeholderPasswords[strings.ToLower(pw)] || strings.HasPrefix(pw, "${") || strings.HasPrefix(pw, "{{") || strings.HasPrefix(pw, "$") && len(pw) > 1 && isUpper(pw[1]) {
			continue
		}
		score := 1.0
		if strings.Trim(pw, "*x.") == "" {
			continue
		}
		dst = append(dst, types.Finding{Type: "URL_CREDENTIALS", Class: ClassSecret, Start: u, End: at, Score: score, Detector: "url:userinfo"})
		i = at + 1
	}
	return dst
}

// maxPEMHeader bounds "-----BEGIN ... PRIVATE KEY-----".
const maxPEMHeader = 100

// scanPrivateKeys reports PEM (and PGP) private key blocks from the BEGIN
// line to the END line. When the END line is missing — a truncated key, or
// a stream that has not delivered it yet — the finding runs over the
// following lines that look like key material (base64, headers), so it
// reaches the end of a text that ends inside the key.
func scanPrivateKeys(text string, dst []types.Finding) []types.Finding {
	const begin = "-----BEGIN "
	// The first END line of each label at or after from (at -1: none), so
	// that a thousand headers without an END search the text once, not a
	// thousand times.
	type endAt struct{ from, at int }
	ends := map[string]endAt{}
	findEnd := func(label string, from int) int {
		if m, ok := ends[label]; ok && from >= m.from && (m.at < 0 || m.at >= from) {
			return m.at
		}
		at := strings.Index(text[from:], "-----END "+label+"-----")
		if at >= 0 {
			at += from
		}
		ends[label] = endAt{from, at}
		return at
	}
	for i := 0; i < len(text); {
		k := strings.Index(text[i:], begin)
		if k < 0 {
			break
		}
		s := i + k
		i = s + len(begin)
		h := s + len(begin)
		he := strings.Index(text[h:min(len(text), h+maxPEMHeader)], "-----")
		label := ""
		if he < 0 {
			// The header may still be arriving.
			rest := text[h:]
			if len(rest) < maxPEMHeader && strings.Trim(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-") == "" {
				dst = append(dst, types.Finding{Type: "PRIVATE_KEY", Class: ClassSecret, Start: s, End: len(text), Score: 0.9, Detector: "pem:partial-header"})
				break
			}
			continue
		}
		label = text[h : h+he]
		if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
			continue
		}
		body := h + he + 5
		end := findEnd(label, body)
		if end >= 0 {
			end -= body
		}
		var e int
		if end >= 0 && keyMaterial(text[body:body+end]) == end {
			e = body + end + len("-----END "+label+"-----")
		} else {
			e = body + keyMaterial(text[body:])
			// A partial END line at the very end of the text.
			if rest := text[e:]; rest != "" && strings.HasPrefix("-----END "+label+"-----", rest) {
				e = len(text)
			}
		}
		dst = append(dst, types.Finding{Type: "PRIVATE_KEY", Class: ClassSecret, Start: s, End: e, Score: 1, Detector: "pem:" + strings.ToLower(strings.ReplaceAll(label, " ", "-"))})
		i = e
	}
	return dst
}

// keyMaterial returns the length of the prefix of s made of lines that can
// appear inside a PEM block: base64 (also with literal "\n" escapes, as in
// JSON), "Key: value" headers, blank lines. It stops at the first line of
// prose, so a truncated key does not swallow the text after it.
func keyMaterial(s string) int {
	n := 0
	// The next line break and literal "\n" at or after n (-1: none), each
	// searched for again only once n has passed it: a text of short lines
	// without the other kind of break is read once, not once per line.
	nlAt, escAt := -2, -2
	for n < len(s) {
		next := len(s)
		line := s[n:]
		// A line ends at a line break or at a literal "\n" (JSON).
		if nlAt != -1 && nlAt < n {
			if nlAt = strings.IndexByte(line, '\n'); nlAt >= 0 {
				nlAt += n
			}
		}
		if escAt != -1 && escAt < n {
			if escAt = strings.Index(line, `\n`); escAt >= 0 {
				escAt += n
			}
		}
		nl, esc := nlAt, escAt
		if nl >= 0 {
			nl -= n
		}
		if esc >= 0 {
			esc -= n
		}
		switch {
		case esc >= 0 && (nl < 0 || esc < nl):
			line, next = line[:esc], n+esc+2
		case nl >= 0:
			line, next = line[:nl], n+nl+1
		}
		t := strings.TrimSpace(strings.TrimSuffix(line, `\r`))
		if t != "" && !isB64Line(t) && !isPEMHeaderLine(t) {
			break
		}
		n = next
	}
	return n
}

// isB64Line: one run of base64 (or several runs of at least 16 characters
// separated by spaces — prose words are shorter).
func isB64Line(t string) bool {
	for _, tok := range strings.Fields(t) {
		if len(tok) < 16 && len(strings.Fields(t)) > 1 {
			return false
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if !(isAlnum(c) || c == '+' || c == '/' || c == '=' || c == '\\') {
				return false
			}
		}
	}
	return true
}

func isPEMHeaderLine(t string) bool {
	k := strings.Index(t, ": ")
	if k < 2 || k > 20 {
		return false
	}
	for i := 0; i < k; i++ {
		if !(isAlpha(t[i]) || t[i] == '-') {
			return false
		}
	}
	return true
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// maxJWT bounds a JSON Web Token (header and payload included).
const maxJWT = 8192

// scanJWTs finds header.payload.signature tokens whose header decodes to a
// JSON object with "alg" (score 1) or at least to JSON (score 0.8).
func scanJWTs(text string, dst []types.Finding) []types.Finding {
	for i := 0; i < len(text); {
		k := strings.Index(text[i:], "eyJ")
		if k < 0 {
			break
		}
		s := i + k
		i = s + 3
		if s > 0 && (isB64URL(text[s-1]) || text[s-1] == '.') {
			continue
		}
		var parts [3][2]int
		p := 0
		j := s
		parts[0][0] = s
		for j < len(text) && j-s < maxJWT {
			c := text[j]
			if c == '.' {
				parts[p][1] = j
				p++
				if p == 3 {
					break
				}
				parts[p][0] = j + 1
			} else if !isB64URL(c) && c != '=' {
				break
			}
			j++
		}
		if p < 2 {
			continue
		}
		if p == 2 {
			parts[2][1] = j
		}
		if p == 3 {
			j = parts[2][1] // a fourth segment is not ours
			parts[2][1] = j
		}
		hdr, pay := text[parts[0][0]:parts[0][1]], text[parts[1][0]:parts[1][1]]
		if len(hdr) < 10 || len(pay) < 4 || !strings.HasPrefix(pay, "eyJ") && !strings.HasPrefix(pay, "ey") {
			continue
		}
		score := 0.0
		var h map[string]any
		if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(hdr, "=")); err == nil {
			if json.Unmarshal(raw, &h) == nil {
				score = 0.8
				if _, ok := h["alg"]; ok {
					score = 1
				}
			}
		}
		if score == 0 {
			continue
		}
		e := parts[2][1]
		dst = append(dst, types.Finding{Type: "JWT", Class: ClassSecret, Start: s, End: e, Score: score, Detector: "jwt"})
		i = e
	}
	return dst
}
