package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/store"
)

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	incs := e.seed(2)
	alice, bob := e.session("alice"), e.session("bob")
	path := incPath(incs[0].ID, "verdict")
	form := func(extra ...string) url.Values {
		v := url.Values{"kind": {"overturn"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	// The real token with its first character changed (to a different one:
	// a random token may itself start with "x").
	wrong := "x" + alice.csrf[1:]
	if wrong == alice.csrf {
		wrong = "y" + alice.csrf[1:]
	}
	before := len(e.audit())
	for _, c := range []struct {
		name string
		form url.Values
		hdr  http.Header
		code string
	}{
		{"no token", form("csrf", ""), nil, "csrf_token"},
		{"wrong token", form("csrf", wrong), nil, "csrf_token"},
		{"another session's token", form("csrf", bob.csrf), nil, "csrf_token"},
		{"token in the query string only", form("csrf", ""), nil, "csrf_token"},
		{"cross-site fetch", form(), http.Header{"Sec-Fetch-Site": {"cross-site"}}, "cross_origin"},
		{"same-site other origin", form(), http.Header{"Sec-Fetch-Site": {"same-site"}}, "cross_origin"},
		{"foreign Origin, no Sec-Fetch-Site", form(), http.Header{"Sec-Fetch-Site": nil, "Origin": {"https://evil.example"}}, "cross_origin"},
		{"null Origin", form(), http.Header{"Sec-Fetch-Site": nil, "Origin": {"null"}}, "cross_origin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := path
			if c.name == "token in the query string only" {
				p += "?csrf=" + url.QueryEscape(alice.csrf)
			}
			rec := alice.postWith(p, c.form, mergeHdr(c.hdr, http.Header{"Accept": {"application/json"}}))
			if rec.Code != http.StatusForbidden {
				t.Fatalf("%d, want 403", rec.Code)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != c.code {
				t.Fatalf("body %s (%v), want code %s", rec.Body.String(), err, c.code)
			}
		})
	}
	if got := e.audit(); len(got) != before {
		t.Fatalf("rejected requests changed the audit log: %v", got[before:])
	}
	if inc, _ := e.st.Get(context.Background(), incs[0].ID); inc.State != store.StateOpen {
		t.Fatal("a rejected request recorded a verdict")
	}
	// A non-browser client (no Origin, no Sec-Fetch-Site) with the token
	// passes; so does the browser's same-origin request.
	rec := alice.postWith(path, form(), http.Header{"Sec-Fetch-Site": nil, "Origin": nil})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("valid verdict: %d %s", rec.Code, rec.Body.String())
	}
	// Trusted extra origin (a proxy that rewrites Host).
	e2 := newEnv(t, func(c *Config) { c.Origins = []string{"https://review.example.com"} })
	inc2 := e2.seed(1)[0]
	a2 := e2.session("alice")
	if rec := a2.postWith(incPath(inc2.ID, "claim"), nil, http.Header{"Origin": {"https://review.example.com"}, "Sec-Fetch-Site": {"cross-site"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("trusted origin: %d", rec.Code)
	}
}

func mergeHdr(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = v
		}
	}
	return out
}

// TestNoStateChangeOnGet requests every GET route as an admin (and the
// POST routes with GET) and checks nothing in the store changed.
func TestNoStateChangeOnGet(t *testing.T) {
	e := newEnv(t)
	incs := e.seed(5)
	ctx := context.Background()
	a := e.session("ada")
	e.st.Claim(ctx, incs[1].ID, "alice", time.Hour)
	snapshot := func() string {
		var b strings.Builder
		for _, inc := range incs {
			got, _ := e.st.Get(ctx, inc.ID)
			b.WriteString(string(got.State))
			if got.Claim != nil {
				b.WriteString(got.Claim.Reviewer + got.Claim.ExpiresAt.String())
			}
		}
		n, _ := e.st.CountSessions(ctx, "ada")
		b.WriteString(strings.Join(e.audit(), "\n"))
		b.WriteString(string(rune('0' + n)))
		return b.String()
	}
	before := snapshot()
	for _, route := range e.ui.Routes() {
		_, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer(":id", incs[1].ID, "*file", "app.js").Replace(path)
		for _, q := range []string{"", "?verify=1", "?kind=confirm&csrf=" + a.csrf} {
			rec := a.get(path + q)
			if strings.HasPrefix(route, "POST ") && !slices.Contains(e.ui.Routes(), "GET "+strings.TrimPrefix(route, "POST ")) && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("GET on %s: %d, want 405", route, rec.Code)
			}
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("GET requests changed state:\nbefore %s\nafter  %s", before, after)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	inc := e.seed(1)[0]
	a := e.session("ada")
	for _, rec := range []interface{ Header() http.Header }{
		a.get("/review/"), a.get(incPath(inc.ID)), a.get("/review/nope"), a.get("/review/static/app.js"), e.anon().get("/review/login"),
		e.anon().get("/review/"), a.post(incPath(inc.ID, "verdict"), url.Values{"csrf": {"bad"}}), a.get("/review/dashboard"),
	} {
		h := rec.Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows unsafe code: %q", csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers %v", h)
		}
	}
	if cc := a.get(incPath(inc.ID)).Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("incident page Cache-Control %q", cc)
	}
	// The pages hold no inline script, style or event handler.
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, p := range []string{"/review/", incPath(inc.ID), "/review/dashboard", "/review/audit"} {
		body := a.get(p).Body.String()
		if m := inline.FindString(body); m != "" {
			t.Errorf("%s has inline code: %q", p, m)
		}
		if !strings.Contains(body, `<script src="/review/static/app.js" defer></script>`) {
			t.Errorf("%s: no external script", p)
		}
	}
	if ct := a.get("/review/static/app.js").Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js served as %q", ct)
	}
}

// xssIncident carries attack payloads in every field a reviewer sees.
func xssIncident(at time.Time, beacon string) *incident.Incident {
	inc := incidentAt(1, at)
	payload := `<script>alert("xss-1")</script> [click](javascript:alert('xss-2')) ![x](` + beacon + `/md.png) <img src=x onerror=alert('xss-3')> ` +
		`<a href="javascript:alert('xss-4')">link</a> "><svg onload=alert('xss-5')> {{.CSRF}} <iframe src="` + beacon + `/frame"></iframe>` +
		"\u202Egnp.exe <style>body{background:url(" + beacon + "/css.png)}</style>"
	inc.Text = payload + " [EMAIL] end"
	start := strings.Index(inc.Text, "[EMAIL]")
	inc.Findings = []types.Finding{{Type: `EMAIL"><img src=x onerror=alert('xss-6')>`, Class: "pii", Start: start, End: start + 7, Score: 1, Detector: "<b>det</b>"}}
	inc.Tenant = `<img src="` + beacon + `/tenant.png">`
	inc.Reasons = []string{`<script>alert('xss-7')</script>`, `![beacon](` + beacon + `/reason.png)`}
	inc.RuleIDs = []string{`hate.block`, `"><script>alert('xss-8')</script>`}
	inc.Scores = map[string]float64{"hate": 0.97, `x<img src=x onerror=alert('xss-9')>`: 0.5}
	inc.PolicyRevision = `<img src=x onerror=alert('xss-10')>`
	inc.ModelVersions = map[string]string{`<b onmouseover=alert(11)>m</b>`: `javascript:alert('xss-12')`}
	inc.DecisionID = `<svg/onload=alert('xss-13')>`
	inc.Signals = []string{`<script src="` + beacon + `/sig.js"></script>`}
	inc.Prompt = `<script>alert('xss-14')</script> ![p](` + beacon + `/prompt.png)`
	inc.Key = `<img src=x onerror=alert('xss-15')>`
	return inc
}

var activeURL = regexp.MustCompile(`(?i)(href|src|action|xlink:href|formaction)\s*=\s*["']?\s*(javascript:|data:|https?://attacker)`)

func TestXSSRenderedAsText(t *testing.T) {
	e := newEnv(t)
	inc := xssIncident(e.clock.Now().Add(-time.Minute), "http://attacker.test")
	if _, err := e.st.UpsertIncidents(context.Background(), []*incident.Incident{inc}); err != nil {
		t.Fatal(err)
	}
	a := e.session("ada")
	ctx := context.Background()
	if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: inc.ID, Reviewer: "ada", Kind: "relabel", Categories: []string{"hate"},
		Note: `<script>alert('xss-16')</script>`}); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"queue":     a.get("/review/?state=all").Body.String(),
		"incident":  a.get(incPath(inc.ID)).Body.String(),
		"revealed":  a.post(incPath(inc.ID, "reveal"), nil).Body.String(),
		"dashboard": a.get("/review/dashboard").Body.String(),
		"audit":     a.get("/review/audit").Body.String(),
	}
	tagRE := regexp.MustCompile(`<(script|img|svg|iframe|style|b)[\s>/]`)
	for name, body := range pages {
		for _, m := range tagRE.FindAllString(body, -1) {
			// The layout's own script tag and the dashboard's own SVG are the only markup of these kinds.
			if m == "<script " || (m == "<svg " && name == "dashboard") {
				continue
			}
			t.Errorf("%s: markup from incident data: %q", name, m)
		}
		if n := strings.Count(body, "<script"); n != 1 {
			t.Errorf("%s: %d script tags", name, n)
		}
		if m := activeURL.FindString(body); m != "" {
			t.Errorf("%s: active URL in the page: %q", name, m)
		}
	}
	inc2 := pages["incident"]
	for _, want := range []string{`&lt;script&gt;alert(&#34;xss-1&#34;)&lt;/script&gt;`, `![x](http://attacker.test/md.png)`, `<span class="ctrl"`, `U&#43;202E`} {
		if !strings.Contains(inc2, want) {
			t.Errorf("incident page lacks %q (the payload shown as text)", want)
		}
	}
	if !strings.Contains(pages["revealed"], `&lt;script&gt;alert(&#39;xss-14&#39;)&lt;/script&gt;`) {
		t.Error("revealed prompt not shown as text")
	}
}

// TestHiddenCharactersShown: invisible and direction-changing characters
// (a right-to-left override, a zero-width space, a bidi isolate) in the
// untrusted fields a reviewer reads (the verdict note, the revealed
// conversation key and prompt context, reasons, tenant, category names,
// the queue's preview) are shown as their code points, as in the incident
// text; none reaches a page raw.
func TestHiddenCharactersShown(t *testing.T) {
	e := newEnv(t)
	const rlo, zwsp, lri = "\u202e", "\u200b", "\u2066"
	inc := incidentAt(1, e.clock.Now().Add(-time.Minute))
	inc.Text, inc.Findings = "see "+rlo+"txt.exe", nil
	inc.Key = "acme/conv" + rlo + "1"
	inc.Prompt = "line one\n\tsee" + zwsp + "this" + lri + "end"
	inc.Reasons = []string{"reason " + rlo + "x"}
	inc.Tenant = "ten" + zwsp + "ant"
	inc.Scores = map[string]float64{"hate": 0.9, "cat" + lri: 0.5}
	ctx := context.Background()
	if _, err := e.st.UpsertIncidents(ctx, []*incident.Incident{inc}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: inc.ID, Reviewer: "ada", Kind: "overturn",
		Note: "looks fine " + rlo + "evil" + zwsp}); err != nil {
		t.Fatal(err)
	}
	a := e.session("ada")
	pages := map[string]string{
		"queue":    a.get("/review/?state=all").Body.String(),
		"incident": a.get(incPath(inc.ID)).Body.String(),
		"revealed": a.post(incPath(inc.ID, "reveal"), nil).Body.String(),
	}
	// The queue's tenant suggestions (<datalist>) are filter values and
	// must stay exact; everything else is scanned.
	datalist := regexp.MustCompile(`(?s)<datalist id="tenants">.*?</datalist>`)
	for name, body := range pages {
		body = datalist.ReplaceAllString(body, "")
		for i, r := range body {
			if hidden(r) {
				t.Errorf("%s: raw U+%04X at byte %d: %q", name, r, i, body[max(i-40, 0):min(i+40, len(body))])
			}
		}
	}
	mark := func(cp string) string {
		return `<span class="ctrl" title="invisible or direction-changing character">U&#43;` + cp + `</span>`
	}
	for _, tc := range []struct{ page, re, want string }{
		{"revealed", `data-testid="conv-key">(.*?)</code>`, "acme/conv" + mark("202E") + "1"},
		{"revealed", `(?s)data-testid="prompt">(.*?)</pre>`, "line one\n\tsee" + mark("200B") + "this" + mark("2066") + "end"},
		{"incident", `class="note-text">(.*?)</blockquote>`, "looks fine " + mark("202E") + "evil" + mark("200B")},
		{"revealed", `class="note-text">(.*?)</blockquote>`, "looks fine " + mark("202E") + "evil" + mark("200B")},
		{"incident", `data-testid="reasons"><li>(.*?)</li>`, "reason " + mark("202E") + "x"},
		{"incident", `data-testid="tenant">(.*?)</dd>`, "ten" + mark("200B") + "ant"},
		{"incident", `<th>(cat.*?)</th>`, "cat" + mark("2066")},
		{"incident", `data-testid="text">(.*?)</pre>`, "see " + mark("202E") + "txt.exe"},
		{"queue", `<td class="tenant">(.*?)</td>`, "ten" + mark("200B") + "ant"},
		{"queue", `class="open-link">(.*?)</a>`, "see " + mark("202E") + "txt.exe"},
	} {
		m := regexp.MustCompile(tc.re).FindStringSubmatch(pages[tc.page])
		if m == nil || m[1] != tc.want {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.page, tc.re, m, tc.want)
		}
	}
}

func TestLoginFlow(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CookieSecure = true })
	c := e.anon()
	page := c.get("/review/login?next=" + url.QueryEscape("/review/dashboard?days=7"))
	lck := cookieNamed(page.Result().Cookies(), "__Host-warden_login")
	if page.Code != http.StatusOK || lck == nil || !lck.HttpOnly || !lck.Secure || lck.SameSite != http.SameSiteStrictMode || lck.Path != "/" {
		t.Fatalf("login page: %d cookie %+v", page.Code, lck)
	}
	if !strings.Contains(page.Body.String(), `name="csrf" value="`+lck.Value+`"`) {
		t.Fatal("login form does not carry the login token")
	}
	// A session the client brings (fixation attempt) is replaced.
	old := e.session("alice")
	form := url.Values{"username": {"Alice"}, "password": {testPassword}, "csrf": {lck.Value}, "next": {"/review/dashboard?days=7"}}
	hdr := http.Header{"Cookie": {lck.Name + "=" + lck.Value + "; __Host-warden_session=" + old.cookie.Value}}
	// Without the login cookie the form is refused.
	if rec := c.postWith("/review/login", form, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("login without the login cookie: %d", rec.Code)
	}
	rec := c.postWith("/review/login", form, hdr)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/review/dashboard?days=7" {
		t.Fatalf("login: %d %q %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	sck := cookieNamed(rec.Result().Cookies(), "__Host-warden_session")
	if sck == nil || !sck.HttpOnly || !sck.Secure || sck.SameSite != http.SameSiteLaxMode || sck.Path != "/" || sck.Value == old.cookie.Value || len(sck.Value) < 40 {
		t.Fatalf("session cookie %+v", sck)
	}
	if _, err := e.st.GetSession(context.Background(), hashToken(old.cookie.Value)); err == nil {
		t.Fatal("the session presented at login survived it")
	}
	if !strings.Contains(strings.Join(rec.Header().Values("Set-Cookie"), "\n"), "__Host-warden_login=; Path=/; Max-Age=0") {
		t.Errorf("login cookie not cleared: %v", rec.Header().Values("Set-Cookie"))
	}
	s := &client{e: e, cookie: sck}
	if got := s.get("/review/"); got.Code != http.StatusOK || !strings.Contains(got.Body.String(), `data-testid="me">alice`) {
		t.Fatalf("with the new session: %d", got.Code)
	}
	// The session token is stored hashed only.
	if _, err := e.st.GetSession(context.Background(), sck.Value); err == nil {
		t.Fatal("session token stored in the clear")
	}
	if log := e.audit(); !contains(log, "alice login ") {
		t.Fatalf("login not audited: %v", log)
	}
	// Open redirects are refused.
	for _, next := range []string{"//evil.example/", "https://evil.example/review/", "/review/../admin", "/\\evil.example", "/review//evil.example", "javascript:alert(1)"} {
		if got := safeNext(next); got != "/review/" {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}
	if got := safeNext("/review/incidents/x?y=1"); got != "/review/incidents/x?y=1" {
		t.Errorf("safeNext kept %q", got)
	}
}

func loginAttempt(e *env, user, pw string) *httpResult {
	c := e.anon()
	lck := cookieNamed(c.get("/review/login").Result().Cookies(), e.ui.loginCookie())
	form := url.Values{"username": {user}, "password": {pw}, "csrf": {lck.Value}}
	return result(c.postWith("/review/login", form, http.Header{"Cookie": {lck.Name + "=" + lck.Value}}))
}

func TestLoginThrottling(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginMaxFailures = 3; c.LoginLockout = 10 * time.Minute })
	for i := range 3 {
		if r := loginAttempt(e, "bob", "wrong password!!"); r.code != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong user name or password") {
			t.Fatalf("failure %d: %d", i, r.code)
		}
	}
	// Locked: even the right password is refused, with a generic answer.
	if r := loginAttempt(e, "bob", testPassword); r.code != http.StatusTooManyRequests {
		t.Fatalf("locked account: %d", r.code)
	}
	// Another account from another address is unaffected.
	if r := loginAttempt(e, "alice", testPassword); r.code != http.StatusSeeOther {
		t.Fatalf("alice: %d", r.code)
	}
	e.clock.Add(11 * time.Minute)
	if r := loginAttempt(e, "bob", testPassword); r.code != http.StatusSeeOther {
		t.Fatalf("after the lockout: %d", r.code)
	}
	// Unknown users are throttled the same way and audited without the
	// typed name (it might be a password).
	loginAttempt(e, "hunter2-is-my-password", "x")
	log := e.audit()
	if !contains(log, "- login_failed ") || slices.ContainsFunc(log, func(s string) bool { return strings.Contains(s, "hunter2") }) {
		t.Fatalf("audit: %v", log)
	}
	if !contains(log, "bob login_failed ") {
		t.Fatalf("failed logins of an account not audited: %v", log)
	}
	// The client address has its own, higher limit.
	e2 := newEnv(t, func(c *Config) { c.LoginMaxFailures = 2 })
	for i := range 8 {
		loginAttempt(e2, "user"+string(rune('a'+i)), "wrong password!!")
	}
	if r := loginAttempt(e2, "alice", testPassword); r.code != http.StatusTooManyRequests {
		t.Fatalf("address over its limit: %d", r.code)
	}
}

func TestSessionTimeoutsAndLogout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SessionIdle = 10 * time.Minute; c.SessionMax = time.Hour })
	ctx := context.Background()
	a := e.session("alice")
	// Activity keeps the session alive up to the absolute timeout.
	for range 5 {
		e.clock.Add(9 * time.Minute)
		if rec := a.get("/review/"); rec.Code != http.StatusOK {
			t.Fatalf("active session: %d", rec.Code)
		}
	}
	e.clock.Add(16 * time.Minute) // 61 min since login
	if rec := a.get("/review/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("past the absolute timeout: %d", rec.Code)
	}
	if n, _ := e.st.CountSessions(ctx, "alice"); n != 0 {
		t.Fatal("expired session not deleted")
	}
	// Idle timeout.
	b := e.session("bob")
	e.clock.Add(10 * time.Minute)
	if rec := b.get("/review/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("idle session: %d", rec.Code)
	}
	// Logout ends the session server-side: the old cookie is worthless.
	c := e.session("vera")
	rec := c.post("/review/logout", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/review/login?done=logged_out" {
		t.Fatalf("logout: %d", rec.Code)
	}
	if ck := cookieNamed(rec.Result().Cookies(), e.ui.sessionCookie()); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("cookie not cleared: %+v", ck)
	}
	if rec := c.get("/review/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", rec.Code)
	}
	log := e.audit()
	for _, want := range []string{"alice logout ", "bob logout ", "vera logout "} {
		if !contains(log, want) {
			t.Errorf("audit lacks %q: %v", want, log)
		}
	}
	// Disabling an account ends its sessions at once.
	d := e.session("ada")
	off := true
	e.st.UpdateUser(ctx, "ada", store.UserUpdate{Disabled: &off}, "test")
	if rec := d.get("/review/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("disabled account: %d", rec.Code)
	}
	if r := loginAttempt(e, "ada", testPassword); r.code != http.StatusUnauthorized {
		t.Fatalf("disabled login: %d", r.code)
	}
}

func TestProxyIdentity(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ProxyUserHeader = "X-Auth-User"
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	})
	ctx := context.Background()
	c := e.anon()
	c.hdr = http.Header{"X-Auth-User": {"Alice"}}
	rec := c.get("/review/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-testid="me">alice`) {
		t.Fatalf("proxy login: %d", rec.Code)
	}
	ck := cookieNamed(rec.Result().Cookies(), e.ui.sessionCookie())
	if ck == nil {
		t.Fatal("no session cookie")
	}
	// The session carries on (and the CSRF token with it).
	c.cookie = ck
	if rec := c.get("/review/"); cookieNamed(rec.Result().Cookies(), e.ui.sessionCookie()) != nil {
		t.Fatal("a second session for the same proxy user")
	}
	if n, _ := e.st.CountSessions(ctx, "alice"); n != 1 {
		t.Fatalf("%d sessions", n)
	}
	// The proxy now says bob: the session is bob's.
	c.hdr.Set("X-Auth-User", "bob")
	if rec := c.get("/review/"); !strings.Contains(rec.Body.String(), `data-testid="me">bob`) {
		t.Fatal("identity change not applied")
	}
	// Unknown users are refused.
	u := e.anon()
	u.hdr = http.Header{"X-Auth-User": {"mallory"}}
	if rec := u.get("/review/"); rec.Code != http.StatusForbidden {
		t.Fatalf("unknown proxy user: %d", rec.Code)
	}
	// From an untrusted address the header is ignored.
	req := httptestRequest(http.MethodGet, "/review/", "203.0.113.9:1234")
	req.Header.Set("X-Auth-User", "ada")
	rr := serve(e, req)
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("header from an untrusted peer: %d", rr.Code)
	}
	if !contains(e.audit(), "alice login ") {
		t.Fatal("proxy login not audited")
	}
	// X-Forwarded-For names the client behind the proxy.
	req = httptestRequest(http.MethodGet, "/", "192.0.2.5:1")
	req.Header.Set("X-Forwarded-For", "198.51.100.7, 192.0.2.9")
	if ip := e.ui.clientIP(req); ip != "198.51.100.7" {
		t.Fatalf("client ip %s", ip)
	}
	req = httptestRequest(http.MethodGet, "/", "203.0.113.9:1")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	if ip := e.ui.clientIP(req); ip != "203.0.113.9" {
		t.Fatalf("spoofed XFF honoured: %s", ip)
	}
}
