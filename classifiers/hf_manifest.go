package classifiers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/wardenhq/warden/classifiers/tokenizer"
)

// HFManifestOptions choose what NewHFManifest cannot read from the export.
type HFManifestOptions struct {
	Name    string // default: the directory's name
	Version string // default: "1"
	// LabelMap maps model labels to Warden categories. When empty, model
	// labels that already are Warden category names (case and separators
	// aside, "injection" for prompt_injection) are mapped to themselves.
	LabelMap map[string]string
	// Activation "sigmoid" or "softmax"; default from config.json's
	// problem_type (multi_label_classification: sigmoid).
	Activation string
	// MaxLength and Stride in tokens; defaults: tokenizer_config.json's
	// model_max_length, else config.json's max_position_embeddings (less the
	// two RoBERTa-family padding offsets), at most 512; stride (0 means the
	// default) MaxLength/8.
	MaxLength, Stride int
	File              string   // ONNX file, default model.onnx
	Stages            []string // default both
}

// WardenCategories are the category names NewHFManifest maps by name.
var WardenCategories = []string{
	"prompt_injection", "jailbreak", "hate", "harassment", "violence", "sexual", "self_harm", "illicit",
	"hate_threatening", "violence_graphic", "sexual_minors", "self_harm_intent",
}

// NewHFManifest writes the manifest of kind hf for a Hugging Face export in
// dir (model.onnx, tokenizer.json, config.json): checksums, the graph's
// input and output names, the label mapping, activation and token window.
// Init must have been called (the graph is inspected with ONNX Runtime).
func NewHFManifest(dir string, o HFManifestOptions) (*Manifest, error) {
	if o.File == "" {
		o.File = "model.onnx"
	}
	sum := func(name string) (string, []byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", nil, err
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:]), b, nil
	}
	modelSum, onnx, err := sum(o.File)
	if err != nil {
		return nil, err
	}
	tokSum, tj, err := sum("tokenizer.json")
	if err != nil {
		return nil, err
	}
	cfgSum, cj, err := sum("config.json")
	if err != nil {
		return nil, err
	}
	if _, err := tokenizer.Load(tj); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	var cfg struct {
		ID2Label    map[string]string `json:"id2label"`
		ProblemType string            `json:"problem_type"`
		MaxPos      int               `json:"max_position_embeddings"`
		ModelType   string            `json:"model_type"`
	}
	if err := json.Unmarshal(cj, &cfg); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if len(cfg.ID2Label) == 0 {
		return nil, errors.New("config.json has no id2label: is this a sequence-classification model?")
	}
	man := &Manifest{
		Name: o.Name, Version: o.Version, Kind: KindHF, File: o.File, SHA256: modelSum, Stages: o.Stages,
		Window: WindowConfig{Runes: hfWholeText},
		HF: &HFConfig{
			Tokenizer: "tokenizer.json", TokenizerSHA256: tokSum, Config: "config.json", ConfigSHA256: cfgSum,
			LabelMap: o.LabelMap, Activation: o.Activation, MaxLength: o.MaxLength, Stride: o.Stride,
		},
	}
	if man.Name == "" {
		abs, _ := filepath.Abs(dir)
		man.Name = filepath.Base(abs)
	}
	if man.Version == "" {
		man.Version = "1"
	}
	if man.HF.Activation == "" {
		man.HF.Activation = "softmax"
		if cfg.ProblemType == "multi_label_classification" {
			man.HF.Activation = "sigmoid"
		}
	}
	if man.HF.MaxLength == 0 {
		man.HF.MaxLength = defaultMaxLength(dir, cfg.MaxPos, cfg.ModelType)
	}
	if man.HF.Stride == 0 {
		man.HF.Stride = man.HF.MaxLength / 8
	}
	if len(man.HF.LabelMap) == 0 {
		man.HF.LabelMap = map[string]string{}
		for _, l := range cfg.ID2Label {
			if c := categoryFor(l); c != "" {
				man.HF.LabelMap[l] = c
			}
		}
		if len(man.HF.LabelMap) == 0 {
			labels := make([]string, 0, len(cfg.ID2Label))
			for _, l := range cfg.ID2Label {
				labels = append(labels, l)
			}
			sort.Strings(labels)
			return nil, fmt.Errorf("no model label (%s) is a Warden category: give a label map (e.g. %s=prompt_injection)", strings.Join(labels, ", "), labels[len(labels)-1])
		}
	}
	set := map[string]bool{}
	for _, c := range man.HF.LabelMap {
		if !set[c] {
			set[c] = true
			man.Labels = append(man.Labels, c)
		}
	}
	sort.Strings(man.Labels)
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(onnx)
	if err != nil {
		return nil, fmt.Errorf("%s: reading graph inputs/outputs: %w", o.File, err)
	}
	for _, in := range ins {
		switch in.Name {
		case "input_ids":
			man.Inputs.IDs = in.Name
		case "attention_mask":
			man.Inputs.Mask = in.Name
		case "token_type_ids":
			man.HF.TypeIDs = in.Name
		default:
			return nil, fmt.Errorf("%s: graph input %q is not input_ids, attention_mask or token_type_ids: edit the manifest by hand", o.File, in.Name)
		}
	}
	for _, out := range outs {
		if out.Name == "logits" || len(outs) == 1 {
			man.Output = out.Name
		}
	}
	if err := man.Validate(); err != nil {
		return nil, err
	}
	return man, nil
}

func defaultMaxLength(dir string, maxPos int, modelType string) int {
	var tc struct {
		ModelMaxLength float64 `json:"model_max_length"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil && json.Unmarshal(b, &tc) == nil &&
		tc.ModelMaxLength >= 8 && tc.ModelMaxLength <= 1<<16 {
		return min(int(tc.ModelMaxLength), 512)
	}
	if maxPos >= 8 {
		switch modelType {
		case "roberta", "xlm-roberta", "camembert", "longformer", "bart", "mpnet":
			maxPos -= 2
		}
		return min(maxPos, 512)
	}
	return 512
}

// categoryFor maps a model label to the Warden category of the same name.
func categoryFor(label string) string {
	l := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(label)))
	if l == "injection" {
		return "prompt_injection"
	}
	for _, c := range WardenCategories {
		if l == c {
			return c
		}
	}
	return ""
}

// WriteManifest writes man as dir/manifest.json.
func WriteManifest(dir string, man *Manifest) error {
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644)
}
