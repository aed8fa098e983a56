// Package store is the review store: incidents as ingested from Kafka,
// reviewer assignments (claims with a lease), verdicts, an append-only
// hash-chained audit log, and a transactional outbox that carries verdict
// events to Kafka.
//
// One type, Store, serves two databases: SQLite (modernc.org/sqlite, a file
// under the data directory: the embedded default) and PostgreSQL (pgx, when
// a DATABASE_URL is given, for several review processes). Both are
// migrated on Open. Queries are written once with ? placeholders.
//
// Incidents are upserted by id, so a message delivered twice is stored
// once. The fields reviewers may reveal — the prompt context and the
// conversation key — are sealed at rest with a rotatable key (package
// keyring); revealing one is audited.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/wardenhq/warden/review/keyring"
)

// Errors.
var (
	ErrNotFound = errors.New("not found")
	// ErrClaimed means another reviewer holds an unexpired claim.
	ErrClaimed = errors.New("claimed by another reviewer")
	// ErrStale means the incident changed since the caller read it (a
	// verdict was recorded that the caller did not see).
	ErrStale = errors.New("changed since it was read")
	// ErrInvalid marks invalid input.
	ErrInvalid = errors.New("invalid input")
	// ErrAuditBroken means the audit chain does not verify.
	ErrAuditBroken = errors.New("audit chain broken")
)

//go:embed migrations
var migrations embed.FS

// Options configure Open.
type Options struct {
	// DatabaseURL selects PostgreSQL (postgres://… or postgresql://…).
	// Empty selects SQLite at Path.
	DatabaseURL string
	// Path is the SQLite file (for example WARDEN_DATA_DIR/review.db).
	Path string
	// Keyring seals the sensitive fields. Required.
	Keyring *keyring.Keyring
	// KeyFile, when set, is the file Keyring was loaded from: the store
	// reloads the keyring when the file changes (checked before each use),
	// so `warden review rotate-key` takes effect in a running process and
	// no incident is sealed with a key after the file dropped it.
	KeyFile string
	// VerdictTopic is the topic verdict events are published to
	// (default warden.verdicts).
	VerdictTopic string
	// MaxConns bounds the PostgreSQL pool (default 10).
	MaxConns int
	Logger   *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Store is the review store. It is safe for concurrent use.
type Store struct {
	pg    bool
	w     *sql.DB // writes (SQLite: one connection, BEGIN IMMEDIATE)
	r     *sql.DB // reads
	opts  Options
	ready chan struct{}

	keysMu  sync.Mutex
	keys    *keyring.Keyring
	keyStat os.FileInfo // of opts.KeyFile when keys was read from it
}

// ring is the current keyring: with Options.KeyFile, reloaded when the file
// changed since it was read (a stat per call; sealing and opening are rare
// next to checks). A file that cannot be read or parsed keeps the keyring
// in use, and the error is logged.
func (s *Store) ring() *keyring.Keyring {
	if s.opts.KeyFile == "" {
		return s.keys
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	fi, err := os.Stat(s.opts.KeyFile)
	if err != nil {
		s.opts.Logger.Error("review store: key file unreadable; keeping the keys in use", "file", s.opts.KeyFile, "err", err)
		return s.keys
	}
	if s.keyStat != nil && os.SameFile(fi, s.keyStat) && fi.ModTime().Equal(s.keyStat.ModTime()) && fi.Size() == s.keyStat.Size() {
		return s.keys
	}
	k, err := keyring.Load(s.opts.KeyFile)
	if err != nil {
		s.opts.Logger.Error("review store: key file changed but does not load; keeping the keys in use", "file", s.opts.KeyFile, "err", err)
		return s.keys
	}
	if s.keyStat != nil && k.Active() != s.keys.Active() {
		s.opts.Logger.Info("review store: key file reloaded", "file", s.opts.KeyFile, "key_id", k.Active())
	}
	s.keys, s.keyStat = k, fi
	return k
}

// Open connects, migrates and returns the store.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Keyring == nil {
		return nil, fmt.Errorf("%w: the review store needs a keyring", ErrInvalid)
	}
	if o.VerdictTopic == "" {
		o.VerdictTopic = "warden.verdicts"
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{keys: o.Keyring, opts: o, ready: make(chan struct{}, 1)}
	if o.KeyFile != "" {
		s.keyStat, _ = os.Stat(o.KeyFile) // nil: the first use reads the file
	}
	var err error
	switch {
	case strings.HasPrefix(o.DatabaseURL, "postgres://"), strings.HasPrefix(o.DatabaseURL, "postgresql://"):
		s.pg = true
		s.w, err = sql.Open("pgx", o.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("opening DATABASE_URL: %w", err)
		}
		s.w.SetMaxOpenConns(o.MaxConns)
		s.w.SetMaxIdleConns(o.MaxConns)
		s.w.SetConnMaxIdleTime(5 * time.Minute)
		s.r = s.w
	case o.DatabaseURL != "":
		return nil, fmt.Errorf("%w: DATABASE_URL must start with postgres:// or postgresql://", ErrInvalid)
	case o.Path == "":
		return nil, fmt.Errorf("%w: no SQLite path and no DATABASE_URL", ErrInvalid)
	default:
		base := "file:" + o.Path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
		// synchronous=FULL: a committed batch survives a power cut, since
		// the ingest commits Kafka offsets right after it.
		if s.w, err = sql.Open("sqlite", base+"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"); err != nil {
			return nil, fmt.Errorf("opening SQLite %s: %w", o.Path, err)
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetConnMaxIdleTime(0)
		if s.r, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("opening SQLite %s: %w", o.Path, err)
		}
		s.r.SetMaxOpenConns(4)
	}
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connecting to the review store (%s): %w", s.Driver(), err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Driver is "sqlite" or "postgres".
func (s *Store) Driver() string {
	if s.pg {
		return "postgres"
	}
	return "sqlite"
}

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("review store (%s) unreachable: %w", s.Driver(), err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// q rewrites ? placeholders to $n for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) now() time.Time { return s.opts.Now() }

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// migrate applies the embedded migrations not yet applied, each in its own
// transaction (PostgreSQL: under an advisory lock, so concurrent starts
// are safe).
func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + s.Driver()
	ents, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return err
	}
	type mig struct {
		version int
		name    string
	}
	var migs []mig
	for _, e := range ents {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", e.Name())
		}
		migs = append(migs, mig{v, e.Name()})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	for _, m := range migs {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if s.pg {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(727464)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := fs.ReadFile(migrations, path.Join(dir, m.name))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_us) VALUES (?, ?)`), m.version, micros(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("applying migration %s (%s): %w", m.name, s.Driver(), err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// tx runs fn in a write transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
