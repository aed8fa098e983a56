package classifiers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/classifiers/hashgram"
	"github.com/wardenhq/warden/internal/types"
)

// Model kinds.
const (
	// KindHashgram is a shipped model: hashed n-gram ids and a mask in,
	// calibrated probabilities out (see package hashgram).
	KindHashgram = "hashgram"
)

// Manifest describes a model artefact. It is stored as manifest.json next to
// the ONNX file.
type Manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
	// File is the ONNX file, relative to the manifest's directory.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Labels are the categories of the output columns, in order.
	Labels []string `json:"labels"`
	// Stages the model applies to ("prompt", "response"); empty means both.
	Stages []string `json:"stages,omitempty"`
	// Thresholds are the recommended operating points per label, chosen on
	// cross-source held-out data (the default policy carries its own copy).
	Thresholds map[string]map[string]float64 `json:"thresholds,omitempty"`
	// Inputs and Output name the tensors of the ONNX graph.
	Inputs IOContract `json:"inputs"`
	Output string     `json:"output"`
	// Featurizer configures hashed n-gram features (kind hashgram).
	Featurizer *hashgram.Config `json:"featurizer,omitempty"`
	// HF configures a user's Hugging Face model (kind hf): tokenizer,
	// label mapping, activation, token windows.
	HF *HFConfig `json:"hf,omitempty"`
	// Window bounds the text a single inference sees; longer texts are
	// scored in overlapping windows and the maximum is kept.
	Window WindowConfig `json:"window"`
	// Final marks a model whose scores a second tier never replaces: for a
	// routed category the Router keeps the maximum of the second tier's
	// score and the final models' (a detector for what the second tier's
	// model was not trained on, such as the shipped suffix detector).
	Final bool `json:"final,omitempty"`
	// Short re-calibrates the model's scores on short texts (see
	// ShortCalibration); nil leaves them as the model gives them.
	Short *ShortCalibration `json:"short_calibration,omitempty"`
	// Training, Metrics and License document provenance and quality; the
	// runtime does not interpret them.
	Training json.RawMessage `json:"training,omitempty"`
	Metrics  json.RawMessage `json:"metrics,omitempty"`
	License  string          `json:"license,omitempty"`
}

// ShortCalibration lowers a model's scores on short texts, where a bag of a
// handful of n-grams scores far from the long texts it was fit on ("100"
// and "ok" flagged; docs/decisions.md 19). At a stage it lists, the first
// of the stage's bins that contains a text (by words and runes) maps a
// label's probability p to min(p, sigmoid(A*logit(p) + B)): an affine map
// of the logit, fit on that bin's short dev texts so that the policy's
// thresholds for the stage cut there at a chosen false-positive rate, that
// never raises a score. Other stages, texts in no bin and labels without a
// map are left as they are.
type ShortCalibration struct {
	// Stages maps a stage ("prompt", "response") to its bins.
	Stages map[string][]ShortBin `json:"stages"`
	// Fit documents how the maps were fit; the runtime does not read it.
	Fit json.RawMessage `json:"fit,omitempty"`
}

// ShortBin holds the texts of at most MaxWords white-space separated
// words and MaxRunes runes, and their maps per label.
type ShortBin struct {
	MaxWords int               `json:"max_words"`
	MaxRunes int               `json:"max_runes"`
	Labels   map[string]Affine `json:"labels"`
}

// Affine is a map of the logit: logit' = A*logit + B.
type Affine struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Bin is the first of stage's bins that contains text, or nil (also for a
// nil calibration).
func (c *ShortCalibration) Bin(stage, text string) *ShortBin {
	if c == nil {
		return nil
	}
	bins := c.Stages[stage]
	for i := range bins {
		if bins[i].Contains(text) {
			return &bins[i]
		}
	}
	return nil
}

// Contains reports whether text is short enough for the bin. A long text
// costs no scan.
func (b *ShortBin) Contains(text string) bool {
	if len(text) > utf8.UTFMax*b.MaxRunes || utf8.RuneCountInString(text) > b.MaxRunes {
		return false
	}
	return len(strings.Fields(text)) <= b.MaxWords
}

// Apply maps probability p of label l (p unchanged for a label without a
// map). The map never raises a score.
func (b *ShortBin) Apply(l string, p float32) float32 {
	f, ok := b.Labels[l]
	if !ok || p <= 0 {
		return p
	}
	q := min(float64(p), 1-1e-7)
	z := f.A*math.Log(q/(1-q)) + f.B
	return min(p, float32(1/(1+math.Exp(-z))))
}

func (c *ShortCalibration) validate(labels []string) []error {
	var errs []error
	if len(c.Stages) == 0 {
		errs = append(errs, errors.New("short_calibration: no stages"))
	}
	for _, stage := range slices.Sorted(maps.Keys(c.Stages)) {
		bins := c.Stages[stage]
		if stage != "prompt" && stage != "response" {
			errs = append(errs, fmt.Errorf("short_calibration: unknown stage %q", stage))
		}
		if len(bins) == 0 {
			errs = append(errs, fmt.Errorf("short_calibration: %s: no bins", stage))
		}
		for i, b := range bins {
			if b.MaxWords < 1 || b.MaxRunes < 1 {
				errs = append(errs, fmt.Errorf("short_calibration: %s bin %d: want max_words and max_runes >= 1, got %d and %d", stage, i, b.MaxWords, b.MaxRunes))
			}
			for _, l := range slices.Sorted(maps.Keys(b.Labels)) {
				f := b.Labels[l]
				if !slices.Contains(labels, l) {
					errs = append(errs, fmt.Errorf("short_calibration: %s bin %d: the model has no label %q", stage, i, l))
				}
				if !(f.A > 0) || math.IsInf(f.A, 0) || math.IsNaN(f.B) || math.IsInf(f.B, 0) {
					errs = append(errs, fmt.Errorf("short_calibration: %s bin %d: label %s: want a finite a > 0 and a finite b, got %+v", stage, i, l, f))
				}
			}
		}
	}
	return errs
}

// IOContract names a model's input tensors.
type IOContract struct {
	IDs  string `json:"ids"`
	Mask string `json:"mask"`
}

// WindowConfig is measured in runes.
type WindowConfig struct {
	Runes   int `json:"runes"`
	Overlap int `json:"overlap"`
	// Sentences lists the labels whose score may also come from a line or
	// sentence of the text scored alone (see Sentences; each short or not
	// by its own length): a sentence whose score reaches the label's
	// block threshold (Thresholds[label]["block"]) raises the text's
	// score to it. A sentence inside a window is one of its n-grams' many;
	// filler around an attack ("Ignore all previous instructions…" and a
	// line of lorem ipsum) lowers the window's score, not the sentence's.
	// Only a confident sentence counts: one line of code or of an
	// instruction ("Paraphrase the following sentence.") read alone often
	// scores in the uncertain band, and the windows judge those. Labels
	// that need context (a jailbreak is a persona or a template, not one
	// sentence of it) are left out.
	Sentences []string `json:"sentences,omitempty"`
}

// Validate checks the manifest's own consistency.
func (m *Manifest) Validate() error {
	var errs []error
	if m.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if m.Version == "" {
		errs = append(errs, errors.New("version is empty"))
	}
	if m.File == "" || path.IsAbs(m.File) || !fs.ValidPath(m.File) {
		errs = append(errs, fmt.Errorf("file %q is not a relative path", m.File))
	}
	if len(m.SHA256) != 64 {
		errs = append(errs, fmt.Errorf("sha256 %q is not 64 hex digits", m.SHA256))
	}
	if len(m.Labels) == 0 {
		errs = append(errs, errors.New("no labels"))
	}
	seen := map[string]bool{}
	for _, l := range m.Labels {
		switch {
		case l == "" || seen[l]:
			errs = append(errs, fmt.Errorf("label %q empty or repeated", l))
		case !types.ValidCategory(l):
			// scores are keyed by label in decisions, policies and
			// incidents, whose schema takes snake_case names only: a
			// check could not record an incident for it
			errs = append(errs, fmt.Errorf("label %q is not a category name (lower-case letters, digits and _, starting with a letter)", l))
		}
		seen[l] = true
	}
	for _, s := range m.Stages {
		if s != "prompt" && s != "response" {
			errs = append(errs, fmt.Errorf("unknown stage %q", s))
		}
	}
	switch m.Kind {
	case KindHashgram:
		if m.Featurizer == nil {
			errs = append(errs, errors.New("kind hashgram needs a featurizer"))
		} else if err := m.Featurizer.Validate(); err != nil {
			errs = append(errs, err)
		}
		if m.Inputs.IDs == "" || m.Inputs.Mask == "" || m.Output == "" {
			errs = append(errs, errors.New("inputs.ids, inputs.mask and output must be named"))
		}
	case KindHF:
		if m.HF == nil {
			errs = append(errs, errors.New("kind hf needs an hf section"))
		} else {
			errs = append(errs, m.HF.validate(m)...)
		}
	default:
		if _, ok := loaders[m.Kind]; !ok {
			errs = append(errs, fmt.Errorf("unknown kind %q (known: %s)", m.Kind, knownKinds()))
		}
	}
	if m.Short != nil {
		errs = append(errs, m.Short.validate(m.Labels)...)
	}
	// Kind hf windows by tokens (hf.max_length, hf.stride), not runes.
	if m.Kind != KindHF && (m.Window.Runes < 16 || m.Window.Overlap < 0 || m.Window.Overlap >= m.Window.Runes) {
		errs = append(errs, fmt.Errorf("window %+v: want runes >= 16 and 0 <= overlap < runes", m.Window))
	}
	for _, l := range slices.Sorted(maps.Keys(m.Thresholds)) {
		ops := m.Thresholds[l]
		for _, op := range slices.Sorted(maps.Keys(ops)) {
			if v := ops[op]; !(v >= 0 && v <= 1) {
				errs = append(errs, fmt.Errorf("thresholds: %s %s %v is not a probability in [0, 1]", l, op, v))
			}
		}
		esc, okE := ops["escalate"]
		blk, okB := ops["block"]
		if okE && okB && esc > blk {
			errs = append(errs, fmt.Errorf("thresholds: %s escalate %v is above block %v", l, esc, blk))
		}
	}
	for _, l := range m.Window.Sentences {
		if !slices.Contains(m.Labels, l) {
			errs = append(errs, fmt.Errorf("window sentences: %q is not one of the labels %v", l, m.Labels))
		}
		if _, ok := m.Thresholds[l]["block"]; !ok {
			errs = append(errs, fmt.Errorf("window sentences: %q has no block threshold", l))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("manifest %s: %w", m.Name, err)
	}
	return nil
}

// AppliesTo reports whether the model scores texts at stage s.
func (m *Manifest) AppliesTo(stage string) bool {
	if len(m.Stages) == 0 {
		return true
	}
	for _, s := range m.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

// ReadManifest reads and validates dir/manifest.json from fsys.
func ReadManifest(fsys fs.FS, dir string) (*Manifest, error) {
	b, err := fs.ReadFile(fsys, path.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("reading manifest of model %s: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parsing manifest of model %s: %w", dir, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}
