package eval

import (
	"math"
	"sort"
	"time"

	"github.com/wardenhq/warden/internal/types"
)

// PRPoint is one point of a precision–recall curve: the precision and
// recall of "score >= Threshold".
type PRPoint struct {
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// PRCurve returns the precision–recall curve of scores against labels, one
// point per distinct score from the highest down (tied scores enter
// together). It is nil when there is no positive label.
func PRCurve(scores []float64, labels []bool) []PRPoint {
	if len(scores) != len(labels) {
		panic("eval: PRCurve: scores and labels differ in length")
	}
	pos := 0
	for _, l := range labels {
		if l {
			pos++
		}
	}
	if pos == 0 {
		return nil
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var out []PRPoint
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		t := scores[idx[i]]
		for ; i < len(idx) && scores[idx[i]] == t; i++ {
			if labels[idx[i]] {
				tp++
			} else {
				fp++
			}
		}
		out = append(out, PRPoint{Threshold: t, Precision: float64(tp) / float64(tp+fp), Recall: float64(tp) / float64(pos)})
	}
	return out
}

// AveragePrecision is the area under the precision–recall curve as the
// step-wise sum Σ (R_k − R_{k−1}) · P_k over the curve's points (no
// interpolation; scikit-learn's average_precision_score). ok is false when
// there is no positive label.
func AveragePrecision(scores []float64, labels []bool) (ap float64, ok bool) {
	curve := PRCurve(scores, labels)
	if curve == nil {
		return 0, false
	}
	prev := 0.0
	for _, p := range curve {
		ap += (p.Recall - prev) * p.Precision
		prev = p.Recall
	}
	return ap, true
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1) of sorted
// durations: the smallest value with at least q of the values at or below
// it.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// ratio is a/b, or nil when b is 0 (undefined, null in JSON).
func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

// Summarize turns outcomes into a Report. Rows whose check failed are
// counted as errors and left out of every other figure.
func Summarize(outcomes []Outcome) *Report {
	r := &Report{Schema: Schema, Actions: map[string]int{}, ActionsByStage: map[string]map[string]int{}}
	var ok []Outcome
	var lat []time.Duration
	labelled := map[string]bool{}
	scored := map[string]bool{}
	for _, o := range outcomes {
		r.Rows++
		r.Retries += o.Retries
		if o.Err != nil {
			r.Errors++
			if len(r.ErrorSamples) < 5 {
				r.ErrorSamples = append(r.ErrorSamples, ErrorSample{Line: o.Row.Line, ID: o.Row.ID, Error: o.Err.Error()})
			}
			continue
		}
		ok = append(ok, o)
		lat = append(lat, o.Latency)
		if o.FailMode != "" {
			r.FailModes++
		}
		a := o.Action.String()
		r.Actions[a]++
		if r.ActionsByStage[o.Row.Stage] == nil {
			r.ActionsByStage[o.Row.Stage] = map[string]int{}
		}
		r.ActionsByStage[o.Row.Stage][a]++
		for _, l := range o.Row.Labels {
			labelled[l] = true
		}
		for c := range o.Scores {
			scored[c] = true
		}
		if r.PolicyRevision == "" {
			r.PolicyRevision, r.ModelVersions = o.PolicyRevision, o.ModelVersions
		}
	}

	// Benign rows: blocked or escalated (the false-positive rate), and
	// anything but allowed (redactions included).
	for _, o := range ok {
		if !o.Row.Benign() {
			continue
		}
		r.Benign.Rows++
		if o.Flagged() {
			r.Benign.Flagged++
		}
		if o.Action != types.ActionAllow {
			r.Benign.NotAllowed++
		}
	}
	r.Benign.FPR = ratio(r.Benign.Flagged, r.Benign.Rows)
	r.Benign.NotAllowedRate = ratio(r.Benign.NotAllowed, r.Benign.Rows)

	cats := make([]string, 0, len(labelled)+len(scored))
	for c := range labelled {
		cats = append(cats, c)
	}
	for c := range scored {
		if !labelled[c] {
			cats = append(cats, c)
		}
	}
	sort.Strings(cats)
	for _, c := range cats {
		r.Categories = append(r.Categories, categoryReport(c, ok))
		if !scored[c] {
			r.Warnings = append(r.Warnings, "label "+c+" is never scored by the loaded models")
		}
	}

	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if n := len(lat); n > 0 {
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		r.Latency = Latency{P50: ms(Quantile(lat, 0.50)), P90: ms(Quantile(lat, 0.90)), P99: ms(Quantile(lat, 0.99)),
			Mean: ms(sum / time.Duration(n)), Max: ms(lat[n-1])}
	}
	r.Tiers = tierReport(ok)
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func categoryReport(c string, ok []Outcome) CategoryReport {
	cr := CategoryReport{Name: c}
	scores := make([]float64, len(ok))
	labels := make([]bool, len(ok))
	benign, benignFired := 0, 0
	for i, o := range ok {
		s, has := o.Scores[c]
		if has {
			cr.Scored++
		}
		scores[i], labels[i] = s, o.Row.Has(c)
		fired := o.Fired(c)
		switch {
		case labels[i] && fired:
			cr.TP++
		case labels[i]:
			cr.FN++
		case fired:
			cr.FP++
		default:
			cr.TN++
		}
		if o.Row.Benign() {
			benign++
			if fired {
				benignFired++
			}
		}
	}
	cr.Positives, cr.Negatives = cr.TP+cr.FN, cr.FP+cr.TN
	cr.Precision = ratio(cr.TP, cr.TP+cr.FP)
	cr.Recall = ratio(cr.TP, cr.Positives)
	if cr.Precision != nil && cr.Recall != nil && *cr.Precision+*cr.Recall > 0 {
		f := 2 * *cr.Precision * *cr.Recall / (*cr.Precision + *cr.Recall)
		cr.F1 = &f
	}
	cr.FPR = ratio(benignFired, benign)
	if ap, ok := AveragePrecision(scores, labels); ok {
		cr.AUPRC = &ap
	}
	cr.Curve = PRCurve(scores, labels)
	return cr
}

func tierReport(ok []Outcome) *TierReport {
	t := &TierReport{Categories: map[string]*TierCategory{}}
	for _, o := range ok {
		if o.Routes == nil {
			continue
		}
		t.RoutedRows++
		for c, rt := range o.Routes {
			if rt.Tier1 == nil {
				continue
			}
			tc := t.Categories[c]
			if tc == nil {
				tc = &TierCategory{Skipped: map[string]int{}}
				t.Categories[c] = tc
			}
			tc.Routed++
			if rt.Tier == 2 {
				tc.DecidedByTier2++
			}
			if rt.Skipped != "" {
				tc.Skipped[rt.Skipped]++
			}
		}
	}
	if t.RoutedRows == 0 {
		return nil
	}
	return t
}
