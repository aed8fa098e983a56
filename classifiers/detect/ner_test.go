package detect

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/detect/nerfeat"
	"github.com/wardenhq/warden/internal/benchtext"
	"github.com/wardenhq/warden/models/ner"
)

// initORT loads ONNX Runtime (WARDEN_ONNXRUNTIME_LIB or the cache path of
// scripts/fetch-onnxruntime.sh); the NER tests need the real runtime.
func initORT(t testing.TB) {
	t.Helper()
	lib := os.Getenv("WARDEN_ONNXRUNTIME_LIB")
	if lib == "" {
		lib = classifiers.DefaultLibraryPath()
	}
	if err := classifiers.Init(lib); err != nil {
		t.Fatalf("ONNX Runtime: %v (run scripts/fetch-onnxruntime.sh)", err)
	}
}

func newNERDetector(t testing.TB) *Detector {
	t.Helper()
	initORT(t)
	d, err := New(Options{NERModelFS: ner.FS, NERDir: "."})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func TestNERLoadsAndVerifies(t *testing.T) {
	d := newNERDetector(t)
	if v := d.Versions()["ner"]; v == "" {
		t.Fatalf("versions %v", d.Versions())
	}
	// A manifest whose checksum does not match is refused.
	man, err := fs.ReadFile(ner.FS, "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	onnx, _ := fs.ReadFile(ner.FS, "ner.onnx")
	var m map[string]any
	_ = json.Unmarshal(man, &m)
	m["sha256"] = strings.Repeat("0", 64)
	bad, _ := json.Marshal(m)
	_, err = New(Options{NERModelFS: fstest.MapFS{"manifest.json": {Data: bad}, "ner.onnx": {Data: onnx}}})
	if !errors.Is(err, ErrNERModel) || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("tampered model: %v", err)
	}
}

func TestNERCases(t *testing.T) {
	d := newNERDetector(t)
	data, err := os.ReadFile("testdata/ner_cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range parseCaseLines(t, "ner_cases.txt", string(data)) {
		fs, err := d.Detect(context.Background(), c.text)
		if err != nil {
			t.Fatal(err)
		}
		if c.must {
			for _, sp := range c.spans {
				ok := false
				for _, f := range fs {
					if f.Type == c.typ && f.Start <= sp[0] && f.End >= sp[1] {
						ok = true
					}
				}
				if !ok {
					t.Errorf("ner_cases.txt:%d: want %s over %q; got %s", c.line, c.typ, c.text[sp[0]:sp[1]], describe(c.text, fs))
				}
			}
			continue
		}
		for _, f := range fs {
			if c.typ == "*" || f.Type == c.typ {
				t.Errorf("ner_cases.txt:%d: unwanted %s", c.line, describe(c.text, fs))
				break
			}
		}
	}
}

// TestNERContextWords: a title before a name raises its score; a company
// suffix after it lowers it.
func TestNERContextWords(t *testing.T) {
	d := newNERDetector(t)
	score := func(text, want string) float64 {
		fs, err := d.Detect(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if text[f.Start:f.End] == want {
				return f.Score
			}
		}
		return 0
	}
	with := score("Yesterday Dr. Hartvigsson called.", "Hartvigsson")
	without := score("Yesterday Hartvigsson called.", "Hartvigsson")
	if with <= without && with < 1 {
		t.Errorf("title did not raise the score: %.2f vs %.2f", with, without)
	}
	org := score("We signed with Hartvigsson Inc yesterday.", "Hartvigsson")
	if org >= max(with, without) && org > 0 {
		t.Errorf("company suffix did not lower the score: %.2f", org)
	}
}

// TestNERGate: text without capitalised words never reaches the model.
func TestNERGate(t *testing.T) {
	d := newNERDetector(t)
	fs, err := d.Detect(context.Background(), strings.Repeat("no names here at all, just lower case words. ", 200))
	if err != nil || len(fs) != 0 {
		t.Fatalf("%v %v", fs, err)
	}
}

// TestNERStream: with the model, streamed text gives the same findings.
func TestNERStream(t *testing.T) {
	d := newNERDetector(t)
	text := "Hello, my name is Alice Johnson and I live in Berlin. Please email alice.j@example.com or call +49 30 12345678. " +
		"Forward it to Maria Garcia in Lisbon. " + strings.Repeat("Some more filler text without any names. ", 5) + "Regards, Jean Dupont"
	whole, _ := d.Detect(context.Background(), text)
	for _, oneByte := range []bool{false, true} {
		got, fs, s := streamFindings(t, d, split(text, newRand(), oneByte))
		if got != text || s.Straddled != 0 {
			t.Fatalf("stream output differs or straddled %d", s.Straddled)
		}
		if a, b := keysOf(text, whole), keysOf(text, fs); strings.Join(a, "|") != strings.Join(b, "|") {
			t.Errorf("1-byte %v:\n whole  %v\n stream %v", oneByte, a, b)
		}
	}
}

func BenchmarkDetectNER1MB(b *testing.B) {
	d := newNERDetector(b)
	text := mixedText(mb, 1)
	ctx := context.Background()
	b.SetBytes(int64(len(text)))
	n := 0
	c0 := cpuTime()
	for b.Loop() {
		if _, err := d.Detect(ctx, text); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(n)/1e6, "cpu-ms/op")
}

// TestConcurrentDetect: one Detector serves many goroutines (run with -race).
func TestConcurrentDetect(t *testing.T) {
	d := newNERDetector(t)
	text := "Hi, I'm Alice Johnson from Berlin: alice@example.com, +49 30 12345678, card 4111 1111 1111 1111, key ghp_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A"
	want, err := d.Detect(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				got, err := d.Detect(context.Background(), text)
				if err != nil {
					errc <- err
					return
				}
				if strings.Join(keysOf(text, got), "|") != strings.Join(keysOf(text, want), "|") {
					errc <- errors.New("concurrent results differ")
					return
				}
			}
			errc <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// TestNERSegmentsMatchSeparateRuns checks that laying the labelled pieces
// end to end in one sequence (label) gives each token the probabilities a
// run of its piece alone gives, on bench/load's text mix, the NER cases and
// texts with long capitalised runs (split into bounded pieces and
// sequences).
func TestNERSegmentsMatchSeparateRuns(t *testing.T) {
	d := newNERDetector(t)
	m := d.ner
	ctx := context.Background()
	texts := benchtext.Texts(3, 40, 1024)
	texts = append(texts, "Alice met Bob in Paris.", "no names here at all", strings.Repeat("THE QUICK BROWN FOX JUMPS OVER ", 400),
		strings.Repeat("Anna Berg. ", 300)+"then some lower case words and Carl Dahl at the end")
	compared := 0
	for _, text := range texts {
		toks := nerfeat.Tokenize(text, nil)
		ranges := gatedRanges(text, toks)
		if len(ranges) == 0 {
			continue
		}
		got, err := m.label(ctx, text, toks, ranges)
		if err != nil {
			t.Fatal(err)
		}
		R := m.man.Radius
		for _, r := range ranges {
			for a := r[0]; a < r[1]; a += nerChunk {
				b := min(r[1], a+nerChunk)
				ia, ib := max(0, a-R), min(len(toks), b+R)
				ids := m.man.Featurizer.Featurize(text, toks, ia, ib, nil)
				mask := make([]float32, ib-ia)
				for i := range mask {
					mask[i] = 1
				}
				out, err := m.run(ctx, ids, mask, 1, ib-ia)
				if err != nil {
					t.Fatal(err)
				}
				for tk := a; tk < b; tk++ {
					want := out[(tk-ia)*m.nlabels : (tk-ia+1)*m.nlabels]
					if len(got[tk]) != len(want) {
						t.Fatalf("token %d of %.40q: %d probabilities, want %d", tk, text, len(got[tk]), len(want))
					}
					for k := range want {
						if diff := math.Abs(float64(got[tk][k] - want[k])); diff > 1e-5 {
							t.Fatalf("token %d of %.40q label %d: %v, separate run %v", tk, text, k, got[tk][k], want[k])
						}
					}
					compared++
				}
			}
		}
		for i, p := range got {
			labelled := false
			for _, r := range ranges {
				labelled = labelled || (i >= r[0] && i < r[1])
			}
			if (p != nil) != labelled {
				t.Fatalf("token %d of %.40q: labelled %v, in a gated range %v", i, text, p != nil, labelled)
			}
		}
	}
	if compared < 3000 {
		t.Fatalf("only %d tokens compared", compared)
	}
}
