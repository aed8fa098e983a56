package detect

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/internal/types"
)

var fuzzSeeds = []string{
	"mail bob.smith@example.com or call +1 415-555-0132, card 4111 1111 1111 1111.",
	"IBAN DE89 3704 0044 0532 0130 00 ssn 219-09-9998 ip 192.168.1.10 2001:db8::1",
	"postgres://admin:s3cr3t@db:5432/x token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
	"aws_access_key_id = AKIAZ3MSJV4WWNKWW5FG password=Kq9!vT2#pLx8",
	"ü@ü.de +33 (0)1 42 68 53 00 ⟦x⟧ \xff\xfe",
	"a@a@a@a::::1.1.1.1.1.1+++((((",
}

// checkFindings asserts the invariants every detector keeps: offsets in
// range, on rune boundaries, a known class, a score in (0, 1].
// Rune boundaries are those of a range loop over text: a byte that is not
// valid UTF-8 is a rune of its own (callers validate UTF-8 first anyway).
func checkFindings(t *testing.T, text string, fs []types.Finding) {
	t.Helper()
	starts := map[int]bool{len(text): true}
	for i := range text {
		starts[i] = true
	}
	for _, f := range fs {
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Fatalf("finding %+v out of range for %d bytes", f, len(text))
		}
		if !starts[f.Start] || !starts[f.End] {
			t.Fatalf("finding %+v not on rune boundaries in %q", f, text)
		}
		if f.Class != ClassPII && f.Class != ClassSecret {
			t.Fatalf("finding %+v has class %q", f, f.Class)
		}
		if f.Score <= 0 || f.Score > 1 || f.Type == "" || f.Detector == "" {
			t.Fatalf("finding %+v: bad score, type or detector", f)
		}
	}
}

func fuzzScanner(f *testing.F, scan func(string, []types.Finding) []types.Finding) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkFindings(t, text, scan(text, nil))
	})
}

func FuzzDetectEmail(f *testing.F)          { fuzzScanner(f, scanEmails) }
func FuzzDetectIBAN(f *testing.F)           { fuzzScanner(f, scanIBANs) }
func FuzzDetectIPv6(f *testing.F)           { fuzzScanner(f, scanIPv6) }
func FuzzDetectURLCredentials(f *testing.F) { fuzzScanner(f, scanURLCredentials) }
func FuzzDetectPrivateKey(f *testing.F)     { fuzzScanner(f, scanPrivateKeys) }
func FuzzDetectJWT(f *testing.F)            { fuzzScanner(f, scanJWTs) }

// FuzzDetectNumbers covers cards, phones, SSNs and IPv4.
func FuzzDetectNumbers(f *testing.F) {
	d, err := New(Options{Disable: []string{"SECRETS"}})
	if err != nil {
		f.Fatal(err)
	}
	fuzzScanner(f, d.scanNumbers)
}

func FuzzDetectSecrets(f *testing.F) {
	e, err := sharedSecrets()
	if err != nil {
		f.Fatal(err)
	}
	fuzzScanner(f, e.scan)
}

// FuzzDetect runs everything and checks the merged output: sorted and
// non-overlapping.
func FuzzDetect(f *testing.F) {
	d, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fs, err := d.Detect(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, text, fs)
		for i := 1; i < len(fs); i++ {
			if fs[i].Start < fs[i-1].End {
				t.Fatalf("findings overlap: %+v %+v", fs[i-1], fs[i])
			}
		}
	})
}
