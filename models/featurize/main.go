// Command featurize turns training texts into hashed n-gram ids with the
// exact code Warden serves with, so training and serving cannot disagree.
//
// Usage:
//
//	go run ./models/featurize ids -config '<hashgram JSON>' -runes N -overlap M -in texts.jsonl -out DIR
//	go run ./models/featurize tokens -tokenizer tokenizer.json -max N -stride S -in texts.jsonl -out DIR
//	go run ./models/featurize parquet FILE.parquet > rows.jsonl
//
// ids reads JSON lines {"text": "..."} and, for each text, applies
// textnorm.Normalize, splits the normalised text with classifiers.Windows
// (as classifiers.Suite does at serving time) and featurises every window
// with hashgram.Featurizer.Append. It writes, in DIR, little-endian arrays:
//
//	ids.i32      every window's ids, concatenated (int32)
//	offsets.i64  window w has ids[offsets[w]:offsets[w+1]] (int64, windows+1)
//	owner.i32    the input line each window belongs to (int32)
//
// tokens does the same for a model of kind hf: the normalised text is cut
// into token-id windows by tokenizer.Tokenizer.Windows, as classifiers.HFModel
// does at serving time.
//
// parquet prints the rows of a Parquet file with columns text (string) and
// label (int64) as JSON lines {"text": ..., "label": ...}; it exists because
// the training Python has no Parquet reader.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/hashgram"
	"github.com/wardenhq/warden/classifiers/textnorm"
	"github.com/wardenhq/warden/classifiers/tokenizer"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: featurize ids|tokens|parquet ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "ids":
		err = runIDs(os.Args[2:])
	case "tokens":
		err = runTokens(os.Args[2:])
	case "parquet":
		err = runParquet(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (want ids, tokens or parquet)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "featurize:", err)
		os.Exit(1)
	}
}

func runIDs(args []string) error {
	fs := flag.NewFlagSet("ids", flag.ContinueOnError)
	cfgJSON := fs.String("config", "", "hashgram config as JSON")
	runes := fs.Int("runes", 0, "window size in runes (0: no windowing)")
	overlap := fs.Int("overlap", 0, "window overlap in runes")
	in := fs.String("in", "-", "input JSON lines with a text field (- for stdin)")
	out := fs.String("out", "", "output directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cfg hashgram.Config
	if err := json.Unmarshal([]byte(*cfgJSON), &cfg); err != nil {
		return fmt.Errorf("parsing -config: %w", err)
	}
	feat, err := hashgram.New(cfg)
	if err != nil {
		return err
	}
	if *runes > 0 && (*overlap < 0 || *overlap >= *runes) {
		return fmt.Errorf("overlap %d must be in [0, runes=%d)", *overlap, *runes)
	}
	var (
		scratch hashgram.Scratch
		ids     []int64
		ids32   []int32
	)
	return writeWindows(*in, *out, func(text string, emit func([]int32) error) error {
		windows := []string{text}
		if *runes > 0 {
			windows = classifiers.Windows(text, *runes, *overlap)
		}
		for _, win := range windows {
			ids = feat.Append(ids[:0], win, &scratch)
			ids32 = ids32[:0]
			for _, id := range ids {
				ids32 = append(ids32, int32(id))
			}
			if err := emit(ids32); err != nil {
				return err
			}
		}
		return nil
	})
}

// runTokens writes the token-id windows a Hugging Face-style model (kind
// hf) is served with: tokenizer.Windows of the normalised text.
func runTokens(args []string) error {
	fs := flag.NewFlagSet("tokens", flag.ContinueOnError)
	tokPath := fs.String("tokenizer", "", "tokenizer.json")
	maxLen := fs.Int("max", 0, "window size in tokens, special tokens included")
	stride := fs.Int("stride", 0, "window overlap in tokens")
	in := fs.String("in", "-", "input JSON lines with a text field (- for stdin)")
	out := fs.String("out", "", "output directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*tokPath)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(b)
	if err != nil {
		return err
	}
	return writeWindows(*in, *out, func(text string, emit func([]int32) error) error {
		ws, err := tok.Windows(text, *maxLen, *stride)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if err := emit(w); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeWindows reads JSON lines {"text": ...} from in, normalises each text
// with textnorm.Normalize and writes the id windows that windows emits for
// it to ids.i32, offsets.i64 and owner.i32 in out.
func writeWindows(in, out string, windows func(text string, emit func([]int32) error) error) error {
	if out == "" {
		return errors.New("-out is required")
	}
	r := io.Reader(os.Stdin)
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	w, err := newWriters(out)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var (
		line  int32
		total int64
	)
	if err := w.offsets.put64(0); err != nil {
		return err
	}
	emit := func(ids []int32) error {
		for _, id := range ids {
			if err := w.ids.put32(id); err != nil {
				return err
			}
		}
		total += int64(len(ids))
		if err := w.offsets.put64(total); err != nil {
			return err
		}
		return w.owner.put32(line)
	}
	for sc.Scan() {
		var rec struct {
			Text *string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("line %d: %w", line+1, err)
		}
		if rec.Text == nil {
			return fmt.Errorf("line %d: no text field", line+1)
		}
		if err := windows(textnorm.Normalize(*rec.Text).Text, emit); err != nil {
			return fmt.Errorf("line %d: %w", line+1, err)
		}
		line++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.close()
}

type binWriter struct {
	f   *os.File
	b   *bufio.Writer
	tmp [8]byte
}

func (w *binWriter) put32(v int32) error {
	binary.LittleEndian.PutUint32(w.tmp[:4], uint32(v))
	_, err := w.b.Write(w.tmp[:4])
	return err
}

func (w *binWriter) put64(v int64) error {
	binary.LittleEndian.PutUint64(w.tmp[:], uint64(v))
	_, err := w.b.Write(w.tmp[:])
	return err
}

type writers struct{ ids, offsets, owner *binWriter }

func newWriters(dir string) (*writers, error) {
	open := func(name string) (*binWriter, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		return &binWriter{f: f, b: bufio.NewWriterSize(f, 1<<20)}, nil
	}
	var w writers
	var err error
	if w.ids, err = open("ids.i32"); err != nil {
		return nil, err
	}
	if w.offsets, err = open("offsets.i64"); err != nil {
		return nil, err
	}
	if w.owner, err = open("owner.i32"); err != nil {
		return nil, err
	}
	return &w, nil
}

func (w *writers) close() error {
	var errs []error
	for _, b := range []*binWriter{w.ids, w.offsets, w.owner} {
		errs = append(errs, b.b.Flush(), b.f.Close())
	}
	return errors.Join(errs...)
}

// parquetRow is the schema of the deepset prompt-injection files.
type parquetRow struct {
	Text  string `parquet:"text"`
	Label int64  `parquet:"label"`
}

func runParquet(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: featurize parquet FILE.parquet")
	}
	rows, err := parquet.ReadFile[parquetRow](args[0])
	if err != nil {
		return fmt.Errorf("reading %s: %w", args[0], err)
	}
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(map[string]any{"text": r.Text, "label": r.Label}); err != nil {
			return err
		}
	}
	return out.Flush()
}
