package redact

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/types"
)

func TestApplyModes(t *testing.T) {
	text := "mail bob@example.com or call +1 415-555-0100, card 4111 1111 1111 1111."
	f := []types.Finding{
		{Type: "EMAIL", Start: 5, End: 20, Score: 1},
		{Type: "PHONE", Start: 29, End: 44, Score: 0.9},
		{Type: "CREDIT_CARD", Start: 51, End: 70, Score: 1},
	}
	if text[5:20] != "bob@example.com" || text[29:44] != "+1 415-555-0100" || text[51:70] != "4111 1111 1111 1111" {
		t.Fatal("test offsets wrong")
	}
	r := &Redactor{Key: []byte("k")}
	modes := Modes([]types.Redaction{{Type: "EMAIL", Mode: Mask}, {Type: "CREDIT_CARD", Mode: Partial}, {Type: "PHONE", Mode: Hash}})
	res, err := r.Apply("t1", text, f, modes)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Text, "mail [EMAIL] or call <PHONE_") || !strings.HasSuffix(res.Text, ", card **** **** **** 1111.") {
		t.Fatalf("text %q", res.Text)
	}
	for i, nf := range res.Findings {
		got := res.Text[nf.Start:nf.End]
		if i == 0 && got != "[EMAIL]" || i == 2 && got != "**** **** **** 1111" || i == 1 && !strings.HasPrefix(got, "<PHONE_") {
			t.Fatalf("finding %d now covers %q", i, got)
		}
	}
	// Same value, same tenant: same pseudonym; other tenant: different.
	a, _ := r.Apply("t1", "x +1 415-555-0100", []types.Finding{{Type: "PHONE", Start: 2, End: 17}}, modes)
	b, _ := r.Apply("t2", "x +1 415-555-0100", []types.Finding{{Type: "PHONE", Start: 2, End: 17}}, modes)
	if !strings.Contains(res.Text, a.Text[2:]) || a.Text == b.Text {
		t.Fatalf("pseudonyms: %q %q %q", res.Text, a.Text, b.Text)
	}
}

func TestOverlapMerges(t *testing.T) {
	text := "key=AKIAABCDEFGHIJKLMNOP end"
	f := []types.Finding{
		{Type: "GENERIC_SECRET", Start: 0, End: 24, Score: 0.5},
		{Type: "AWS_ACCESS_KEY", Start: 4, End: 24, Score: 1},
	}
	res, err := (&Redactor{}).Apply("", text, f, MaskAll(nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "[AWS_ACCESS_KEY] end" || res.Redacted != 1 {
		t.Fatalf("got %q (%d)", res.Text, res.Redacted)
	}
}

func TestUnredactedFindingsShift(t *testing.T) {
	text := "a@b.co then 10.0.0.1"
	f := []types.Finding{{Type: "EMAIL", Start: 0, End: 6}, {Type: "IP_ADDRESS", Start: 12, End: 20}}
	res, err := (&Redactor{}).Apply("", text, f, Modes([]types.Redaction{{Type: "EMAIL", Mode: Mask}}))
	if err != nil {
		t.Fatal(err)
	}
	ip := res.Findings[1]
	if res.Text[ip.Start:ip.End] != "10.0.0.1" {
		t.Fatalf("ip now at %q in %q", res.Text[ip.Start:ip.End], res.Text)
	}
}

// TestUnredactedFindingsShiftMany: findings left as they are keep their
// text among thousands of redacted ones (each is placed by a binary search
// over the edits; a scan of every edit for every finding made 40,000 of
// each take seconds).
func TestUnredactedFindingsShiftMany(t *testing.T) {
	const unit = "a@b.co 10.0.0.1 "
	const n = 40000
	text := strings.Repeat(unit, n)
	f := make([]types.Finding, 0, 2*n)
	for i := range n {
		o := i * len(unit)
		f = append(f, types.Finding{Type: "EMAIL", Start: o, End: o + 6}, types.Finding{Type: "IP_ADDRESS", Start: o + 7, End: o + 15})
	}
	res, err := (&Redactor{}).Apply("", text, f, Modes([]types.Redaction{{Type: "EMAIL", Mode: Mask}}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Redacted != n {
		t.Fatalf("%d spans redacted", res.Redacted)
	}
	for i, nf := range res.Findings {
		want := "[EMAIL]"
		if i%2 == 1 {
			want = "10.0.0.1"
		}
		if got := res.Text[nf.Start:nf.End]; got != want {
			t.Fatalf("finding %d covers %q, want %q", i, got, want)
		}
	}
}

func TestBadOffsets(t *testing.T) {
	if _, err := (&Redactor{}).Apply("", "abc", []types.Finding{{Type: "X", Start: 2, End: 9}}, MaskAll(nil)); err == nil {
		t.Fatal("want error")
	}
}

func TestNothingToRedact(t *testing.T) {
	res, err := (&Redactor{}).Apply("", "plain text", nil, MaskAll(nil))
	if err != nil || res.Text != "plain text" || res.Redacted != 0 {
		t.Fatalf("%+v %v", res, err)
	}
}
