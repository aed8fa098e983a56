package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrExists means the record being created exists already.
var ErrExists = errors.New("already exists")

// Role is what a reviewer account may do. Roles are ordered: each one may
// do everything the ones below it may.
type Role string

// Roles, lowest first.
const (
	// RoleViewer sees the queue, the (redacted) incidents and the dashboard.
	RoleViewer Role = "viewer"
	// RoleReviewer also claims incidents, gives verdicts and reveals the
	// sealed context of the incidents it holds.
	RoleReviewer Role = "reviewer"
	// RoleAdmin also reads the audit log, exports labels and reveals any
	// incident's sealed context.
	RoleAdmin Role = "admin"
)

// ParseRole parses a role name; unknown names are errors.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleViewer, RoleReviewer, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q (want viewer, reviewer or admin)", ErrInvalid, s)
}

func (r Role) String() string { return string(r) }

// Rank orders roles: viewer 1, reviewer 2, admin 3, anything else 0.
func (r Role) Rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleReviewer:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return r.Rank() > 0 && r.Rank() >= min.Rank() }

// User is a reviewer account.
type User struct {
	Username string
	Role     Role
	// PasswordHash is a PHC string (the store does not hash; the caller
	// does). Empty for accounts that only log in through the trusted
	// proxy.
	PasswordHash string
	Disabled     bool
	Created      time.Time
	Updated      time.Time
}

// NormalizeUsername lowercases and checks a username: 1-64 characters of
// a-z, 0-9 and . _ @ + -, starting with a letter or digit.
func NormalizeUsername(s string) (string, error) {
	u := strings.ToLower(strings.TrimSpace(s))
	if u == "" || len(u) > 64 {
		return "", fmt.Errorf("%w: username must be 1-64 characters", ErrInvalid)
	}
	for i, r := range u {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("._@+-", r))
		if !ok {
			return "", fmt.Errorf("%w: username may hold a-z, 0-9 and . _ @ + - (not first)", ErrInvalid)
		}
	}
	return u, nil
}

// CreateUser adds an account and audits it (actor: who added it).
func (s *Store) CreateUser(ctx context.Context, u User, actor string) (User, error) {
	name, err := NormalizeUsername(u.Username)
	if err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return User{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	u.Username, u.Created, u.Updated = name, now, now
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (username, role, password_hash, disabled, created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`),
			u.Username, string(u.Role), u.PasswordHash, boolInt(u.Disabled), micros(now), micros(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("user %s: %w", u.Username, ErrExists)
		}
		return s.appendAudit(ctx, tx, actor, "user_add", u.Username, map[string]any{"role": u.Role})
	})
	if err != nil {
		return User{}, fmt.Errorf("adding user %s: %w", u.Username, err)
	}
	return u, nil
}

// UserUpdate changes an account; nil fields stay.
type UserUpdate struct {
	Role         *Role
	PasswordHash *string
	Disabled     *bool
}

// UpdateUser changes an account, ends all its sessions (a changed password,
// role or status takes effect at once), releases its claims when it can no
// longer review (disabled, or made a viewer) and audits the change.
func (s *Store) UpdateUser(ctx context.Context, username string, up UserUpdate, actor string) error {
	name, err := NormalizeUsername(username)
	if err != nil {
		return err
	}
	var sets []string
	var args []any
	detail := map[string]any{}
	if up.Role != nil {
		if _, err := ParseRole(string(*up.Role)); err != nil {
			return err
		}
		sets, args = append(sets, "role = ?"), append(args, string(*up.Role))
		detail["role"] = *up.Role
	}
	if up.PasswordHash != nil {
		sets, args = append(sets, "password_hash = ?"), append(args, *up.PasswordHash)
		detail["password"] = "changed"
	}
	if up.Disabled != nil {
		sets, args = append(sets, "disabled = ?"), append(args, boolInt(*up.Disabled))
		detail["disabled"] = *up.Disabled
	}
	if len(sets) == 0 {
		return nil
	}
	sets, args = append(sets, "updated_us = ?"), append(args, micros(s.now()), name)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE users SET `+strings.Join(sets, ", ")+` WHERE username = ?`), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("user %s: %w", name, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE username = ?`), name); err != nil {
			return err
		}
		if (up.Disabled != nil && *up.Disabled) || (up.Role != nil && *up.Role == RoleViewer) {
			// An account that can no longer review gives its claims back
			// (they would hold incidents from everyone else until their
			// leases ran out).
			res, err := tx.ExecContext(ctx, s.q(`DELETE FROM assignments WHERE reviewer = ?`), name)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				detail["claims_released"] = n
			}
		}
		return s.appendAudit(ctx, tx, actor, "user_update", name, detail)
	})
	if err != nil {
		return fmt.Errorf("updating user %s: %w", name, err)
	}
	return nil
}

const userCols = `username, role, password_hash, disabled, created_us, updated_us`

func scanUser(sc scanner) (User, error) {
	var u User
	var role string
	var disabled int
	var created, updated int64
	if err := sc.Scan(&u.Username, &role, &u.PasswordHash, &disabled, &created, &updated); err != nil {
		return User{}, err
	}
	u.Role, u.Disabled, u.Created, u.Updated = Role(role), disabled == 1, fromMicros(created), fromMicros(updated)
	return u, nil
}

// GetUser returns an account (the username is normalised first).
func (s *Store) GetUser(ctx context.Context, username string) (User, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return User{}, fmt.Errorf("user: %w", ErrNotFound)
	}
	u, err := scanUser(s.r.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE username = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("reading user %s: %w", name, err)
	}
	return u, nil
}

// Users lists the accounts by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Session is a logged-in reviewer's server-side session.
type Session struct {
	// IDHash is the hex SHA-256 of the session token the cookie carries.
	IDHash   string
	Username string
	// CSRF is the session's synchronizer token.
	CSRF string
	// Method is how the session was established: password or proxy.
	Method  string
	Created time.Time
	Seen    time.Time
	// Expires is the absolute timeout.
	Expires time.Time
	// Role and Disabled are the account's, read with the session.
	Role     Role
	Disabled bool
}

// Login stores a new session, deletes the session it replaces (replaced:
// the hash of the token the client presented, if any — a new id at every
// login) and expired sessions, and audits the login, in one transaction.
func (s *Store) Login(ctx context.Context, sess Session, replaced string, detail map[string]any) error {
	if sess.IDHash == "" || sess.Username == "" || sess.CSRF == "" {
		return fmt.Errorf("%w: a session needs an id, a user and a CSRF token", ErrInvalid)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["method"] = sess.Method
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if replaced != "" {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id_hash = ?`), replaced); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_us <= ?`), micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO sessions (id_hash, username, csrf, method, created_us, seen_us, expires_us) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			sess.IDHash, sess.Username, sess.CSRF, sess.Method, micros(sess.Created), micros(sess.Seen), micros(sess.Expires)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, sess.Username, "login", "", detail)
	})
	if err != nil {
		return fmt.Errorf("storing the session of %s: %w", sess.Username, err)
	}
	return nil
}

// GetSession returns a session with its account's role and status.
func (s *Store) GetSession(ctx context.Context, idHash string) (Session, error) {
	var sess Session
	var created, seen, expires int64
	var role string
	var disabled int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT s.id_hash, s.username, s.csrf, s.method, s.created_us, s.seen_us, s.expires_us, u.role, u.disabled
FROM sessions s JOIN users u ON u.username = s.username WHERE s.id_hash = ?`), idHash).
		Scan(&sess.IDHash, &sess.Username, &sess.CSRF, &sess.Method, &created, &seen, &expires, &role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("reading a session: %w", err)
	}
	sess.Created, sess.Seen, sess.Expires = fromMicros(created), fromMicros(seen), fromMicros(expires)
	sess.Role, sess.Disabled = Role(role), disabled == 1
	return sess, nil
}

// TouchSession records activity on a session (for the idle timeout).
func (s *Store) TouchSession(ctx context.Context, idHash string, seen time.Time) error {
	if _, err := s.w.ExecContext(ctx, s.q(`UPDATE sessions SET seen_us = ? WHERE id_hash = ? AND seen_us < ?`), micros(seen), idHash, micros(seen)); err != nil {
		return fmt.Errorf("touching a session: %w", err)
	}
	return nil
}

// EndSession deletes a session; with an actor, the logout is audited
// (reason: logout, idle, expired). It reports whether the session existed.
func (s *Store) EndSession(ctx context.Context, idHash, actor, reason string) (bool, error) {
	var ended bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id_hash = ?`), idHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		ended = n > 0
		if !ended || actor == "" {
			return nil
		}
		return s.appendAudit(ctx, tx, actor, "logout", "", map[string]any{"reason": reason})
	})
	if err != nil {
		return false, fmt.Errorf("ending a session: %w", err)
	}
	return ended, nil
}

// CountSessions counts the live sessions of a user (tests, admin views).
func (s *Store) CountSessions(ctx context.Context, username string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM sessions WHERE username = ? AND expires_us > ?`), username, micros(s.now())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting sessions: %w", err)
	}
	return n, nil
}

// ThrottleRule bounds failed logins per key: at most Max failures within
// Window, then the key is locked for Lockout.
type ThrottleRule struct {
	Max     int
	Window  time.Duration
	Lockout time.Duration
}

// LoginLockedUntil returns the latest lock end among keys, if later than
// now (zero otherwise).
func (s *Store) LoginLockedUntil(ctx context.Context, keys ...string) (time.Time, error) {
	now := micros(s.now())
	var until int64
	for _, k := range keys {
		var u int64
		err := s.r.QueryRowContext(ctx, s.q(`SELECT locked_until_us FROM login_attempts WHERE key = ?`), k).Scan(&u)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("reading login throttling: %w", err)
		}
		until = max(until, u)
	}
	if until <= now {
		return time.Time{}, nil
	}
	return fromMicros(until), nil
}

// LoginFailed counts a failed login against key under rule and reports
// whether the key is now locked.
func (s *Store) LoginFailed(ctx context.Context, key string, rule ThrottleRule) (bool, error) {
	now := s.now()
	locked := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var failures int
		var first, until int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT failures, first_us, locked_until_us FROM login_attempts WHERE key = ?`), key).Scan(&failures, &first, &until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if errors.Is(err, sql.ErrNoRows) || first <= micros(now.Add(-rule.Window)) {
			failures, first = 0, micros(now)
		}
		failures++
		if failures >= rule.Max {
			until, locked = micros(now.Add(rule.Lockout)), true
			failures, first = 0, micros(now)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO login_attempts (key, failures, first_us, locked_until_us) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_us = excluded.first_us, locked_until_us = excluded.locked_until_us`),
			key, failures, first, until)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("recording a failed login: %w", err)
	}
	return locked, nil
}

// LoginSucceeded clears the failures counted against keys.
func (s *Store) LoginSucceeded(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, err := s.w.ExecContext(ctx, s.q(`DELETE FROM login_attempts WHERE key = ? AND locked_until_us <= ?`), k, micros(s.now())); err != nil {
			return fmt.Errorf("clearing login throttling: %w", err)
		}
	}
	return nil
}
