// Command gen writes the tokenizer.json fixtures of the HF tests: small
// WordPiece (BERT-style), byte-level BPE (RoBERTa-style), Unigram
// (SentencePiece/XLM-R-style) and SentencePiece-BPE with byte fallback
// (Llama-style) vocabularies, trained on permissively licensed text from
// ../shared/data (xsafety, Apache-2.0; gsm8k, MIT; self-instruct, Apache-2.0).
// Only vocabularies are written, never the text. Deterministic.
//
//	go run ./classifiers/testdata/hf/gen -data ../shared/data -out classifiers/testdata/hf/tokenizers
package main

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func main() {
	data := flag.String("data", "../shared/data", "the shared data directory")
	out := flag.String("out", "classifiers/testdata/hf/tokenizers", "output directory")
	flag.Parse()
	texts := corpus(*data)
	log.Printf("corpus: %d texts", len(texts))
	write(filepath.Join(*out, "wordpiece"), wordPiece(texts))
	write(filepath.Join(*out, "bpe"), byteLevelBPE(texts))
	write(filepath.Join(*out, "unigram"), unigram(texts))
	write(filepath.Join(*out, "spbpe"), sentencePieceBPE(texts))
}

func corpus(root string) []string {
	var texts []string
	files, _ := filepath.Glob(filepath.Join(root, "xsafety", "*", "*.csv"))
	sort.Strings(files)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			log.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.LazyQuotes = true
		r.FieldsPerRecord = -1
		n := 0
		for n < 120 {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil || len(rec) == 0 {
				continue
			}
			texts = append(texts, strings.TrimPrefix(rec[0], "\ufeff"))
			n++
		}
		fh.Close()
	}
	readJSONL := func(path string, n int, fields ...string) {
		fh, err := os.Open(path)
		if err != nil {
			log.Fatal(err)
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for i := 0; i < n && sc.Scan(); i++ {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			for _, f := range fields {
				if s, ok := m[f].(string); ok {
					texts = append(texts, s)
				}
			}
		}
	}
	readJSONL(filepath.Join(root, "gsm8k", "grade_school_math", "data", "train.jsonl"), 1500, "question", "answer")
	readJSONL(filepath.Join(root, "self-instruct", "data", "seed_tasks.jsonl"), 200, "instruction")
	return texts
}

func write(dir string, v any) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d bytes)", dir, len(b))
}

type obj = map[string]any

func added(id int, content string, special bool) obj {
	return obj{"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": !special, "special": special}
}

func template(single []string, special map[string]int) obj {
	var items []obj
	for _, s := range single {
		if s == "$A" {
			items = append(items, obj{"Sequence": obj{"id": "A", "type_id": 0}})
		} else {
			items = append(items, obj{"SpecialToken": obj{"id": s, "type_id": 0}})
		}
	}
	sp := obj{}
	for tok, id := range special {
		sp[tok] = obj{"id": tok, "ids": []int{id}, "tokens": []string{tok}}
	}
	return obj{"type": "TemplateProcessing", "single": items, "pair": items, "special_tokens": sp}
}

// topK returns the k most frequent keys with count >= minCount, ties by key.
func topK(counts map[string]int, k, minCount int) []string {
	keys := make([]string, 0, len(counts))
	for w, c := range counts {
		if c >= minCount {
			keys = append(keys, w)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(counts[b], counts[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if len(keys) > k {
		keys = keys[:k]
	}
	return keys
}

// --- WordPiece ---------------------------------------------------------

func bertWords(text string) []string {
	text = strings.ToLower(norm.NFD.String(text))
	var b strings.Builder
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r >= 0x4E00 && r <= 0x9FFF, unicode.IsPunct(r) || (r < 128 && unicode.IsSymbol(r)):
			b.WriteString(" " + string(r) + " ")
		default:
			b.WriteRune(r)
		}
	}
	return strings.Fields(b.String())
}

func wordPiece(texts []string) obj {
	words, chars, suffixes := map[string]int{}, map[string]int{}, map[string]int{}
	for _, t := range texts {
		for _, w := range bertWords(t) {
			words[w]++
			rs := []rune(w)
			for _, r := range rs {
				chars[string(r)]++
			}
			for n := 2; n <= 4 && n < len(rs); n++ {
				suffixes[string(rs[len(rs)-n:])]++
			}
		}
	}
	vocab := obj{}
	next := 0
	addTok := func(t string) {
		if _, ok := vocab[t]; !ok {
			vocab[t] = next
			next++
		}
	}
	for _, s := range []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} {
		addTok(s)
	}
	for _, c := range topK(chars, 1200, 2) {
		addTok(c)
		addTok("##" + c)
	}
	for _, s := range topK(suffixes, 400, 5) {
		addTok("##" + s)
	}
	for _, w := range topK(words, 2500, 3) {
		addTok(w)
	}
	return obj{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens":   []obj{added(0, "[PAD]", true), added(1, "[UNK]", true), added(2, "[CLS]", true), added(3, "[SEP]", true), added(4, "[MASK]", true)},
		"normalizer":     obj{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": nil, "lowercase": true},
		"pre_tokenizer":  obj{"type": "BertPreTokenizer"},
		"post_processor": template([]string{"[CLS]", "$A", "[SEP]"}, map[string]int{"[CLS]": 2, "[SEP]": 3}),
		"decoder":        obj{"type": "WordPiece", "prefix": "##", "cleanup": true},
		"model":          obj{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
	}
}

// --- BPE training ------------------------------------------------------

// trainBPE learns merges over words given as symbol sequences.
func trainBPE(words map[string]int, split func(string) []string, merges int) ([][2]string, []string) {
	type entry struct {
		syms  []string
		count int
	}
	keys := make([]string, 0, len(words))
	for w := range words {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	var es []entry
	alphabet := map[string]bool{}
	for _, w := range keys {
		if words[w] < 2 {
			continue
		}
		s := split(w)
		for _, x := range s {
			alphabet[x] = true
		}
		es = append(es, entry{s, words[w]})
	}
	var out [][2]string
	for len(out) < merges {
		pairs := map[[2]string]int{}
		for _, e := range es {
			for i := 0; i+1 < len(e.syms); i++ {
				pairs[[2]string{e.syms[i], e.syms[i+1]}] += e.count
			}
		}
		var best [2]string
		bc := 0
		for p, c := range pairs {
			if c > bc || (c == bc && (p[0]+" "+p[1]) < (best[0]+" "+best[1])) {
				best, bc = p, c
			}
		}
		if bc < 2 {
			break
		}
		out = append(out, best)
		m := best[0] + best[1]
		for i := range es {
			s := es[i].syms
			var ns []string
			for j := 0; j < len(s); j++ {
				if j+1 < len(s) && s[j] == best[0] && s[j+1] == best[1] {
					ns = append(ns, m)
					j++
				} else {
					ns = append(ns, s[j])
				}
			}
			es[i].syms = ns
		}
	}
	alpha := make([]string, 0, len(alphabet))
	for a := range alphabet {
		alpha = append(alpha, a)
	}
	sort.Strings(alpha)
	return out, alpha
}

// gpt2Words is a rough GPT-2 pre-tokenisation (training only needs words).
func gpt2Words(text string) []string {
	var out []string
	cur := []rune{}
	class := func(r rune) int {
		switch {
		case unicode.IsLetter(r):
			return 1
		case unicode.IsNumber(r):
			return 2
		case unicode.IsSpace(r):
			return 3
		}
		return 4
	}
	prev := 0
	for _, r := range text {
		c := class(r)
		if len(cur) > 0 && c != prev && !(prev == 3 && len(cur) == 1 && cur[0] == ' ' && c != 3) {
			out = append(out, string(cur))
			cur = cur[:0]
		}
		cur = append(cur, r)
		prev = c
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

var byteRune = func() [256]rune {
	var t [256]rune
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}()

func byteLevelBPE(texts []string) obj {
	words := map[string]int{}
	for _, t := range texts {
		for _, w := range gpt2Words(t) {
			var b strings.Builder
			for i := 0; i < len(w); i++ {
				b.WriteRune(byteRune[w[i]])
			}
			words[b.String()]++
		}
	}
	merges, _ := trainBPE(words, func(w string) []string {
		var s []string
		for _, r := range w {
			s = append(s, string(r))
		}
		return s
	}, 1800)
	vocab := obj{}
	next := 0
	addTok := func(t string) {
		if _, ok := vocab[t]; !ok {
			vocab[t] = next
			next++
		}
	}
	for _, s := range []string{"<s>", "<pad>", "</s>", "<unk>"} {
		addTok(s)
	}
	for b := range 256 {
		addTok(string(byteRune[b]))
	}
	var ms []string
	for _, m := range merges {
		addTok(m[0] + m[1])
		ms = append(ms, m[0]+" "+m[1])
	}
	addTok("<mask>")
	mask := added(vocab["<mask>"].(int), "<mask>", true)
	mask["lstrip"] = true
	return obj{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens":  []obj{added(0, "<s>", true), added(1, "<pad>", true), added(2, "</s>", true), added(3, "<unk>", true), mask},
		"normalizer":    nil,
		"pre_tokenizer": obj{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
		"post_processor": obj{"type": "RobertaProcessing", "sep": []any{"</s>", 2}, "cls": []any{"<s>", 0},
			"trim_offsets": true, "add_prefix_space": false},
		"decoder": obj{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": obj{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "", "end_of_word_suffix": "",
			"fuse_unk": false, "byte_fallback": false, "vocab": vocab, "merges": ms},
	}
}

// --- Unigram -----------------------------------------------------------

func unigram(texts []string) obj {
	pieces := map[string]int{}
	chars := map[string]int{}
	total := 0
	for _, t := range texts {
		t = norm.NFKC.String(t)
		for _, w := range strings.Fields(t) {
			rs := []rune("▁" + w)
			for i := range rs {
				chars[string(rs[i])]++
				total++
				for n := 2; n <= 6 && i+n <= len(rs); n++ {
					pieces[string(rs[i:i+n])]++
				}
			}
		}
	}
	type scored struct {
		p string
		s float64
	}
	var vocab []scored
	seen := map[string]bool{}
	add := func(p string, c int) {
		if !seen[p] {
			seen[p] = true
			vocab = append(vocab, scored{p, math.Log(float64(c) / float64(total))})
		}
	}
	for _, c := range topK(chars, 1500, 2) {
		add(c, chars[c])
	}
	for _, p := range topK(pieces, 3000, 4) {
		add(p, pieces[p])
	}
	slices.SortStableFunc(vocab, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	list := []any{[]any{"<s>", 0.0}, []any{"<pad>", 0.0}, []any{"</s>", 0.0}, []any{"<unk>", 0.0}}
	for _, v := range vocab {
		list = append(list, []any{v.p, math.Round(v.s*1e4) / 1e4})
	}
	return obj{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []obj{added(0, "<s>", true), added(1, "<pad>", true), added(2, "</s>", true), added(3, "<unk>", true)},
		"normalizer": obj{"type": "Sequence", "normalizers": []obj{
			{"type": "NFKC"},
			{"type": "Replace", "pattern": obj{"Regex": " {2,}"}, "content": " "},
		}},
		"pre_tokenizer":  obj{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
		"post_processor": template([]string{"<s>", "$A", "</s>"}, map[string]int{"<s>": 0, "</s>": 2}),
		"decoder":        obj{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
		"model":          obj{"type": "Unigram", "unk_id": 3, "vocab": list, "byte_fallback": false},
	}
}

// --- SentencePiece BPE with byte fallback ------------------------------

func sentencePieceBPE(texts []string) obj {
	words := map[string]int{}
	chars := map[string]int{}
	for _, t := range texts {
		for _, w := range strings.Fields(t) {
			words["▁"+w]++
			for _, r := range "▁" + w {
				chars[string(r)]++
			}
		}
	}
	keep := map[string]bool{}
	for _, c := range topK(chars, 700, 3) {
		keep[c] = true
	}
	merges, _ := trainBPE(words, func(w string) []string {
		var s []string
		for _, r := range w {
			if keep[string(r)] {
				s = append(s, string(r))
			} else {
				s = append(s, "\x00") // rare: byte fallback, never merged
			}
		}
		return s
	}, 1500)
	vocab := obj{}
	next := 0
	addTok := func(t string) {
		if _, ok := vocab[t]; !ok {
			vocab[t] = next
			next++
		}
	}
	for _, s := range []string{"<unk>", "<s>", "</s>"} {
		addTok(s)
	}
	for b := range 256 {
		addTok(fmt.Sprintf("<0x%02X>", b))
	}
	var ms [][]string
	for _, m := range merges {
		if strings.Contains(m[0]+m[1], "\x00") {
			continue
		}
		ms = append(ms, []string{m[0], m[1]})
	}
	// Merged tokens first (SentencePiece orders by score), then characters.
	for _, m := range ms {
		addTok(m[0] + m[1])
	}
	for _, c := range topK(chars, 700, 3) {
		addTok(c)
	}
	return obj{
		"version": "1.0", "truncation": nil, "padding": nil,
		"added_tokens": []obj{added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true)},
		"normalizer": obj{"type": "Sequence", "normalizers": []obj{
			{"type": "Prepend", "prepend": "▁"},
			{"type": "Replace", "pattern": obj{"String": " "}, "content": "▁"},
		}},
		"pre_tokenizer":  nil,
		"post_processor": template([]string{"<s>", "$A"}, map[string]int{"<s>": 1}),
		"decoder": obj{"type": "Sequence", "decoders": []obj{
			{"type": "Replace", "pattern": obj{"String": "▁"}, "content": " "},
			{"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		"model": obj{"type": "BPE", "dropout": nil, "unk_token": "<unk>", "continuing_subword_prefix": nil, "end_of_word_suffix": nil,
			"fuse_unk": true, "byte_fallback": true, "ignore_merges": false, "vocab": vocab, "merges": ms},
	}
}
