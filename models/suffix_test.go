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
// against the escalate threshold, for the detector alone and for the pair
// the service runs (a Suite with the injection model: the max per label).
// Requests followed by a run of arbitrary tokens are at or above it;
// ordinary prompts (code, LaTeX, regular expressions, shell pipelines, URLs,
// card numbers and keys, Korean chat) stay below it in both.
func TestSuffixSanity(t *testing.T) {
	sfx, inj := loadSuffix(t), loadInjection(t)
	p := readParityFile(t, "suffix/parity.json")
	thr := sfx.Manifest().Thresholds["jailbreak"]["escalate"]
	suites := []struct {
		name string
		s    *classifiers.Suite
	}{{"suffix", classifiers.NewSuite(sfx)}, {"suffix+injection", classifiers.NewSuite(inj, sfx)}}
	alone := classifiers.NewSuite(inj)
	n := 0
	for _, pt := range p.Texts {
		dir := pt.Expect["jb"]
		if dir == "" {
			continue
		}
		text := textnorm.Normalize(pt.Text).Text
		asserted := false
		for _, su := range suites {
			sc, err := su.s.Score(context.Background(), types.StagePrompt, []string{text})
			if err != nil {
				t.Fatal(err)
			}
			asserted = checkExpect(t, su.name+" jailbreak", pt.Text, sc[0]["jailbreak"], thr, dir)
		}
		if dir == "high" {
			// why the detector exists: logged, not asserted (a better
			// injection model may catch them)
			sc, err := alone.Score(context.Background(), types.StagePrompt, []string{text})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("injection alone: jailbreak(%.60q) = %.3f", pt.Text, sc[0]["jailbreak"])
		}
		if asserted {
			n++
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
