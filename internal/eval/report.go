package eval

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/types"
)

// Schema names the JSON report's format.
const Schema = "warden.eval.v1"

// Report is the JSON report (stable field names, for trend tracking).
// Ratios that are undefined (no rows to divide by) are null.
type Report struct {
	Schema string    `json:"schema"`
	Time   time.Time `json:"time"`
	Input  Input     `json:"input"`
	// PolicyRevision and ModelVersions are those of the first checked row.
	PolicyRevision string            `json:"policy_revision"`
	ModelVersions  map[string]string `json:"model_versions"`
	Concurrency    int               `json:"concurrency"`
	// WallSeconds and RowsPerSecond describe the run as a whole.
	WallSeconds   float64 `json:"wall_seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`

	Rows int `json:"rows"`
	// Errors counts rows whose check returned an error (left out of every
	// other figure); FailModes rows decided by a fail mode instead of the
	// policy (a deadline, a classifier error); Retries retries of rows
	// refused as overloaded.
	Errors       int           `json:"errors"`
	ErrorSamples []ErrorSample `json:"error_samples,omitempty"`
	FailModes    int           `json:"fail_modes"`
	Retries      int           `json:"retries"`

	Categories     []CategoryReport          `json:"categories"`
	Benign         BenignReport              `json:"benign"`
	Actions        map[string]int            `json:"actions"`
	ActionsByStage map[string]map[string]int `json:"actions_by_stage"`
	Latency        Latency                   `json:"latency_ms"`
	Tiers          *TierReport               `json:"tiers,omitempty"`
	Warnings       []string                  `json:"warnings,omitempty"`
}

// Input identifies the evaluated file.
type Input struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ErrorSample is one failed row.
type ErrorSample struct {
	Line  int    `json:"line"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// CategoryReport is one category's quality at the policy's thresholds
// (TP/FP/FN/TN: labelled vs fired) and over all thresholds (AUPRC).
type CategoryReport struct {
	Name string `json:"name"`
	// Positives are rows labelled with the category, Negatives the rest;
	// Scored counts rows that got a score for it.
	Positives int `json:"positives"`
	Negatives int `json:"negatives"`
	Scored    int `json:"scored"`
	TP        int `json:"tp"`
	FP        int `json:"fp"`
	FN        int `json:"fn"`
	TN        int `json:"tn"`
	// Precision, Recall and F1 of "fired" against "labelled".
	Precision *float64 `json:"precision"`
	Recall    *float64 `json:"recall"`
	F1        *float64 `json:"f1"`
	// FPR is the share of benign rows on which the category fired.
	FPR *float64 `json:"fpr"`
	// AUPRC is the average precision of the category's score (a missing
	// score counts as 0).
	AUPRC *float64 `json:"auprc"`
	// Curve is the precision–recall curve (in the HTML report only).
	Curve []PRPoint `json:"-"`
}

// BenignReport covers rows with no label.
type BenignReport struct {
	Rows int `json:"rows"`
	// Flagged rows were blocked or escalated; FPR is their share.
	Flagged int      `json:"flagged"`
	FPR     *float64 `json:"fpr"`
	// NotAllowed rows got any action but allow (redactions included).
	NotAllowed     int      `json:"not_allowed"`
	NotAllowedRate *float64 `json:"not_allowed_rate"`
}

// Latency of one check, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// TierReport counts second-tier routing (absent without a second tier or
// when no score fell in a band).
type TierReport struct {
	// RoutedRows had at least one category score in a band.
	RoutedRows int                      `json:"routed_rows"`
	Categories map[string]*TierCategory `json:"categories"`
}

// TierCategory counts one category's routing.
type TierCategory struct {
	Routed         int            `json:"routed"`
	DecidedByTier2 int            `json:"decided_by_tier2"`
	Skipped        map[string]int `json:"skipped,omitempty"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func fmtRatio(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *v)
}

func fmtPct(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100**v)
}

// WriteText writes a human-readable summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "warden eval: %d rows from %s in %.2fs (%.0f rows/s, concurrency %d); %d errors, %d decided by a fail mode\n",
		r.Rows, r.Input.Path, r.WallSeconds, r.RowsPerSecond, r.Concurrency, r.Errors, r.FailModes)
	fmt.Fprintf(&b, "policy %s; models %s\n\n", r.PolicyRevision, versions(r.ModelVersions))
	fmt.Fprintf(&b, "%-22s %6s %6s %9s %7s %6s %6s %11s\n", "category", "pos", "neg", "precision", "recall", "F1", "AUPRC", "FPR benign")
	for _, c := range r.Categories {
		fmt.Fprintf(&b, "%-22s %6d %6d %9s %7s %6s %6s %11s\n", c.Name, c.Positives, c.Negatives,
			fmtRatio(c.Precision), fmtRatio(c.Recall), fmtRatio(c.F1), fmtRatio(c.AUPRC), fmtPct(c.FPR))
	}
	fmt.Fprintf(&b, "\nbenign rows %d: blocked or escalated %s (%d), not allowed %s (%d)\n",
		r.Benign.Rows, fmtPct(r.Benign.FPR), r.Benign.Flagged, fmtPct(r.Benign.NotAllowedRate), r.Benign.NotAllowed)
	fmt.Fprintf(&b, "actions: %s\n", actionMix(r.Actions))
	stages := make([]string, 0, len(r.ActionsByStage))
	for s := range r.ActionsByStage {
		stages = append(stages, s)
	}
	sort.Strings(stages)
	for _, s := range stages {
		fmt.Fprintf(&b, "  %s: %s\n", s, actionMix(r.ActionsByStage[s]))
	}
	fmt.Fprintf(&b, "latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	if r.Tiers != nil {
		fmt.Fprintf(&b, "tier 2: %d rows routed;", r.Tiers.RoutedRows)
		for _, c := range sortedKeys(r.Tiers.Categories) {
			tc := r.Tiers.Categories[c]
			fmt.Fprintf(&b, " %s %d routed, %d decided by tier 2", c, tc.Routed, tc.DecidedByTier2)
			for _, k := range sortedKeys(tc.Skipped) {
				fmt.Fprintf(&b, ", %d skipped (%s)", tc.Skipped[k], k)
			}
			b.WriteByte(';')
		}
		b.WriteByte('\n')
	}
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(&b, "error: line %d: %s\n", e.Line, e.Error)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var actionOrder = []string{"allow", "redact", "escalate", "block"}

func actionMix(m map[string]int) string {
	total := 0
	for _, n := range m {
		total += n
	}
	parts := make([]string, 0, len(actionOrder))
	for _, a := range actionOrder {
		if total > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f%%)", a, m[a], 100*float64(m[a])/float64(total)))
		}
	}
	return strings.Join(parts, ", ")
}

func versions(v map[string]string) string {
	parts := make([]string, 0, len(v))
	for _, k := range sortedKeys(v) {
		parts = append(parts, k+"@"+v[k])
	}
	return strings.Join(parts, ", ")
}

// WriteHTML writes a self-contained HTML report (inline CSS and SVG, no
// script, nothing fetched): the summary tables and a precision–recall
// curve per category with the policy's operating point marked.
func (r *Report) WriteHTML(w io.Writer) error {
	type cat struct {
		CategoryReport
		SVG template.HTML
	}
	cats := make([]cat, 0, len(r.Categories))
	for _, c := range r.Categories {
		cats = append(cats, cat{CategoryReport: c, SVG: prSVG(c)})
	}
	stages := sortedKeys(r.ActionsByStage)
	return reportTmpl.Execute(w, map[string]any{
		"R": r, "Cats": cats, "Versions": versions(r.ModelVersions), "Actions": actionOrder,
		"Stages": stages, "Mix": actionMix(r.Actions),
	})
}

// prSVG draws the curve as an SVG built from numbers only (the category
// name is escaped by the template, not here).
func prSVG(c CategoryReport) template.HTML {
	const W, H, pad = 320.0, 240.0, 36.0
	x := func(rec float64) float64 { return pad + rec*(W-2*pad) }
	y := func(p float64) float64 { return H - pad - p*(H-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#fafafa" stroke="#999"/>`, pad, pad, W-2*pad, H-2*pad)
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`, x(t), y(0), x(t), y(1))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e3e3"/>`, x(0), y(t), x(1), y(t))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%.2g</text>`, x(t), H-pad+14, t)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%.2g</text>`, pad-4, y(t)+3, t)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">recall</text>`, W/2, H-6)
	fmt.Fprintf(&b, `<text x="12" y="%.1f" font-size="11" text-anchor="middle" transform="rotate(-90 12 %.1f)">precision</text>`, H/2, H/2)
	if len(c.Curve) > 0 {
		// The staircase whose area is the AUPRC: at each threshold that
		// adds recall, its precision from the previous recall on.
		var steps []PRPoint
		for i, p := range c.Curve {
			if i == 0 && p.Recall > 0 || i > 0 && p.Recall > c.Curve[i-1].Recall {
				steps = append(steps, p)
			}
		}
		var pts strings.Builder
		prevR := 0.0
		for i, p := range downsample(steps, 600) {
			if i > 0 {
				pts.WriteByte(' ')
			}
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f", x(prevR), y(p.Precision), x(p.Recall), y(p.Precision))
			prevR = p.Recall
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f5fa8" stroke-width="1.5" points="%s"/>`, pts.String())
	} else {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">no positive rows</text>`, W/2, H/2)
	}
	if c.Precision != nil && c.Recall != nil {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="#c0392b"><title>policy: precision %.3f, recall %.3f</title></circle>`,
			x(*c.Recall), y(*c.Precision), *c.Precision, *c.Recall)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// downsample keeps at most n points of a curve, always the last.
func downsample(c []PRPoint, n int) []PRPoint {
	if len(c) <= n {
		return c
	}
	out := make([]PRPoint, 0, n+1)
	step := float64(len(c)) / float64(n)
	for i := 0.0; int(i) < len(c); i += step {
		out = append(out, c[int(i)])
	}
	if out[len(out)-1] != c[len(c)-1] {
		out = append(out, c[len(c)-1])
	}
	return out
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ratio": fmtRatio,
	"pct":   fmtPct,
	"get": func(m map[string]int, k string) int {
		return m[k]
	},
	"ms": func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2f", v)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>warden eval — {{.R.Input.Path}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f0f0f0}
.curves{display:flex;flex-wrap:wrap;gap:1.5em}.curve h3{margin:.2em 0;font-size:14px}.muted{color:#666}
</style></head><body>
<h1>warden eval</h1>
<p>{{.R.Rows}} rows from <code>{{.R.Input.Path}}</code> <span class="muted">(sha256 {{.R.Input.SHA256}})</span>,
{{.R.Time.Format "2006-01-02 15:04:05 MST"}}; {{.R.Errors}} errors, {{.R.FailModes}} decided by a fail mode.<br>
Policy <code>{{.R.PolicyRevision}}</code>; models <code>{{.Versions}}</code>; concurrency {{.R.Concurrency}}, {{printf "%.0f" .R.RowsPerSecond}} rows/s.</p>
<h2>Categories</h2>
<p class="muted">At the policy's thresholds a category fires when the decision names one of its rules. FPR: share of benign rows on which it fired. AUPRC: average precision of the score.</p>
<table><tr><th>category</th><th>positives</th><th>negatives</th><th>TP</th><th>FP</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th><th>AUPRC</th><th>FPR (benign)</th></tr>
{{range .Cats}}<tr><td>{{.Name}}</td><td>{{.Positives}}</td><td>{{.Negatives}}</td><td>{{.TP}}</td><td>{{.FP}}</td><td>{{.FN}}</td><td>{{ratio .Precision}}</td><td>{{ratio .Recall}}</td><td>{{ratio .F1}}</td><td>{{ratio .AUPRC}}</td><td>{{pct .FPR}}</td></tr>
{{end}}</table>
<h2>Benign rows</h2>
<p>{{.R.Benign.Rows}} benign rows: blocked or escalated {{pct .R.Benign.FPR}} ({{.R.Benign.Flagged}}); not allowed {{pct .R.Benign.NotAllowedRate}} ({{.R.Benign.NotAllowed}}).</p>
<h2>Actions</h2>
<table><tr><th>stage</th>{{range .Actions}}<th>{{.}}</th>{{end}}</tr>
{{$acts := .Actions}}{{range $s := .Stages}}<tr><td>{{$s}}</td>{{range $a := $acts}}<td>{{get (index $.R.ActionsByStage $s) $a}}</td>{{end}}</tr>
{{end}}<tr><td>all</td>{{range $a := $acts}}<td>{{get $.R.Actions $a}}</td>{{end}}</tr></table>
<h2>Latency</h2>
<table><tr><th>per check</th><th>p50</th><th>p90</th><th>p99</th><th>mean</th><th>max</th></tr>
<tr><td>ms</td><td>{{ms .R.Latency.P50}}</td><td>{{ms .R.Latency.P90}}</td><td>{{ms .R.Latency.P99}}</td><td>{{ms .R.Latency.Mean}}</td><td>{{ms .R.Latency.Max}}</td></tr></table>
{{with .R.Tiers}}<h2>Second tier</h2><p>{{.RoutedRows}} rows had a score in an uncertain band.</p>
<table><tr><th>category</th><th>routed</th><th>decided by tier 2</th><th>skipped</th></tr>
{{range $c, $t := .Categories}}<tr><td>{{$c}}</td><td>{{$t.Routed}}</td><td>{{$t.DecidedByTier2}}</td><td>{{range $k, $n := $t.Skipped}}{{$k}}: {{$n}} {{end}}</td></tr>
{{end}}</table>{{end}}
<h2>Precision–recall curves</h2>
<p class="muted">Red dot: the policy's operating point.</p>
<div class="curves">{{range .Cats}}<div class="curve"><h3>{{.Name}} <span class="muted">AUPRC {{ratio .AUPRC}}</span></h3>{{.SVG}}</div>{{end}}</div>
{{range .R.Warnings}}<p class="muted">warning: {{.}}</p>{{end}}
</body></html>
`))

// RowResult is one line of WriteRows: what the pipeline did with one row,
// joined to the input by its line number (and id). It carries no text:
// the input file has it.
type RowResult struct {
	Line      int          `json:"line"`
	ID        string       `json:"id,omitempty"`
	Stage     string       `json:"stage"`
	Labels    []string     `json:"labels"`
	Action    string       `json:"action,omitempty"`
	Flagged   bool         `json:"flagged"`
	Scores    types.Scores `json:"scores,omitempty"`
	Rules     []string     `json:"rules,omitempty"`
	FailMode  string       `json:"fail_mode,omitempty"`
	Error     string       `json:"error,omitempty"`
	LatencyMS float64      `json:"latency_ms"`
}

// WriteRows writes one JSON line per outcome, in row order, so that a
// reader can find which rows were flagged or missed and why.
func WriteRows(w io.Writer, outs []Outcome) error {
	enc := json.NewEncoder(w)
	for _, o := range outs {
		r := RowResult{Line: o.Row.Line, ID: o.Row.ID, Stage: o.Row.Stage, Labels: o.Row.Labels,
			Scores: o.Scores, Rules: o.RuleIDs, FailMode: o.FailMode,
			LatencyMS: float64(o.Latency.Microseconds()) / 1000}
		if r.Labels == nil {
			r.Labels = []string{}
		}
		if o.Err != nil {
			r.Error = o.Err.Error()
		} else {
			r.Action, r.Flagged = o.Action.String(), o.Flagged()
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("writing row results: %w", err)
		}
	}
	return nil
}
