package redact

import "strings"

// Restorer restores vault tokens in a stream of chunks (a model's answer
// arriving piece by piece). A token split across chunks ("<EMA" + "IL_3f…>")
// is held back until it is complete, then restored whole; text that cannot
// be part of a token is released at once. At most MaxTokenLen bytes are
// held. A Restorer is not safe for concurrent use.
type Restorer struct {
	v       *TokenVault
	tenant  string
	pending string
}

// NewRestorer starts restoring the tenant's tokens.
func (v *TokenVault) NewRestorer(tenant string) *Restorer { return &Restorer{v: v, tenant: tenant} }

// Write adds a chunk and returns the text that can be released, tokens
// restored.
func (r *Restorer) Write(chunk string) string {
	r.pending += chunk
	cut := holdFrom(r.pending)
	out := r.v.Restore(r.tenant, r.pending[:cut])
	r.pending = r.pending[cut:]
	return out
}

// Flush releases what is held (the stream has ended).
func (r *Restorer) Flush() string {
	out := r.v.Restore(r.tenant, r.pending)
	r.pending = ""
	return out
}

// holdFrom returns where the unfinished token at the end of s starts, or
// len(s): the last '<' within MaxTokenLen of the end, when what follows it
// can still grow into a token.
func holdFrom(s string) int {
	lo := max(0, len(s)-MaxTokenLen)
	i := strings.LastIndexByte(s[lo:], '<')
	if i < 0 {
		return len(s)
	}
	i += lo
	if tokenPrefix(s[i:]) {
		return i
	}
	return len(s)
}

// tokenPrefix reports whether p ("<" and what followed) is a proper prefix
// of some token: <TYPE_hex{10}>.
func tokenPrefix(p string) bool {
	if len(p) >= MaxTokenLen || strings.IndexByte(p, '>') >= 0 {
		return false
	}
	body := p[1:]
	if body == "" {
		return true
	}
	if c := body[0]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
		return false
	}
	// TYPE is [A-Z0-9_]; the id is lower-case hex after the last '_'.
	k := strings.LastIndexByte(body, '_')
	head, tail := body, ""
	if k >= 0 {
		head, tail = body[:k], body[k+1:]
	}
	for i := 0; i < len(head); i++ {
		c := head[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	if len(tail) > tokenHex {
		return false
	}
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}
