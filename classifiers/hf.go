package classifiers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/wardenhq/warden/classifiers/tokenizer"
)

// KindHF is a user's Hugging Face sequence-classification model exported
// to ONNX, with its tokenizer.json and config.json: token ids, an attention
// mask (and optionally token type ids) in, logits out.
const KindHF = "hf"

// HFConfig is the "hf" section of a manifest of kind hf.
type HFConfig struct {
	// Tokenizer and Config are files relative to the manifest's directory
	// (default tokenizer.json and config.json), each checked against its
	// sha256 like the model file.
	Tokenizer       string `json:"tokenizer"`
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	Config          string `json:"config"`
	ConfigSHA256    string `json:"config_sha256"`
	// LabelMap maps the model's labels (config.json id2label) to Warden
	// categories (the manifest's labels). Several model labels may map to
	// one category (it takes their maximum); unmapped labels are ignored.
	LabelMap map[string]string `json:"label_map"`
	// Activation turns logits into probabilities: "sigmoid" (multi-label
	// models) or "softmax" (single-label, over all the model's labels).
	Activation string `json:"activation"`
	// MaxLength is the model's window in tokens, special tokens included.
	// Longer texts are scored in windows that overlap by Stride tokens,
	// and each category keeps its maximum over the windows.
	MaxLength int `json:"max_length"`
	Stride    int `json:"stride"`
	// TypeIDs names the token type ids input when the graph has one.
	TypeIDs string `json:"type_ids,omitempty"`
	// MaxBatch bounds the windows of one ONNX run (default 16).
	MaxBatch int `json:"max_batch,omitempty"`
}

// hfWholeText is the rune window a manifest of kind hf gets: Suite.Score
// passes texts whole and the model windows them by tokens itself.
const hfWholeText = math.MaxInt32

func (h *HFConfig) withDefaults() HFConfig {
	c := *h
	if c.Tokenizer == "" {
		c.Tokenizer = "tokenizer.json"
	}
	if c.Config == "" {
		c.Config = "config.json"
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 16
	}
	return c
}

// validate checks the hf section against the rest of the manifest.
func (h *HFConfig) validate(m *Manifest) []error {
	var errs []error
	c := h.withDefaults()
	for _, f := range []struct{ name, file, sum string }{
		{"tokenizer", c.Tokenizer, c.TokenizerSHA256}, {"config", c.Config, c.ConfigSHA256},
	} {
		if path.IsAbs(f.file) || !fs.ValidPath(f.file) {
			errs = append(errs, fmt.Errorf("hf.%s %q is not a relative path", f.name, f.file))
		}
		if len(f.sum) != 64 {
			errs = append(errs, fmt.Errorf("hf.%s_sha256 %q is not 64 hex digits", f.name, f.sum))
		}
	}
	if c.Activation != "sigmoid" && c.Activation != "softmax" {
		errs = append(errs, fmt.Errorf("hf.activation %q: want sigmoid or softmax", c.Activation))
	}
	if c.MaxLength < 4 || c.Stride < 0 || c.Stride >= c.MaxLength/2 {
		errs = append(errs, fmt.Errorf("hf.max_length %d, hf.stride %d: want max_length >= 4 and 0 <= stride < max_length/2", c.MaxLength, c.Stride))
	}
	if len(c.LabelMap) == 0 {
		errs = append(errs, errors.New("hf.label_map is empty"))
	}
	labels := map[string]bool{}
	for _, l := range m.Labels {
		labels[l] = true
	}
	targets := map[string]bool{}
	for from, to := range c.LabelMap {
		if !labels[to] {
			errs = append(errs, fmt.Errorf("hf.label_map: %q maps to %q, which is not among the labels %v", from, to, m.Labels))
		}
		targets[to] = true
	}
	for _, l := range m.Labels {
		if !targets[l] {
			errs = append(errs, fmt.Errorf("label %q: no model label maps to it in hf.label_map", l))
		}
	}
	if m.Inputs.IDs == "" || m.Inputs.Mask == "" || m.Output == "" {
		errs = append(errs, errors.New("inputs.ids, inputs.mask and output must be named (e.g. input_ids, attention_mask, logits)"))
	}
	return errs
}

// hfModelConfig is what Warden reads from config.json.
type hfModelConfig struct {
	ID2Label   map[string]string `json:"id2label"`
	PadTokenID *int32            `json:"pad_token_id"`
}

// HFModel is a loaded Hugging Face classifier. It is safe for concurrent
// use.
type HFModel struct {
	man     *Manifest
	cfg     HFConfig
	tok     *tokenizer.Tokenizer
	sess    *ort.DynamicAdvancedSession
	int32In bool
	types   bool
	nLogits int
	// target maps each logit to a category (index into man.Labels) or -1.
	target []int
	padID  int32
}

func readChecked(fsys fs.FS, dir, file, sum, what, model string) ([]byte, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, file))
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %s: %w", ErrModel, model, what, err)
	}
	got := sha256.Sum256(data)
	if h := hex.EncodeToString(got[:]); h != sum {
		return nil, fmt.Errorf("%w: model %s: %s %s has sha256 %s, manifest says %s", ErrModel, model, what, file, h, sum)
	}
	return data, nil
}

// LoadHF opens a model of kind hf from directory dir of fsys. Init must
// have been called.
func LoadHF(fsys fs.FS, dir string, man *Manifest, opts Options) (*HFModel, error) {
	if man.Kind != KindHF || man.HF == nil {
		return nil, fmt.Errorf("%w: model %s is of kind %q, not %q with an hf section", ErrModel, man.Name, man.Kind, KindHF)
	}
	cfg := man.HF.withDefaults()
	data, err := ReadVerified(fsys, dir, man)
	if err != nil {
		return nil, err
	}
	tj, err := readChecked(fsys, dir, cfg.Tokenizer, cfg.TokenizerSHA256, "tokenizer", man.Name)
	if err != nil {
		return nil, err
	}
	cj, err := readChecked(fsys, dir, cfg.Config, cfg.ConfigSHA256, "config", man.Name)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(tj)
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %s: %w", ErrModel, man.Name, cfg.Tokenizer, err)
	}
	if cfg.MaxLength-tok.NumSpecial() <= cfg.Stride {
		return nil, fmt.Errorf("%w: model %s: max_length %d leaves no room after %d special tokens and stride %d", ErrModel, man.Name, cfg.MaxLength, tok.NumSpecial(), cfg.Stride)
	}
	var mc hfModelConfig
	if err := json.Unmarshal(cj, &mc); err != nil {
		return nil, fmt.Errorf("%w: model %s: %s: %w", ErrModel, man.Name, cfg.Config, err)
	}
	m := &HFModel{man: man, cfg: cfg, tok: tok, padID: tok.PadID()}
	if mc.PadTokenID != nil {
		m.padID = *mc.PadTokenID
	}
	if m.target, err = labelTargets(mc.ID2Label, cfg.LabelMap, man.Labels); err != nil {
		return nil, fmt.Errorf("%w: model %s: %s: %w", ErrModel, man.Name, cfg.Config, err)
	}
	m.nLogits = len(m.target)
	if err := m.checkGraph(data); err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrModel, man.Name, err)
	}
	opts = opts.withDefaults()
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("model %s: session options: %w", man.Name, err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
		return nil, fmt.Errorf("model %s: %w", man.Name, err)
	}
	if err := so.SetInterOpNumThreads(opts.InterOpThreads); err != nil {
		return nil, fmt.Errorf("model %s: %w", man.Name, err)
	}
	inputs := []string{man.Inputs.IDs, man.Inputs.Mask}
	if m.types {
		inputs = append(inputs, cfg.TypeIDs)
	}
	m.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, []string{man.Output}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: creating session: %w", ErrModel, man.Name, err)
	}
	// The Suite passes texts whole: this model windows them by tokens.
	man.Window = WindowConfig{Runes: hfWholeText}
	if _, err := m.Infer(context.Background(), []string{"warden self-test"}); err != nil {
		m.Close()
		return nil, fmt.Errorf("%w: model %s: self-test: %w", ErrModel, man.Name, err)
	}
	// And one whole window: a max_length the graph cannot take (beyond its
	// position embeddings) fails here, not on every text that fills a
	// window (each of which took the fail mode).
	wins, err := m.tok.Windows(strings.Repeat("warden self-test ", cfg.MaxLength), cfg.MaxLength, cfg.Stride)
	if err == nil {
		_, err = m.run(context.Background(), wins[:1])
	}
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%w: model %s: self-test on a window of %d tokens (hf.max_length): %w", ErrModel, man.Name, cfg.MaxLength, err)
	}
	return m, nil
}

// labelTargets maps each logit (id2label order) to a category index.
func labelTargets(id2label map[string]string, labelMap map[string]string, labels []string) ([]int, error) {
	if len(id2label) == 0 {
		return nil, errors.New("config has no id2label")
	}
	target := make([]int, len(id2label))
	byName := map[string]int{}
	keyOf := map[int]string{}
	for k, name := range id2label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(id2label) {
			return nil, fmt.Errorf("id2label key %q is not an index in [0,%d)", k, len(id2label))
		}
		if prev, dup := keyOf[i]; dup {
			// Two keys of one index ("1" and "01") leave another index
			// unnamed: a category mapped through it got no score (-Inf).
			a, b := min(prev, k), max(prev, k)
			return nil, fmt.Errorf("id2label keys %q and %q are the same index %d", a, b, i)
		}
		keyOf[i] = k
		byName[name] = i
	}
	cat := map[string]int{}
	for i, l := range labels {
		cat[l] = i
	}
	for i := range target {
		target[i] = -1
	}
	for from, to := range labelMap {
		i, ok := byName[from]
		if !ok {
			known := make([]string, 0, len(byName))
			for n := range byName {
				known = append(known, n)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("label_map names model label %q, id2label has %v", from, known)
		}
		target[i] = cat[to]
	}
	return target, nil
}

// checkGraph compares the graph's inputs and output with the manifest.
func (m *HFModel) checkGraph(data []byte) error {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return fmt.Errorf("reading graph inputs/outputs: %w", err)
	}
	byName := func(list []ort.InputOutputInfo, name string) *ort.InputOutputInfo {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}
	want := map[string]bool{m.man.Inputs.IDs: true, m.man.Inputs.Mask: true}
	if m.cfg.TypeIDs != "" {
		want[m.cfg.TypeIDs] = true
	}
	var dtype ort.TensorElementDataType
	for name := range want {
		info := byName(ins, name)
		if info == nil {
			if name == m.cfg.TypeIDs {
				continue // the manifest allows it; this export has none
			}
			return fmt.Errorf("graph has no input %q", name)
		}
		if info.DataType != ort.TensorElementDataTypeInt64 && info.DataType != ort.TensorElementDataTypeInt32 {
			return fmt.Errorf("input %q is %v, want int64 or int32", name, info.DataType)
		}
		if dtype != 0 && info.DataType != dtype {
			return fmt.Errorf("inputs mix int32 and int64")
		}
		dtype = info.DataType
		if len(info.Dimensions) != 2 {
			return fmt.Errorf("input %q has shape %v, want [batch, sequence]", name, info.Dimensions)
		}
		if name == m.cfg.TypeIDs {
			m.types = true
		}
	}
	m.int32In = dtype == ort.TensorElementDataTypeInt32
	for _, in := range ins {
		if !want[in.Name] {
			return fmt.Errorf("graph input %q is not named in the manifest (inputs.ids, inputs.mask, hf.type_ids)", in.Name)
		}
	}
	out := byName(outs, m.man.Output)
	if out == nil {
		return fmt.Errorf("graph has no output %q", m.man.Output)
	}
	if out.DataType != ort.TensorElementDataTypeFloat {
		return fmt.Errorf("output %q is %v, want float32 (export the model in float32)", m.man.Output, out.DataType)
	}
	if len(out.Dimensions) != 2 {
		return fmt.Errorf("output %q has shape %v, want [batch, labels]", m.man.Output, out.Dimensions)
	}
	if d := out.Dimensions[1]; d > 0 && int(d) != m.nLogits {
		return fmt.Errorf("output %q has %d columns, config.json id2label has %d labels", m.man.Output, d, m.nLogits)
	}
	return nil
}

// Manifest returns the model's manifest (do not modify it).
func (m *HFModel) Manifest() *Manifest { return m.man }

// Tokenizer returns the model's tokenizer.
func (m *HFModel) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Close destroys the ONNX Runtime session.
func (m *HFModel) Close() error {
	if m.sess == nil {
		return nil
	}
	err := m.sess.Destroy()
	m.sess = nil
	return err
}

// Infer scores whole texts: each is tokenised and cut into windows of at
// most max_length tokens overlapping by stride; windows run in batches of
// at most max_batch; each category keeps its maximum over the windows (and
// over the model labels mapped to it). The run is terminated when ctx ends.
func (m *HFModel) Infer(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var wins [][]int32
	var owner []int
	for i, t := range texts {
		ws, err := m.tok.Windows(t, m.cfg.MaxLength, m.cfg.Stride)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.man.Name, err)
		}
		for _, w := range ws {
			wins = append(wins, w)
			owner = append(owner, i)
		}
	}
	res := make([][]float32, len(texts))
	for i := range res {
		res[i] = make([]float32, len(m.man.Labels))
		for j := range res[i] {
			res[i][j] = float32(math.Inf(-1))
		}
	}
	probs := make([]float32, m.nLogits)
	for lo := 0; lo < len(wins); lo += m.cfg.MaxBatch {
		hi := min(lo+m.cfg.MaxBatch, len(wins))
		logits, err := m.run(ctx, wins[lo:hi])
		if err != nil {
			return nil, err
		}
		for _, z := range logits {
			// A NaN compares false with every score and would leave the
			// category unscored (-Inf): the check fails instead.
			if math.IsNaN(float64(z)) {
				return nil, fmt.Errorf("model %s: the graph returned a NaN logit", m.man.Name)
			}
		}
		for k := range hi - lo {
			m.activate(probs, logits[k*m.nLogits:(k+1)*m.nLogits])
			row := res[owner[lo+k]]
			for j, p := range probs {
				if c := m.target[j]; c >= 0 && p > row[c] {
					row[c] = p
				}
			}
		}
	}
	return res, nil
}

func (m *HFModel) activate(dst, logits []float32) {
	if m.cfg.Activation == "sigmoid" {
		for i, z := range logits {
			dst[i] = float32(1 / (1 + math.Exp(-float64(z))))
		}
		return
	}
	mx := math.Inf(-1)
	for _, z := range logits {
		mx = math.Max(mx, float64(z))
	}
	var sum float64
	for i, z := range logits {
		e := math.Exp(float64(z) - mx)
		dst[i] = float32(e)
		sum += e
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / sum)
	}
}

// run executes one batch of windows and returns the logits, row-major.
func (m *HFModel) run(ctx context.Context, wins [][]int32) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.man.Name, err)
	}
	b, width := len(wins), 1
	for _, w := range wins {
		width = max(width, len(w))
	}
	ids := make([]int64, b*width)
	mask := make([]int64, b*width)
	var types []int64
	if m.types {
		types = make([]int64, b*width)
	}
	var tbuf []int32
	for i, w := range wins {
		row := ids[i*width : (i+1)*width]
		for j := range row {
			row[j] = int64(m.padID)
		}
		for j, id := range w {
			row[j] = int64(id)
			mask[i*width+j] = 1
		}
		if m.types {
			tbuf = m.tok.AppendTypeIDs(tbuf[:0], len(w))
			for j, t := range tbuf {
				types[i*width+j] = int64(t)
			}
		}
	}
	shape := ort.NewShape(int64(b), int64(width))
	var in []ort.Value
	defer func() {
		for _, v := range in {
			v.Destroy()
		}
	}()
	for _, data := range [][]int64{ids, mask, types} {
		if data == nil {
			continue
		}
		v, err := m.tensor(shape, data)
		if err != nil {
			return nil, fmt.Errorf("model %s: input tensor: %w", m.man.Name, err)
		}
		in = append(in, v)
	}
	outputs := []ort.Value{nil}
	runErr := Run(ctx, m.sess, in, outputs)
	if outputs[0] != nil {
		defer outputs[0].Destroy()
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("model %s: %w", m.man.Name, ctx.Err())
		}
		return nil, fmt.Errorf("model %s: run: %w", m.man.Name, runErr)
	}
	out, ok := outputs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%w: model %s: output is %T, want float32 tensor", ErrModel, m.man.Name, outputs[0])
	}
	if sh := out.GetShape(); len(sh) != 2 || sh[0] != int64(b) || sh[1] != int64(m.nLogits) {
		return nil, fmt.Errorf("%w: model %s: output shape %v, want [%d %d]", ErrModel, m.man.Name, sh, b, m.nLogits)
	}
	return append([]float32(nil), out.GetData()...), nil
}

func (m *HFModel) tensor(shape ort.Shape, data []int64) (ort.Value, error) {
	if !m.int32In {
		return ort.NewTensor(shape, data)
	}
	d32 := make([]int32, len(data))
	for i, v := range data {
		d32[i] = int32(v)
	}
	return ort.NewTensor(shape, d32)
}
