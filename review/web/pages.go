package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/verdict"
)

// knownCategories are offered for relabelling besides an incident's own
// score categories.
var knownCategories = []string{types.PromptInjection, types.Jailbreak, types.Hate, types.Harassment, types.Violence,
	types.Sexual, types.SelfHarm, types.Illicit}

// categoryRE is what the store accepts as a verdict category.
var categoryRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ageFilter is a queue filter on the incident's age.
type ageFilter struct {
	Code, Label string
	d           time.Duration
	newer       bool
}

var ageFilters = []ageFilter{
	{"lt1h", "newer than 1 hour", time.Hour, true},
	{"lt24h", "newer than 24 hours", 24 * time.Hour, true},
	{"lt7d", "newer than 7 days", 7 * 24 * time.Hour, true},
	{"gt1h", "older than 1 hour", time.Hour, false},
	{"gt24h", "older than 24 hours", 24 * time.Hour, false},
	{"gt7d", "older than 7 days", 7 * 24 * time.Hour, false},
}

var (
	stageOptions  = []string{"prompt", "response"}
	actionOptions = []string{"block", "escalate"}
	stateOptions  = []string{"open", "claimed", "resolved", "all"}
	sortOptions   = []string{"severity", "oldest", "newest"}
	limitOptions  = []int{25, 50, 100}
)

// filters are the queue's query parameters.
type filters struct {
	Tenant, Stage, Category, Action, State, Age, Sort string
	Limit                                             int
	After                                             string
}

func defaultFilters() filters { return filters{State: "open", Sort: "severity", Limit: 50} }

var errFilter = errors.New("invalid filter")

func parseFilters(get func(string) string) (filters, error) {
	f := defaultFilters()
	f.Tenant, f.Category = strings.TrimSpace(get("tenant")), strings.TrimSpace(get("category"))
	f.Stage, f.Action, f.Age, f.After = get("stage"), get("action"), get("age"), get("after")
	if v := get("state"); v != "" {
		f.State = v
	}
	if v := get("sort"); v != "" {
		f.Sort = v
	}
	if v := get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(limitOptions, n) {
			return f, errFilter
		}
		f.Limit = n
	}
	ok := len(f.Tenant) <= 256 && utf8.ValidString(f.Tenant) && len(f.Category) <= 64 && utf8.ValidString(f.Category) &&
		(f.Stage == "" || slices.Contains(stageOptions, f.Stage)) &&
		(f.Action == "" || slices.Contains(actionOptions, f.Action)) &&
		slices.Contains(stateOptions, f.State) && slices.Contains(sortOptions, f.Sort) &&
		(f.Age == "" || slices.ContainsFunc(ageFilters, func(a ageFilter) bool { return a.Code == f.Age })) &&
		len(f.After) <= 512
	if !ok {
		return f, errFilter
	}
	return f, nil
}

func (f filters) query(now time.Time) store.Query {
	q := store.Query{Tenant: f.Tenant, Stage: f.Stage, Category: f.Category, Action: f.Action, Sort: store.Sort(f.Sort),
		Limit: f.Limit, After: f.After}
	if f.State != "all" {
		q.State = store.State(f.State)
	}
	for _, a := range ageFilters {
		if a.Code == f.Age {
			if a.newer {
				q.Since = now.Add(-a.d)
			} else {
				q.Until = now.Add(-a.d)
			}
		}
	}
	return q
}

// values encodes the filters that differ from the defaults.
func (f filters) values() url.Values {
	d := defaultFilters()
	v := url.Values{}
	set := func(k, val, def string) {
		if val != def {
			v.Set(k, val)
		}
	}
	set("tenant", f.Tenant, "")
	set("stage", f.Stage, "")
	set("category", f.Category, "")
	set("action", f.Action, "")
	set("state", f.State, d.State)
	set("age", f.Age, "")
	set("sort", f.Sort, d.Sort)
	if f.Limit != d.Limit {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	set("after", f.After, "")
	return v
}

func (f filters) url() string {
	if q := f.values().Encode(); q != "" {
		return Prefix + "?" + q
	}
	return Prefix
}

type queueRow struct {
	ID, Tenant, Stage, Source, Action, Category string
	Severity                                    float64
	Time                                        time.Time
	Age                                         string
	State                                       string
	Holder                                      string
	Mine                                        bool
	Verdict                                     string
	VerdictID                                   string // the latest verdict's id, "" for none (the bulk form's staleness check)
	Preview                                     string
}

type tab struct {
	Label, URL string
	N          int
	Active     bool
}

type queuePage struct {
	F                 filters
	Rows              []queueRow
	Total             int
	Tabs              []tab
	NextURL, FirstURL string
	Paged             bool
	Facets            store.Facets
	Stages, Actions   []string
	Sorts             []string
	Limits            []int
	Ages              []ageFilter
	CanReview         bool
	Return            string
}

func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(int(d.Seconds()), 0)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

func (u *UI) queue(c *gin.Context) {
	f, err := parseFilters(c.Query)
	if err != nil {
		u.fail(c, http.StatusBadRequest, "invalid_filter", "A filter has a value the queue does not know.")
		return
	}
	ctx := c.Request.Context()
	now := u.now()
	q := f.query(now)
	page, err := u.st.List(ctx, q)
	if errors.Is(err, store.ErrInvalid) {
		u.fail(c, http.StatusBadRequest, "invalid_filter", "The page cursor is not valid; start from the first page.")
		return
	}
	if err != nil {
		u.internal(c, "listing incidents", err)
		return
	}
	counts, err := u.st.CountStates(ctx, q)
	if err != nil {
		u.internal(c, "counting incidents", err)
		return
	}
	p := me(c)
	qp := queuePage{F: f, Total: counts.Of(q.State), Facets: u.getFacets(c), Stages: stageOptions, Actions: actionOptions,
		Sorts: sortOptions, Limits: limitOptions, Ages: ageFilters, CanReview: p.Role.AtLeast(store.RoleReviewer), Paged: f.After != ""}
	for _, st := range stateOptions {
		t := f
		t.State, t.After = st, ""
		n := counts.Total()
		if st != "all" {
			n = counts.Of(store.State(st))
		}
		qp.Tabs = append(qp.Tabs, tab{Label: st, URL: t.url(), N: n, Active: st == f.State})
	}
	first := f
	first.After = ""
	qp.FirstURL = first.url()
	qp.Return = first.values().Encode()
	if page.Next != "" {
		nx := f
		nx.After = page.Next
		qp.NextURL = nx.url()
	}
	for _, inc := range page.Incidents {
		r := queueRow{ID: inc.ID, Tenant: inc.Tenant, Stage: inc.Stage, Source: inc.Source, Action: inc.Action, Category: inc.Category,
			Severity: inc.Severity, Time: inc.Time, Age: shortAge(now.Sub(inc.Time)), State: string(inc.State), Preview: preview(inc.Text, 140)}
		if inc.State == store.StateOpen && inc.Claimed(now) {
			r.State, r.Holder, r.Mine = "claimed", inc.Claim.Reviewer, inc.Claim.Reviewer == p.User
		}
		if inc.Verdict != nil {
			r.Verdict, r.VerdictID = string(inc.Verdict.Kind), inc.Verdict.ID
		}
		qp.Rows = append(qp.Rows, r)
	}
	u.render(c, http.StatusOK, "queue", view{Title: "Queue", Nav: "queue", Flash: flash(c), Page: qp})
}

// next sends the reviewer to the most severe open, unclaimed incident.
func (u *UI) next(c *gin.Context) {
	page, err := u.st.List(c.Request.Context(), store.Query{State: store.StateOpen, Sort: store.SortSeverity, Limit: 1})
	if err != nil {
		u.internal(c, "listing incidents", err)
		return
	}
	if len(page.Incidents) == 0 {
		c.Redirect(http.StatusSeeOther, Prefix+"?done=empty")
		return
	}
	c.Redirect(http.StatusSeeOther, "/review/incidents/"+url.PathEscape(page.Incidents[0].ID))
}

type scoreRow struct {
	Category string
	Score    float64
	Flagged  bool
}

type findingRow struct {
	N                int
	Type, Class, Det string
	Start, End       int
	Score            float64
	Problem          string
}

type incidentPage struct {
	Inc       *store.Incident
	Runs      []run
	Findings  []findingRow
	Scores    []scoreRow
	Models    [][2]string
	History   []store.Verdict
	Delivered int
	IsStream  bool
	// Claim state for the viewer.
	ClaimedByMe, ClaimedByOther bool
	Holder                      string
	ClaimExpires                time.Time
	CanReview, CanReveal        bool
	Categories                  []string
	Revealed                    *store.Sensitive
	Age                         string
}

func (u *UI) loadIncident(c *gin.Context) (*store.Incident, bool) {
	id := c.Param("id")
	if id == "" || len(id) > 256 {
		u.fail(c, http.StatusNotFound, "not_found", "No such incident.")
		return nil, false
	}
	inc, err := u.st.Get(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		u.fail(c, http.StatusNotFound, "not_found", "No such incident.")
		return nil, false
	}
	if err != nil {
		u.internal(c, "reading an incident", err)
		return nil, false
	}
	return inc, true
}

func (u *UI) incidentView(c *gin.Context, inc *store.Incident, revealed *store.Sensitive) (incidentPage, error) {
	p := me(c)
	now := u.now()
	hist, err := u.st.Verdicts(c.Request.Context(), inc.ID)
	if err != nil {
		return incidentPage{}, err
	}
	ip := incidentPage{Inc: inc, History: hist, Revealed: revealed, CanReview: p.Role.AtLeast(store.RoleReviewer), Age: shortAge(now.Sub(inc.Time))}
	var bad []badFinding
	ip.Runs, bad = textRuns(inc.Text, inc.Findings, inc.Delivered)
	problems := map[int]string{}
	for _, b := range bad {
		problems[b.Index] = b.Why
	}
	for i, f := range inc.Findings {
		ip.Findings = append(ip.Findings, findingRow{N: i, Type: f.Type, Class: f.Class, Det: f.Detector, Start: f.Start, End: f.End, Score: f.Score, Problem: problems[i]})
	}
	flagged := store.FlaggedCategories(inc.RuleIDs, inc.Scores)
	for k, v := range inc.Scores {
		ip.Scores = append(ip.Scores, scoreRow{Category: k, Score: v, Flagged: slices.Contains(flagged, k)})
	}
	sort.Slice(ip.Scores, func(i, j int) bool {
		if ip.Scores[i].Score != ip.Scores[j].Score {
			return ip.Scores[i].Score > ip.Scores[j].Score
		}
		return ip.Scores[i].Category < ip.Scores[j].Category
	})
	for k, v := range inc.ModelVersions {
		ip.Models = append(ip.Models, [2]string{k, v})
	}
	sort.Slice(ip.Models, func(i, j int) bool { return ip.Models[i][0] < ip.Models[j][0] })
	cats := slices.Clone(knownCategories)
	for k := range inc.Scores {
		if !slices.Contains(cats, k) && categoryRE.MatchString(k) {
			cats = append(cats, k)
		}
	}
	ip.Categories = cats
	if inc.Delivered != nil {
		ip.IsStream, ip.Delivered = true, *inc.Delivered
	}
	if inc.Claimed(now) {
		ip.Holder, ip.ClaimExpires = inc.Claim.Reviewer, inc.Claim.ExpiresAt
		ip.ClaimedByMe = inc.Claim.Reviewer == p.User
		ip.ClaimedByOther = !ip.ClaimedByMe
	}
	ip.CanReveal = inc.HasPrompt && (p.Role.AtLeast(store.RoleAdmin) || (ip.CanReview && ip.ClaimedByMe))
	return ip, nil
}

func (u *UI) incident(c *gin.Context) {
	inc, ok := u.loadIncident(c)
	if !ok {
		return
	}
	ip, err := u.incidentView(c, inc, nil)
	if err != nil {
		u.internal(c, "reading verdicts", err)
		return
	}
	u.render(c, http.StatusOK, "incident", view{Title: "Incident " + inc.ID, Nav: "queue", Flash: flash(c), Page: ip})
}

// storeFail maps store errors to answers.
func (u *UI) storeFail(c *gin.Context, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		u.fail(c, http.StatusNotFound, "not_found", "No such incident.")
	case errors.Is(err, store.ErrClaimed):
		u.fail(c, http.StatusConflict, "claimed", "Another reviewer holds this incident. Try again when their lease runs out.")
	case errors.Is(err, store.ErrStale):
		u.fail(c, http.StatusConflict, "stale_verdict", "Another verdict was recorded on this incident since you opened it. Reload the page to see it.")
	case errors.Is(err, store.ErrInvalid):
		u.fail(c, http.StatusBadRequest, "invalid_verdict", invalidMessage(err))
	default:
		u.internal(c, what, err)
	}
}

// invalidMessage keeps the store's explanation of an invalid verdict (it
// names the rule broken, never incident text).
func invalidMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, store.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(store.ErrInvalid.Error())+2:]
	}
	return "The verdict is not valid: " + msg + "."
}

func (u *UI) claim(c *gin.Context) {
	id := c.Param("id")
	if _, err := u.st.Claim(c.Request.Context(), id, me(c).User, u.cfg.ClaimLease); err != nil {
		u.storeFail(c, "claiming an incident", err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/review/incidents/"+url.PathEscape(id)+"?done=claimed")
}

func (u *UI) release(c *gin.Context) {
	id := c.Param("id")
	if err := u.st.Release(c.Request.Context(), id, me(c).User); err != nil {
		u.storeFail(c, "releasing an incident", err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/review/incidents/"+url.PathEscape(id)+"?done=released")
}

const maxNote = 2000

// verdictInput reads kind, categories and note from the form.
func verdictInput(c *gin.Context) (store.VerdictInput, string) {
	kind, err := verdict.ParseKind(c.PostForm("kind"))
	if err != nil {
		return store.VerdictInput{}, "Choose confirm, overturn or relabel."
	}
	note := strings.TrimSpace(c.PostForm("note"))
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNote {
		return store.VerdictInput{}, "The note must be valid text of at most 2000 characters."
	}
	in := store.VerdictInput{Kind: kind, Note: note, Reviewer: me(c).User}
	// The incident page sends the latest verdict it showed: a verdict
	// given on a stale page must not replace one given since.
	if seen, ok := c.GetPostFormArray("seen"); ok && len(seen) == 1 {
		in.Seen = &seen[0]
	}
	if kind == verdict.Relabel {
		in.Categories = c.PostFormArray("category")
		if len(in.Categories) > 32 {
			return store.VerdictInput{}, "Too many categories."
		}
	}
	return in, ""
}

func (u *UI) verdict(c *gin.Context) {
	in, problem := verdictInput(c)
	if problem != "" {
		u.fail(c, http.StatusBadRequest, "invalid_verdict", problem)
		return
	}
	in.IncidentID = c.Param("id")
	if _, err := u.st.RecordVerdict(c.Request.Context(), in); err != nil {
		u.storeFail(c, "recording a verdict", err)
		return
	}
	if c.PostForm("then") == "next" {
		c.Redirect(http.StatusSeeOther, "/review/next")
		return
	}
	c.Redirect(http.StatusSeeOther, "/review/incidents/"+url.PathEscape(in.IncidentID)+"?done=verdict")
}

// reveal opens the sealed prompt context and conversation key: admins for
// any incident, reviewers for the incidents they hold. The store audits
// it. The answer is the incident page itself (never a redirect: the
// revealed text must not land in a URL or a cache).
func (u *UI) reveal(c *gin.Context) {
	inc, ok := u.loadIncident(c)
	if !ok {
		return
	}
	p := me(c)
	if !p.Role.AtLeast(store.RoleAdmin) && !(inc.Claimed(u.now()) && inc.Claim.Reviewer == p.User) {
		u.fail(c, http.StatusForbidden, "claim_first", "Claim the incident before revealing its prompt context.")
		return
	}
	sens, err := u.st.Reveal(c.Request.Context(), inc.ID, p.User)
	if err != nil {
		u.storeFail(c, "revealing an incident", err)
		return
	}
	ip, err := u.incidentView(c, inc, &sens)
	if err != nil {
		u.internal(c, "reading verdicts", err)
		return
	}
	u.render(c, http.StatusOK, "incident", view{Title: "Incident " + inc.ID, Nav: "queue", Page: ip})
}

const maxBulk = 100

func (u *UI) bulk(c *gin.Context) {
	ids := c.PostFormArray("id")
	if len(ids) == 0 || len(ids) > maxBulk {
		u.fail(c, http.StatusBadRequest, "invalid_bulk", "Select between 1 and 100 incidents.")
		return
	}
	in, problem := verdictInput(c)
	if problem != "" {
		u.fail(c, http.StatusBadRequest, "invalid_verdict", problem)
		return
	}
	// Each row of the queue sends the latest verdict it showed
	// (seen.<id>): a bulk verdict on a row that has had a verdict since is
	// not recorded (counted as failed), as on the incident page. A form
	// without them (older pages, scripts) skips the check.
	seenOf := func(id string) *string {
		if v, ok := c.GetPostFormArray("seen." + id); ok && len(v) == 1 {
			return &v[0]
		}
		return nil
	}
	ret, _ := url.ParseQuery(c.PostForm("return"))
	f, err := parseFilters(ret.Get)
	if err != nil {
		f = defaultFilters()
	}
	f.After = ""
	ok, failed := 0, 0
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || len(id) > 256 {
			continue
		}
		seen[id] = true
		in.IncidentID, in.Seen = id, seenOf(id)
		_, err := u.st.RecordVerdict(c.Request.Context(), in)
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrClaimed), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrStale):
			failed++
		default:
			u.internal(c, "recording a bulk verdict", err)
			return
		}
	}
	v := f.values()
	v.Set("done", "bulk")
	v.Set("ok", strconv.Itoa(ok))
	v.Set("failed", strconv.Itoa(failed))
	c.Redirect(http.StatusSeeOther, Prefix+"?"+v.Encode())
}
