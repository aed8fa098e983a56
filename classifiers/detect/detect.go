package detect

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/types"
)

// Finding classes, as the policy sees them.
const (
	ClassPII    = "pii"
	ClassSecret = "secret"
)

// Structured finding types. Secret rules from gitleaks add their own (see
// Types).
var structuredTypes = []string{"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "PRIVATE_KEY", "JWT"}

// Options configure a Detector. The zero value enables every rule-based
// detector and no NER model.
type Options struct {
	// Disable lists detectors to turn off: a finding type ("PHONE"),
	// "SECRETS" for all gitleaks rules, or "gitleaks:<rule id>".
	Disable []string
	// NationalRegions are the regions (ISO 3166 codes) whose national
	// phone formats with a trunk prefix 0 are recognised without a country
	// code. North American numbers are always recognised. Default: GB, DE,
	// FR, IN, AU, NL, IE, IT.
	NationalRegions []string

	// NERModelFS and NERDir locate the PERSON/LOCATION model (a directory
	// with manifest.json and the ONNX file; models/ner embeds the shipped
	// one). Nil NERModelFS disables name detection. Loading needs ONNX
	// Runtime: call classifiers.Init first.
	NERModelFS fs.FS
	NERDir     string
	// NERThreshold is the minimum score of a PERSON or LOCATION finding
	// (after context words); 0 uses the manifest's threshold.
	NERThreshold float64
	// ORT tunes the NER session (threads default to 1).
	ORT classifiers.Options
}

// Detector finds PII and secrets. It is safe for concurrent use.
type Detector struct {
	enabled         map[string]bool
	disabledRules   map[string]bool
	secrets         *secretEngine
	nationalRegions []string
	ner             *nerModel
	maxMatch        int
}

var (
	engineOnce sync.Once
	engine     *secretEngine
	engineErr  error
)

// sharedSecrets compiles the gitleaks rules once per process; compiled
// regexps are safe for concurrent use and never change.
func sharedSecrets() (*secretEngine, error) {
	engineOnce.Do(func() {
		engine, engineErr = newSecretEngine(append(append([]ruleSpec(nil), gitleaksRules...), wardenRules...), gitleaksGlobal)
	})
	return engine, engineErr
}

// New builds a Detector. It reads the NER model when one is configured
// (and then needs ONNX Runtime); it starts nothing and touches no global
// state. Close releases the model.
func New(opts Options) (*Detector, error) {
	d := &Detector{enabled: map[string]bool{}}
	for _, t := range structuredTypes {
		d.enabled[t] = true
	}
	d.enabled["SECRETS"] = true
	for _, t := range opts.Disable {
		if strings.HasPrefix(t, "gitleaks:") {
			if d.disabledRules == nil {
				d.disabledRules = map[string]bool{}
			}
			d.disabledRules[t] = true
			continue
		}
		d.enabled[t] = false
	}
	d.nationalRegions = opts.NationalRegions
	if d.nationalRegions == nil {
		d.nationalRegions = []string{"GB", "DE", "FR", "IN", "AU", "NL", "IE", "IT"}
	}
	if d.enabled["SECRETS"] {
		e, err := sharedSecrets()
		if err != nil {
			return nil, fmt.Errorf("detect: compiling secret rules: %w", err)
		}
		d.secrets = e
		d.maxMatch = e.maxMatch
	}
	// Findings that are one run of non-space bytes (e-mail, JWT, URL
	// credentials, IPv6, tokens) keep touching the end of the buffer
	// until complete; the bound covers findings that span white space.
	d.maxMatch = max(d.maxMatch, maxNumericSpan+2*maxSepLen+1, maxIBANLen, maxPEMHeader+len("-----BEGIN -----"))
	if opts.NERModelFS != nil {
		m, err := loadNER(opts.NERModelFS, opts.NERDir, opts.ORT, opts.NERThreshold)
		if err != nil {
			return nil, err
		}
		d.ner = m
		d.maxMatch = max(d.maxMatch, m.maxMatch())
	}
	// Boundaries look one rune each way.
	d.maxMatch += 2 * utf8.UTFMax
	return d, nil
}

// Close releases the NER model's ONNX Runtime session.
func (d *Detector) Close() error {
	if d.ner != nil {
		return d.ner.close()
	}
	return nil
}

// Versions names the loaded model ({"ner": "<version>"}); empty without one.
func (d *Detector) Versions() map[string]string {
	if d.ner == nil {
		return map[string]string{}
	}
	return map[string]string{d.ner.man.Name: d.ner.man.Version}
}

// MaxMatch is the hold-back a streaming filter without Releasable needs,
// in bytes: a finding that ends (or could end) within the buffer depends
// on at most MaxMatch bytes of text before its end. Findings that can be
// longer than that (a private key, a token of unbounded length) keep
// touching the end of the buffer until they are complete. Releasable
// holds back far less: only what may still become part of a match.
func (d *Detector) MaxMatch() int { return d.maxMatch }

// Detect returns the findings in text, sorted by start. Findings never
// overlap: candidates that overlap are merged into one finding spanning
// them all, named after the strongest (a secret beats PII, then the higher
// score, then the longer match). Offsets are byte offsets on rune
// boundaries, End exclusive.
func (d *Detector) Detect(ctx context.Context, text string) ([]types.Finding, error) {
	return d.detect(ctx, text, nil, 0)
}

// DetectReleasable is Detect and then Releasable on the same text in one
// pass, for a streaming filter: the first released bytes of buf are text
// already released, kept as context (LookBehind). Findings that lie
// wholly in them may be left out: the name tagger, which costs far more
// per byte than the rest, reads only the last nerContextBytes of them.
// With a NER model, the labels this pass computes also narrow the
// hold-back (a name extends only over tokens labelled as part of one).
func (d *Detector) DetectReleasable(ctx context.Context, buf string, released int, final bool) ([]types.Finding, int, error) {
	var lab *nerLabels
	nerFrom := 0
	if d.ner != nil {
		nerFrom = nerStart(buf, released)
		if !final {
			lab = &nerLabels{from: nerFrom}
		}
	}
	fs, vfs, v, err := d.detectViews(ctx, buf, lab, nerFrom)
	if err != nil {
		return nil, 0, err
	}
	return fs, d.viewRelease(buf, d.releasable(buf, fs, final, lab), fs, v, vfs, final), nil
}

// viewRelease lowers r, the release point of buf's own findings fs (the
// view's included, mapped), to what the view v of buf (zero: none) may
// still complete: "jane.doe" then a zero-width space is a finished word
// in the original, and the start of an address in the view. vfs are the
// view's findings in its own offsets.
func (d *Detector) viewRelease(buf string, r int, fs []types.Finding, v view, vfs []types.Finding, final bool) int {
	if v.from == nil {
		return r
	}
	r = min(r, v.offset(d.releasable(v.text, vfs, final, nil), len(buf)))
	// Each point keeps its own findings whole; the earlier of the two
	// must not cut one of the other's either.
	for moved := true; moved; {
		moved = false
		for _, f := range fs {
			if f.Start < r && f.End > r {
				r, moved = f.Start, true
			}
		}
	}
	return r
}

func (d *Detector) detect(ctx context.Context, text string, lab *nerLabels, nerFrom int) ([]types.Finding, error) {
	fs, _, _, err := d.detectViews(ctx, text, lab, nerFrom)
	return fs, err
}

// detectViews is detect, plus the rule-based findings of text's view (see
// seeThrough) in the view's own offsets, and the view (zero when text
// needs none). The returned findings include the view's, mapped onto text.
func (d *Detector) detectViews(ctx context.Context, text string, lab *nerLabels, nerFrom int) ([]types.Finding, []types.Finding, view, error) {
	fs, err := d.scan(ctx, text, nil)
	if err != nil {
		return nil, nil, view{}, err
	}
	v, ok := seeThrough(text)
	var vfs []types.Finding
	if ok {
		if vfs, err = d.scan(ctx, v.text, nil); err != nil {
			return nil, nil, view{}, err
		}
		for _, f := range vfs {
			fs = append(fs, v.finding(f))
		}
	}
	if d.ner != nil {
		if err := ctx.Err(); err != nil {
			return nil, nil, view{}, fmt.Errorf("detect: %w", err)
		}
		nf, err := d.ner.detect(ctx, text[nerFrom:], lab)
		if err != nil {
			return nil, nil, view{}, fmt.Errorf("detect: names: %w", err)
		}
		for _, f := range nf {
			f.Start += nerFrom
			f.End += nerFrom
			fs = append(fs, f)
		}
	}
	if fs == nil {
		return []types.Finding{}, vfs, v, nil // an empty list, not null, in JSON
	}
	return resolve(fs), vfs, v, nil
}

// scan appends the rule-based findings in text (everything but names).
func (d *Detector) scan(ctx context.Context, text string, fs []types.Finding) ([]types.Finding, error) {
	if d.enabled["EMAIL"] {
		fs = scanEmails(text, fs)
	}
	fs = d.scanNumbers(text, fs)
	if d.enabled["IBAN"] {
		fs = scanIBANs(text, fs)
	}
	if d.enabled["IP_ADDRESS"] {
		fs = scanIPv6(text, fs)
	}
	if d.enabled["URL_CREDENTIALS"] {
		fs = scanURLCredentials(text, fs)
	}
	if d.enabled["PRIVATE_KEY"] {
		fs = scanPrivateKeys(text, fs)
	}
	if d.enabled["JWT"] {
		fs = scanJWTs(text, fs)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("detect: %w", err)
	}
	if d.secrets != nil {
		n := len(fs)
		fs = d.secrets.scan(text, fs)
		if len(d.disabledRules) > 0 {
			fs = append(fs[:n], slices.DeleteFunc(fs[n:], func(f types.Finding) bool { return d.disabledRules[f.Detector] })...)
		}
	}
	return fs, nil
}

// stronger reports whether a should name a merged finding over b.
func stronger(a, b types.Finding) bool {
	if (a.Class == ClassSecret) != (b.Class == ClassSecret) {
		return a.Class == ClassSecret
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Len() != b.Len() {
		return a.Len() > b.Len()
	}
	return a.Type < b.Type
}

// resolve sorts findings and merges overlapping ones.
func resolve(fs []types.Finding) []types.Finding {
	if len(fs) < 2 {
		return fs
	}
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Start != fs[j].Start {
			return fs[i].Start < fs[j].Start
		}
		return fs[i].End > fs[j].End
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Start < last.End {
			best := *last
			if stronger(f, best) {
				best = f
			}
			best.Start, best.End = last.Start, max(last.End, f.End)
			*last = best
			continue
		}
		out = append(out, f)
	}
	return out
}

// LookBehind is how much released text a streaming filter keeps in front
// of the unreleased text: the context the detectors read before a finding
// (a keyword and its assignment before a secret — up to a rule's window
// away —, "SSN:" before a number, the words before a name).
func (d *Detector) LookBehind() int {
	lb := d.maxMatch
	if d.secrets != nil {
		lb = max(lb, maxRuleSpan+3*windowSlack+d.secrets.rel.maxAnchor)
	}
	return lb + contextWindow
}

// RuleDetectors lists the Disable names of every rule-based detector, for
// callers that want names only.
func RuleDetectors() []string {
	return append(append([]string(nil), structuredTypes...), "SECRETS")
}
