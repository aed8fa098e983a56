package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/web"
)

func usersEnv(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("WARDEN_DATA_DIR", dir)
	t.Setenv("WARDEN_LOG_LEVEL", "error")
	t.Setenv("KAFKA_BROKERS", "")
	t.Setenv("DATABASE_URL", "")
	t.Setenv("WARDEN_REVIEW_KEY", "")
	return dir
}

func runWithStdin(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

func TestUsersCommand(t *testing.T) {
	dir := usersEnv(t)
	ctx := context.Background()
	const pw = "a long enough passphrase"
	if out, err := runWithStdin(t, pw+"\n", "users", "add", "--username", "Alice", "--role", "reviewer", "-actor", "root"); err != nil || !strings.Contains(out, "user alice added (reviewer)") {
		t.Fatalf("add: %v %s", err, out)
	}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{pw, []string{"users", "add", "--username", "alice", "--role", "admin"}},      // exists
		{"short\n", []string{"users", "add", "--username", "bob", "--role", "admin"}}, // weak password
		{"", []string{"users", "add", "--username", "bob", "--role", "admin"}},        // no password
		{pw, []string{"users", "add", "--username", "bob", "--role", "root"}},         // bad role
		{pw, []string{"users", "add", "--role", "admin"}},                             // no user
		{pw, []string{"users", "add", "--username", "<b>", "--role", "admin"}},        // bad name
		{pw, []string{"users", "frobnicate"}},
		{pw, []string{"users", "role", "--username", "nobody", "--role", "admin"}},
	} {
		if out, err := runWithStdin(t, c.stdin, c.args...); err == nil {
			t.Errorf("%v accepted: %s", c.args, out)
		}
	}
	if _, err := runWithStdin(t, pw, "users", "add", "--username", "pat", "--role", "viewer", "--proxy-only"); err != nil {
		t.Fatal(err)
	}
	if _, err := runWithStdin(t, "another long passphrase\r\n", "users", "passwd", "--username", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := runWithStdin(t, "", "users", "role", "--username", "alice", "--role", "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := runWithStdin(t, "", "users", "disable", "--username", "pat"); err != nil {
		t.Fatal(err)
	}
	out, err := runWithStdin(t, "", "users", "list")
	if err != nil || !regexpMatch(`alice\s+admin\s+active\s+password`, out) || !regexpMatch(`pat\s+viewer\s+disabled\s+proxy only`, out) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	// The store the server uses (same WARDEN_DATA_DIR) has the account,
	// with an argon2id hash of the new password, and the audit log the
	// changes.
	rcfg, _ := review.FromEnv(dir)
	st, err := review.OpenStore(ctx, rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUser(ctx, "alice")
	if err != nil || u.Role != store.RoleAdmin || !strings.HasPrefix(u.PasswordHash, "$argon2id$") || strings.Contains(u.PasswordHash, "passphrase") {
		t.Fatalf("user %+v %v", u, err)
	}
	if ok, _ := web.VerifyPassword(u.PasswordHash, "another long passphrase"); !ok {
		t.Fatal("passwd did not set the password (or kept the CR)")
	}
	es, _ := st.AuditLog(ctx, 0, 100)
	var acts []string
	for _, e := range es {
		acts = append(acts, e.Actor+":"+e.Action+":"+e.Target)
	}
	if got := strings.Join(acts, " "); !strings.Contains(got, "root:user_add:alice") || !strings.Contains(got, ":user_update:alice") {
		t.Fatalf("audit: %s", got)
	}
	var ue usageError
	if _, err := runWithStdin(t, "", "users"); !errors.As(err, &ue) {
		t.Fatalf("bare users: %v", err)
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// TestReviewServesUI: `warden review` mounts the reviewer UI on
// WARDEN_REVIEW_ADDR next to the probes.
func TestReviewServesUI(t *testing.T) {
	usersEnv(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("KAFKA_BROKERS", c.ListenAddrs()[0])
	t.Setenv("WARDEN_REVIEW_ADDR", addr)
	t.Setenv("WARDEN_KAFKA_PARTITIONS", "1")
	t.Setenv("WARDEN_KAFKA_SESSION_TIMEOUT", "6s")
	t.Setenv("WARDEN_REVIEW_COOKIE_SECURE", "false")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out, errb bytes.Buffer
		done <- run(ctx, []string{"review"}, &out, &errb)
	}()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Second}
	var resp *http.Response
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err = client.Get("http://" + addr + "/review/"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("UI not served: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/review/login") {
		t.Fatalf("GET /review/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.Get("http://" + addr + "/review/login")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("login page: %v %v", err, resp)
	}
	resp.Body.Close()
	if resp, err := client.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("warden review did not stop")
	}
}
