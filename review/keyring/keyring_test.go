package keyring

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenRotate(t *testing.T) {
	k1, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("incident-1")
	sealed, err := k1.Seal([]byte("secret prompt"), aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("secret prompt")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	if id, _ := KeyID(sealed); id != k1.Active() {
		t.Fatalf("key id %q, want %q", id, k1.Active())
	}
	if _, err := k1.Open(sealed, []byte("incident-2")); err == nil {
		t.Fatal("opened with the wrong aad")
	}

	k2, err := k1.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if k2.Active() == k1.Active() || len(k2.IDs()) != 2 {
		t.Fatalf("rotate: active %q ids %v", k2.Active(), k2.IDs())
	}
	got, err := k2.Open(sealed, aad)
	if err != nil || string(got) != "secret prompt" {
		t.Fatalf("rotated ring opens old value: %q %v", got, err)
	}
	sealed2, _ := k2.Seal([]byte("new"), aad)
	if _, err := k1.Open(sealed2, aad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old ring on new value: %v, want ErrUnknownKey", err)
	}
	k3, err := k2.Without(k1.Active())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k3.Open(sealed, aad); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("dropped key still opens: %v", err)
	}
	if _, err := k2.Without(k2.Active()); err == nil {
		t.Fatal("dropping the active key must fail")
	}
	// Tampering is detected.
	sealed2[len(sealed2)-1] ^= 1
	if _, err := k2.Open(sealed2, aad); err == nil {
		t.Fatal("tampered value opened")
	}
}

func TestSpecRoundTrip(t *testing.T) {
	k, _ := Generate()
	k2, _ := k.Rotate()
	p, err := Parse(k2.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if p.Active() != k2.Active() || len(p.IDs()) != 2 {
		t.Fatalf("parsed %v active %q", p.IDs(), p.Active())
	}
	for _, bad := range []string{"", "nokey", "a:short", "a:" + strings.Repeat("A", 44) + ",a:" + strings.Repeat("A", 44), "bad id!:" + strings.Repeat("A", 44)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	// hex keys work too.
	if _, err := Parse("k:" + strings.Repeat("ab", 32)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "review-keys.json")
	k, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v err %v", st.Mode(), err)
	}
	again, created, err := LoadOrCreate(path)
	if err != nil || created || again.Active() != k.Active() {
		t.Fatalf("second start: created=%v err=%v", created, err)
	}
	sealed, _ := k.Seal([]byte("x"), nil)
	if got, err := again.Open(sealed, nil); err != nil || string(got) != "x" {
		t.Fatalf("reloaded ring: %q %v", got, err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreate(path); err == nil {
		t.Fatal("corrupt key file must not be silently replaced")
	}
}
