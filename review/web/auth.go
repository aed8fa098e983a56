package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/review/store"
)

// principal is the logged-in reviewer of a request.
type principal struct {
	User string
	Role store.Role
	// CSRF is the session's synchronizer token.
	CSRF string
	// session is the hash of the session token.
	session string
	Method  string
}

const principalKey = "warden.principal"

func me(c *gin.Context) *principal {
	if v, ok := c.Get(principalKey); ok {
		return v.(*principal)
	}
	return nil
}

// Cookies. With CookieSecure the __Host- prefix makes the browser insist
// on Secure, Path=/ and no Domain.
func (u *UI) sessionCookie() string {
	if u.cfg.CookieSecure {
		return "__Host-warden_session"
	}
	return "warden_session"
}

func (u *UI) loginCookie() string {
	if u.cfg.CookieSecure {
		return "__Host-warden_login"
	}
	return "warden_login"
}

func (u *UI) cookiePath() string {
	if u.cfg.CookieSecure {
		return "/"
	}
	return Prefix
}

func (u *UI) setCookie(c *gin.Context, name, value string, maxAge int, same http.SameSite) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: u.cookiePath(), MaxAge: maxAge,
		HttpOnly: true, Secure: u.cfg.CookieSecure, SameSite: same})
}

func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func tokensEqual(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticate loads the session the cookie names (or, in proxy mode, the
// identity the trusted proxy asserts) into the request.
func (u *UI) authenticate(c *gin.Context) {
	if strings.HasPrefix(c.FullPath(), "/review/static/") {
		c.Next()
		return
	}
	p, presented := u.sessionFromCookie(c)
	if u.cfg.ProxyUserHeader != "" {
		p = u.proxyIdentity(c, p, presented)
		if c.IsAborted() {
			return
		}
	}
	if p != nil {
		c.Set(principalKey, p)
	}
	c.Next()
}

// sessionFromCookie returns the live session the cookie names, and the
// hash of the token presented (even if not live).
func (u *UI) sessionFromCookie(c *gin.Context) (*principal, string) {
	ck, err := c.Request.Cookie(u.sessionCookie())
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return nil, ""
	}
	h := hashToken(ck.Value)
	ctx := c.Request.Context()
	s, err := u.st.GetSession(ctx, h)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			u.log.Error("reading a session", "err", err)
		}
		return nil, h
	}
	now := u.now()
	reason := ""
	switch {
	case !now.Before(s.Expires):
		reason = "expired"
	case now.Sub(s.Seen) >= u.cfg.SessionIdle:
		reason = "idle"
	case s.Disabled || s.Role.Rank() == 0:
		reason = "disabled"
	}
	if reason != "" {
		if _, err := u.st.EndSession(ctx, h, s.Username, reason); err != nil {
			u.log.Error("ending a session", "err", err)
		}
		return nil, h
	}
	if now.Sub(s.Seen) >= min(time.Minute, u.cfg.SessionIdle/4) {
		if err := u.st.TouchSession(ctx, h, now); err != nil {
			u.log.Warn("touching a session", "err", err)
		}
	}
	return &principal{User: s.Username, Role: s.Role, CSRF: s.CSRF, session: h, Method: s.Method}, h
}

// fromTrustedProxy reports whether the peer is one of the trusted proxies.
func (u *UI) fromTrustedProxy(r *http.Request) bool {
	a, ok := peerAddr(r)
	return ok && u.trusted(a)
}

func (u *UI) trusted(a netip.Addr) bool {
	for _, p := range u.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// clientIP is the peer address, or behind a trusted proxy the nearest
// untrusted address in X-Forwarded-For.
func (u *UI) clientIP(r *http.Request) string {
	a, ok := peerAddr(r)
	if !ok {
		return "unknown"
	}
	if u.trusted(a) {
		xff := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(xff) - 1; i >= 0; i-- {
			x, err := netip.ParseAddr(strings.TrimSpace(xff[i]))
			if err != nil {
				break
			}
			if x = x.Unmap(); !u.trusted(x) {
				return x.String()
			}
		}
	}
	return a.String()
}

// proxyIdentity applies the trusted proxy's identity header: the session
// must be that user's, else (on a safe request) a new session is made for
// them. The header is ignored from any other peer.
func (u *UI) proxyIdentity(c *gin.Context, p *principal, presented string) *principal {
	name := c.GetHeader(u.cfg.ProxyUserHeader)
	if name == "" || !u.fromTrustedProxy(c.Request) {
		return p
	}
	user, err := store.NormalizeUsername(name)
	if err != nil {
		u.fail(c, http.StatusForbidden, "unknown_user", "The proxy's user name is not a valid Warden user name.")
		return nil
	}
	if p != nil && p.User == user {
		return p
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		return nil // no session for this user: the CSRF check cannot pass
	}
	acct, err := u.st.GetUser(c.Request.Context(), user)
	if err != nil || acct.Disabled {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			u.log.Error("reading a user", "err", err)
		}
		u.fail(c, http.StatusForbidden, "unknown_user", "Your account is not known to Warden or is disabled; ask an admin to add it (warden users add).")
		return nil
	}
	np, err := u.startSession(c, acct, "proxy", presented)
	if err != nil {
		u.log.Error("starting a proxy session", "err", err)
		u.fail(c, http.StatusInternalServerError, "internal_error", "Could not start a session.")
		return nil
	}
	return np
}

// startSession makes a new session (a new id always), replacing the one
// the client presented, audits the login and sets the cookie.
func (u *UI) startSession(c *gin.Context, acct store.User, method, presented string) (*principal, error) {
	tok, csrf := newToken(), newToken()
	now := u.now().UTC().Truncate(time.Microsecond)
	s := store.Session{IDHash: hashToken(tok), Username: acct.Username, CSRF: csrf, Method: method,
		Created: now, Seen: now, Expires: now.Add(u.cfg.SessionMax)}
	if err := u.st.Login(c.Request.Context(), s, presented, map[string]any{"client": u.clientIP(c.Request)}); err != nil {
		return nil, err
	}
	u.setCookie(c, u.sessionCookie(), tok, 0, http.SameSiteLaxMode)
	return &principal{User: acct.Username, Role: acct.Role, CSRF: csrf, session: s.IDHash, Method: method}, nil
}

// maxFormBytes bounds a POST body of the UI (its forms are small).
const maxFormBytes = 1 << 20

// csrf checks the synchronizer token of every state-changing request: the
// session's token, or for the login form the login cookie's.
func (u *UI) csrf(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	if c.FullPath() == "" {
		c.Next()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBytes)
	// Parse here (gin's PostForm would ignore the error): a body over the
	// bound is 413 body_too_large, not a missing CSRF token.
	// (ParseMultipartForm alone reports ErrNotMultipart for a URL-encoded
	// body, whatever ParseForm met.)
	for _, parse := range []func() error{c.Request.ParseForm, func() error { return c.Request.ParseMultipartForm(maxFormBytes) }} {
		if mbe := (*http.MaxBytesError)(nil); errors.As(parse(), &mbe) {
			u.fail(c, http.StatusRequestEntityTooLarge, api.CodeBodyTooLarge, "The form is larger than 1 MiB.")
			return
		}
	}
	sent := c.PostForm("csrf")
	var want string
	if c.FullPath() == "/review/login" {
		if ck, err := c.Request.Cookie(u.loginCookie()); err == nil {
			want = ck.Value
		}
	} else if p := me(c); p != nil {
		want = p.CSRF
	}
	if !tokensEqual(sent, want) {
		u.fail(c, http.StatusForbidden, "csrf_token", "The form has expired or did not come from this site. Reload the page and try again.")
		return
	}
	c.Next()
}

func (u *UI) loginPage(c *gin.Context) {
	next := safeNext(c.Query("next"))
	if me(c) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	u.renderLogin(c, http.StatusOK, next, "")
}

func (u *UI) renderLogin(c *gin.Context, status int, next, problem string) {
	tok := ""
	if ck, err := c.Request.Cookie(u.loginCookie()); err == nil && len(ck.Value) == 43 {
		tok = ck.Value
	} else {
		tok = newToken()
		u.setCookie(c, u.loginCookie(), tok, 3600, http.SameSiteStrictMode)
	}
	u.render(c, status, "login", view{Title: "Log in", CSRF: tok, Problem: problem, Flash: flash(c),
		Page: map[string]any{"Next": next, "Proxy": u.cfg.ProxyUserHeader != ""}})
}

// Login throttling keys: hashed, so that neither what was typed as a user
// name nor the client address is stored.
func throttleKey(kind, v string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + v))
	return kind + ":" + hex.EncodeToString(sum[:12])
}

func (u *UI) login(c *gin.Context) {
	ctx := c.Request.Context()
	name := strings.ToLower(strings.TrimSpace(c.PostForm("username")))
	pw := c.PostForm("password")
	next := safeNext(c.PostForm("next"))
	if len(name) > 256 {
		name = name[:256]
	}
	ip := u.clientIP(c.Request)
	userKey, ipKey := throttleKey("user", name), throttleKey("ip", ip)
	if until, err := u.st.LoginLockedUntil(ctx, userKey, ipKey); err != nil {
		u.internal(c, "reading login throttling", err)
		return
	} else if !until.IsZero() {
		u.renderLogin(c, http.StatusTooManyRequests, next, "Too many failed logins. Try again later.")
		return
	}
	// Bound concurrent argon2 runs (memory); wait with the request.
	select {
	case u.hashing <- struct{}{}:
	case <-ctx.Done():
		return
	}
	acct, err := u.st.GetUser(ctx, name)
	ok, reason := false, ""
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		<-u.hashing
		u.internal(c, "reading a user", err)
		return
	case err != nil:
		_, _ = VerifyPassword(dummyHash(), pw)
		reason = "unknown_user"
	case acct.Disabled || acct.PasswordHash == "":
		_, _ = VerifyPassword(dummyHash(), pw)
		reason = "disabled"
	default:
		ok, err = VerifyPassword(acct.PasswordHash, pw)
		if err != nil {
			u.log.Error("stored password hash unreadable", "user", acct.Username, "err", err)
		}
		if !ok {
			reason = "bad_password"
		}
	}
	<-u.hashing
	if !ok {
		rule := store.ThrottleRule{Max: u.cfg.LoginMaxFailures, Window: u.cfg.throttleWindow(), Lockout: u.cfg.LoginLockout}
		locked, err := u.st.LoginFailed(ctx, userKey, rule)
		if err != nil {
			u.internal(c, "recording a failed login", err)
			return
		}
		rule.Max *= 4
		ipLocked, err := u.st.LoginFailed(ctx, ipKey, rule)
		if err != nil {
			u.internal(c, "recording a failed login", err)
			return
		}
		// The actor is the account only when it exists: what was typed
		// could be a password.
		actor := "-"
		if reason != "unknown_user" {
			actor = acct.Username
		}
		if err := u.st.Audit(ctx, actor, "login_failed", "", map[string]any{"reason": reason, "client": ip, "locked": locked || ipLocked}); err != nil {
			u.internal(c, "auditing a failed login", err)
			return
		}
		u.renderLogin(c, http.StatusUnauthorized, next, "Wrong user name or password.")
		return
	}
	if err := u.st.LoginSucceeded(ctx, userKey); err != nil {
		u.log.Warn("clearing login throttling", "err", err)
	}
	_, presented := u.sessionFromCookie(c)
	if _, err := u.startSession(c, acct, "password", presented); err != nil {
		u.internal(c, "starting a session", err)
		return
	}
	u.setCookie(c, u.loginCookie(), "", -1, http.SameSiteStrictMode)
	c.Redirect(http.StatusSeeOther, next)
}

func (u *UI) logout(c *gin.Context) {
	p := me(c)
	if _, err := u.st.EndSession(c.Request.Context(), p.session, p.User, "logout"); err != nil {
		u.internal(c, "ending a session", err)
		return
	}
	u.setCookie(c, u.sessionCookie(), "", -1, http.SameSiteLaxMode)
	c.Redirect(http.StatusSeeOther, "/review/login?done=logged_out")
}

// safeNext keeps a post-login redirect inside the UI (no open redirect).
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, Prefix) || strings.ContainsAny(next, "\\\r\n\t") ||
		strings.HasPrefix(next, "/review//") {
		return Prefix
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || !strings.HasPrefix(p.Path, Prefix) ||
		strings.Contains(p.Path, "/../") || strings.HasPrefix(p.Path, "/review/login") {
		return Prefix
	}
	return p.RequestURI()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
