package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is the UI's configuration. Start from DefaultConfig; LoadConfig
// applies the environment.
type Config struct {
	// CookieSecure marks the session cookie Secure and names it with the
	// __Host- prefix (WARDEN_REVIEW_COOKIE_SECURE, default true). Set it
	// to false only for plain-HTTP local use.
	CookieSecure bool
	// SessionIdle ends a session after this long without a request
	// (WARDEN_REVIEW_SESSION_IDLE, default 30m).
	SessionIdle time.Duration
	// SessionMax ends a session this long after login, whatever the
	// activity (WARDEN_REVIEW_SESSION_MAX, default 12h).
	SessionMax time.Duration
	// ClaimLease is how long a claim holds an incident for its reviewer
	// (WARDEN_REVIEW_CLAIM_LEASE, default 15m).
	ClaimLease time.Duration
	// LoginMaxFailures failed logins for one account within
	// LoginWindow lock it for LoginLockout; a client address gets four
	// times as many (WARDEN_REVIEW_LOGIN_MAX_FAILURES, default 5;
	// WARDEN_REVIEW_LOGIN_LOCKOUT, default 15m; the window equals the
	// lockout).
	LoginMaxFailures int
	LoginLockout     time.Duration
	// ProxyUserHeader, when set, names the header an authenticating proxy
	// puts the user name in (WARDEN_REVIEW_PROXY_USER_HEADER, default
	// off). It is trusted only on requests from TrustedProxies; the user
	// must exist (its role comes from the store).
	ProxyUserHeader string
	// TrustedProxies are the addresses of that proxy
	// (WARDEN_REVIEW_TRUSTED_PROXIES, comma-separated CIDRs or addresses).
	// Their X-Forwarded-For also names the client for login throttling.
	TrustedProxies []netip.Prefix
	// Origins are extra origins a state-changing request may come from,
	// for a proxy that rewrites Host (WARDEN_REVIEW_ORIGINS, comma
	// separated, e.g. https://review.example.com).
	Origins []string
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		CookieSecure:     true,
		SessionIdle:      30 * time.Minute,
		SessionMax:       12 * time.Hour,
		ClaimLease:       15 * time.Minute,
		LoginMaxFailures: 5,
		LoginLockout:     15 * time.Minute,
	}
}

// LoadConfig returns DefaultConfig overridden by the variables lookup
// finds (os.LookupEnv), validated.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	c := DefaultConfig()
	var errs []error
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	dur := func(name string, dst *time.Duration) {
		if v, ok := get(name); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	if v, ok := get("WARDEN_REVIEW_COOKIE_SECURE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_REVIEW_COOKIE_SECURE: %w", err))
		}
		c.CookieSecure = b
	}
	dur("WARDEN_REVIEW_SESSION_IDLE", &c.SessionIdle)
	dur("WARDEN_REVIEW_SESSION_MAX", &c.SessionMax)
	dur("WARDEN_REVIEW_CLAIM_LEASE", &c.ClaimLease)
	dur("WARDEN_REVIEW_LOGIN_LOCKOUT", &c.LoginLockout)
	if v, ok := get("WARDEN_REVIEW_LOGIN_MAX_FAILURES"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WARDEN_REVIEW_LOGIN_MAX_FAILURES: %w", err))
		}
		c.LoginMaxFailures = n
	}
	if v, ok := get("WARDEN_REVIEW_PROXY_USER_HEADER"); ok {
		c.ProxyUserHeader = http.CanonicalHeaderKey(v)
	}
	if v, ok := get("WARDEN_REVIEW_TRUSTED_PROXIES"); ok {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := parsePrefix(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("WARDEN_REVIEW_TRUSTED_PROXIES entry %q: %w", s, err))
				continue
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	if v, ok := get("WARDEN_REVIEW_ORIGINS"); ok {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Origins = append(c.Origins, s)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	if c.SessionIdle < time.Minute || c.SessionIdle > 24*time.Hour {
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_SESSION_IDLE %v outside 1m..24h", c.SessionIdle))
	}
	if c.SessionMax < c.SessionIdle || c.SessionMax > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_SESSION_MAX %v outside WARDEN_REVIEW_SESSION_IDLE..720h", c.SessionMax))
	}
	if c.ClaimLease < 30*time.Second || c.ClaimLease > 24*time.Hour {
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_CLAIM_LEASE %v outside 30s..24h", c.ClaimLease))
	}
	if c.LoginMaxFailures < 1 || c.LoginMaxFailures > 100 {
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_LOGIN_MAX_FAILURES %d outside 1..100", c.LoginMaxFailures))
	}
	if c.LoginLockout < time.Second || c.LoginLockout > 24*time.Hour {
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_LOGIN_LOCKOUT %v outside 1s..24h", c.LoginLockout))
	}
	if c.ProxyUserHeader != "" && len(c.TrustedProxies) == 0 {
		errs = append(errs, errors.New("WARDEN_REVIEW_PROXY_USER_HEADER needs WARDEN_REVIEW_TRUSTED_PROXIES: the header is trusted only from the proxy's addresses"))
	}
	if len(c.TrustedProxies) > 0 && c.ProxyUserHeader == "" {
		errs = append(errs, errors.New("WARDEN_REVIEW_TRUSTED_PROXIES is set without WARDEN_REVIEW_PROXY_USER_HEADER"))
	}
	switch strings.ToLower(c.ProxyUserHeader) {
	case "cookie", "host", "origin", "x-forwarded-for", "authorization":
		errs = append(errs, fmt.Errorf("WARDEN_REVIEW_PROXY_USER_HEADER %q: not an identity header", c.ProxyUserHeader))
	}
	for _, o := range c.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("WARDEN_REVIEW_ORIGINS entry %q: want scheme://host[:port]", o))
		}
	}
	return errors.Join(errs...)
}

// throttleWindow is the window failed logins are counted in.
func (c Config) throttleWindow() time.Duration { return c.LoginLockout }
