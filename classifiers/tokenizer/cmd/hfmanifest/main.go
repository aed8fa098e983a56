// Command hfmanifest writes the Warden manifest (kind hf) for a Hugging Face
// sequence-classification model exported to ONNX, so that Warden loads it
// beside its own models:
//
//	go run ./classifiers/tokenizer/cmd/hfmanifest [flags] DIR
//
// DIR holds model.onnx, tokenizer.json and config.json (id2label), as
// written by `optimum-cli export onnx --task text-classification`. The
// manifest records their sha256, the graph's input and output names, the
// mapping of the model's labels to Warden categories, the activation and
// the token window. ONNX Runtime is loaded from WARDEN_ONNXRUNTIME_LIB (or
// the fetch script's cache) to read the graph.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/wardenhq/warden/classifiers"
)

func main() {
	var (
		name       = flag.String("name", "", "model name (default: the directory's name)")
		version    = flag.String("version", "1", "model version")
		labelMap   = flag.String("map", "", "model label to Warden category, comma-separated: INJECTION=prompt_injection,JAILBREAK=jailbreak (default: labels named like a category)")
		activation = flag.String("activation", "", "sigmoid or softmax (default: from config.json problem_type)")
		maxLength  = flag.Int("max-length", 0, "window in tokens, special tokens included (default: from the export, at most 512)")
		stride     = flag.Int("stride", 0, "overlap of consecutive windows in tokens (default: max-length/8)")
		stages     = flag.String("stages", "", "comma-separated stages the model scores (prompt, response; default both)")
		file       = flag.String("file", "model.onnx", "ONNX file in DIR")
		print      = flag.Bool("print", false, "print the manifest instead of writing DIR/manifest.json")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: hfmanifest [flags] DIR\n\nWrites DIR/manifest.json for a Hugging Face ONNX export.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	dir := flag.Arg(0)
	opts := classifiers.HFManifestOptions{
		Name: *name, Version: *version, Activation: *activation, MaxLength: *maxLength, Stride: *stride, File: *file,
	}
	if *labelMap != "" {
		opts.LabelMap = map[string]string{}
		for _, kv := range strings.Split(*labelMap, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fail(fmt.Errorf("-map: %q is not LABEL=category", kv))
			}
			opts.LabelMap[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if *stages != "" {
		opts.Stages = strings.Split(*stages, ",")
	}
	if err := classifiers.Init(os.Getenv("WARDEN_ONNXRUNTIME_LIB")); err != nil {
		fail(err)
	}
	man, err := classifiers.NewHFManifest(dir, opts)
	if err != nil {
		fail(err)
	}
	if *print {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(man); err != nil {
			fail(err)
		}
		return
	}
	if err := classifiers.WriteManifest(dir, man); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "wrote %s/manifest.json: model %s, labels %v, %s, window %d tokens (stride %d)\n",
		dir, man.Name, man.Labels, man.HF.Activation, man.HF.MaxLength, man.HF.Stride)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hfmanifest:", err)
	os.Exit(1)
}
