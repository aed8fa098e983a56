package classifiers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/types"
)

// maxBatch bounds the rows of one ONNX run; larger requests are split.
const maxBatch = 64

// Scorer is one loaded classifier: a model of any kind (hashed n-gram
// models shipped with Warden, users' own models) behind one contract.
type Scorer interface {
	// Manifest describes the model (labels in output order, window, stages).
	Manifest() *Manifest
	// Infer scores texts that fit the model's window in one batched run
	// and returns one row of label probabilities per text.
	Infer(ctx context.Context, texts []string) ([][]float32, error)
	Close() error
}

// Suite is the set of loaded models. It is safe for concurrent use.
type Suite struct {
	models     []Scorer
	noVariants bool // score texts only, not their variants (see variants.go)
}

// NewSuite groups loaded models. The Suite owns them: Close closes them.
func NewSuite(models ...Scorer) *Suite { return &Suite{models: models} }

// LoadAll loads every model directory (a directory holding manifest.json)
// directly under root in fsys. It fails if any model fails or none is found.
func LoadAll(fsys fs.FS, root string, opts Options) (*Suite, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("listing models in %s: %w", root, err)
	}
	var models []Scorer
	closeAll := func() {
		for _, m := range models {
			m.Close()
		}
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := path.Join(root, e.Name())
		if _, err := fs.Stat(fsys, path.Join(dir, "manifest.json")); err != nil {
			continue
		}
		m, err := Open(fsys, dir, opts)
		if err != nil {
			closeAll()
			return nil, err
		}
		models = append(models, m)
	}
	if len(models) == 0 {
		return nil, fmt.Errorf("%w: no model (directory with manifest.json) under %s", ErrModel, root)
	}
	return NewSuite(models...), nil
}

// Models returns the loaded models.
func (s *Suite) Models() []Scorer { return s.models }

// Versions maps model name to version.
func (s *Suite) Versions() map[string]string {
	v := make(map[string]string, len(s.models))
	for _, m := range s.models {
		v[m.Manifest().Name] = m.Manifest().Version
	}
	return v
}

// Categories lists every label any model produces, sorted.
func (s *Suite) Categories() []string {
	set := map[string]bool{}
	for _, m := range s.models {
		for _, l := range m.Manifest().Labels {
			set[l] = true
		}
	}
	out := make([]string, 0, len(set))
	for l := range set {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Close closes every model.
func (s *Suite) Close() error {
	var errs []error
	for _, m := range s.models {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// Score scores each (normalised) text with every model that applies to the
// stage. Long texts are scored in overlapping windows and each category
// keeps its maximum over windows; a category produced by several models
// keeps the maximum too. A model's scores of a short text are first
// re-calibrated when its manifest says so (ShortCalibration). The
// de-obfuscated variants of each text are scored with it (see
// variants.go), each short or not by its own length.
func (s *Suite) Score(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, error) {
	scores, _, err := s.ScoreSignals(ctx, stage, texts)
	return scores, err
}

// ScoreSignals is Score that also returns, per text, the signals raised
// while deriving its variants (textnorm.Signal*: base64, hex, rot13,
// spaced_letters, homoglyphs, leetspeak, escapes, reversed, joined_words,
// diacritics, cipher, split_payload, encoding).
func (s *Suite) ScoreSignals(ctx context.Context, stage types.Stage, texts []string) ([]types.Scores, [][]string, error) {
	x := s.expand(texts)
	out := make([]types.Scores, len(texts))
	for i := range out {
		out[i] = types.Scores{}
	}
	// The models run concurrently (each on its own goroutine, the first on
	// this one) and their scores are merged in model order afterwards, so
	// the result does not depend on which finished first.
	var apply []Scorer
	for _, m := range s.models {
		if m.Manifest().AppliesTo(stage.String()) {
			apply = append(apply, m)
		}
	}
	type scored struct {
		probs [][]float32
		owner []int
		// rows from windows on score a sentence alone, which counts for
		// the manifest's Window.Sentences labels only
		windows int
		err     error
	}
	results := make([]scored, len(apply))
	run := func(i int) {
		m := apply[i]
		man := m.Manifest()
		// A fault in a model (a featurizer or tokenizer bug on some input)
		// fails this check, as an error the caller's fail mode decides
		// on; on a goroutine of its own it would end the process.
		defer func() {
			if p := recover(); p != nil {
				results[i] = scored{err: fmt.Errorf("%w: model %s panicked: %v", ErrModel, man.Name, p)}
			}
		}()
		var windows []string
		var owner []int
		var short []*ShortBin // the window's text is short: its bin (ShortCalibration)
		for j, t := range x.texts {
			bin := man.Short.Bin(stage.String(), t)
			for _, w := range Windows(t, man.Window.Runes, man.Window.Overlap) {
				windows = append(windows, w)
				owner = append(owner, x.owner[j])
				short = append(short, bin)
			}
		}
		// Sentences scored alone come after every window, in ONNX runs of
		// their own: a run pads its rows to the longest, and a sentence
		// padded to a whole window's n-grams would cost as much as one.
		nWindows := len(windows)
		if len(man.Window.Sentences) > 0 {
			for j, t := range x.texts {
				for _, sen := range Sentences(t) {
					bin := man.Short.Bin(stage.String(), sen)
					for _, w := range Windows(sen, man.Window.Runes, man.Window.Overlap) {
						windows = append(windows, w)
						owner = append(owner, x.owner[j])
						short = append(short, bin)
					}
				}
			}
		}
		var probs [][]float32
		for _, group := range [][2]int{{0, nWindows}, {nWindows, len(windows)}} {
			for lo := group[0]; lo < group[1]; lo += maxBatch {
				hi := min(lo+maxBatch, group[1])
				p, err := m.Infer(ctx, windows[lo:hi])
				if err != nil {
					results[i].err = err
					return
				}
				probs = append(probs, p...)
			}
		}
		for k, row := range probs {
			if bin := short[k]; bin != nil {
				c := make([]float32, len(row)) // rows may be the scorer's own
				for j, p := range row {
					c[j] = bin.Apply(man.Labels[j], p)
				}
				probs[k] = c
			}
		}
		results[i] = scored{probs: probs, owner: owner, windows: nWindows}
	}
	var wg sync.WaitGroup
	for i := 1; i < len(apply); i++ {
		wg.Go(func() { run(i) })
	}
	if len(apply) > 0 {
		run(0)
	}
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			return nil, nil, r.err
		}
		man := apply[i].Manifest()
		labels := man.Labels
		for k, row := range r.probs {
			sc := out[r.owner[k]]
			for j, p := range row {
				l := labels[j]
				if k >= r.windows && (!slices.Contains(man.Window.Sentences, l) || float64(p) < man.Thresholds[l]["block"]) {
					continue // a sentence alone counts only when confident
				}
				if v, ok := sc[l]; !ok || float64(p) > v {
					sc[l] = float64(p)
				}
			}
		}
	}
	return out, x.signals, nil
}

// Windows splits text into windows of at most size runes that overlap by
// overlap runes. Text that fits is returned whole (even when empty).
func Windows(text string, size, overlap int) []string {
	if utf8.RuneCountInString(text) <= size {
		return []string{text}
	}
	// Byte offset of every rune start.
	offs := make([]int, 0, len(text))
	for i := range text {
		offs = append(offs, i)
	}
	offs = append(offs, len(text))
	n := len(offs) - 1
	step := size - overlap
	var out []string
	for start := 0; start < n; start += step {
		end := min(start+size, n)
		out = append(out, text[offs[start]:offs[end]])
		if end == n {
			break
		}
	}
	return out
}
