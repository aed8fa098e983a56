package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/review/store"
)

// Charts are server-rendered SVG: the template draws rectangles and text
// the handler has laid out. Colours come from a fixed palette; labels are
// text (escaped); no style attributes (the CSP forbids inline style).

var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

type rect struct {
	X, Y, W, H float64
	Fill, Tip  string
}

type label struct {
	X, Y   float64
	Text   string
	Anchor string
}

type line struct{ X1, Y1, X2, Y2 float64 }

type legendItem struct{ Color, Text string }

type chart struct {
	ID, Title, Desc string
	W, H            int
	Bars            []rect
	Labels          []label
	Grid            []line
	Legend          []legendItem
	Empty           bool
}

const (
	chartW            = 720
	chartH            = 240
	padL, padR, padT  = 44.0, 8.0, 10.0
	padB              = 26.0
	maxSeriesInLegend = 8
)

// niceMax rounds up to 1, 2 or 5 × 10^k.
func niceMax(v int) int {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(v))))
	for _, m := range []float64{1, 2, 5, 10} {
		if float64(v) <= m*p {
			return int(m * p)
		}
	}
	return v
}

// stacked lays out a stacked bar chart of s over the bucket labels; keys
// past the palette are summed as "other".
func stacked(id, title, desc string, s store.Series, xlabels []string) chart {
	ch := chart{ID: id, Title: title, Desc: desc, W: chartW, H: chartH}
	n := len(xlabels)
	keys := s.Keys
	counts := s.Counts
	if len(keys) > maxSeriesInLegend {
		other := make([]int, n)
		for _, k := range keys[maxSeriesInLegend-1:] {
			for i, c := range counts[k] {
				other[i] += c
			}
		}
		counts = map[string][]int{"other": other}
		for _, k := range keys[:maxSeriesInLegend-1] {
			counts[k] = s.Counts[k]
		}
		keys = append(slices.Clone(keys[:maxSeriesInLegend-1]), "other")
	}
	totals := make([]int, n)
	for _, k := range keys {
		for i, c := range counts[k] {
			if i < n {
				totals[i] += c
			}
		}
	}
	top := niceMax(slices.Max(append(totals, 0)))
	ch.Empty = slices.Max(append(totals, 0)) == 0
	plotW, plotH := float64(chartW)-padL-padR, float64(chartH)-padT-padB
	slot := plotW / float64(max(n, 1))
	y := func(v int) float64 { return padT + plotH - plotH*float64(v)/float64(top) }
	yf := func(v float64) float64 { return padT + plotH - plotH*v/float64(top) }
	for _, t := range []float64{0, float64(top) / 2, float64(top)} {
		ch.Grid = append(ch.Grid, line{padL, yf(t), float64(chartW) - padR, yf(t)})
		ch.Labels = append(ch.Labels, label{padL - 6, yf(t) + 4, strconv.FormatFloat(t, 'f', -1, 64), "end"})
	}
	step := max(1, (n+9)/10)
	for i := range n {
		base := 0
		for ki, k := range keys {
			c := counts[k][i]
			if c == 0 {
				continue
			}
			ch.Bars = append(ch.Bars, rect{X: padL + slot*float64(i) + slot*0.15, Y: y(base + c), W: slot * 0.7, H: y(base) - y(base+c),
				Fill: palette[ki%len(palette)], Tip: fmt.Sprintf("%s · %s: %d", xlabels[i], k, c)})
			base += c
		}
		if i%step == 0 {
			ch.Labels = append(ch.Labels, label{padL + slot*float64(i) + slot/2, float64(chartH) - 8, xlabels[i], "middle"})
		}
	}
	for ki, k := range keys {
		ch.Legend = append(ch.Legend, legendItem{palette[ki%len(palette)], k})
	}
	return ch
}

// hbars lays out horizontal bars of values in [0, 1].
func hbars(id, title, desc string, names []string, values []float64, notes []string) chart {
	rowH := 26.0
	h := int(padT + rowH*float64(len(names)) + 6)
	ch := chart{ID: id, Title: title, Desc: desc, W: chartW, H: max(h, 40), Empty: len(names) == 0}
	left := 150.0
	plotW := float64(chartW) - left - 240
	for i, n := range names {
		yy := padT + rowH*float64(i)
		ch.Labels = append(ch.Labels, label{left - 8, yy + 15, n, "end"})
		ch.Grid = append(ch.Grid, line{left, yy + rowH - 2, left + plotW, yy + rowH - 2})
		w := plotW * math.Max(0, math.Min(1, values[i]))
		ch.Bars = append(ch.Bars, rect{X: left, Y: yy + 4, W: math.Max(w, 1), H: rowH - 10, Fill: palette[2], Tip: n + ": " + notes[i]})
		ch.Labels = append(ch.Labels, label{left + plotW + 8, yy + 15, notes[i], "start"})
	}
	return ch
}

type dashPage struct {
	Days      int
	Options   []int
	Tenant    string
	Charts    []chart
	Oldest    string
	OpenTotal int
	Reviewers []reviewerTotal
}

type reviewerTotal struct {
	Name string
	N    int
}

var dayOptions = []int{7, 14, 30}

var ageEdges = []time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour}

var ageNames = []string{"< 1h", "1–4h", "4–24h", "1–3d", "3–7d", "> 7d"}

func (u *UI) dashboard(c *gin.Context) {
	days := 14
	if v := c.Query("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(dayOptions, n) {
			u.fail(c, http.StatusBadRequest, "invalid_filter", "Choose 7, 14 or 30 days.")
			return
		}
		days = n
	}
	tenant := strings.TrimSpace(c.Query("tenant"))
	if len(tenant) > 256 || !utf8.ValidString(tenant) {
		u.fail(c, http.StatusBadRequest, "invalid_filter", "Tenant too long or not valid text.")
		return
	}
	ctx := c.Request.Context()
	now := u.now().UTC()
	day := 24 * time.Hour
	since := now.Truncate(day).Add(-time.Duration(days-1) * day)
	sp := store.Span{Since: since, Until: since.Add(time.Duration(days) * day), Step: day, Tenant: tenant}
	xl := make([]string, days)
	for i := range xl {
		xl[i] = since.Add(time.Duration(i) * day).Format("01-02")
	}
	dp := dashPage{Days: days, Options: dayOptions, Tenant: tenant}
	byCat, byAction, err := u.st.IncidentsOverTime(ctx, sp)
	if err != nil {
		u.internal(c, "dashboard: incidents over time", err)
		return
	}
	ages, oldest, err := u.st.QueueAge(ctx, ageEdges, tenant)
	if err != nil {
		u.internal(c, "dashboard: queue age", err)
		return
	}
	tp, err := u.st.Throughput(ctx, sp)
	if err != nil {
		u.internal(c, "dashboard: throughput", err)
		return
	}
	rates, err := u.st.OverturnRates(ctx, sp)
	if err != nil {
		u.internal(c, "dashboard: overturn rates", err)
		return
	}
	dp.Charts = append(dp.Charts,
		stacked("by-category", "Incidents per day by category", "the incident's top-scoring category", byCat, xl),
		stacked("by-action", "Incidents per day by action", "block or escalate", byAction, xl))
	ageSeries := store.Series{Keys: []string{"unresolved"}, Counts: map[string][]int{"unresolved": make([]int, len(ages))}}
	for i, a := range ages {
		ageSeries.Counts["unresolved"][i] = a.N
		dp.OpenTotal += a.N
	}
	if !oldest.IsZero() {
		dp.Oldest = shortAge(now.Sub(oldest))
	}
	dp.Charts = append(dp.Charts, stacked("queue-age", "Queue age", "unresolved incidents by time since they were raised", ageSeries, ageNames))
	dp.Charts = append(dp.Charts, stacked("throughput", "Reviewer throughput", "verdicts per day by reviewer", tp, xl))
	for _, k := range tp.Keys {
		t := 0
		for _, n := range tp.Counts[k] {
			t += n
		}
		dp.Reviewers = append(dp.Reviewers, reviewerTotal{k, t})
	}
	var names, notes []string
	var vals []float64
	for _, r := range rates {
		names = append(names, r.Category)
		vals = append(vals, r.Rate())
		notes = append(notes, fmt.Sprintf("%.0f%% overturned · %d reviewed · %d relabelled", r.Rate()*100, r.Verdicts, r.Relabeled))
	}
	dp.Charts = append(dp.Charts, hbars("overturn", "Overturn rate by category", "share of reviewed incidents judged benign: a false-positive signal", names, vals, notes))
	u.render(c, http.StatusOK, "dashboard", view{Title: "Dashboard", Nav: "dashboard", Page: dp})
}
