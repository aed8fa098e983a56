package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/classifiers/detect/nerfeat"
	"github.com/wardenhq/warden/internal/types"
)

// ErrNERModel marks a NER model that failed verification.
var ErrNERModel = errors.New("invalid NER model")

// NERKind is the manifest kind of a token-classification model.
const NERKind = "token-tagger"

// NERManifest describes a PERSON/LOCATION tagger (manifest.json next to
// the ONNX file).
type NERManifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
	File    string `json:"file"`
	SHA256  string `json:"sha256"`
	// Labels are the output columns in BIO form: "O", "B-PERSON", ...
	Labels     []string       `json:"labels"`
	Featurizer nerfeat.Config `json:"featurizer"`
	// Inputs: ids [batch, tokens, nerfeat.Slots] int64 and mask [batch,
	// tokens] float; Output: probabilities [batch, tokens, labels].
	Inputs struct {
		IDs  string `json:"ids"`
		Mask string `json:"mask"`
	} `json:"inputs"`
	Output string `json:"output"`
	// Radius is how many tokens on each side one output depends on
	// through the network (convolutions), beyond the features' own window.
	Radius int `json:"radius"`
	// Threshold is the default minimum finding score.
	Threshold float64 `json:"threshold"`
	// CommonWords are lower-case words that, capitalised, are usually not
	// names (a lexicon built with the model; see decode).
	CommonWords []string        `json:"common_words,omitempty"`
	Training    json.RawMessage `json:"training,omitempty"`
	Metrics     json.RawMessage `json:"metrics,omitempty"`
	License     string          `json:"license,omitempty"`
}

// Validate checks the manifest's own consistency.
func (m *NERManifest) Validate() error {
	var errs []error
	if m.Name == "" || m.Version == "" {
		errs = append(errs, errors.New("name and version are required"))
	}
	if m.Kind != NERKind {
		errs = append(errs, fmt.Errorf("kind %q, want %q", m.Kind, NERKind))
	}
	if m.File == "" || !fs.ValidPath(m.File) {
		errs = append(errs, fmt.Errorf("file %q is not a relative path", m.File))
	}
	if len(m.SHA256) != 64 {
		errs = append(errs, fmt.Errorf("sha256 %q is not 64 hex digits", m.SHA256))
	}
	if len(m.Labels) < 2 || m.Labels[0] != "O" {
		errs = append(errs, errors.New(`labels must start with "O"`))
	}
	for _, l := range m.Labels[min(1, len(m.Labels)):] {
		if !strings.HasPrefix(l, "B-") && !strings.HasPrefix(l, "I-") {
			errs = append(errs, fmt.Errorf("label %q is not B-/I-", l))
		}
	}
	if err := m.Featurizer.Validate(); err != nil {
		errs = append(errs, err)
	}
	if m.Inputs.IDs == "" || m.Inputs.Mask == "" || m.Output == "" {
		errs = append(errs, errors.New("inputs.ids, inputs.mask and output must be named"))
	}
	if m.Radius < 0 || m.Radius > 16 {
		errs = append(errs, fmt.Errorf("radius %d outside 0..16", m.Radius))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("NER manifest %s: %w", m.Name, err)
	}
	return nil
}

// ReadNERManifest reads and validates dir/manifest.json.
func ReadNERManifest(fsys fs.FS, dir string) (*NERManifest, error) {
	b, err := fs.ReadFile(fsys, path.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: reading manifest in %s: %w", ErrNERModel, dir, err)
	}
	var m NERManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: parsing manifest in %s: %w", ErrNERModel, dir, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNERModel, err)
	}
	return &m, nil
}

type entityLabel struct {
	begin, inside int // output columns
	typ           string
}

type nerModel struct {
	man       *NERManifest
	sess      *ort.DynamicAdvancedSession
	ents      []entityLabel
	threshold float64
	nlabels   int
	common    map[string]bool
}

// loadNER verifies the model's checksum and opens a session.
func loadNER(fsys fs.FS, dir string, o classifiers.Options, threshold float64) (*nerModel, error) {
	if dir == "" {
		dir = "."
	}
	man, err := ReadNERManifest(fsys, dir)
	if err != nil {
		return nil, err
	}
	data, err := fs.ReadFile(fsys, path.Join(dir, man.File))
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: %w", ErrNERModel, man.Name, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != man.SHA256 {
		return nil, fmt.Errorf("%w: model %s: %s has sha256 %s, manifest says %s", ErrNERModel, man.Name, man.File, got, man.SHA256)
	}
	m := &nerModel{man: man, threshold: man.Threshold, nlabels: len(man.Labels), common: map[string]bool{}}
	for _, w := range man.CommonWords {
		m.common[w] = true
	}
	if threshold > 0 {
		m.threshold = threshold
	}
	col := map[string]int{}
	for i, l := range man.Labels {
		col[l] = i
	}
	for _, l := range man.Labels {
		if t, ok := strings.CutPrefix(l, "B-"); ok {
			in, ok := col["I-"+t]
			if !ok {
				return nil, fmt.Errorf("%w: model %s: label B-%s has no I-%s", ErrNERModel, man.Name, t, t)
			}
			m.ents = append(m.ents, entityLabel{begin: col[l], inside: in, typ: t})
		}
	}
	if o.IntraOpThreads <= 0 {
		o.IntraOpThreads = 1
	}
	if o.InterOpThreads <= 0 {
		o.InterOpThreads = 1
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: session options: %w", classifiers.ErrRuntime, man.Name, err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(o.IntraOpThreads); err != nil {
		return nil, fmt.Errorf("model %s: %w", man.Name, err)
	}
	if err := so.SetInterOpNumThreads(o.InterOpThreads); err != nil {
		return nil, fmt.Errorf("model %s: %w", man.Name, err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{man.Inputs.IDs, man.Inputs.Mask}, []string{man.Output}, so)
	if err != nil {
		return nil, fmt.Errorf("%w: model %s: creating session: %w", ErrNERModel, man.Name, err)
	}
	m.sess = sess
	if _, err := m.detect(context.Background(), "Warden self-test: Alice Smith lives in Paris.", nil); err != nil {
		sess.Destroy()
		return nil, fmt.Errorf("%w: model %s: self-test: %w", ErrNERModel, man.Name, err)
	}
	return m, nil
}

func (m *nerModel) close() error {
	if m.sess == nil {
		return nil
	}
	err := m.sess.Destroy()
	m.sess = nil
	return err
}

// margin is how many tokens around a token its label depends on.
func (m *nerModel) margin() int { return m.man.Radius + nerfeat.Window }

// maxEntityBytes bounds one entity for the streaming hold-back.
const maxEntityBytes = 160

func (m *nerModel) maxMatch() int { return maxEntityBytes }

// nerChunk bounds the tokens one piece labels; nerSeq bounds the positions
// of one ONNX run.
const (
	nerChunk = 96
	nerSeq   = 2048
)

// gate reports the tokens worth labelling: capitalised words that are not
// a common sentence opener. Names written in lower case are not found; the
// price of keeping NER off most of the text.
func gate(text string, toks []nerfeat.Token, i int) bool {
	w := text[toks[i].Start:toks[i].End]
	if !nerfeat.IsCapitalized(w) || len(w) < 2 {
		return false
	}
	if nerfeat.SentenceStart(text, toks, i) && commonOpeners[strings.ToLower(w)] {
		return false
	}
	return true
}

var commonOpeners = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the a an this that these those it its i i'm i've i'd we you your he she they my our
		what when where why how who which is are was were do does did can could would should will shall may might must
		please write explain describe give list tell show make create generate summarize summarise translate find help
		if and but or so for in on at to from by with of as not no yes hi hello hey dear thanks thank ok okay sure also
		here there then now today yesterday tomorrow after before while because although however therefore first next
		finally all some any each every many most more other such only just even still also let lets let's use using
		add remove set get run call send check note see read sort print return suppose consider assume`) {
		commonOpeners[w] = true
	}
}

// spans of tokens to label: gated tokens widened by 2 (a name's neighbours)
// and merged.
func gatedRanges(text string, toks []nerfeat.Token) [][2]int {
	var rs [][2]int
	for i := range toks {
		if !gate(text, toks, i) {
			continue
		}
		a, b := max(0, i-2), min(len(toks), i+3)
		if n := len(rs); n > 0 && a <= rs[n-1][1] {
			rs[n-1][1] = max(rs[n-1][1], b)
			continue
		}
		rs = append(rs, [2]int{a, b})
	}
	return rs
}

// detect labels the gated parts of text and decodes BIO spans.
func (m *nerModel) detect(ctx context.Context, text string, lab *nerLabels) ([]types.Finding, error) {
	toks := nerfeat.Tokenize(text, nil)
	ranges := gatedRanges(text, toks)
	if lab != nil {
		lab.toks, lab.entity = toks, make([]bool, len(toks))
	}
	if len(ranges) == 0 {
		return nil, nil
	}
	probs, err := m.label(ctx, text, toks, ranges)
	if err != nil {
		return nil, err
	}
	if lab != nil {
		for i, p := range probs {
			for k := range p {
				if p[k] > p[0] {
					lab.entity[i] = true // the best label is not "O"
					break
				}
			}
		}
	}
	return m.decode(text, toks, probs), nil
}

// label returns the tagger's label probabilities of the tokens in ranges
// (nil for the others).
func (m *nerModel) label(ctx context.Context, text string, toks []nerfeat.Token, ranges [][2]int) ([][]float32, error) {
	// Pieces: [a, b) to label, fed with R tokens of context each side
	// ([ia, ib)). Pieces whose windows overlap or touch share one segment
	// (the tokens between are real context), and segments are laid end to
	// end in one sequence: a labelled token is at least R positions inside
	// its window and the tagger sees R tokens each side (two width-3
	// convolutions; the manifest's radius), so no label depends on what
	// lies past a window's edge — each is what a run of its piece alone
	// gives, from one run without padding waste (bench/load's 1 KB mix:
	// 39 % fewer positions than a batch of padded chunks).
	type piece struct{ a, b, ia, ib, seq, off int }
	var pieces []piece
	R := m.man.Radius
	for _, r := range ranges {
		for a := r[0]; a < r[1]; a += nerChunk {
			b := min(r[1], a+nerChunk)
			pieces = append(pieces, piece{a: a, b: b, ia: max(0, a-R), ib: min(len(toks), b+R)})
		}
	}
	type segment struct{ ia, ib int }
	var seqs [][]segment // segments per sequence
	var segs []segment
	pos := 0 // positions in the current sequence
	for i := range pieces {
		p := &pieces[i]
		if n := len(segs); n > 0 && p.ia <= segs[n-1].ib && p.ib-segs[n-1].ia <= nerSeq/4 &&
			pos+max(0, p.ib-segs[n-1].ib) <= nerSeq {
			// extend the last segment (bounded, so a long capitalised run
			// still splits into pieces with their own context, and the
			// sequence stays within nerSeq)
			last := &segs[n-1]
			pos += max(0, p.ib-last.ib)
			last.ib = max(last.ib, p.ib)
			p.seq, p.off = len(seqs), pos-(last.ib-last.ia)+(p.ia-last.ia)
			continue
		}
		if pos > 0 && pos+(p.ib-p.ia) > nerSeq {
			seqs, segs, pos = append(seqs, segs), nil, 0
		}
		p.seq, p.off = len(seqs), pos
		segs = append(segs, segment{p.ia, p.ib})
		pos += p.ib - p.ia
	}
	seqs = append(seqs, segs)
	probs := make([][]float32, len(toks)) // per token, nil where not labelled
	cfg := m.man.Featurizer
	L := m.nlabels
	for si, segs := range seqs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		width := 0
		for _, g := range segs {
			width += g.ib - g.ia
		}
		// Featurize appends Slots ids per token: the segments fill ids in
		// place, one after the other
		ids := make([]int64, 0, width*nerfeat.Slots)
		for _, g := range segs {
			ids = cfg.Featurize(text, toks, g.ia, g.ib, ids)
		}
		mask := make([]float32, width)
		for i := range mask {
			mask[i] = 1
		}
		out, err := m.run(ctx, ids, mask, 1, width)
		if err != nil {
			return nil, err
		}
		for _, p := range pieces {
			if p.seq != si {
				continue
			}
			for t := p.a; t < p.b; t++ {
				off := (p.off + t - p.ia) * L
				probs[t] = out[off : off+L]
			}
		}
	}
	return probs, nil
}

func (m *nerModel) run(ctx context.Context, ids []int64, mask []float32, b, width int) ([]float32, error) {
	idsT, err := ort.NewTensor(ort.NewShape(int64(b), int64(width), nerfeat.Slots), ids)
	if err != nil {
		return nil, fmt.Errorf("ner ids tensor: %w", err)
	}
	defer idsT.Destroy()
	maskT, err := ort.NewTensor(ort.NewShape(int64(b), int64(width)), mask)
	if err != nil {
		return nil, fmt.Errorf("ner mask tensor: %w", err)
	}
	defer maskT.Destroy()
	outs := []ort.Value{nil}
	runErr := classifiers.Run(ctx, m.sess, []ort.Value{idsT, maskT}, outs)
	if outs[0] != nil {
		defer outs[0].Destroy()
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("ner: %w", ctx.Err())
		}
		return nil, fmt.Errorf("ner run: %w", runErr)
	}
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("%w: output is %T, want float32 tensor", ErrNERModel, outs[0])
	}
	if sh := t.GetShape(); len(sh) != 3 || sh[0] != int64(b) || sh[1] != int64(width) || sh[2] != int64(m.nlabels) {
		return nil, fmt.Errorf("%w: output shape %v, want [%d %d %d]", ErrNERModel, sh, b, width, m.nlabels)
	}
	return append([]float32(nil), t.GetData()...), nil
}

// Context words raise or lower a span's score (Presidio's context
// enhancement): a title or "my name is" before a PERSON, a preposition of
// place or an address word before a LOCATION; a company suffix after either
// suggests an organisation.
var (
	personBefore   = wordSet("mr mrs ms miss mx dr prof sir madam dear name named called i'm am by contact regards sincerely cc attn")
	locationBefore = wordSet("in at from to near city town country state province street avenue road lives live living located address visit visited moved born")
	orgAfter       = wordSet("inc corp corporation ltd llc plc gmbh ag co company university college bank group foundation hospital school institute airlines")
)

// commonNounPenalty keeps a span of common words out unless context
// supports it.
const commonNounPenalty = 0.5

// commonNouns are words that are capitalised in prompts (table names, UI
// labels, title case) far more often than they are names: a PERSON or
// LOCATION span of one such word loses commonNounPenalty unless a context
// word supports it.
var commonNouns = wordSet(`orders order customers customer users user accounts account products product items item
	sales marketing finance support admin settings profile dashboard report reports invoice invoices payments payment
	employees employee students student teachers teacher members member clients client projects project tasks task
	events event messages message comments comment posts post pages page files file documents document records record
	services service systems system teams team groups group roles role permissions categories category tags tag
	tables table columns column rows row fields field values value keys key types type models model views view
	home help about contact search login logout signup register cart checkout shipping billing address name email
	title summary description notes note status date time total price amount quantity subtotal tax discount
	monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
	september october november december spring summer autumn winter morning evening today tomorrow
	wisdom discipline courage patience virtue love hope faith truth justice freedom peace power energy nature
	python java javascript typescript rust golang ruby kotlin swift docker kubernetes linux windows android
	chapter section part figure appendix introduction conclusion abstract overview background methods results
	north south east west central great grand new old big little first second third last final main general
	manager director engineer developer designer analyst president officer chief head lead senior junior
	king queen prince princess lord lady sir god church state city country street road avenue park river lake
	mountain island bay beach hill valley forest garden market square bridge tower castle hall house`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

const contextBoost = 0.15

// decode turns token probabilities into spans: a span starts at a token
// whose best label is B-X (or I-X after a token that is not X) and
// continues over I-X tokens. Its score is the mean probability of its
// labels, adjusted by context words.
func (m *nerModel) decode(text string, toks []nerfeat.Token, probs [][]float32) []types.Finding {
	var out []types.Finding
	best := func(p []float32) int {
		k := 0
		for j := range p {
			if p[j] > p[k] {
				k = j
			}
		}
		return k
	}
	lower := func(i int) string {
		if i < 0 || i >= len(toks) {
			return ""
		}
		return strings.ToLower(text[toks[i].Start:toks[i].End])
	}
	for i := 0; i < len(toks); {
		p := probs[i]
		if p == nil {
			i++
			continue
		}
		lab := best(p)
		var ent *entityLabel
		for k := range m.ents {
			if m.ents[k].begin == lab || m.ents[k].inside == lab {
				ent = &m.ents[k]
			}
		}
		if ent == nil {
			i++
			continue
		}
		sum := float64(p[ent.begin] + p[ent.inside])
		j := i + 1
		for j < len(toks) && probs[j] != nil && best(probs[j]) == ent.inside {
			sum += float64(probs[j][ent.begin] + probs[j][ent.inside])
			j++
		}
		// Trim punctuation at the edges, and numbers at the edges of a
		// name (addresses keep theirs).
		a, b := i, j
		for a < b && (!isWordTok(text, toks[a]) || ent.typ == "PERSON" && isNumberTok(text, toks[a])) {
			a++
		}
		for b > a && (!isWordTok(text, toks[b-1]) || ent.typ == "PERSON" && isNumberTok(text, toks[b-1])) {
			b--
		}
		if a < b && m.plausible(text, toks[a:b]) {
			score := sum / float64(j-i)
			var before []string
			for k := a - 1; k >= max(0, a-3); k-- {
				before = append(before, strings.Trim(lower(k), ".,"))
			}
			boost := 0.0
			for _, w := range before {
				if ent.typ == "PERSON" && personBefore[w] || ent.typ == "LOCATION" && locationBefore[w] {
					boost = contextBoost
				}
			}
			if orgAfter[strings.Trim(lower(b), ".,")] {
				boost -= 2 * contextBoost
			}
			if boost <= 0 && m.allCommon(text, toks[a:b]) {
				boost -= commonNounPenalty
			}
			score = min(1, score+boost)
			if score >= m.threshold {
				out = append(out, types.Finding{Type: ent.typ, Class: ClassPII, Start: toks[a].Start, End: toks[b-1].End, Score: float64(float32(score)), Detector: "ner:" + m.man.Name})
			}
		}
		i = j
	}
	return out
}

// allCommon reports a span whose words are all common words (the
// manifest's lexicon or commonNouns): "Upgrade", "Ticket 42", "Orders".
func (m *nerModel) allCommon(text string, toks []nerfeat.Token) bool {
	words := 0
	for _, t := range toks {
		w := text[t.Start:t.End]
		if !isWordTok(text, t) || isNumberTok(text, t) {
			continue
		}
		words++
		lw := strings.ToLower(w)
		if !m.common[lw] && !commonNouns[lw] {
			return false
		}
	}
	return words > 0
}

// plausible rejects spans no name looks like: no word of letters only
// (hashes, serials: "c158dcf6c8"), or only a short acronym next to numbers
// ("ISBN 9780306406157", "PO 4711").
func (m *nerModel) plausible(text string, toks []nerfeat.Token) bool {
	letters, acronymOnly, digits := 0, true, false
	for _, t := range toks {
		w := text[t.Start:t.End]
		if isNumberTok(text, t) {
			digits = true
			continue
		}
		if !isWordTok(text, t) {
			continue
		}
		if strings.ContainsAny(w, "0123456789") {
			digits = true
			continue // letters mixed with digits: not a word of a name
		}
		letters++
		if !(strings.ToUpper(w) == w && len(w) <= 4) {
			acronymOnly = false
		}
	}
	return letters > 0 && !(acronymOnly && digits)
}

func isNumberTok(text string, t nerfeat.Token) bool {
	for _, r := range text[t.Start:t.End] {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func isWordTok(text string, t nerfeat.Token) bool {
	for _, r := range text[t.Start:t.End] {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return false
}

// nerLabels records, for the tokens of a text from offset from on, which
// ones the model labelled as part of a name (their best label is not "O").
type nerLabels struct {
	from   int
	toks   []nerfeat.Token
	entity []bool
}

// nerContextBytes and nerContextTokens: how much text before a point the
// tagger reads to label the tokens after it as it would in the whole
// text. A label reads margin tokens each way, a token is labelled from two
// tokens away, a name's score reads three words before it; and a name
// that starts before the point ends within maxEntityBytes. Both bounds,
// with room to spare.
const (
	nerContextBytes  = maxEntityBytes + 96
	nerContextTokens = 16
)

// nerStart is where the tagger starts reading for the tokens from at on:
// at a token boundary at least nerContextBytes and nerContextTokens
// before at (or the start of the text).
func nerStart(text string, at int) int {
	q, toks := at, 0
	for q > 0 && (at-q < nerContextBytes || toks < nerContextTokens) {
		r, size := utf8.DecodeLastRuneInString(text[:q])
		switch {
		case unicode.IsSpace(r):
			q -= size
			continue
		case isWordRune(r):
			for q > 0 {
				r, size := utf8.DecodeLastRuneInString(text[:q])
				if !isWordRune(r) {
					break
				}
				q -= size
			}
		default:
			q -= size
		}
		toks++
	}
	return q
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// pending is the earliest offset of text at which a name may still begin
// or change (see Detector.pendingStart). A token is labelled only within
// two tokens of a gated (capitalised) word, and its label reads the
// tokens up to margin away: so unlabelled tokens more than two before the
// first token that more text may change stay out of every name, and
// labelled tokens farther than margin from it keep their label. A name
// may extend back over the tokens labelled as part of one (lab, from the
// pass that found the findings), or without lab over every labelled token
// (at most maxEntityBytes).
//
// text may be the end of a longer text (truncated): then what would reach
// back before its start is held from maxEntityBytes before, and the
// result may be negative.
func (m *nerModel) pending(text string, lab *nerLabels, truncated bool) int {
	toks := nerfeat.Tokenize(text, nil)
	n := len(toks)
	if n == 0 {
		return len(text)
	}
	// L: the first token that more text may change. A word at the very
	// end may grow; an apostrophe or hyphen after a word may join it to
	// the next one (O'Brien, Jean-Luc).
	L := n
	if last := toks[n-1]; last.End == len(text) {
		r, _ := utf8.DecodeRuneInString(text[last.Start:])
		switch {
		case isWordRune(r):
			L = n - 1
		case (r == '\'' || r == '-' || r == '’') && n >= 2 && toks[n-2].End == last.Start && isWordTok(text, toks[n-2]):
			L = n - 2
		}
	}
	ranges := gatedRanges(text, toks)
	labelled := func(i int) bool {
		for _, r := range ranges {
			if i >= r[0] && i < r[1] {
				return true
			}
		}
		return false
	}
	// A gated token to come labels the two before it. The token that may
	// change can itself become gated only if it starts with an upper-case
	// letter ("A" may grow into "Alice"); otherwise the first gated token
	// to come is after it.
	u := max(0, L-2)
	if L < n {
		if r, _ := utf8.DecodeRuneInString(text[toks[L].Start:]); !unicode.IsUpper(r) {
			u = max(0, L-1)
		}
	}
	for i := max(0, L-m.margin()); i < u; i++ {
		if labelled(i) {
			u = i
			break
		}
	}
	// A name is trimmed of punctuation at its edges and cannot span an
	// unlabelled token: unlabelled punctuation after an unlabelled token
	// cannot be part of one.
	for u < L && !labelled(u) && !isWordTok(text, toks[u]) && (u == 0 || !labelled(u-1)) {
		u++
	}
	if u >= n {
		return len(text)
	}
	inName := labelled
	if lab != nil {
		inName = func(i int) bool { return i < len(lab.toks) && lab.toks[i] == toks[i] && lab.entity[i] }
	}
	lim := toks[u].Start - maxEntityBytes
	for u > 0 && inName(u-1) && toks[u-1].Start >= lim {
		u--
	}
	if u == 0 && truncated {
		return lim // the name may have begun before the text
	}
	return toks[u].Start
}
