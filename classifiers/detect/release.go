package detect

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// Releasable returns how many leading bytes of buf a streaming filter may
// release, given findings = Detect(buf) and whether buf is the end of the
// stream. Text before the returned offset takes part in no finding the
// detector could report once more text arrives, other than those in
// findings, and cuts none of them; the offset is on a rune boundary.
//
// It holds back only what may still become part of a match: from the
// earliest place where a match that is not complete yet could begin, for
// each detector (see pendingStart). Ordinary prose is released up to its
// last word; a secret, an address or a number still arriving is held
// from its start, however long it grows (the filter bounds that).
//
// The filter must keep at least LookBehind bytes of released text in
// front of the unreleased text it passes to Detect: a rule reads the
// words before a value ("api_key = "), numbers read context words. Stream
// does all this.
func (d *Detector) Releasable(buf string, findings []types.Finding, final bool) int {
	r := d.releasable(buf, findings, final, nil)
	if final {
		return r
	}
	// The view of buf without hidden characters (seethrough.go) holds
	// back what it may still complete, as DetectReleasable does.
	if v, ok := seeThrough(buf); ok {
		if vfs, err := d.scan(context.Background(), v.text, nil); err == nil {
			r = d.viewRelease(buf, r, findings, v, vfs, final)
		}
	}
	return r
}

func (d *Detector) releasable(buf string, findings []types.Finding, final bool, lab *nerLabels) int {
	if final {
		return len(buf)
	}
	r := d.pendingStart(buf, findings, lab)
	// Never cut a finding; hold back every finding reaching past r.
	for moved := true; moved; {
		moved = false
		for _, f := range findings {
			if f.Start < r && f.End > r {
				r, moved = f.Start, true
			}
		}
	}
	for r > 0 && r < len(buf) && !utf8.RuneStart(buf[r]) {
		r--
	}
	return max(r, 0)
}

// pendingStart is the earliest offset of buf at which a finding could
// still begin or change as text is appended. Each detector answers for
// its own patterns:
//
//   - an incomplete rune at the end: held (it may join any run);
//   - EMAIL: the local part before the last '@' while the domain may
//     grow; otherwise the trailing run of local-part characters (an '@'
//     may follow), at most 64 bytes;
//   - numbers (CREDIT_CARD, US_SSN, PHONE, IPv4): a run of digit groups
//     that may continue, from the first group a candidate reaching its end
//     can start at (a candidate spans at most maxNumericSpan bytes);
//   - IBAN: a candidate whose length check has not concluded;
//   - IPv6: the trailing run of hex digits, colons and dots;
//   - URL_CREDENTIALS: the user information after the last "://" while it
//     has no end;
//   - PRIVATE_KEY: a partial "-----BEGIN ", or a block whose last line is
//     not complete;
//   - JWT: a token (or a partial "eyJ") in the trailing run of base64url
//     characters;
//   - secrets: see release_secrets.go;
//   - PERSON/LOCATION: the tokens whose label may still change, and the
//     labelled tokens before them;
//   - any finding that reaches the end.
//
// Non-ASCII letters count as word characters only where a pattern takes
// them (e-mail addresses, names); other non-ASCII text (CJK punctuation,
// symbols) ends every run.
func (d *Detector) pendingStart(buf string, findings []types.Finding, lab *nerLabels) int {
	text := buf[:completeRunes(buf)]
	n := len(text)
	p := n
	for _, f := range findings {
		if f.End >= n {
			p = min(p, f.Start)
		}
	}
	if d.enabled["EMAIL"] {
		p = min(p, emailPending(text))
	}
	if d.enabled["CREDIT_CARD"] || d.enabled["US_SSN"] || d.enabled["PHONE"] || d.enabled["IP_ADDRESS"] {
		p = min(p, numbersPending(text))
	}
	if d.enabled["IBAN"] {
		p = min(p, ibanPending(text))
	}
	if d.enabled["IP_ADDRESS"] {
		p = min(p, ipv6Pending(text))
	}
	if d.enabled["URL_CREDENTIALS"] {
		p = min(p, urlPending(text))
	}
	if d.enabled["PRIVATE_KEY"] {
		p = min(p, pemPending(text))
	}
	if d.enabled["JWT"] {
		p = min(p, jwtPending(text))
	}
	if d.secrets != nil {
		p = min(p, d.secrets.pending(text, findings, d.LookBehind()))
	}
	if d.ner != nil {
		// The tagger's tokens from where the pass that labelled them began
		// (or enough before the end).
		from := nerStart(text, n)
		if lab != nil {
			from = lab.from
		}
		p = min(p, max(0, from+d.ner.pending(text[from:], lab, from > 0)))
	}
	return p
}

// completeRunes is the length of buf without an incomplete rune at its end.
func completeRunes(buf string) int {
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRuneInString(buf[i:]) {
				return i
			}
			break
		}
	}
	return len(buf)
}

// localStart is where the local part before an '@' at at begins (as
// scanEmails reads it, or earlier).
func localStart(text string, at int) int {
	prevAt := strings.LastIndexByte(text[:at], '@')
	s := at
	for s > 0 && s > prevAt+1 && at-s < maxLocalPart {
		k, ok := localBefore(text, s)
		if !ok {
			break
		}
		s = k
	}
	return s
}

func emailPending(text string) int {
	n := len(text)
	p := n
	if at := strings.LastIndexByte(text, '@'); at >= 0 {
		e := at + 1
		for e < n {
			k, ok := domainAt(text, e)
			if !ok {
				break
			}
			e = k
		}
		// The domain may grow, or "host:path" (not an address) may follow.
		if e == n || e == n-1 && text[e] == ':' {
			p = localStart(text, at)
		}
	}
	// An '@' may follow the trailing run of local-part characters.
	return min(p, localStart(text, n))
}

// numbersPending: see scanNumbers. A run of digit groups is open when the
// text ends in its last group, in a separator that a digit may follow, or
// in a possible extension ("x", "ext."); a candidate that may still change
// includes the last group or depends on what follows it, so it starts at
// most maxNumericSpan bytes before the last group's end.
func numbersPending(text string) int {
	n := len(text)
	// The last digit, within a separator's or an extension's reach.
	k := n
	for k > 0 && !isDigit(text[k-1]) && n-k < 5 {
		k--
	}
	p := n
	if n > 0 && (text[n-1] == '+' || text[n-1] == '(') {
		p = n - 1 // a run may start here
	}
	if k == 0 || !isDigit(text[k-1]) {
		return p
	}
	if tail := text[k:]; !(tail == "" || isOpenSep(tail) || isExtensionPrefix(tail)) {
		return p
	}
	// Walk back over the run's groups, as far as a candidate can reach.
	pos := k
	for {
		g := pos
		for g > 0 && isDigit(text[g-1]) {
			g--
		}
		start := g
		for start > 0 && g-start < 2 && (text[start-1] == '+' || text[start-1] == '(') {
			start--
		}
		p = min(p, start)
		if k-g > maxNumericSpan {
			break
		}
		s := g
		for s > 0 && g-s <= maxSepLen && isSepByte(text[s-1]) {
			s--
		}
		if s == g || g-s > maxSepLen || s == 0 || !isDigit(text[s-1]) || strings.Contains(text[s:g], "  ") {
			break
		}
		pos = s
	}
	return p
}

// isOpenSep: 1–3 separator bytes a digit may still follow.
func isOpenSep(s string) bool {
	if len(s) > maxSepLen || strings.Contains(s, "  ") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isSepByte(s[i]) {
			return false
		}
	}
	return true
}

// isExtensionPrefix: the start of "x123", "ext123", "ext.123" (see
// isExtension).
func isExtensionPrefix(s string) bool {
	for _, p := range []string{"x", "X", "ext."} {
		if strings.HasPrefix(p, s) {
			return true
		}
	}
	return false
}

// ibanPending: a candidate that may still become an IBAN starts in the
// last maxIBANLen+1 bytes; one whose scan reached the end is open.
func ibanPending(text string) int {
	n := len(text)
	for i := max(0, n-maxIBANLen-1); i < n; i++ {
		if i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_') {
			continue
		}
		// The shape LLdd so far.
		m := min(4, n-i)
		ok := true
		for k := 0; k < m && ok; k++ {
			if k < 2 {
				ok = isAlpha(text[i+k])
			} else {
				ok = isDigit(text[i+k])
			}
		}
		if ok && m >= 2 {
			ok = isUpper(text[i]) == isUpper(text[i+1]) && ibanTable[upperASCII(text[i])-'A'][upperASCII(text[i+1])-'A'] != 0
		}
		if !ok {
			continue
		}
		if m < 4 {
			return i
		}
		want := int(ibanTable[upperASCII(text[i])-'A'][upperASCII(text[i+1])-'A'])
		c, j := 0, i
		for j < n && c < want {
			switch ch := text[j]; {
			case isAlnum(ch):
				c++
				j++
				continue
			case ch == ' ' && c%4 == 0 && c > 0 && j+1 == n:
				return i // a group may follow
			case ch == ' ' && c%4 == 0 && c > 0 && isAlnum(text[j+1]):
				j++
				continue
			}
			break
		}
		if j == n {
			return i // shorter than its country's length, or what follows decides
		}
	}
	return n
}

// ipv6Pending: an address is a whole run of hex digits, ':' and '.' of
// at most maxIPv6Len bytes not glued to a word; the trailing run may grow
// into one.
func ipv6Pending(text string) int {
	n := len(text)
	t := n
	for t > 0 && n-t <= maxIPv6Len+1 && (isHex(text[t-1]) || text[t-1] == ':' || text[t-1] == '.') {
		t--
	}
	if t == n || n-t > maxIPv6Len+1 || t > 0 && (isAlnum(text[t-1]) || text[t-1] == '_') {
		return n
	}
	return t
}

// urlPending: the user information after "://" runs to '/', white space
// or a quote; until one of them arrives (and for at most maxUserinfo
// bytes), a later '@' may still make it credentials. Only the last "://"
// can be open: the next one's '/' ends the previous one.
func urlPending(text string) int {
	n := len(text)
	k := strings.LastIndex(text[max(0, n-maxUserinfo-8):], "://")
	if k < 0 {
		return n
	}
	u := max(0, n-maxUserinfo-8) + k + 3
	if n-u > maxUserinfo {
		return n
	}
	for i := u; i < n; i++ {
		switch c := text[i]; {
		case c == '/' || isSpace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`':
			return n
		}
	}
	return u
}

// pemPending: a partial "-----BEGIN " at the end, or a key block whose
// last line is still arriving (it may be key material, which the block
// then takes in).
func pemPending(text string) int {
	const begin = "-----BEGIN "
	n := len(text)
	p := n
	for k := min(len(begin)-1, n); k > 0; k-- {
		if strings.HasSuffix(text, begin[:k]) {
			p = n - k
			break
		}
	}
	if !strings.Contains(text, begin) {
		return p
	}
	for _, f := range scanPrivateKeys(text, nil) {
		rest := text[f.End:]
		if f.End >= n || strings.IndexByte(rest, '\n') < 0 && !strings.Contains(rest, `\n`) {
			p = min(p, f.Start)
		}
	}
	return p
}

// jwtPending: a token starts at "eyJ" not preceded by a base64url byte or
// '.', and runs over base64url bytes, '=' and two dots; one that reaches
// the end may grow. The trailing run holds every such start.
func jwtPending(text string) int {
	n := len(text)
	t := n
	for t > 0 && (isB64URL(text[t-1]) || text[t-1] == '.' || text[t-1] == '=') {
		t--
	}
	for s := t; s < n; s++ {
		if text[s] != 'e' || s > 0 && (isB64URL(text[s-1]) || text[s-1] == '.') {
			continue
		}
		if strings.HasPrefix(text[s:], "eyJ") || strings.HasPrefix("eyJ", text[s:]) {
			return s
		}
	}
	return n
}
