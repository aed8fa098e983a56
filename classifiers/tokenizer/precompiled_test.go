package tokenizer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPrecompiledMatchesSentencePiece compares the SentencePiece fixture
// (a real nmt_nfkc charsmap) with SentencePiece's own ids, recorded by
// gen/spm_unigram.py for the texts of spm_cases.json.
func TestPrecompiledMatchesSentencePiece(t *testing.T) {
	tok := load(t, "unigram-spm")
	var texts []string
	b, err := os.ReadFile(filepath.Join(hfTestdata(), "spm_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &texts); err != nil {
		t.Fatal(err)
	}
	var golden struct {
		IDs [][]int32 `json:"ids"`
	}
	b, err = os.ReadFile(filepath.Join(filepath.Dir(fixture("unigram-spm")), "spm_ids.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	// Where the Rust library (followed here) differs from SentencePiece's
	// C++: a 6-byte grapheme (halfwidth ｶ + voiced mark) is normalised one
	// character at a time (spm_precompiled's documented rule), and Viterbi
	// ties between equal-score segmentations ("0"+"00" vs "00"+"0") fall
	// differently with float64 (Rust, transformers.js) and float32 (C++)
	// path scores.
	known := map[string]string{
		"fullwidth ＡＢＣ１２３！？ and halfwidth ｶﾀｶﾅ ｶﾞｷﾞ": "6-byte grapheme, per character",
		"numbers 3.14159 1,000,000 ١٢٣ ૧૨":           "Viterbi tie, float64 vs float32",
	}
	ok, skipped := 0, 0
	for i, text := range texts {
		got := tok.AppendIDs(nil, text)
		if slices.Equal(got, golden.IDs[i]) {
			ok++
			continue
		}
		if known[text] != "" {
			skipped++
			continue
		}
		t.Errorf("%q:\n   go: %v\n  spm: %v", text, got, golden.IDs[i])
	}
	t.Logf("%d/%d texts identical to SentencePiece, %d known divergences", ok, len(texts), skipped)
}
