package models

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

func loadHarm(tb testing.TB) *classifiers.Model { return loadModel(tb, "harm") }

type harmParityFile struct {
	parityFile
	// Short maps a label to the short name used in the expectations.
	Short map[string]string `json:"short"`
}

// labelOf maps the short names of the expectations back to labels.
func (p harmParityFile) labelOf() map[string]string {
	m := make(map[string]string, len(p.Short))
	for l, s := range p.Short {
		m[s] = l
	}
	return m
}

func readHarmParity(t *testing.T) harmParityFile {
	t.Helper()
	b, err := os.ReadFile("harm/parity.json")
	if err != nil {
		t.Fatal(err)
	}
	var p harmParityFile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Texts) == 0 || p.Tolerance <= 0 || len(p.Short) == 0 {
		t.Fatal("harm/parity.json has no texts, tolerance or short label names")
	}
	return p
}

// TestHarmParity checks Go featurising + ONNX Runtime against the PyTorch
// probabilities of the training pipeline, per window (one batch, so padding
// is exercised) and per text through the Suite at both stages.
func TestHarmParity(t *testing.T) {
	checkParity(t, loadHarm(t), readHarmParity(t).parityFile, types.StagePrompt, types.StageResponse)
}

// TestHarmSanity checks hand-written clear cases (English and other
// languages, and benign look-alikes such as "kill a Python process")
// against the manifest's escalate thresholds. Expectations "miss-high" /
// "miss-low" mark clear cases the shipped model gets wrong: they are logged
// (go test -v) so the misses stay visible, and documented in models/README.md.
func TestHarmSanity(t *testing.T) {
	m := loadHarm(t)
	p := readHarmParity(t)
	man := m.Manifest()
	suite := classifiers.NewSuite(m)
	labelOf := p.labelOf()
	n, high := 0, 0
	for _, pt := range p.Texts {
		if len(pt.Expect) == 0 {
			continue
		}
		sc, err := suite.Score(context.Background(), types.StagePrompt, []string{textnorm.Normalize(pt.Text).Text})
		if err != nil {
			t.Fatal(err)
		}
		for k, dir := range pt.Expect {
			label, ok := labelOf[k]
			if !ok {
				t.Fatalf("unknown short label %q", k)
			}
			thr, ok := man.Thresholds[label]["escalate"]
			if !ok {
				t.Fatalf("manifest has no escalate threshold for %s", label)
			}
			if !checkExpect(t, label, pt.Text, sc[0][label], thr, dir) {
				continue
			}
			n++
			if dir == "high" {
				high++
			}
		}
	}
	if n < 30 || high < 8 {
		t.Fatalf("only %d sanity expectations (%d high)", n, high)
	}
}

// TestHarmManifest checks the shipped manifest's bookkeeping.
func TestHarmManifest(t *testing.T) {
	man := readShippedManifest(t, "harm")
	want := []string{"hate", "harassment", "violence", "sexual", "self_harm", "illicit"}
	for _, l := range want {
		found := false
		for _, x := range man.Labels {
			found = found || x == l
		}
		if !found {
			t.Errorf("label %s missing from %v", l, man.Labels)
		}
	}
	if !man.AppliesTo("prompt") || !man.AppliesTo("response") {
		t.Errorf("stages %v: want prompt and response", man.Stages)
	}
	checkBookkeeping(t, man, "harm", 10<<20)
}

// TestHarmEmbedded loads the harm model from the embedded FS next to
// injection and scores a response-stage text.
func TestHarmEmbedded(t *testing.T) {
	initORT(t)
	s, err := classifiers.LoadAll(FS, ".", classifiers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := s.Versions()["harm"]; v == "" {
		t.Fatalf("harm not loaded from the embedded FS: %v", s.Versions())
	}
	sc, err := s.Score(context.Background(), types.StageResponse, []string{"Here is a summary of the meeting notes."})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sc[0]["illicit"]; !ok {
		t.Errorf("response-stage scores lack harm labels: %v", sc[0])
	}
}

// BenchmarkHarmInfer1KB measures one Infer call (featurising + ORT) of the
// harm model on a 1 KB text.
func BenchmarkHarmInfer1KB(b *testing.B) { benchInfer1KB(b, loadHarm(b)) }
