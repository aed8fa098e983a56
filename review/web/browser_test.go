package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/store"
)

// browserDir holds the node scripts (package.json, package-lock.json;
// node_modules installed by setup.sh).
const browserDir = "testdata/browser"

// TestBrowser drives the real UI (real SQLite store, real login with
// argon2id, served over HTTP like `warden serve` mounts it) from headless
// Chromium with playwright-core: log in, filter, claim and decide, see the
// verdict in the audit log; a viewer cannot decide; XSS payloads render
// inert (no dialog, no outbound request); a cross-site form post is
// rejected. Screenshots go to test-artifacts/browser/.
//
// It fails when Chromium, node or the npm packages are missing (run
// review/web/testdata/browser/setup.sh); WARDEN_SKIP_BROWSER=1 skips it.
func TestBrowser(t *testing.T) {
	if os.Getenv("WARDEN_SKIP_BROWSER") == "1" {
		t.Skip("WARDEN_SKIP_BROWSER=1")
	}
	chromium := os.Getenv("WARDEN_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium not found at %s (install it: apt-get install -y chromium; or set WARDEN_CHROMIUM; WARDEN_SKIP_BROWSER=1 skips this test): %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (apt-get install -y nodejs npm; WARDEN_SKIP_BROWSER=1 skips this test): %v", err)
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed: run review/web/testdata/browser/setup.sh (npm ci) first (WARDEN_SKIP_BROWSER=1 skips this test): %v", err)
	}
	artifacts := os.Getenv("WARDEN_ARTIFACT_DIR")
	if artifacts == "" {
		artifacts = filepath.Join("..", "..", "test-artifacts", "browser")
	}
	artifacts, _ = filepath.Abs(artifacts)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t)
	ctx := context.Background()

	// The attacker's site: another site (localhost vs 127.0.0.1) serving
	// a page that auto-posts a verdict to the UI, and counting every other
	// request (beacons the payloads would fire).
	var mu sync.Mutex
	var beacons []string
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/csrf.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			target := r.URL.Query().Get("action")
			fmt.Fprintf(w, `<!doctype html><title>win a prize</title><form id="f" method="post" action="%s">
<input name="kind" value="overturn"><input name="note" value="csrf"></form><script>document.getElementById('f').submit()</script>`, html.EscapeString(target))
			return
		}
		mu.Lock()
		beacons = append(beacons, r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer attacker.Close()
	_, attackerPort, _ := net.SplitHostPort(attacker.Listener.Addr().String())
	attackerURL := "http://localhost:" + attackerPort

	// Incidents: a queue to filter, the one alice decides, bulk targets,
	// the CSRF target, and XSS payloads everywhere.
	var incs []*incident.Incident
	now := e.clock.Now()
	for i := range 40 {
		inc := incidentAt(i, now.Add(-time.Duration(40-i)*time.Minute))
		incs = append(incs, inc)
	}
	target, viewerTarget, csrfTarget := incs[39], incs[38], incs[37]
	target.Tenant, target.Action = "acme", "block"
	bulk := []*incident.Incident{incs[36], incs[35]}
	for _, b := range bulk {
		b.Tenant = "bulk-co"
	}
	var xss []*incident.Incident
	for i := range 3 {
		x := xssIncident(now.Add(-time.Duration(i+1)*time.Second), attackerURL)
		x.Text += ` <img src=x onerror="window.__xss=1"> <a href="javascript:window.__xss=2">click me</a>`
		xss = append(xss, x)
	}
	if _, err := e.st.UpsertIncidents(ctx, append(incs, xss...)); err != nil {
		t.Fatal(err)
	}
	// An XSS note in a verdict, shown in the history and the audit log.
	if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: xss[2].ID, Reviewer: "bob", Kind: "overturn",
		Note: `<img src=x onerror="window.__xss=3"> ![n](` + attackerURL + `/note.png)`}); err != nil {
		t.Fatal(err)
	}

	// Served the way `warden serve` mounts it: on a gin engine.
	engine := gin.New()
	e.ui.Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()

	ids := func(is []*incident.Incident) []string {
		var out []string
		for _, i := range is {
			out = append(out, i.ID)
		}
		return out
	}
	scenario, _ := json.Marshal(map[string]any{
		"target": target.ID, "targetPrompt": target.Prompt, "viewerTarget": viewerTarget.ID, "csrfTarget": csrfTarget.ID,
		"bulk": ids(bulk), "xss": ids(xss), "tenant": "acme",
	})
	runCtx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "run.mjs")
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "BASE_URL="+srv.URL, "ATTACKER_URL="+attackerURL, "ARTIFACT_DIR="+artifacts,
		"CHROMIUM="+chromium, "PASSWORD="+testPassword, "SCENARIO="+string(scenario))
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("browser scenarios failed (%v); screenshots in %s", err, artifacts)
	}

	// What the browser did, as the store saw it.
	got, _ := e.st.Get(ctx, target.ID)
	if got.Verdict == nil || got.Verdict.Reviewer != "alice" || got.Verdict.Kind != "relabel" {
		t.Errorf("target verdict: %+v", got.Verdict)
	}
	if c, _ := e.st.Get(ctx, csrfTarget.ID); c.State != store.StateOpen {
		t.Errorf("the cross-site post changed the incident: %s", c.State)
	}
	if v, _ := e.st.Get(ctx, viewerTarget.ID); v.State != store.StateOpen || v.Claim != nil {
		t.Errorf("the viewer changed the incident: %+v", v)
	}
	log := e.audit()
	for _, want := range []string{"alice login ", "alice claim " + target.ID, "alice reveal " + target.ID, "alice verdict " + target.ID,
		"alice verdict " + bulk[0].ID, "ada login ", "vera login ", "alice logout "} {
		if !contains(log, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
	if _, err := e.st.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(beacons) > 0 {
		t.Errorf("the attacker's server saw requests: %v", beacons)
	}
}
