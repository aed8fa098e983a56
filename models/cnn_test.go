package models

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/internal/types"
)

// loadCNN opens the byte-level CNN (models/injection_cnn), a model of kind
// hf that is not embedded: it is loaded from its directory, like a user's
// own Hugging Face export.
func loadCNN(tb testing.TB) *classifiers.HFModel {
	tb.Helper()
	initORT(tb)
	s, err := classifiers.Open(os.DirFS("injection_cnn"), ".", classifiers.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	m, ok := s.(*classifiers.HFModel)
	if !ok {
		tb.Fatalf("injection_cnn loads as %T, want *classifiers.HFModel", s)
	}
	return m
}

// TestInjectionCNNParity checks that the Go tokenizer's byte windows and
// ONNX Runtime reproduce the probabilities the training pipeline computed
// in PyTorch (cnn.reference_probs on the folded, calibrated model): per text
// (max over windows, one batched run per 16 windows of different widths, so
// the padding mask is exercised) and through the Suite.
func TestInjectionCNNParity(t *testing.T) {
	m := loadCNN(t)
	p := readParityFile(t, "injection_cnn/parity.json")
	man := m.Manifest()
	// The parity file's columns are the model's outputs (config.json's
	// id2label order); the manifest lists the categories sorted.
	col := map[string]int{}
	for j, l := range p.Labels {
		col[l] = j
	}
	if len(col) != len(man.Labels) {
		t.Fatalf("labels %v, parity file has %v", man.Labels, p.Labels)
	}
	texts := make([]string, len(p.Texts))
	for i, pt := range p.Texts {
		texts[i] = textnorm.Normalize(pt.Text).Text
		ws, err := m.Tokenizer().Windows(texts[i], man.HF.MaxLength, man.HF.Stride)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != pt.Windows {
			t.Fatalf("%.40q: %d windows, pipeline had %d", pt.Text, len(ws), pt.Windows)
		}
		if n := len(ws[0]); n != min(len(texts[i]), man.HF.MaxLength) {
			t.Errorf("%.40q: first window has %d ids, want one per byte (%d)", pt.Text, n, min(len(texts[i]), man.HF.MaxLength))
		}
	}
	got, err := m.Infer(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := classifiers.NewSuite(m).Score(context.Background(), types.StagePrompt, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, pt := range p.Texts {
		for j, l := range man.Labels {
			c, ok := col[l]
			if !ok {
				t.Fatalf("label %s is not in the parity file (%v)", l, p.Labels)
			}
			want := pt.Probs[c]
			if d := math.Abs(float64(got[i][j]) - want); d > p.Tolerance {
				t.Errorf("%.40q %s: ORT %.6f, PyTorch %.6f", pt.Text, l, got[i][j], want)
			}
			if d := math.Abs(scores[i][l] - want); d > p.Tolerance {
				t.Errorf("suite %.40q %s: %.6f, PyTorch %.6f", pt.Text, l, scores[i][l], want)
			}
		}
	}
}

// TestInjectionCNNManifest: the manifest hfmanifest wrote, completed by the
// pipeline, names the shipped files and carries thresholds and metrics.
func TestInjectionCNNManifest(t *testing.T) {
	man, err := classifiers.ReadManifest(os.DirFS("injection_cnn"), ".")
	if err != nil {
		t.Fatal(err)
	}
	if man.Kind != classifiers.KindHF || man.HF == nil || man.HF.Activation != "sigmoid" {
		t.Fatalf("kind %q activation %+v: want hf with sigmoid", man.Kind, man.HF)
	}
	for _, l := range []string{"prompt_injection", "jailbreak"} {
		th := man.Thresholds[l]
		if !(th["escalate"] > 0 && th["escalate"] <= th["block"] && th["block"] < 1) {
			t.Errorf("%s thresholds %v", l, th)
		}
	}
	if len(man.Metrics) == 0 || len(man.Training) == 0 {
		t.Error("manifest has no metrics or training section")
	}
}

// cnnText1KB is the 1 KB prompt of the CNN benchmarks (five 256-byte windows).
var cnnText1KB = strings.Repeat("Please summarise the following report for the board. ", 20)[:1024]

// BenchmarkCNNInfer1KB: one 1 KB prompt through the byte CNN (five 256-byte
// windows), for the tier-2 latency budget.
func BenchmarkCNNInfer1KB(b *testing.B) {
	m := loadCNN(b)
	text := cnnText1KB
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Infer(ctx, []string{text}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCNNShapes measures what byte CNNs of other shapes would cost per
// 1 KB prompt: the random-weight exports models/train/cnn_speed.py writes
// into $WARDEN_CNN_SHAPES (one directory per shape). Skipped without it.
func BenchmarkCNNShapes(b *testing.B) {
	root := os.Getenv("WARDEN_CNN_SHAPES")
	if root == "" {
		b.Skip("WARDEN_CNN_SHAPES is not set (see models/train/cnn_speed.py)")
	}
	initORT(b)
	dirs, err := os.ReadDir(root)
	if err != nil {
		b.Fatal(err)
	}
	text := cnnText1KB
	ctx := context.Background()
	for _, d := range dirs {
		b.Run(d.Name(), func(b *testing.B) {
			s, err := classifiers.Open(os.DirFS(filepath.Join(root, d.Name())), ".", classifiers.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for b.Loop() {
				if _, err := s.Infer(ctx, []string{text}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestInjectionCNNAsSecondTier wires the shipped models the way
// WARDEN_TIER2_MODEL=injection-cnn does: bands from the n-gram model's
// manifest, the CNN's scores mapped onto its scale. A routed category's
// score is the CNN's own score through that Scale; the others keep the
// first tier's.
func TestInjectionCNNAsSecondTier(t *testing.T) {
	bag := loadInjection(t)
	ref := classifiers.NewSuite(loadCNN(t))
	second := loadCNN(t)
	r, err := classifiers.NewRouter(classifiers.NewSuite(bag), second, classifiers.TierOptions{Budget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t1 := bag.Manifest().Thresholds
	t2 := second.Manifest().Thresholds
	for _, c := range []string{"prompt_injection", "jailbreak"} {
		if b, _ := classifiers.DefaultBand(bag.Manifest(), c); r.Bands()[c] != b {
			t.Errorf("%s band %v, want %v from the first tier's manifest", c, r.Bands()[c], b)
		}
		if _, ok := r.Scales()[c]; !ok {
			t.Errorf("%s: no scale between %v and %v", c, t2[c], t1[c])
		}
	}
	p := readParityFile(t, "injection_cnn/parity.json")
	first := classifiers.NewSuite(bag)
	var routed, kept int
	for _, pt := range p.Texts {
		text := textnorm.Normalize(pt.Text).Text
		ctx, log := classifiers.RecordRoutes(context.Background())
		got := scoreOne(t, r, ctx, text)
		s1 := scoreOne(t, first, context.Background(), text)
		s2 := scoreOne(t, ref, context.Background(), text)
		for _, c := range []string{"prompt_injection", "jailbreak"} {
			rt := log.Routes()[c]
			if !r.Bands()[c].Contains(s1[c]) {
				kept++
				if got[c] != s1[c] || rt.Tier != 1 {
					t.Errorf("%.40q %s: tier 1 %.4f outside the band: got %.4f route %+v", pt.Text, c, s1[c], got[c], rt)
				}
				continue
			}
			routed++
			if want := r.Scales()[c].Apply(s2[c]); math.Abs(got[c]-want) > 1e-9 || rt.Tier != 2 || rt.Tier2 == nil || *rt.Tier2 != s2[c] {
				t.Errorf("%.40q %s: got %.6f route %+v, want the CNN's %.6f scaled to %.6f", pt.Text, c, got[c], rt, s2[c], want)
			}
		}
	}
	if routed == 0 || kept == 0 {
		t.Fatalf("the parity texts do not exercise both tiers: %d routed, %d kept", routed, kept)
	}
	t.Logf("%d category scores routed to the CNN, %d kept", routed, kept)
}

func scoreOne(t *testing.T, s interface {
	Score(context.Context, types.Stage, []string) ([]types.Scores, error)
}, ctx context.Context, text string) types.Scores {
	t.Helper()
	sc, err := s.Score(ctx, types.StagePrompt, []string{text})
	if err != nil {
		t.Fatal(err)
	}
	return sc[0]
}
