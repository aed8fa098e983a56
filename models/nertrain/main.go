// Command nertrain builds the training data for Warden's PERSON/LOCATION
// tagger and, after train.py has trained and exported it, verifies it with
// the serving code and writes its manifest. train.sh runs the whole
// pipeline with one seed:
//
//	models/nertrain/train.sh
//
// Subcommands:
//
//	data      -data ../shared/data -work DIR  featurise examples for train.py
//	manifest  -work DIR -model models/ner     hash, evaluate, write manifest.json
//
// Features come from classifiers/detect/nerfeat, the package the detector
// serves with, so training and serving cannot drift apart.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/wardenhq/warden/classifiers/detect/nerfeat"
)

// Labels of the tagger, in output-column order.
var labels = []string{"O", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION"}

const buckets = 1 << 16

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: nertrain data|manifest [flags]")
	}
	switch os.Args[1] {
	case "data":
		fl := flag.NewFlagSet("data", flag.ExitOnError)
		data := fl.String("data", "../shared/data", "shared data folder")
		work := fl.String("work", "/tmp/warden-nertrain", "work folder")
		seed := fl.Uint64("seed", 1, "random seed")
		_ = fl.Parse(os.Args[2:])
		if err := writeData(*data, *work, *seed); err != nil {
			log.Fatalf("nertrain data: %v", err)
		}
	case "manifest":
		fl := flag.NewFlagSet("manifest", flag.ExitOnError)
		work := fl.String("work", "/tmp/warden-nertrain", "work folder")
		model := fl.String("model", "models/ner", "model folder")
		lib := fl.String("ort", os.Getenv("WARDEN_ONNXRUNTIME_LIB"), "libonnxruntime.so path")
		_ = fl.Parse(os.Args[2:])
		if err := writeManifest(*work, *model, *lib); err != nil {
			log.Fatalf("nertrain manifest: %v", err)
		}
	default:
		log.Fatalf("nertrain: unknown subcommand %q", os.Args[1])
	}
}

// bio labels the tokens of an example: a token takes the label of the
// longest span covering its first byte; B- where a span starts.
func bio(ex example, toks []nerfeat.Token) []int8 {
	spans := append([]span(nil), ex.Spans...)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].End-spans[i].Start > spans[j].End-spans[j].Start })
	owner := make([]int, len(ex.Text))
	for i := range owner {
		owner[i] = -1
	}
	for k, s := range spans {
		for i := s.Start; i < s.End && i < len(owner); i++ {
			if owner[i] < 0 {
				owner[i] = k
			}
		}
	}
	out := make([]int8, len(toks))
	prev := -1
	for i, t := range toks {
		o := owner[t.Start]
		if o < 0 {
			prev = -1
			continue
		}
		base := int8(1)
		if spans[o].Label == "LOCATION" {
			base = 3
		}
		if o == prev {
			out[i] = base + 1
		} else {
			out[i] = base
		}
		prev = o
	}
	return out
}

func writeData(data, work string, seed uint64) error {
	exs, err := generate(data, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	cfg := nerfeat.Config{Version: nerfeat.Version, Buckets: buckets}
	counts := map[string]map[string]int{}
	for _, split := range []string{"train", "dev", "test"} {
		var ids []int32
		var labs []int8
		offs := []int64{0}
		js, err := os.Create(filepath.Join(work, split+".jsonl"))
		if err != nil {
			return err
		}
		enc := json.NewEncoder(js)
		counts[split] = map[string]int{}
		for _, ex := range exs {
			if ex.Split != split {
				continue
			}
			toks := nerfeat.Tokenize(ex.Text, nil)
			if len(toks) == 0 {
				continue
			}
			feats := cfg.Featurize(ex.Text, toks, 0, len(toks), nil)
			for _, f := range feats {
				ids = append(ids, int32(f))
			}
			labs = append(labs, bio(ex, toks)...)
			offs = append(offs, int64(len(labs)))
			if err := enc.Encode(ex); err != nil {
				return err
			}
			counts[split]["examples"]++
			counts[split]["examples/"+ex.Source]++
			for _, s := range ex.Spans {
				counts[split][s.Label]++
			}
		}
		js.Close()
		for name, v := range map[string]any{".ids.i32": ids, ".labels.i8": labs, ".offs.i64": offs} {
			f, err := os.Create(filepath.Join(work, split+name))
			if err != nil {
				return err
			}
			if err := binary.Write(f, binary.LittleEndian, v); err != nil {
				return err
			}
			f.Close()
		}
	}
	lex, err := commonWords(data)
	if err != nil {
		return fmt.Errorf("lexicon: %w", err)
	}
	lb, _ := json.Marshal(lex)
	if err := os.WriteFile(filepath.Join(work, "common_words.json"), lb, 0o644); err != nil {
		return err
	}
	meta := map[string]any{"labels": labels, "featurizer": cfg, "slots": nerfeat.Slots, "counts": counts, "seed": seed, "common_words": len(lex)}
	b, _ := json.MarshalIndent(meta, "", "  ")
	if err := os.WriteFile(filepath.Join(work, "data.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}
