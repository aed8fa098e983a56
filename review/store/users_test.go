package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wardenhq/warden/review/incident"
	"github.com/wardenhq/warden/review/verdict"
)

func TestRoles(t *testing.T) {
	for _, c := range []struct {
		r, min Role
		ok     bool
	}{
		{RoleViewer, RoleViewer, true}, {RoleViewer, RoleReviewer, false}, {RoleReviewer, RoleViewer, true},
		{RoleReviewer, RoleAdmin, false}, {RoleAdmin, RoleReviewer, true}, {"root", RoleViewer, false}, {"", RoleViewer, false},
	} {
		if got := c.r.AtLeast(c.min); got != c.ok {
			t.Errorf("%q.AtLeast(%q) = %v", c.r, c.min, got)
		}
	}
	if _, err := ParseRole("superuser"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
	for in, want := range map[string]string{"Alice": "alice", " bob@example.com ": "bob@example.com", "a.b-c_d+e": "a.b-c_d+e"} {
		if got, err := NormalizeUsername(in); err != nil || got != want {
			t.Errorf("NormalizeUsername(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "<script>", "ä", string(make([]byte, 65))} {
		if _, err := NormalizeUsername(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NormalizeUsername(%q) accepted", bad)
		}
	}
}

func TestUsersAndSessions(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, err := e.s.CreateUser(ctx, User{Username: "Alice", Role: RoleReviewer, PasswordHash: "$argon2id$x"}, "cli")
		if err != nil || u.Username != "alice" {
			t.Fatalf("create: %+v %v", u, err)
		}
		if _, err := e.s.CreateUser(ctx, User{Username: "alice", Role: RoleAdmin}, "cli"); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := e.s.CreateUser(ctx, User{Username: "bob", Role: "root"}, "cli"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad role: %v", err)
		}
		got, err := e.s.GetUser(ctx, "ALICE")
		if err != nil || got.Role != RoleReviewer || got.PasswordHash != "$argon2id$x" || got.Disabled {
			t.Fatalf("get: %+v %v", got, err)
		}
		if _, err := e.s.GetUser(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}

		now := e.clock.Now()
		sess := Session{IDHash: "h1", Username: "alice", CSRF: "tok", Method: "password", Created: now, Seen: now, Expires: now.Add(time.Hour)}
		if err := e.s.Login(ctx, sess, "", nil); err != nil {
			t.Fatal(err)
		}
		gs, err := e.s.GetSession(ctx, "h1")
		if err != nil || gs.Username != "alice" || gs.Role != RoleReviewer || gs.CSRF != "tok" || !gs.Expires.Equal(now.Add(time.Hour)) {
			t.Fatalf("session: %+v %v", gs, err)
		}
		// A new login replaces the session the client presented.
		sess2 := sess
		sess2.IDHash = "h2"
		if err := e.s.Login(ctx, sess2, "h1", map[string]any{"ip": "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetSession(ctx, "h1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("replaced session still there: %v", err)
		}
		e.clock.Add(time.Minute)
		if err := e.s.TouchSession(ctx, "h2", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if gs, _ := e.s.GetSession(ctx, "h2"); !gs.Seen.Equal(e.clock.Now()) {
			t.Fatalf("touch: %v", gs.Seen)
		}
		// A role change ends the user's sessions.
		admin := RoleAdmin
		if err := e.s.UpdateUser(ctx, "alice", UserUpdate{Role: &admin}, "root"); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.s.CountSessions(ctx, "alice"); n != 0 {
			t.Fatalf("%d sessions after a role change", n)
		}
		if err := e.s.UpdateUser(ctx, "nobody", UserUpdate{Role: &admin}, "root"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		sess3 := sess
		sess3.IDHash = "h3"
		e.s.Login(ctx, sess3, "", nil)
		if ok, err := e.s.EndSession(ctx, "h3", "alice", "logout"); !ok || err != nil {
			t.Fatalf("logout: %v %v", ok, err)
		}
		if ok, _ := e.s.EndSession(ctx, "h3", "alice", "logout"); ok {
			t.Fatal("second logout ended something")
		}
		// Expired sessions are purged at the next login.
		sess4 := sess
		sess4.IDHash, sess4.Expires = "h4", e.clock.Now().Add(time.Second)
		e.s.Login(ctx, sess4, "", nil)
		e.clock.Add(2 * time.Second)
		sess5 := sess
		sess5.IDHash, sess5.Expires = "h5", e.clock.Now().Add(time.Hour)
		e.s.Login(ctx, sess5, "", nil)
		if _, err := e.s.GetSession(ctx, "h4"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired session kept: %v", err)
		}
		users, err := e.s.Users(ctx)
		if err != nil || len(users) != 1 || users[0].Role != RoleAdmin {
			t.Fatalf("users: %+v %v", users, err)
		}
		log, _ := e.s.AuditRecent(ctx, 0, 100)
		var actions []string
		for _, en := range log {
			actions = append(actions, en.Action)
		}
		slices.Reverse(actions)
		want := []string{"user_add", "login", "login", "user_update", "login", "logout", "login", "login"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit actions %v, want %v", actions, want)
		}
		if n, err := e.s.VerifyAudit(ctx); err != nil || n != int64(len(want)) {
			t.Fatalf("audit: %d %v", n, err)
		}
		if older, _ := e.s.AuditRecent(ctx, log[1].Seq, 100); len(older) != len(want)-2 || older[0].Seq != log[2].Seq {
			t.Fatalf("audit paging: %+v", older)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rule := ThrottleRule{Max: 3, Window: 10 * time.Minute, Lockout: 15 * time.Minute}
		for i := range 2 {
			if locked, err := e.s.LoginFailed(ctx, "u:alice", rule); err != nil || locked {
				t.Fatalf("failure %d: locked=%v %v", i, locked, err)
			}
		}
		if until, _ := e.s.LoginLockedUntil(ctx, "u:alice", "ip:x"); !until.IsZero() {
			t.Fatalf("locked after 2 failures: %v", until)
		}
		// Failures outside the window start over.
		e.clock.Add(11 * time.Minute)
		for range 2 {
			e.s.LoginFailed(ctx, "u:alice", rule)
		}
		if until, _ := e.s.LoginLockedUntil(ctx, "u:alice"); !until.IsZero() {
			t.Fatal("failures outside the window counted")
		}
		if locked, _ := e.s.LoginFailed(ctx, "u:alice", rule); !locked {
			t.Fatal("3rd failure in the window did not lock")
		}
		until, err := e.s.LoginLockedUntil(ctx, "ip:x", "u:alice")
		if err != nil || !until.Equal(e.clock.Now().Add(15*time.Minute)) {
			t.Fatalf("locked until %v %v", until, err)
		}
		// A success during the lock does not clear it; after, it does.
		e.s.LoginSucceeded(ctx, "u:alice")
		if until, _ := e.s.LoginLockedUntil(ctx, "u:alice"); until.IsZero() {
			t.Fatal("lock cleared during the lockout")
		}
		e.clock.Add(16 * time.Minute)
		if until, _ := e.s.LoginLockedUntil(ctx, "u:alice"); !until.IsZero() {
			t.Fatal("lock outlived the lockout")
		}
		e.s.LoginFailed(ctx, "u:alice", rule)
		e.s.LoginSucceeded(ctx, "u:alice")
		e.s.LoginFailed(ctx, "u:alice", rule)
		if locked, _ := e.s.LoginFailed(ctx, "u:alice", rule); locked {
			t.Fatal("a success did not reset the count")
		}
	})
}

func TestDashboardQueries(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		start := e.clock.Now().Truncate(24 * time.Hour)
		var incs []*incident.Incident
		for i := range 40 {
			// 10 per day over 4 days.
			inc := newIncident(i, start)
			inc.Time = start.Add(time.Duration(i/10)*24*time.Hour + time.Duration(i)*time.Minute)
			if i%4 == 0 {
				inc.Scores = map[string]float64{"hate": 0.9}
			}
			incs = append(incs, inc)
		}
		if _, err := e.s.UpsertIncidents(ctx, incs); err != nil {
			t.Fatal(err)
		}
		sp := Span{Since: start, Until: start.Add(5 * 24 * time.Hour), Step: 24 * time.Hour}
		byCat, byAction, err := e.s.IncidentsOverTime(ctx, sp)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(byCat.Keys, []string{"prompt_injection", "hate"}) || !slices.Equal(byCat.Counts["hate"], []int{3, 2, 3, 2, 0}) ||
			!slices.Equal(byCat.Counts["prompt_injection"], []int{7, 8, 7, 8, 0}) {
			t.Fatalf("by category: %+v", byCat)
		}
		if len(byAction.Keys) != 2 || sum(byAction) != 40 {
			t.Fatalf("by action: %+v", byAction)
		}
		sp.Tenant = "acme"
		if _, acme, _ := e.s.IncidentsOverTime(ctx, sp); sum(acme) != 20 {
			t.Fatalf("tenant filter: %+v", acme)
		}
		sp.Tenant = ""
		if _, _, err := e.s.IncidentsOverTime(ctx, Span{Since: start, Until: start, Step: time.Hour}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("empty span: %v", err)
		}

		// Verdicts: alice confirms 3, bob overturns 2 hate incidents.
		e.clock.Add(start.Add(4*24*time.Hour + time.Hour).Sub(e.clock.Now()))
		for _, id := range []int{1, 2, 3} {
			if _, err := e.s.RecordVerdict(ctx, VerdictInput{IncidentID: incs[id].ID, Reviewer: "alice", Kind: verdict.Confirm}); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []int{0, 4} {
			if _, err := e.s.RecordVerdict(ctx, VerdictInput{IncidentID: incs[id].ID, Reviewer: "bob", Kind: verdict.Overturn}); err != nil {
				t.Fatal(err)
			}
		}
		e.s.RecordVerdict(ctx, VerdictInput{IncidentID: incs[8].ID, Reviewer: "bob", Kind: verdict.Relabel, Categories: []string{"violence"}})
		tp, err := e.s.Throughput(ctx, sp)
		if err != nil || !slices.Equal(tp.Counts["alice"], []int{0, 0, 0, 0, 3}) || !slices.Equal(tp.Counts["bob"], []int{0, 0, 0, 0, 3}) {
			t.Fatalf("throughput: %+v %v", tp, err)
		}
		rates, err := e.s.OverturnRates(ctx, sp)
		if err != nil || len(rates) != 2 || rates[0].Category != "hate" || rates[0].Verdicts != 3 || rates[0].Overturned != 2 || rates[0].Relabeled != 1 ||
			rates[1].Category != "prompt_injection" || rates[1].Rate() != 0 {
			t.Fatalf("rates: %+v %v", rates, err)
		}

		ages, oldest, err := e.s.QueueAge(ctx, []time.Duration{time.Hour, 24 * time.Hour, 48 * time.Hour}, "")
		if err != nil || !oldest.Equal(incs[5].Time.UTC()) {
			t.Fatalf("queue age: %v %v (oldest %v)", ages, err, oldest)
		}
		// Now is day 4 + 1h: day-3 incidents are 24-48h old, the rest older
		// (40 - 10 - 6 resolved on day 0).
		got := []int{ages[0].N, ages[1].N, ages[2].N, ages[3].N}
		if !slices.Equal(got, []int{0, 0, 10, 24}) {
			t.Fatalf("queue age buckets %v", got)
		}

		// Counts by state, with and without filters.
		e.s.Claim(ctx, incs[20].ID, "carol", time.Hour)
		c, err := e.s.CountStates(ctx, Query{})
		if err != nil || c.Open != 33 || c.Claimed != 1 || c.Resolved != 6 || c.Total() != 40 {
			t.Fatalf("counts: %+v %v", c, err)
		}
		c, _ = e.s.CountStates(ctx, Query{Tenant: "acme", State: StateResolved})
		if n, _ := e.s.Count(ctx, Query{Tenant: "acme"}); c.Total() != n {
			t.Fatalf("tenant counts %+v vs %d", c, n)
		}
		for _, st := range []State{StateOpen, StateClaimed, StateResolved} {
			if n, _ := e.s.Count(ctx, Query{Tenant: "acme", State: st}); n != c.Of(st) {
				t.Fatalf("%s: CountStates %d, Count %d", st, c.Of(st), n)
			}
		}
		// The trigger-kept counts (SQLite) agree with a scan (a time
		// filter forces one), and the claimed listing starts from claims.
		for _, q := range []Query{{}, {Tenant: "globex"}, {Category: "hate", Action: "block"}} {
			fast, _ := e.s.CountStates(ctx, q)
			q.Since = start.Add(-time.Hour)
			slow, _ := e.s.CountStates(ctx, q)
			if fast != slow {
				t.Fatalf("%+v: counts %+v, scan %+v", q, fast, slow)
			}
		}
		if p, err := e.s.List(ctx, Query{State: StateClaimed, Tenant: incs[20].Tenant}); err != nil || len(p.Incidents) != 1 || p.Incidents[0].ID != incs[20].ID || p.Incidents[0].Claim.Reviewer != "carol" {
			t.Fatalf("claimed listing: %+v %v", p, err)
		}
		if p, _ := e.s.List(ctx, Query{State: StateClaimed, Tenant: "nobody"}); len(p.Incidents) != 0 {
			t.Fatal("claimed listing ignores filters")
		}
		f, err := e.s.GetFacets(ctx, 10)
		if err != nil || !slices.Equal(f.Tenants, []string{"acme", "globex"}) || !slices.Equal(f.Categories, []string{"hate", "prompt_injection"}) {
			t.Fatalf("facets %+v %v", f, err)
		}
	})
}

func sum(s Series) int {
	t := 0
	for _, cs := range s.Counts {
		for _, c := range cs {
			t += c
		}
	}
	return t
}

// TestDisabledUserReleasesClaims: an account that can no longer review
// (disabled, or made a viewer) gives its claims back at once, so other
// reviewers are not held off until the leases run out; a role change
// that keeps reviewing keeps them.
func TestDisabledUserReleasesClaims(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, n := range []string{"alice", "bob"} {
			if _, err := e.s.CreateUser(ctx, User{Username: n, Role: RoleReviewer, PasswordHash: "$argon2id$x"}, "cli"); err != nil {
				t.Fatal(err)
			}
		}
		a, b := newIncident(1, e.clock.Now()), newIncident(2, e.clock.Now())
		if _, err := e.s.UpsertIncidents(ctx, []*incident.Incident{a, b}); err != nil {
			t.Fatal(err)
		}
		claim := func(id, who string) error { _, err := e.s.Claim(ctx, id, who, time.Hour); return err }
		if err := claim(a.ID, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := claim(b.ID, "bob"); err != nil {
			t.Fatal(err)
		}
		admin, viewer, yes := RoleAdmin, RoleViewer, true
		if err := e.s.UpdateUser(ctx, "alice", UserUpdate{Role: &admin}, "root"); err != nil {
			t.Fatal(err)
		}
		if err := claim(a.ID, "carol"); !errors.Is(err, ErrClaimed) {
			t.Fatalf("alice made admin: her claim went (%v)", err)
		}
		if err := e.s.UpdateUser(ctx, "alice", UserUpdate{Disabled: &yes}, "root"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.UpdateUser(ctx, "bob", UserUpdate{Role: &viewer}, "root"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{a.ID, b.ID} {
			if err := claim(id, "carol"); err != nil {
				t.Fatalf("claim after its holder lost review rights: %v", err)
			}
		}
	})
}
