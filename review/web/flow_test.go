package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/store"
)

func TestClaimRevealVerdict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	incs := e.seed(3)
	id := incs[1].ID
	alice, bob, vera, ada := e.session("alice"), e.session("bob"), e.session("vera"), e.session("ada")

	if rec := alice.post(incPath(id, "claim"), nil); rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?done=claimed") {
		t.Fatalf("claim: %d", rec.Code)
	}
	page := alice.get(incPath(id)).Body.String()
	for _, want := range []string{"Claimed by you until", `id="release"`, `id="v-confirm"`, `id="reveal"`} {
		if !strings.Contains(page, want) {
			t.Errorf("alice's page lacks %q", want)
		}
	}
	// Bob sees it taken and can neither claim nor decide nor reveal.
	bp := bob.get(incPath(id)).Body.String()
	if !strings.Contains(bp, "Claimed by <strong>alice</strong>") || strings.Contains(bp, `id="v-confirm"`) || strings.Contains(bp, `id="reveal"`) {
		t.Error("bob's page offers actions on alice's incident")
	}
	for _, action := range []string{"claim", "verdict"} {
		if rec := bob.post(incPath(id, action), url.Values{"kind": {"confirm"}}); rec.Code != http.StatusConflict {
			t.Errorf("bob %s: %d, want 409", action, rec.Code)
		}
	}
	if rec := bob.post(incPath(id, "reveal"), nil); rec.Code != http.StatusForbidden {
		t.Errorf("bob reveal: %d", rec.Code)
	}
	// A viewer sees no review controls and is refused by the server too.
	vp := vera.get(incPath(id)).Body.String()
	if !strings.Contains(vp, `data-testid="viewer-note"`) || strings.Contains(vp, ` id="claim"`) || strings.Contains(vp, `id="verdict-form"`) {
		t.Error("viewer page offers review controls")
	}
	for _, action := range []string{"claim", "verdict", "reveal", "release"} {
		if rec := vera.post(incPath(id, action), url.Values{"kind": {"confirm"}}); rec.Code != http.StatusForbidden {
			t.Errorf("viewer %s: %d", action, rec.Code)
		}
	}
	// Alice reveals (audited); the secret is in the answer, not in a URL.
	rec := alice.post(incPath(id, "reveal"), nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "the secret prompt context 1") || !strings.Contains(rec.Body.String(), "acme/conv-1") {
		t.Fatalf("reveal: %d", rec.Code)
	}
	if strings.Contains(alice.get(incPath(id)).Body.String(), "the secret prompt context") {
		t.Fatal("the prompt shows without a reveal")
	}
	// Admins reveal without a claim.
	if rec := ada.post(incPath(incs[2].ID, "reveal"), nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "the secret prompt context 2") {
		t.Fatalf("admin reveal: %d", rec.Code)
	}
	// Invalid verdicts are refused with the reason.
	for _, f := range []url.Values{
		{"kind": {"maybe"}},
		{"kind": {"relabel"}},
		{"kind": {"relabel"}, "category": {"Bad Cat"}},
		{"kind": {"confirm"}, "note": {strings.Repeat("x", 2001)}},
	} {
		if rec := alice.post(incPath(id, "verdict"), f); rec.Code != http.StatusBadRequest {
			t.Errorf("%v: %d", f, rec.Code)
		}
	}
	rec = alice.post(incPath(id, "verdict"), url.Values{"kind": {"relabel"}, "category": {"jailbreak", "harassment"}, "note": {"really a jailbreak"}})
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(rec.Header().Get("Location"), "?done=verdict") {
		t.Fatalf("verdict: %d %s", rec.Code, rec.Body.String())
	}
	got, _ := e.st.Get(ctx, id)
	if got.State != store.StateResolved || got.Verdict.Kind != "relabel" || !slices.Equal(got.Verdict.Categories, []string{"harassment", "jailbreak"}) || got.Claim != nil {
		t.Fatalf("after the verdict: %+v", got)
	}
	page = alice.get(incPath(id) + "?done=verdict").Body.String()
	if !strings.Contains(page, "Verdict recorded.") || !strings.Contains(page, "really a jailbreak") || !strings.Contains(page, "harassment, jailbreak") {
		t.Error("verdict not shown in the history")
	}
	// "then=next" goes on to the next open incident.
	rec = alice.post(incPath(incs[0].ID, "verdict"), url.Values{"kind": {"overturn"}, "then": {"next"}})
	if rec.Header().Get("Location") != "/review/next" {
		t.Fatalf("then=next: %q", rec.Header().Get("Location"))
	}
	if loc := alice.get("/review/next").Header().Get("Location"); loc != incPath(incs[2].ID) {
		t.Fatalf("next: %q, want %q", loc, incPath(incs[2].ID))
	}
	alice.post(incPath(incs[2].ID, "verdict"), url.Values{"kind": {"confirm"}})
	if loc := alice.get("/review/next").Header().Get("Location"); loc != "/review/?done=empty" {
		t.Fatalf("next on an empty queue: %q", loc)
	}
	// Release.
	inc := e.seed(1)[0]
	alice.post(incPath(inc.ID, "claim"), nil)
	if rec := alice.post(incPath(inc.ID, "release"), nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("release: %d", rec.Code)
	}
	if rec := bob.post(incPath(inc.ID, "claim"), nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim after release: %d", rec.Code)
	}
	// Leases expire.
	e.clock.Add(e.cfg.ClaimLease + time.Second)
	if rec := alice.post(incPath(inc.ID, "claim"), nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("claim after the lease: %d", rec.Code)
	}
	if rec := alice.post(incPath("no-such-id", "claim"), nil); rec.Code != http.StatusNotFound {
		t.Fatalf("missing incident: %d", rec.Code)
	}
	log := e.audit()
	for _, want := range []string{"alice claim " + id, "alice reveal " + id, "ada reveal " + incs[2].ID, "alice verdict " + id, "alice release " + inc.ID} {
		if !contains(log, want) {
			t.Errorf("audit lacks %q", want)
		}
	}
	if _, err := e.st.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBulkVerdict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	incs := e.seed(5)
	alice := e.session("alice")
	e.st.Claim(ctx, incs[2].ID, "bob", time.Hour)
	form := url.Values{"kind": {"overturn"}, "note": {"benign"}, "return": {"tenant=acme&state=open&bogus=1&after=zzz"},
		"id": {incs[0].ID, incs[1].ID, incs[2].ID, incs[1].ID, "missing"}}
	rec := alice.post("/review/bulk", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("bulk: %d %s", rec.Code, rec.Body.String())
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	q := loc.Query()
	if q.Get("ok") != "2" || q.Get("failed") != "2" || q.Get("tenant") != "acme" || q.Has("bogus") || q.Has("after") {
		t.Fatalf("redirect %s", loc)
	}
	if page := alice.get(loc.RequestURI()).Body.String(); !strings.Contains(page, "Bulk verdict: 2 recorded, 2 not") {
		t.Error("bulk result not shown")
	}
	for i, want := range []store.State{store.StateResolved, store.StateResolved, store.StateOpen, store.StateOpen} {
		if got, _ := e.st.Get(ctx, incs[i].ID); got.State != want {
			t.Errorf("incident %d: %s, want %s", i, got.State, want)
		}
	}
	if rec := alice.post("/review/bulk", url.Values{"kind": {"overturn"}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("empty bulk: %d", rec.Code)
	}
	many := url.Values{"kind": {"overturn"}}
	for range 101 {
		many.Add("id", incs[3].ID)
	}
	if rec := alice.post("/review/bulk", many); rec.Code != http.StatusBadRequest {
		t.Fatalf("bulk of 101: %d", rec.Code)
	}
}

var rowRE = regexp.MustCompile(`data-id="([^"]+)"`)

func TestQueueFiltersAndPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	incs := e.seed(120)
	a := e.session("alice")
	e.st.Claim(ctx, incs[5].ID, "bob", time.Hour)
	e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: incs[6].ID, Reviewer: "bob", Kind: "overturn"})

	page := a.get("/review/").Body.String()
	if n := len(rowRE.FindAllString(page, -1)); n != 50 {
		t.Fatalf("first page has %d rows", n)
	}
	for _, want := range []string{`data-state="open"[^>]*>open <span class="n">118</span>`, `data-state="claimed"[^>]*>claimed <span class="n">1</span>`,
		`data-state="resolved"[^>]*>resolved <span class="n">1</span>`, `data-state="all"[^>]*>all <span class="n">120</span>`, `<strong>118</strong> incidents match`} {
		if !regexp.MustCompile(want).MatchString(page) {
			t.Errorf("queue lacks %q", want)
		}
	}
	// Walk all pages by the next links; each incident once.
	seen := map[string]bool{}
	next := "/review/?state=all&sort=oldest&limit=25"
	pages := 0
	for next != "" {
		body := a.get(next).Body.String()
		pages++
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Fatalf("%s twice", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" id="next-page"`).FindStringSubmatch(body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 120 || pages != 5 {
		t.Fatalf("%d incidents over %d pages", len(seen), pages)
	}
	// Filters narrow; every row matches.
	for _, c := range []struct {
		query string
		check func(id string) bool
	}{
		{"tenant=acme&state=all", func(id string) bool { return incByID(incs, id).Tenant == "acme" }},
		{"stage=response&action=block&state=all", func(id string) bool {
			i := incByID(incs, id)
			return i.Stage == "response" && i.Action == "block"
		}},
		{"category=hate&state=all", func(id string) bool { _, ok := incByID(incs, id).Scores["hate"]; return ok }},
		{"state=claimed", func(id string) bool { return id == incs[5].ID }},
		{"state=resolved", func(id string) bool { return id == incs[6].ID }},
		{"age=lt1h&state=all&limit=100", func(id string) bool { return e.clock.Now().Sub(incByID(incs, id).Time) <= time.Hour }},
		{"age=gt1h&state=all&limit=100", func(id string) bool { return e.clock.Now().Sub(incByID(incs, id).Time) >= time.Hour }},
	} {
		body := a.get("/review/?" + c.query).Body.String()
		ms := rowRE.FindAllStringSubmatch(body, -1)
		if len(ms) == 0 {
			t.Errorf("%s: no rows", c.query)
		}
		for _, m := range ms {
			if !c.check(m[1]) {
				t.Errorf("%s: row %s does not match", c.query, m[1])
			}
		}
	}
	// Severity order.
	body := a.get("/review/?sort=severity&state=all&limit=100").Body.String()
	var sevs []string
	for _, m := range regexp.MustCompile(`class="sev sev-[a-z]+">([0-9.]+)<`).FindAllStringSubmatch(body, -1) {
		sevs = append(sevs, m[1])
	}
	if !slices.IsSortedFunc(sevs, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("not by severity: %v", sevs)
	}
	for _, bad := range []string{"state=bogus", "sort=random", "limit=7", "stage=x", "action=allow", "age=forever", "after=garbage!"} {
		if rec := a.get("/review/?" + bad); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
}

func incByID(incs []*incidentT, id string) *incidentT {
	for _, i := range incs {
		if i.ID == id {
			return i
		}
	}
	panic("no incident " + id)
}

func TestDashboardAuditExport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	incs := e.seed(40)
	for i, inc := range incs[:10] {
		kind := "confirm"
		if i%3 == 0 {
			kind = "overturn"
		}
		if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: inc.ID, Reviewer: []string{"alice", "bob"}[i%2], Kind: verdictKind(kind)}); err != nil {
			t.Fatal(err)
		}
	}
	ada, vera := e.session("ada"), e.session("vera")
	body := vera.get("/review/dashboard?days=7").Body.String()
	for _, id := range []string{"by-category", "by-action", "queue-age", "throughput", "overturn"} {
		if !strings.Contains(body, `id="chart-`+id+`"`) {
			t.Errorf("dashboard lacks chart %s", id)
		}
	}
	if n := strings.Count(body, "<rect "); n < 10 {
		t.Errorf("dashboard draws %d bars", n)
	}
	for _, want := range []string{"<strong>30</strong> unresolved", "% overturned · ", "alice", "prompt_injection"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if rec := vera.get("/review/dashboard?days=3"); rec.Code != http.StatusBadRequest {
		t.Errorf("days=3: %d", rec.Code)
	}
	// Audit log (admin), with verification.
	rec := ada.get("/review/audit?verify=1")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Chain verified: 16 entries.") {
		t.Fatalf("audit: %d %s", rec.Code, rec.Body.String())
	}
	// Export: JSONL of the labels, audited before it starts.
	rec = ada.post("/review/export/labels", url.Values{"since": {""}, "until": {e.clock.Now().UTC().Format("2006-01-02")}})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %d", rec.Code)
	}
	sc := bufio.NewScanner(rec.Body)
	n := 0
	for sc.Scan() {
		var l store.Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.IncidentID == "" {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != 10 {
		t.Fatalf("%d labels", n)
	}
	if !contains(e.audit(), "ada export labels") {
		t.Fatal("export not audited")
	}
	if rec := ada.post("/review/export/labels", url.Values{"since": {"yesterday"}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("bad date: %d", rec.Code)
	}
}

func TestJSONErrors(t *testing.T) {
	e := newEnv(t)
	c := e.session("vera")
	rec := c.do(http.MethodGet, "/review/incidents/missing", nil, http.Header{"Accept": {"application/json"}})
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusNotFound || body.Error.Code != "not_found" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if rec := c.get("/review/incidents/missing"); !strings.Contains(rec.Body.String(), `data-code="not_found"`) {
		t.Fatal("browser error page")
	}
}

func TestTextRuns(t *testing.T) {
	text := "héllo [EMAIL] and [PHONE]\u202e!"
	e1 := strings.Index(text, "[EMAIL]")
	p1 := strings.Index(text, "[PHONE]")
	findings := []types.Finding{
		{Type: "PHONE", Start: p1, End: p1 + 7},
		{Type: "EMAIL", Start: e1, End: e1 + 7},
		{Type: "BAD", Start: 2, End: 3},            // inside é
		{Type: "OVER", Start: e1 + 2, End: e1 + 4}, // overlaps EMAIL
		{Type: "OUT", Start: 5, End: 500},
	}
	d := e1 + 3
	runs, bad := textRuns(text, findings, &d)
	var b strings.Builder
	for _, r := range runs {
		switch {
		case r.Ctrl:
			b.WriteString("{" + r.Text + "}")
		case r.Finding >= 0:
			b.WriteString("<" + r.Type + ":" + r.Text + ">")
		default:
			b.WriteString(r.Text)
		}
		if r.Delivered {
			b.WriteString("·")
		}
	}
	if got, want := b.String(), "héllo ·<EMAIL:[EM>·<EMAIL:AIL]> and <PHONE:[PHONE]>{U+202E}!"; got != want {
		t.Errorf("runs\n got %s\nwant %s", got, want)
	}
	if len(bad) != 3 || bad[0].Index != 2 || bad[1].Index != 3 || bad[2].Index != 4 {
		t.Errorf("bad %+v", bad)
	}
	// Findings from a hostile producer never panic.
	for _, f := range []types.Finding{{Start: -1, End: 2}, {Start: 3, End: 1}, {Start: 0, End: 1 << 30}} {
		textRuns("abc", []types.Finding{f}, &d)
	}
}

func TestConfig(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	c, err := LoadConfig(env())
	if err != nil || !c.CookieSecure || c.SessionIdle != 30*time.Minute || c.SessionMax != 12*time.Hour || c.ClaimLease != 15*time.Minute {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = LoadConfig(env("WARDEN_REVIEW_COOKIE_SECURE", "false", "WARDEN_REVIEW_SESSION_IDLE", "5m", "WARDEN_REVIEW_PROXY_USER_HEADER", "x-auth-user",
		"WARDEN_REVIEW_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1", "WARDEN_REVIEW_ORIGINS", "https://review.example.com"))
	if err != nil || c.CookieSecure || c.SessionIdle != 5*time.Minute || c.ProxyUserHeader != "X-Auth-User" || len(c.TrustedProxies) != 2 || len(c.Origins) != 1 {
		t.Fatalf("overrides: %+v %v", c, err)
	}
	for _, bad := range [][]string{
		{"WARDEN_REVIEW_COOKIE_SECURE", "maybe"},
		{"WARDEN_REVIEW_SESSION_IDLE", "1s"},
		{"WARDEN_REVIEW_SESSION_MAX", "1m"},
		{"WARDEN_REVIEW_PROXY_USER_HEADER", "X-User"},
		{"WARDEN_REVIEW_TRUSTED_PROXIES", "10.0.0.0/8"},
		{"WARDEN_REVIEW_PROXY_USER_HEADER", "Cookie", "WARDEN_REVIEW_TRUSTED_PROXIES", "10.0.0.1"},
		{"WARDEN_REVIEW_TRUSTED_PROXIES", "nonsense", "WARDEN_REVIEW_PROXY_USER_HEADER", "X-User"},
		{"WARDEN_REVIEW_ORIGINS", "review.example.com"},
		{"WARDEN_REVIEW_LOGIN_MAX_FAILURES", "0"},
		{"WARDEN_REVIEW_CLAIM_LEASE", "forever"},
	} {
		if _, err := LoadConfig(env(bad...)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword(testPassword)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q %v", h, err)
	}
	if h2, _ := HashPassword(testPassword); h2 == h {
		t.Fatal("no salt")
	}
	if ok, err := VerifyPassword(h, testPassword); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, testPassword+"x"); ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "$2a$10$bcrypt", "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", strings.Replace(h, "v=19", "v=16", 1)} {
		if _, err := VerifyPassword(bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
	for _, pw := range []string{"short", strings.Repeat("x", MaxPasswordLen+1), "\xff\xfe invalid utf8 x"} {
		if _, err := HashPassword(pw); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("password %q: %v", pw, err)
		}
	}
}

// TestStaleVerdictPage: two reviewers open an unclaimed incident; alice
// gives a verdict; bob's verdict from the page he loaded before is refused
// (409 stale_verdict) instead of silently replacing hers. After a reload
// he may revise it.
func TestStaleVerdictPage(t *testing.T) {
	e := newEnv(t)
	id := e.seed(1)[0].ID
	alice, bob := e.session("alice"), e.session("bob")
	formOf := func(page string) url.Values {
		t.Helper()
		i := strings.Index(page, `id="verdict-form"`)
		if i < 0 {
			t.Fatal("no verdict form")
		}
		form := page[i:]
		form = form[:strings.Index(form, "</form>")]
		v := url.Values{}
		for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`).FindAllStringSubmatch(form, -1) {
			if m[1] != "csrf" {
				v.Set(m[1], m[2])
			}
		}
		return v
	}
	stale := formOf(bob.get(incPath(id)).Body.String())
	af := formOf(alice.get(incPath(id)).Body.String())
	af.Set("kind", "confirm")
	if rec := alice.post(incPath(id, "verdict"), af); rec.Code != http.StatusSeeOther {
		t.Fatalf("alice's verdict: %d", rec.Code)
	}
	stale.Set("kind", "overturn")
	rec := bob.post(incPath(id, "verdict"), stale)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "stale_verdict") {
		t.Fatalf("bob's verdict from a stale page: %d, want 409 stale_verdict", rec.Code)
	}
	inc, err := e.st.Get(context.Background(), id)
	if err != nil || inc.Verdict == nil || inc.Verdict.Reviewer != "alice" {
		t.Fatalf("latest verdict after the stale one: %+v %v", inc.Verdict, err)
	}
	fresh := formOf(bob.get(incPath(id)).Body.String())
	fresh.Set("kind", "overturn")
	if rec := bob.post(incPath(id, "verdict"), fresh); rec.Code != http.StatusSeeOther {
		t.Fatalf("bob's revision after a reload: %d", rec.Code)
	}
}

// TestFormTooLarge: a form over the 1 MiB bound is 413 body_too_large
// (the API's code), not a 403 for a CSRF token it never got to read; one
// just under the bound is handled as usual.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t)
	id := e.seed(1)[0].ID
	alice := e.session("alice")
	big := url.Values{"pad": {strings.Repeat("a", maxFormBytes)}}
	if rec := alice.post(incPath(id, "claim"), big); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `data-code="body_too_large"`) {
		t.Fatalf("urlencoded form over the bound: %d, want 413 body_too_large", rec.Code)
	}
	var mp strings.Builder
	w := multipart.NewWriter(&mp)
	w.WriteField("csrf", alice.csrf)
	w.WriteField("pad", strings.Repeat("a", maxFormBytes))
	w.Close()
	rec := alice.do(http.MethodPost, incPath(id, "claim"), strings.NewReader(mp.String()), http.Header{"Content-Type": {w.FormDataContentType()}})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("multipart form over the bound: %d, want 413", rec.Code)
	}
	small := url.Values{"pad": {strings.Repeat("a", maxFormBytes-200)}}
	if rec := alice.post(incPath(id, "claim"), small); rec.Code != http.StatusSeeOther {
		t.Fatalf("form under the bound: %d, want 303", rec.Code)
	}
}

// TestTenantNotUTF8: a tenant filter that is not valid UTF-8 is 400
// invalid_filter on the dashboard and the label export, as on the queue
// (before: the dashboard echoed the invalid bytes into its page and the
// export ran with them).
func TestTenantNotUTF8(t *testing.T) {
	e := newEnv(t)
	e.seed(2)
	ada := e.session("ada")
	for _, path := range []string{"/review/?tenant=%ff", "/review/dashboard?tenant=%ff%fe"} {
		if rec := ada.get(path); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `data-code="invalid_filter"`) {
			t.Errorf("GET %s: %d, want 400 invalid_filter", path, rec.Code)
		}
	}
	rec := ada.do(http.MethodPost, "/review/export/labels", strings.NewReader("csrf="+ada.csrf+"&tenant=%ff"), nil)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `data-code="invalid_filter"`) {
		t.Errorf("export with a tenant that is not UTF-8: %d, want 400 invalid_filter", rec.Code)
	}
	if rec := ada.get("/review/dashboard?tenant=acme"); rec.Code != http.StatusOK {
		t.Errorf("dashboard for a tenant: %d", rec.Code)
	}
}

// TestStaleBulkVerdict: the queue's rows send the latest verdict they
// showed, so a bulk verdict over a row that has had a verdict since is not
// recorded (as on the incident page); after a reload it is.
func TestStaleBulkVerdict(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.seed(1)[0].ID
	bob := e.session("bob")
	seenOn := func(page string) string {
		t.Helper()
		m := regexp.MustCompile(`<input type="hidden" name="seen\.` + regexp.QuoteMeta(id) + `" value="([^"]*)" form="bulk">`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no seen field for the incident in the queue")
		}
		return m[1]
	}
	stale := seenOn(bob.get("/review/?state=all").Body.String())
	if stale != "" {
		t.Fatalf("an open incident shows verdict %q", stale)
	}
	if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: id, Reviewer: "alice", Kind: "confirm"}); err != nil {
		t.Fatal(err)
	}
	bulk := func(seen string) url.Values {
		return url.Values{"kind": {"overturn"}, "id": {id}, "seen." + id: {seen}, "return": {"state=all"}}
	}
	rec := bob.post("/review/bulk", bulk(stale))
	if loc, _ := url.Parse(rec.Header().Get("Location")); rec.Code != http.StatusSeeOther || loc.Query().Get("failed") != "1" {
		t.Fatalf("bulk over a stale row: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if inc, _ := e.st.Get(ctx, id); inc.Verdict == nil || inc.Verdict.Reviewer != "alice" {
		t.Fatalf("latest verdict after a stale bulk verdict: %+v", inc.Verdict)
	}
	fresh := seenOn(bob.get("/review/?state=all").Body.String())
	rec = bob.post("/review/bulk", bulk(fresh))
	if loc, _ := url.Parse(rec.Header().Get("Location")); rec.Code != http.StatusSeeOther || loc.Query().Get("ok") != "1" {
		t.Fatalf("bulk after a reload: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}
