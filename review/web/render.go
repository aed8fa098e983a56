package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/api"
)

// view is what every page template gets.
type view struct {
	Title string
	// Nav names the active tab.
	Nav string
	Me  *principal
	// CSRF is the token forms carry (the session's, or the login
	// cookie's on the login page).
	CSRF string
	// Flash is a fixed message chosen by a code in the URL (never text
	// from the URL itself); Problem an error message for this response.
	Flash   string
	Problem string
	Page    any
}

var pageNames = []string{"login", "queue", "incident", "dashboard", "audit", "error"}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parsing template %s: %w", name, err)
		}
		pages[name] = t
	}
	if _, err := fs.Stat(staticFS, "static/app.js"); err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return pages, nil
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (u *UI) render(c *gin.Context, status int, page string, v view) {
	if v.Me == nil {
		v.Me = me(c)
	}
	if v.CSRF == "" && v.Me != nil {
		v.CSRF = v.Me.CSRF
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	if err := u.pages[page].ExecuteTemplate(buf, "layout", v); err != nil {
		u.log.Error("rendering a review page", "page", page, "err", err)
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// wantsJSON: API clients get the API's error shape, browsers a page.
func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// fail answers with an error page (or the API error shape) and aborts.
func (u *UI) fail(c *gin.Context, status int, code, msg string) {
	if wantsJSON(c.Request) {
		api.Error(c, status, code, msg)
		return
	}
	u.render(c, status, "error", view{Title: http.StatusText(status), Page: map[string]any{"Status": status, "Code": code, "Message": msg}})
	c.Abort()
}

// internal logs err (never request text) and answers 500.
func (u *UI) internal(c *gin.Context, what string, err error) {
	u.log.Error("review UI: "+what, "route", c.FullPath(), "err", err)
	u.fail(c, http.StatusInternalServerError, api.CodeInternal, "Internal error; the details are in the server log.")
}

// flashes are the fixed messages a redirect may ask for (?done=code).
var flashes = map[string]string{
	"claimed":    "Claimed: the incident is yours until the lease runs out.",
	"released":   "Released: others can claim the incident again.",
	"verdict":    "Verdict recorded.",
	"logged_out": "You are logged out.",
	"expired":    "Your session ended. Log in again.",
	"empty":      "No open incident is waiting.",
}

func flash(c *gin.Context) string {
	done := c.Query("done")
	if done == "bulk" {
		ok, _ := strconv.Atoi(c.Query("ok"))
		failed, _ := strconv.Atoi(c.Query("failed"))
		return fmt.Sprintf("Bulk verdict: %d recorded, %d not (claimed by someone else, or no flagged category to confirm).", max(ok, 0), max(failed, 0))
	}
	return flashes[done]
}

var funcs = template.FuncMap{
	"incURL": func(id string) string { return "/review/incidents/" + url.PathEscape(id) },
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"ago":    ago,
	"score":  func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"pct":    func(f float64) string { return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) + "%" },
	"sevClass": func(f float64) string {
		switch {
		case f >= 0.9:
			return "sev-high"
		case f >= 0.7:
			return "sev-mid"
		}
		return "sev-low"
	},
	"add":  func(a, b int) int { return a + b },
	"join": strings.Join,
	// visible cuts untrusted text into runs for the "vis" template
	// (layout.html), which shows invisible and direction-changing
	// characters as their code points (U+202E), as the incident text does.
	"visible": visible,
}

// visible is text as runs, each hidden character (see hidden) a run of
// its own holding its code point.
func visible(s string) []run {
	r, _ := textRuns(s, nil, nil)
	return r
}

// ago is a short age: 45s, 12m, 3h, 5d.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
