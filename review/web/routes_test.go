package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/review/store"
)

// TestEveryRouteHasARule walks the router: a route without an entry in
// the access table fails the test (and would be denied at run time).
func TestEveryRouteHasARule(t *testing.T) {
	e := newEnv(t)
	routes := e.ui.Routes()
	if len(routes) < 10 {
		t.Fatalf("router has %d routes", len(routes))
	}
	for _, r := range routes {
		rule, ok := access[r]
		if !ok {
			t.Errorf("route %s has no access rule", r)
			continue
		}
		if !rule.public && rule.min.Rank() == 0 {
			t.Errorf("route %s: rule names no valid role", r)
		}
		if method, _, _ := strings.Cut(r, " "); method != http.MethodGet && method != http.MethodPost {
			t.Errorf("route %s: only GET (reads) and POST (changes) are expected", r)
		}
	}
	for k := range access {
		if !slices.Contains(routes, k) {
			t.Errorf("access rule %s matches no route", k)
		}
	}
	// The public routes are exactly these; everything else needs a login.
	var pub []string
	for k, r := range access {
		if r.public {
			pub = append(pub, k)
		}
	}
	slices.Sort(pub)
	if want := []string{"GET /review/login", "GET /review/static/*file", "POST /review/login"}; !slices.Equal(pub, want) {
		t.Errorf("public routes %v, want %v", pub, want)
	}
}

// routeCase prepares a request for a route as a given user.
type routeCase struct {
	path string
	form url.Values
}

// TestRoutesByRole requests every route as anonymous, viewer, reviewer
// and admin, and checks each gets in exactly when its role is enough.
func TestRoutesByRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	prep := func(route, user string) routeCase {
		// A fresh incident per request, so state changes do not interfere.
		inc := e.seed(1)[0]
		id := inc.ID
		path := strings.NewReplacer(":id", url.PathEscape(id), "*file", "app.css").Replace(strings.SplitN(route, " ", 2)[1])
		form := url.Values{}
		switch {
		case strings.HasSuffix(route, "/verdict"):
			form.Set("kind", "overturn")
		case strings.HasSuffix(route, "/reveal") && user != "":
			// Reviewers reveal what they hold.
			if _, err := e.st.Claim(ctx, id, user, time.Minute); err != nil {
				t.Fatal(err)
			}
		case route == "POST /review/bulk":
			form.Set("kind", "overturn")
			form.Add("id", id)
		case route == "POST /review/login":
			form.Set("username", "vera")
			form.Set("password", testPassword)
		}
		return routeCase{path, form}
	}
	users := []string{"", "vera", "alice", "ada"}
	for _, route := range e.ui.Routes() {
		rule := access[route]
		method, _, _ := strings.Cut(route, " ")
		for _, user := range users {
			name := user
			if name == "" {
				name = "anonymous"
			}
			t.Run(strings.ReplaceAll(route, "/", "_")+"/"+name, func(t *testing.T) {
				c := e.anon()
				if user != "" {
					c = e.session(user)
				}
				rc := prep(route, user)
				var rec *httpResult
				if method == http.MethodGet {
					rec = result(c.get(rc.path))
				} else {
					if route == "POST /review/login" {
						// The login form's token is the login cookie's
						// (from an anonymous visit of the login page).
						ck := cookieNamed(e.anon().get("/review/login").Result().Cookies(), e.ui.loginCookie())
						if ck == nil {
							t.Fatal("no login cookie")
						}
						rc.form.Set("csrf", ck.Value)
						hdr := ck.Name + "=" + ck.Value
						if c.cookie != nil {
							hdr += "; " + c.cookie.Name + "=" + c.cookie.Value
						}
						c.cookie, c.hdr = nil, http.Header{"Cookie": {hdr}}
					}
					rec = result(c.post(rc.path, rc.form))
				}
				role := testUsers[user]
				switch {
				case rule.public:
					if rec.code == http.StatusUnauthorized || rec.code == http.StatusForbidden || rec.code >= 500 || strings.HasPrefix(rec.location, "/review/login?next=") {
						t.Fatalf("public route: %d %s", rec.code, rec.location)
					}
				case user == "" && method == http.MethodGet:
					if rec.code != http.StatusSeeOther || !strings.HasPrefix(rec.location, "/review/login?next=") {
						t.Fatalf("anonymous GET: %d %q, want a redirect to the login page", rec.code, rec.location)
					}
				case user == "":
					if rec.code != http.StatusUnauthorized {
						t.Fatalf("anonymous %s: %d, want 401", method, rec.code)
					}
				case !role.AtLeast(rule.min):
					if rec.code != http.StatusForbidden {
						t.Fatalf("%s (%s) on a %s route: %d, want 403", user, role, rule.min, rec.code)
					}
				default:
					if rec.code >= 400 {
						t.Fatalf("%s (%s) on a %s route: %d %s", user, role, rule.min, rec.code, rec.body)
					}
				}
			})
		}
	}
}

type httpResult struct {
	code     int
	location string
	body     string
}

func result(r interface {
	Result() *http.Response
}) *httpResult {
	res := r.Result()
	b := new(strings.Builder)
	if res.Body != nil {
		buf := make([]byte, 4096)
		n, _ := res.Body.Read(buf)
		b.Write(buf[:n])
	}
	return &httpResult{code: res.StatusCode, location: res.Header.Get("Location"), body: b.String()}
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestUnknownRouteDenied: a route added to the router without a rule is
// denied at run time (deny by default), whatever the role.
func TestUnknownRouteDenied(t *testing.T) {
	e := newEnv(t)
	e.ui.engine.GET("/review/sneaky", func(c *gin.Context) { c.String(http.StatusOK, "secret") })
	for _, user := range []string{"vera", "ada"} {
		rec := e.session(user).get("/review/sneaky")
		if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("%s: %d %q", user, rec.Code, rec.Body.String())
		}
	}
	if !slices.Contains(e.ui.Routes(), "GET /review/sneaky") {
		t.Fatal("route not added")
	}
	if _, ok := access["GET /review/sneaky"]; ok {
		t.Fatal("rule exists")
	}
}

var _ = store.RoleAdmin

// TestRegisterOnAPIEngine mounts the UI on the API server's gin engine,
// as the embedded `warden serve` does.
func TestRegisterOnAPIEngine(t *testing.T) {
	e := newEnv(t)
	srv := api.New(api.Options{Logger: quiet})
	e.ui.Register(srv.Engine())
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+testHost+path, nil))
		return rec
	}
	if rec := get("/review"); rec.Code != http.StatusMovedPermanently || !strings.HasSuffix(rec.Header().Get("Location"), "/review/") {
		t.Fatalf("/review: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get("/review/login"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="login"`) {
		t.Fatalf("/review/login: %d", rec.Code)
	}
	if rec := get("/review/static/app.css"); rec.Code != http.StatusOK {
		t.Fatalf("static: %d", rec.Code)
	}
	if rec := get("/review/incidents/x"); rec.Code != http.StatusSeeOther {
		t.Fatalf("incident without a session: %d", rec.Code)
	}
	if rec := get("/healthz"); rec.Code != http.StatusOK {
		t.Fatalf("the API's own routes: %d", rec.Code)
	}
}
