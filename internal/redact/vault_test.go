package redact

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/types"
)

func newTestVault(t *testing.T, store Store) *TokenVault {
	t.Helper()
	v, err := NewTokenVault(VaultOptions{Key: []byte("0123456789abcdef-test"), TTL: time.Minute, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVaultRoundTrip(t *testing.T) {
	v := newTestVault(t, nil)
	r := &Redactor{Key: []byte("k"), Vault: v}
	text := "mail bob@example.com, card 4111 1111 1111 1111"
	f := []types.Finding{{Type: "EMAIL", Start: 5, End: 20, Score: 1}, {Type: "CREDIT_CARD", Start: 27, End: 46, Score: 1}}
	res, err := r.Apply("acme", text, f, Modes([]types.Redaction{{Type: "*", Mode: Vault}}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Text, "bob@") || strings.Contains(res.Text, "4111") {
		t.Fatalf("raw value in %q", res.Text)
	}
	if !tokenRe.MatchString(res.Text) {
		t.Fatalf("no token in %q", res.Text)
	}
	// The model echoes the tokens; they come back.
	answer := "Sure — I will write to " + res.Text[5:res.Findings[0].End] + " today."
	if got := v.Restore("acme", answer); got != "Sure — I will write to bob@example.com today." {
		t.Fatalf("restored %q", got)
	}
	// Same value, same token; another tenant cannot restore it.
	again, _ := r.Apply("acme", "to bob@example.com", []types.Finding{{Type: "EMAIL", Start: 3, End: 18}}, Modes([]types.Redaction{{Type: "*", Mode: Vault}}))
	if again.Text[3:] != res.Text[5:res.Findings[0].End] {
		t.Fatalf("token not stable: %q vs %q", again.Text, res.Text)
	}
	if got := v.Restore("other", answer); strings.Contains(got, "bob@") {
		t.Fatalf("tenant other restored %q", got)
	}
	// Unknown tokens and hash pseudonyms stay.
	for _, s := range []string{"<EMAIL_0123456789>", "<EMAIL_3f2a9c>", "<b>bold</b>"} {
		if got := v.Restore("acme", s); got != s {
			t.Fatalf("Restore(%q) = %q", s, got)
		}
	}
}

func TestVaultTTLAndBound(t *testing.T) {
	st := NewMemStore(3)
	now := time.Unix(1000, 0)
	st.now = func() time.Time { return now }
	v := newTestVault(t, st)
	tok, err := v.Token("t", "EMAIL", "a@b.co")
	if err != nil {
		t.Fatal(err)
	}
	if v.Restore("t", tok) != "a@b.co" {
		t.Fatal("not restored")
	}
	now = now.Add(2 * time.Minute)
	if v.Restore("t", tok) != tok {
		t.Fatal("restored after its TTL")
	}
	// Size bound: the oldest entries go first.
	var toks []string
	for i := 0; i < 5; i++ {
		tk, _ := v.Token("t", "PHONE", strings.Repeat("1", i+7))
		toks = append(toks, tk)
	}
	if st.Len() > 3 {
		t.Fatalf("store holds %d entries, bound 3", st.Len())
	}
	if v.Restore("t", toks[0]) != toks[0] || v.Restore("t", toks[4]) == toks[4] {
		t.Fatal("eviction order wrong")
	}
}

// failingStore fails every Put.
type failingStore struct{}

func (failingStore) Put(context.Context, string, []byte, time.Duration) error {
	return errors.New("store down")
}
func (failingStore) Get(context.Context, string) ([]byte, bool, error) { return nil, false, nil }

// sealCheckStore records what reaches the store.
type sealCheckStore struct {
	*MemStore
	seen [][]byte
}

func (s *sealCheckStore) Put(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	s.seen = append(s.seen, append([]byte(k+"|"), v...))
	return s.MemStore.Put(ctx, k, v, ttl)
}

// TestNoRawValueLeaks: neither errors nor the store see a raw value.
func TestNoRawValueLeaks(t *testing.T) {
	secret := "ghp_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A"
	text := "token " + secret
	f := []types.Finding{{Type: "GITHUB_TOKEN", Class: "secret", Start: 6, End: len(text), Score: 1}}
	r := &Redactor{Vault: newTestVault(t, failingStore{})}
	_, err := r.Apply("t", text, f, Modes([]types.Redaction{{Type: "*", Mode: Vault}}))
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:10]) {
		t.Fatalf("error %v", err)
	}
	_, err = r.Apply("t", text, []types.Finding{{Type: "X", Start: 3, End: 999}}, MaskAll(nil))
	if err == nil || strings.Contains(err.Error(), "token") {
		t.Fatalf("offset error names the text: %v", err)
	}
	st := &sealCheckStore{MemStore: NewMemStore(10)}
	r.Vault = newTestVault(t, st)
	if _, err := r.Apply("t", text, f, Modes([]types.Redaction{{Type: "*", Mode: Vault}})); err != nil {
		t.Fatal(err)
	}
	for _, s := range st.seen {
		if strings.Contains(string(s), secret[4:16]) {
			t.Fatal("the store saw the raw value")
		}
	}
	// Every mode hides the value.
	for _, m := range []string{Mask, Hash, Vault} {
		res, err := r.Apply("t", text, f, Modes([]types.Redaction{{Type: "*", Mode: m}}))
		if err != nil || strings.Contains(res.Text, secret[4:]) {
			t.Fatalf("mode %s: %q %v", m, res.Text, err)
		}
	}
	res, _ := r.Apply("t", text, f, Modes([]types.Redaction{{Type: "*", Mode: Partial}}))
	if !strings.HasSuffix(res.Text, "***Qe2A") || strings.Contains(res.Text, "R8kq") {
		t.Fatalf("partial %q", res.Text)
	}
}

// TestRestorerSplitTokens: tokens split across chunks at every place are
// restored; other text passes unchanged and is released early.
func TestRestorerSplitTokens(t *testing.T) {
	v := newTestVault(t, nil)
	t1, _ := v.Token("acme", "EMAIL", "bob@example.com")
	t2, _ := v.Token("acme", "US_SSN", "219-09-9998")
	answer := "Hello <b>x</b>, write to " + t1 + " and file " + t2 + "<" + " a<b " + t1
	want := "Hello <b>x</b>, write to bob@example.com and file 219-09-9998< a<b bob@example.com"
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		rs := v.NewRestorer("acme")
		var out strings.Builder
		rest := answer
		for rest != "" {
			n := 1 + r.IntN(12)
			if trial%3 == 0 {
				n = 1
			}
			n = min(n, len(rest))
			out.WriteString(rs.Write(rest[:n]))
			if len(rs.pending) > MaxTokenLen {
				t.Fatalf("holding %d bytes", len(rs.pending))
			}
			rest = rest[n:]
		}
		out.WriteString(rs.Flush())
		if out.String() != want {
			t.Fatalf("trial %d: got %q", trial, out.String())
		}
	}
	// Plain text is released at once.
	rs := v.NewRestorer("acme")
	if got := rs.Write("no tokens here"); got != "no tokens here" {
		t.Fatalf("held plain text: %q", got)
	}
	if got := rs.Write(" see <EM"); got != " see " {
		t.Fatalf("got %q", got)
	}
	if got := rs.Write("AIL_zz> ok"); got != "<EMAIL_zz> ok" {
		t.Fatalf("got %q", got)
	}
}

func BenchmarkRestorer(b *testing.B) {
	v, _ := NewTokenVault(VaultOptions{Key: []byte("0123456789abcdef")})
	tok, _ := v.Token("t", "EMAIL", "bob@example.com")
	text := strings.Repeat("some answer text with a token "+tok+" inside. ", 100)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		rs := v.NewRestorer("t")
		for i := 0; i < len(text); i += 16 {
			rs.Write(text[i:min(len(text), i+16)])
		}
		rs.Flush()
	}
}
