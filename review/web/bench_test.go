package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/store"
)

// seedBulk stores n varied incidents over the last 30 days in large
// transactions (UpsertIncidents batches its inserts), then claims and
// resolves a few.
func seedBulk(tb testing.TB, e *env, n int) {
	tb.Helper()
	ctx := context.Background()
	cats := []string{"prompt_injection", "jailbreak", "hate", "harassment", "violence", "sexual", "self_harm", "illicit"}
	now := e.clock.Now()
	const batch = 5000
	var ids []string
	for start := 0; start < n; start += batch {
		incs := make([]*incident.Incident, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			inc := incidentAt(i, now.Add(-time.Duration(n-i)*26*time.Second))
			cat := cats[i%len(cats)]
			inc.Tenant = fmt.Sprintf("tenant-%02d", i%20)
			inc.Scores = map[string]float64{cat: 0.5 + float64((i*7919)%500)/1000, "jailbreak": 0.2}
			inc.RuleIDs = []string{cat + ".escalate"}
			inc.Findings = []types.Finding{{Type: "EMAIL", Start: 8, End: 15, Score: 1}}
			incs = append(incs, inc)
		}
		if _, err := e.st.UpsertIncidents(ctx, incs); err != nil {
			tb.Fatal(err)
		}
		for _, inc := range incs[:5] {
			ids = append(ids, inc.ID)
		}
	}
	for i, id := range ids {
		if i%2 == 0 {
			e.st.Claim(ctx, id, "bob", time.Hour)
		} else if _, err := e.st.RecordVerdict(ctx, store.VerdictInput{IncidentID: id, Reviewer: "bob", Kind: "overturn"}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkQueuePage renders the queue page (server time: routing,
// session, listing, counts, template) with 100,000 incidents in a SQLite
// store. Target: ≤ 200 ms per page.
func BenchmarkQueuePage(b *testing.B) {
	e := newEnv(b)
	start := time.Now()
	seedBulk(b, e, 100_000)
	b.Logf("seeded 100,000 incidents in %v", time.Since(start).Round(time.Millisecond))
	// A cursor deep in the listing.
	q := store.Query{State: store.StateOpen, Sort: store.SortOldest, Limit: 500}
	for range 100 {
		p, err := e.st.List(context.Background(), q)
		if err != nil {
			b.Fatal(err)
		}
		q.After = p.Next
	}
	a := e.session("alice")
	one, _ := e.st.List(context.Background(), store.Query{Limit: 1})
	for _, c := range []struct{ name, query string }{
		{"default", ""},
		{"oldest", "?sort=oldest"},
		{"newest-all", "?state=all&sort=newest&limit=100"},
		{"filtered", "?tenant=tenant-03&category=violence&action=block&stage=response&age=gt24h"},
		{"no-match", "?tenant=nobody&sort=severity"},
		{"resolved", "?state=resolved"},
		{"claimed", "?state=claimed"},
		{"deep-page", "?sort=oldest&after=" + q.After},
		// Not the queue, measured alongside (no bound enforced for the
		// dashboard: it aggregates every incident of the period).
		{"dashboard-30d", "dashboard?days=30"},
		{"incident-page", "incidents/" + one.Incidents[0].ID},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "http://"+testHost+"/review/"+c.query, nil)
			req.AddCookie(a.cookie)
			a.get("/review/" + c.query) // warm the facet cache
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.ui.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d", rec.Code)
				}
			}
			if per := b.Elapsed() / time.Duration(b.N); per > 200*time.Millisecond && !strings.HasPrefix(c.query, "dashboard") {
				b.Errorf("page %s takes %v, want ≤ 200ms", c.name, per)
			}
		})
	}
}
