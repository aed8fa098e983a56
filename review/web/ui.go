package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/review/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the UI is mounted.
const Prefix = "/review/"

// Options configure New.
type Options struct {
	// Store is the review store. Required.
	Store *store.Store
	// Config is the UI's configuration (DefaultConfig when zero).
	Config Config
	Logger *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// UI is the reviewer web UI. It is safe for concurrent use.
type UI struct {
	st     *store.Store
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	engine *gin.Engine
	pages  map[string]*template.Template
	cop    *http.CrossOriginProtection
	// hashing bounds concurrent password verifications (each takes
	// argon2's memory).
	hashing chan struct{}
	facets  facetCache
}

// rule is a route's access rule: public, or a minimum role.
type rule struct {
	public bool
	min    store.Role
}

var (
	public   = rule{public: true}
	viewer   = rule{min: store.RoleViewer}
	reviewer = rule{min: store.RoleReviewer}
	admin    = rule{min: store.RoleAdmin}
)

// access is the declarative access table: "METHOD path" → rule. Every
// route the router holds must have an entry (New refuses to start
// otherwise, the authorize middleware denies unknown routes, and a test
// walks the router). State changes only on POST.
var access = map[string]rule{
	"GET /review/static/*file": public,
	"GET /review/login":        public,
	"POST /review/login":       public,
	"POST /review/logout":      viewer,

	"GET /review/":                       viewer,
	"GET /review/next":                   viewer,
	"GET /review/incidents/:id":          viewer,
	"GET /review/dashboard":              viewer,
	"POST /review/bulk":                  reviewer,
	"POST /review/incidents/:id/claim":   reviewer,
	"POST /review/incidents/:id/release": reviewer,
	"POST /review/incidents/:id/verdict": reviewer,
	// Reveal: reviewers only for incidents they hold; admins any.
	"POST /review/incidents/:id/reveal": reviewer,

	"GET /review/audit":          admin,
	"POST /review/export/labels": admin,
}

// handlers maps the same keys to handlers.
func (u *UI) handlers() map[string]gin.HandlerFunc {
	return map[string]gin.HandlerFunc{
		"GET /review/static/*file":           u.static(),
		"GET /review/login":                  u.loginPage,
		"POST /review/login":                 u.login,
		"POST /review/logout":                u.logout,
		"GET /review/":                       u.queue,
		"GET /review/next":                   u.next,
		"GET /review/incidents/:id":          u.incident,
		"GET /review/dashboard":              u.dashboard,
		"POST /review/bulk":                  u.bulk,
		"POST /review/incidents/:id/claim":   u.claim,
		"POST /review/incidents/:id/release": u.release,
		"POST /review/incidents/:id/verdict": u.verdict,
		"POST /review/incidents/:id/reveal":  u.reveal,
		"GET /review/audit":                  u.audit,
		"POST /review/export/labels":         u.export,
	}
}

// New builds the UI. It has no side effects.
func New(o Options) (*UI, error) {
	if o.Store == nil {
		return nil, errors.New("web: Options.Store is required")
	}
	if o.Config.SessionIdle == 0 {
		// A zero Config: the defaults.
		o.Config = DefaultConfig()
	}
	if err := o.Config.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &UI{st: o.Store, cfg: o.Config, log: o.Logger, now: o.Now, cop: http.NewCrossOriginProtection(), hashing: make(chan struct{}, 2)}
	for _, origin := range o.Config.Origins {
		if err := u.cop.AddTrustedOrigin(strings.TrimSuffix(origin, "/")); err != nil {
			return nil, fmt.Errorf("web: WARDEN_REVIEW_ORIGINS %q: %w", origin, err)
		}
	}
	var err error
	if u.pages, err = parsePages(); err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.UseRawPath = true
	e.UnescapePathValues = true
	e.RemoveExtraSlash = false
	e.Use(u.recover, u.accessLog, u.headers, u.sameOrigin, u.authenticate, u.authorize, u.csrf)
	e.NoRoute(func(c *gin.Context) { u.fail(c, http.StatusNotFound, api.CodeNotFound, "No such page.") })
	e.NoMethod(func(c *gin.Context) {
		u.fail(c, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, "Method not allowed on this page.")
	})
	hs := u.handlers()
	keys := make([]string, 0, len(hs))
	for k := range hs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := access[k]; !ok {
			return nil, fmt.Errorf("web: route %s has no access rule", k)
		}
		method, path, _ := strings.Cut(k, " ")
		e.Handle(method, path, hs[k])
	}
	u.engine = e
	return u, nil
}

// Handler serves the UI; mount it at /review/ (its routes carry the full
// path). Example: mux.Handle("/review/", ui.Handler()).
func (u *UI) Handler() http.Handler { return u.engine }

// Register mounts the UI on a gin router (the API server's engine).
func (u *UI) Register(r gin.IRouter) {
	h := gin.WrapH(u.engine)
	r.Any("/review/*path", h)
}

// Routes lists the router's routes as "METHOD path" (tests, docs).
func (u *UI) Routes() []string {
	var out []string
	for _, r := range u.engine.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return out
}

func (u *UI) recover(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			u.log.Error("panic serving the review UI", "route", c.FullPath(), "panic", fmt.Sprintf("%T", r))
			u.fail(c, http.StatusInternalServerError, api.CodeInternal, "Internal error.")
		}
	}()
	c.Next()
}

// accessLog logs method, route pattern, status, latency and user; never
// query strings, form values or incident text.
func (u *UI) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	if strings.HasPrefix(route, "/review/static/") {
		return
	}
	user := ""
	if p := me(c); p != nil {
		user = p.User
	}
	u.log.Info("review ui", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000, "user", user)
}

// csp allows the UI's own script and style files only: no inline script
// or style, no framing, forms post to the UI only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (u *UI) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	h.Set("Cache-Control", "no-store")
	if u.cfg.CookieSecure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// sameOrigin rejects state-changing requests a browser marks as coming
// from another origin (Sec-Fetch-Site, else Origin against Host), before
// anything else looks at them.
func (u *UI) sameOrigin(c *gin.Context) {
	if err := u.cop.Check(c.Request); err != nil {
		u.fail(c, http.StatusForbidden, "cross_origin", "Cross-origin request rejected.")
		return
	}
	c.Next()
}

// authorize applies the access table.
func (u *UI) authorize(c *gin.Context) {
	path := c.FullPath()
	if path == "" {
		c.Next() // no route: 404 / 405
		return
	}
	r, ok := access[c.Request.Method+" "+path]
	if !ok {
		u.log.Error("review UI route without an access rule: denied", "method", c.Request.Method, "route", path)
		u.fail(c, http.StatusForbidden, "forbidden", "Forbidden.")
		return
	}
	if r.public {
		c.Next()
		return
	}
	p := me(c)
	if p == nil {
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/review/login?next="+urlQueryEscape(c.Request.URL.RequestURI()))
			c.Abort()
			return
		}
		u.fail(c, http.StatusUnauthorized, "unauthenticated", "Log in first.")
		return
	}
	if !p.Role.AtLeast(r.min) {
		u.fail(c, http.StatusForbidden, "forbidden", fmt.Sprintf("This needs the %s role; you are a %s.", r.min, p.Role))
		return
	}
	c.Next()
}

// facetCache keeps the filter suggestions for a minute.
type facetCache struct {
	mu sync.Mutex
	at time.Time
	f  store.Facets
}

func (u *UI) getFacets(c *gin.Context) store.Facets {
	u.facets.mu.Lock()
	defer u.facets.mu.Unlock()
	if now := u.now(); now.Sub(u.facets.at) > time.Minute || u.facets.at.After(now) {
		f, err := u.st.GetFacets(c.Request.Context(), 200)
		if err != nil {
			u.log.Warn("reading filter suggestions", "err", err)
			return u.facets.f
		}
		u.facets.f, u.facets.at = f, now
	}
	return u.facets.f
}

func staticSub() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

func (u *UI) static() gin.HandlerFunc {
	fsrv := http.StripPrefix("/review/static/", http.FileServer(http.FS(staticSub())))
	return func(c *gin.Context) {
		name := strings.TrimPrefix(c.Param("file"), "/")
		if name == "" || strings.HasSuffix(name, "/") {
			u.fail(c, http.StatusNotFound, api.CodeNotFound, "No such file.")
			return
		}
		c.Header("Cache-Control", "public, max-age=300")
		fsrv.ServeHTTP(c.Writer, c.Request)
	}
}

// NewFromEnv builds the UI on st with the configuration the environment
// gives (LoadConfig(os.LookupEnv)): what `warden serve` and `warden review`
// mount.
func NewFromEnv(st *store.Store, log *slog.Logger) (*UI, error) {
	cfg, err := LoadConfig(os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("review UI configuration: %w", err)
	}
	return New(Options{Store: st, Config: cfg, Logger: log})
}
