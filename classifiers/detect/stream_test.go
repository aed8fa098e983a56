package detect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/types"
)

// streamFindings pushes text in the given chunks and returns the released
// text and the findings with offsets into it.
func streamFindings(t *testing.T, d *Detector, chunks []string) (string, []types.Finding, *Stream) {
	t.Helper()
	s := d.NewStream()
	var out strings.Builder
	var fs []types.Finding
	for i, c := range chunks {
		seg, f, err := s.Push(context.Background(), c, i == len(chunks)-1)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range f {
			x.Start += out.Len()
			x.End += out.Len()
			fs = append(fs, x)
		}
		out.WriteString(seg)
	}
	return out.String(), fs, s
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(11, 12)) }

// split cuts text at random places (inside runes too), or into 1-byte
// chunks.
func split(text string, r *rand.Rand, oneByte bool) []string {
	if text == "" {
		return []string{""}
	}
	var out []string
	for len(text) > 0 {
		n := 1
		if !oneByte {
			n = 1 + r.IntN(40)
		}
		n = min(n, len(text))
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

// TestStreamMatchesWhole: however a text is split, the stream releases it
// byte for byte, reports the findings a whole-text scan reports, and never
// releases part of a finding before the finding is known.
func TestStreamMatchesWhole(t *testing.T) {
	d := newRuleDetector(t)
	cases := readCases(t, positivesFile)
	r := rand.New(rand.NewPCG(9, 9))
	long := []string{
		"key: " + strings.Repeat("Ab3", 700) + " end",
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ." + strings.Repeat("x", 3000) + "\nok",
		"-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("MIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n", 80) + "-----END RSA PRIVATE KEY-----\nthanks",
	}
	var texts []string
	for i := 0; i < 150; i++ {
		var b strings.Builder
		for k := 0; k < 1+r.IntN(4); k++ {
			b.WriteString(cases[r.IntN(len(cases))].Text)
			b.WriteString(" and then some words. ")
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, long...)
	for i, text := range texts {
		whole, err := d.Detect(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		for _, oneByte := range []bool{false, true} {
			if oneByte && i%10 != 0 && i < 150 {
				continue // 1-byte chunks are slow: a sample
			}
			streamAgrees(t, d, text, whole, split(text, r, oneByte), fmt.Sprintf("text %d (1-byte %v)", i, oneByte))
		}
	}
}

// streamAgrees streams text in chunks and checks the contract against
// whole, the findings of a whole-text scan: the stream releases the text
// byte for byte, no finding starts in text already released, and the
// findings are the whole scan's.
func streamAgrees(t *testing.T, d *Detector, text string, whole []types.Finding, chunks []string, label string) {
	t.Helper()
	got, fs, s := streamFindings(t, d, chunks)
	if got != text {
		t.Fatalf("%s: stream changed the text", label)
	}
	if s.Straddled != 0 {
		t.Errorf("%s: %d findings started in released text", label, s.Straddled)
	}
	if a, b := keysOf(text, whole), keysOf(text, fs); strings.Join(a, "|") != strings.Join(b, "|") {
		t.Errorf("%s:\n whole  %q\n stream %q", label, a, b)
	}
}

func keysOf(text string, fs []types.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type+":"+text[f.Start:f.End])
	}
	return out
}

// TestReleasableHoldsOpenFindings: a private key without its END line and a
// token still arriving are held from their start.
func TestReleasableHoldsOpenFindings(t *testing.T) {
	d := newRuleDetector(t)
	for _, buf := range []string{
		strings.Repeat("x ", 400) + "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
		strings.Repeat("y ", 400) + "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
		strings.Repeat("z ", 400) + "ghp_R8kq2Lm9Xw3Zt7Vb1Nc5",
	} {
		fs, _ := d.Detect(context.Background(), buf)
		r := d.Releasable(buf, fs, false)
		open := strings.LastIndex(buf, " ") + 1
		if k := strings.Index(buf, "-----BEGIN"); k >= 0 {
			open = k
		}
		if r > open {
			t.Errorf("released %d bytes, past the open value at %d: %q", r, open, buf[open:])
		}
		if r < open-d.MaxMatch()-8 {
			t.Errorf("released only %d bytes of %d", r, len(buf))
		}
	}
}
