package classifiers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/wardenhq/warden/classifiers/hashgram"
)

// ErrModel marks a model that failed verification (checksum, shapes).
var ErrModel = errors.New("invalid model")

// Options tunes ONNX Runtime sessions.
type Options struct {
	// IntraOpThreads and InterOpThreads default to 1: on small machines
	// ORT's spinning worker threads cost far more CPU than they save, and
	// concurrency comes from running sessions on several goroutines.
	IntraOpThreads int
	InterOpThreads int
}

func (o Options) withDefaults() Options {
	if o.IntraOpThreads <= 0 {
		o.IntraOpThreads = 1
	}
	if o.InterOpThreads <= 0 {
		o.InterOpThreads = 1
	}
	return o
}

// Model is one loaded ONNX classifier. It is safe for concurrent use: ONNX
// Runtime sessions may be run from several goroutines at once.
type Model struct {
	man     *Manifest
	sess    *ort.DynamicAdvancedSession
	feat    *hashgram.Featurizer
	scratch sync.Pool
}

// A Loader opens a model of one kind from directory dir of fsys, whose
// manifest has been read and validated.
type Loader func(fsys fs.FS, dir string, man *Manifest, opts Options) (Scorer, error)

// loaders maps a manifest kind to its loader. Kinds register here.
var loaders = map[string]Loader{
	KindHashgram: func(fsys fs.FS, dir string, man *Manifest, opts Options) (Scorer, error) {
		return loadHashgram(fsys, dir, man, opts)
	},
	KindHF: func(fsys fs.FS, dir string, man *Manifest, opts Options) (Scorer, error) {
		m, err := LoadHF(fsys, dir, man, opts)
		if err != nil {
			return nil, err
		}
		return m, nil
	},
}

func knownKinds() string {
	ks := make([]string, 0, len(loaders))
	for k := range loaders {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// Open reads the manifest in directory dir of fsys and loads the model
// with the loader of its kind. Init must have been called.
func Open(fsys fs.FS, dir string, opts Options) (Scorer, error) {
	man, err := ReadManifest(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	return loaders[man.Kind](fsys, dir, man, opts)
}

// Load reads the hashed n-gram model in directory dir of fsys, verifies its
// checksum and tensor contract against the manifest, and opens an ONNX
// Runtime session. Init must have been called.
func Load(fsys fs.FS, dir string, opts Options) (*Model, error) {
	man, err := ReadManifest(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if man.Kind != KindHashgram {
		return nil, fmt.Errorf("%w: model %s is of kind %q, not %q", ErrModel, man.Name, man.Kind, KindHashgram)
	}
	return loadHashgram(fsys, dir, man, opts)
}

// ReadVerified reads a model file and checks it against the manifest's
// sha256.
func ReadVerified(fsys fs.FS, dir string, man *Manifest) ([]byte, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, man.File))
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrModel, man.Name, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != man.SHA256 {
		return nil, fmt.Errorf("%w: model %s: %s has sha256 %s, manifest says %s", ErrModel, man.Name, man.File, got, man.SHA256)
	}
	return data, nil
}

func loadHashgram(fsys fs.FS, dir string, man *Manifest, opts Options) (*Model, error) {
	data, err := ReadVerified(fsys, dir, man)
	if err != nil {
		return nil, err
	}
	if err := checkContract(man, data); err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrModel, man.Name, err)
	}
	feat, err := hashgram.New(*man.Featurizer)
	if err != nil {
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
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(data,
		[]string{man.Inputs.IDs, man.Inputs.Mask}, []string{man.Output}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: creating session: %w", ErrModel, man.Name, err)
	}
	m := &Model{man: man, sess: sess, feat: feat}
	m.scratch.New = func() any { return new(hashgram.Scratch) }
	// One real run proves the output shape matches the labels.
	if _, err := m.Infer(context.Background(), []string{"warden self-test"}); err != nil {
		sess.Destroy()
		return nil, fmt.Errorf("%w: model %s: self-test: %w", ErrModel, man.Name, err)
	}
	return m, nil
}

// checkContract compares the graph's inputs and output with the manifest.
func checkContract(man *Manifest, data []byte) error {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return fmt.Errorf("reading graph inputs/outputs: %w", err)
	}
	find := func(list []ort.InputOutputInfo, name string) *ort.InputOutputInfo {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
		return nil
	}
	want := []struct {
		list []ort.InputOutputInfo
		name string
		typ  ort.TensorElementDataType
	}{
		{ins, man.Inputs.IDs, ort.TensorElementDataTypeInt64},
		{ins, man.Inputs.Mask, ort.TensorElementDataTypeFloat},
		{outs, man.Output, ort.TensorElementDataTypeFloat},
	}
	for _, w := range want {
		info := find(w.list, w.name)
		if info == nil {
			return fmt.Errorf("graph has no tensor %q", w.name)
		}
		if info.DataType != w.typ {
			return fmt.Errorf("tensor %q is %v, want %v", w.name, info.DataType, w.typ)
		}
		if len(info.Dimensions) != 2 {
			return fmt.Errorf("tensor %q has shape %v, want rank 2", w.name, info.Dimensions)
		}
	}
	if len(ins) != 2 {
		return fmt.Errorf("graph has %d inputs, want 2", len(ins))
	}
	if d := find(outs, man.Output).Dimensions[1]; d > 0 && int(d) != len(man.Labels) {
		return fmt.Errorf("output %q has %d columns, manifest lists %d labels", man.Output, d, len(man.Labels))
	}
	return nil
}

// Manifest returns the model's manifest (do not modify it).
func (m *Model) Manifest() *Manifest { return m.man }

// Close destroys the ONNX Runtime session.
func (m *Model) Close() error {
	if m.sess == nil {
		return nil
	}
	err := m.sess.Destroy()
	m.sess = nil
	return err
}

// Infer scores texts in one batched run and returns one row of label
// probabilities per text. Each text should fit the model's window; use a
// Suite to score arbitrary text. The run is terminated when ctx ends.
func (m *Model) Infer(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return m.inferRows(ctx, m.featurize(texts))
}

// featurize turns texts into hashed n-gram rows (the first half of Infer).
func (m *Model) featurize(texts []string) [][]int64 {
	s := m.scratch.Get().(*hashgram.Scratch)
	defer m.scratch.Put(s)
	rows := make([][]int64, len(texts))
	for i, t := range texts {
		rows[i] = m.feat.Append(nil, t, s)
	}
	return rows
}

// inferRows scores featurised rows in one run (the second half of Infer),
// padded to the longest row. A row's scores depend on the other rows only
// through the padding, and only in the last bits: the masked sum's extra
// terms are exact zeros, but a wider run can change the GEMM's summation
// order (TestBatchedBitExact bounds the difference at 1e-6).
func (m *Model) inferRows(ctx context.Context, rows [][]int64) ([][]float32, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.man.Name, err)
	}
	width := 1
	for _, r := range rows {
		width = max(width, len(r))
	}
	b := len(rows)
	var ids []int64
	var mask []float32
	if b == 1 && len(rows[0]) == width {
		// One row (the common case below saturation): no padding, so the
		// row itself is the ids tensor and the mask is all ones (shared,
		// read-only).
		ids, mask = rows[0], ones(width)
	} else {
		ids = make([]int64, b*width)
		mask = make([]float32, b*width)
		for i, r := range rows {
			copy(ids[i*width:], r)
			for j := range r {
				mask[i*width+j] = 1
			}
		}
	}
	shape := ort.NewShape(int64(b), int64(width))
	idsT, err := ort.NewTensor(shape, ids)
	if err != nil {
		return nil, fmt.Errorf("model %s: ids tensor: %w", m.man.Name, err)
	}
	defer idsT.Destroy()
	maskT, err := ort.NewTensor(shape, mask)
	if err != nil {
		return nil, fmt.Errorf("model %s: mask tensor: %w", m.man.Name, err)
	}
	defer maskT.Destroy()
	outputs := []ort.Value{nil}
	runErr := Run(ctx, m.sess, []ort.Value{idsT, maskT}, outputs)
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
	c := len(m.man.Labels)
	if sh := out.GetShape(); len(sh) != 2 || sh[0] != int64(b) || sh[1] != int64(c) {
		return nil, fmt.Errorf("%w: model %s: output shape %v, want [%d %d]", ErrModel, m.man.Name, sh, b, c)
	}
	data := out.GetData()
	res := make([][]float32, b)
	for i := range res {
		if len(rows[i]) == 0 {
			// No n-gram at all (empty or white space only): there is no
			// evidence, so every score is 0 rather than the model's bias.
			res[i] = make([]float32, c)
			continue
		}
		res[i] = append([]float32(nil), data[i*c:(i+1)*c]...)
	}
	return res, nil
}

// onesBuf holds a read-only run of float32 ones, grown on demand, that
// single-row runs use as their mask.
var onesBuf atomic.Pointer[[]float32]

func ones(n int) []float32 {
	if p := onesBuf.Load(); p != nil && len(*p) >= n {
		return (*p)[:n:n]
	}
	buf := make([]float32, max(n, 4096))
	for i := range buf {
		buf[i] = 1
	}
	onesBuf.Store(&buf)
	return buf[:n:n]
}
