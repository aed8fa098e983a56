package models

import (
	"context"
	"os"
	"testing"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

func loadSuffix(tb testing.TB) *classifiers.Model { return loadModel(tb, "suffix") }

// TestSuffixParity checks Go featurising + ONNX Runtime against the PyTorch
// probabilities of suffix.py, per window and per text through the Suite.
func TestSuffixParity(t *testing.T) {
	checkParity(t, loadSuffix(t), readParityFile(t, "suffix/parity.json"), types.StagePrompt)
}

// TestSuffixSanity checks the hand-written expectations of the parity file
// against the escalate threshold: requests followed by a run of arbitrary
// tokens at or above it, ordinary prompts (code, LaTeX, regular expressions,
// shell pipelines, URLs, card numbers and keys, Korean chat) below it. Through the Suite with the injection
// model, as the service scores them, the max keeps every expectation.
func TestSuffixSanity(t *testing.T) {
	sfx, inj := loadSuffix(t), loadInjection(t)
	p := readParityFile(t, "suffix/parity.json")
	thr := sfx.Manifest().Thresholds["jailbreak"]["escalate"]
	alone := classifiers.NewSuite(sfx)
	n := 0
	for _, pt := range p.Texts {
		dir := pt.Expect["jb"]
		if dir == "" {
			continue
		}
		text := textnorm.Normalize(pt.Text).Text
		sc, err := alone.Score(context.Background(), types.StagePrompt, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		got := sc[0]["jailbreak"]
		switch dir {
		case "high":
			if got < thr {
				t.Errorf("suffix jailbreak(%.60q) = %.3f, want >= escalate %.3f", pt.Text, got, thr)
			}
		case "low":
			if got >= thr {
				t.Errorf("suffix jailbreak(%.60q) = %.3f, want < escalate %.3f", pt.Text, got, thr)
			}
		case "miss-high", "miss-low":
			// a clear case the shipped model gets wrong (models/README.md):
			// logged, so that a retrain that fixes it shows
			t.Logf("known miss: suffix jailbreak(%.60q) = %.3f (escalate %.3f)", pt.Text, got, thr)
			continue
		default:
			t.Fatalf("bad expectation %q", dir)
		}
		n++
		if dir == "high" {
			// the injection model alone misses these; the Suite's max does not
			both := classifiers.NewSuite(inj, sfx)
			sc, err := both.Score(context.Background(), types.StagePrompt, []string{text})
			if err != nil {
				t.Fatal(err)
			}
			if sc[0]["jailbreak"] < thr {
				t.Errorf("suite jailbreak(%.60q) = %.3f, want >= escalate %.3f", pt.Text, sc[0]["jailbreak"], thr)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d expectations", n)
	}
}

// TestSuffixManifest checks the bookkeeping, and that the thresholds are the
// injection model's jailbreak thresholds: suffix.py maps its scores onto
// that scale, so the policy's one jailbreak threshold means the same for
// both models. A retrained injection model needs a retrained (re-aligned)
// suffix model.
func TestSuffixManifest(t *testing.T) {
	man := readShippedManifest(t, "suffix")
	if len(man.Labels) != 1 || man.Labels[0] != "jailbreak" {
		t.Errorf("labels %v, want [jailbreak]", man.Labels)
	}
	if !man.AppliesTo("prompt") || man.AppliesTo("response") {
		t.Errorf("stages %v, want prompt only", man.Stages)
	}
	checkBookkeeping(t, man, "suffix", 16<<20)
	inj, err := classifiers.ReadManifest(os.DirFS("."), "injection")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"escalate", "block"} {
		if got, want := man.Thresholds["jailbreak"][op], inj.Thresholds["jailbreak"][op]; got != want {
			t.Errorf("%s threshold %v, injection's is %v: retrain the suffix model (train.sh suffix)", op, got, want)
		}
	}
}

// BenchmarkSuffixInfer1KB measures one Infer call (featurising + ORT) of the
// suffix model on a 1 KB text.
func BenchmarkSuffixInfer1KB(b *testing.B) { benchInfer1KB(b, loadSuffix(b)) }
