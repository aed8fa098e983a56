// Package redact rewrites findings in a text according to the policy's
// redaction modes: mask ("[EMAIL]"), partial (keep the last four letters or
// digits), hash (a stable keyed pseudonym per tenant, "<EMAIL_3f2a9c>") and
// vault (a reversible token, "<EMAIL_3f2a9c1b0d>", kept in a TokenVault
// with a TTL and restored in the model's answer when the policy allows:
// TokenVault.Restore for whole texts, Restorer for streams, where a token
// may arrive split across chunks). Overlapping findings are merged into one
// redaction; the text around them is left byte for byte as it was.
//
// No raw value is ever written to an error, a log line or a store: errors
// name the finding type and offsets, and the vault seals values before they
// reach its Store.
package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// Modes.
const (
	Mask    = "mask"
	Partial = "partial"
	Hash    = "hash"
	Vault   = "vault"
)

// Vaulter stores a value and returns a reversible token for it
// (*TokenVault is one). The vault mode needs one; without it vault falls
// back to hash, which is just as safe but cannot be restored.
type Vaulter interface {
	Token(tenant, typ, value string) (string, error)
}

// Redactor applies redactions. Its zero value masks; Key enables hash.
type Redactor struct {
	// Key is the HMAC key for hash pseudonyms (per deployment; the tenant
	// is mixed in, so pseudonyms differ across tenants).
	Key []byte
	// Vault issues reversible tokens for the vault mode (optional).
	Vault Vaulter
}

// Result is the rewritten text and where the findings now are.
type Result struct {
	Text string
	// Findings are the input findings with offsets into Text: a redacted
	// finding covers its replacement, others shift with the text.
	Findings []types.Finding
	// Redacted counts replaced spans.
	Redacted int
}

// ModeFunc returns the mode for a finding type, or "" to leave it.
type ModeFunc func(typ string) string

// Modes builds a ModeFunc from a decision's redactions ("*" matches all).
func Modes(rs []types.Redaction) ModeFunc {
	m := make(map[string]string, len(rs))
	for _, r := range rs {
		m[r.Type] = r.Mode
	}
	return func(typ string) string {
		if v, ok := m[typ]; ok {
			return v
		}
		return m["*"]
	}
}

// MaskAll redacts every finding: the policy's mode where it names one, mask
// otherwise. Incidents use it so that no raw value ever leaves the guard.
func MaskAll(policy ModeFunc) ModeFunc {
	return func(typ string) string {
		if policy != nil {
			if m := policy(typ); m != "" {
				return m
			}
		}
		return Mask
	}
}

type span struct {
	start, end int
	typ        string
	mode       string
	score      float64
	idx        []int // findings merged into this span
}

// Apply rewrites text. Findings must have offsets within text; overlapping
// findings to redact merge into one span named after the highest-scoring
// (then longest) of them.
func (r *Redactor) Apply(tenant, text string, findings []types.Finding, modes ModeFunc) (Result, error) {
	order := make([]int, len(findings))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		fa, fb := findings[order[a]], findings[order[b]]
		if fa.Start != fb.Start {
			return fa.Start < fb.Start
		}
		return fa.End > fb.End
	})
	var spans []span
	for _, i := range order {
		f := findings[i]
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			return Result{}, fmt.Errorf("redact: finding %s [%d,%d) outside text of %d bytes", f.Type, f.Start, f.End, len(text))
		}
		mode := ""
		if modes != nil {
			mode = modes(f.Type)
		}
		if mode == "" || mode == "none" {
			continue
		}
		if n := len(spans); n > 0 && f.Start < spans[n-1].end {
			s := &spans[n-1]
			s.end = max(s.end, f.End)
			s.idx = append(s.idx, i)
			if f.Score > s.score || (f.Score == s.score && f.Len() > s.end-s.start) {
				s.typ, s.mode, s.score = f.Type, mode, f.Score
			}
			continue
		}
		spans = append(spans, span{start: f.Start, end: f.End, typ: f.Type, mode: mode, score: f.Score, idx: []int{i}})
	}

	var b strings.Builder
	b.Grow(len(text))
	// shift maps an original offset outside any span to the new text.
	type edit struct{ oldEnd, delta int }
	var edits []edit
	prev, delta := 0, 0
	newSpan := make(map[int][2]int, len(findings))
	for _, s := range spans {
		b.WriteString(text[prev:s.start])
		rep, err := r.replace(tenant, s.typ, s.mode, text[s.start:s.end])
		if err != nil {
			return Result{}, err
		}
		ns := s.start + delta
		b.WriteString(rep)
		for _, i := range s.idx {
			newSpan[i] = [2]int{ns, ns + len(rep)}
		}
		delta += len(rep) - (s.end - s.start)
		edits = append(edits, edit{s.end, delta})
		prev = s.end
	}
	b.WriteString(text[prev:])

	shift := func(off int) int {
		// The last edit ending at or before off (edits are in text order):
		// a binary search, so that many findings left as they are over
		// many redacted spans cost n log n, not n².
		k := sort.Search(len(edits), func(j int) bool { return edits[j].oldEnd > off })
		if k == 0 {
			return off
		}
		return off + edits[k-1].delta
	}
	out := make([]types.Finding, len(findings))
	for i, f := range findings {
		if ns, ok := newSpan[i]; ok {
			f.Start, f.End = ns[0], ns[1]
		} else {
			f.Start, f.End = shift(f.Start), shift(f.End)
		}
		out[i] = f
	}
	return Result{Text: b.String(), Findings: out, Redacted: len(spans)}, nil
}

func (r *Redactor) replace(tenant, typ, mode, value string) (string, error) {
	switch mode {
	case Mask:
		return "[" + typ + "]", nil
	case Partial:
		return partial(value, 4), nil
	case Hash:
		return r.pseudonym(tenant, typ, value), nil
	case Vault:
		if r.Vault == nil {
			return r.pseudonym(tenant, typ, value), nil
		}
		tok, err := r.Vault.Token(tenant, typ, value)
		if err != nil {
			return "", fmt.Errorf("redact: vault token for %s: %w", typ, err)
		}
		return tok, nil
	}
	return "", fmt.Errorf("redact: unknown mode %q", mode)
}

// pseudonym is a stable keyed hash: the same value, type and tenant always
// give the same token; without the key it cannot be reversed or guessed.
func (r *Redactor) pseudonym(tenant, typ, value string) string {
	m := hmac.New(sha256.New, r.Key)
	fmt.Fprintf(m, "%s\x00%s\x00%s", tenant, typ, value)
	return "<" + typ + "_" + hex.EncodeToString(m.Sum(nil))[:6] + ">"
}

// partial keeps the last keep letters or digits and replaces the others
// with '*', leaving separators (spaces, dashes, dots, @) in place.
func partial(value string, keep int) string {
	total := 0
	for _, c := range value {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			total++
		}
	}
	var b strings.Builder
	seen := 0
	for _, c := range value {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			seen++
			if seen > total-keep {
				b.WriteRune(c)
			} else {
				b.WriteByte('*')
			}
			continue
		}
		if c == utf8.RuneError {
			c = '*'
		}
		b.WriteRune(c)
	}
	return b.String()
}
