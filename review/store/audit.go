package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one audit log record.
type AuditEntry struct {
	Seq    int64
	Time   time.Time
	Actor  string
	Action string
	Target string
	// Detail is a JSON object.
	Detail   json.RawMessage
	PrevHash string
	Hash     string
}

// Audit appends one entry (for example a login, or an export).
func (s *Store) Audit(ctx context.Context, actor, action, target string, detail any) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, actor, action, target, detail) })
	if err != nil {
		return fmt.Errorf("appending %s to the audit log: %w", action, err)
	}
	return nil
}

func auditHash(prev string, seq, timeUS int64, actor, action, target, detail string) string {
	b, _ := json.Marshal([]any{prev, seq, timeUS, actor, action, target, detail})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// appendAudit appends to the chain inside tx. The head row serialises
// appenders (PostgreSQL: row lock; SQLite: the write transaction).
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, actor, action, target string, detail any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	lock := ""
	if s.pg {
		lock = " FOR UPDATE"
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	seq++
	t := micros(s.now())
	h := auditHash(prev, seq, t, actor, action, target, string(d))
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (seq, time_us, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		seq, t, actor, action, target, string(d), prev, h); err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), seq, h); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AuditLog returns up to limit entries after seq, in order.
func (s *Store) AuditLog(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT seq, time_us, actor, action, target, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`), afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t int64
		var d string
		if err := rows.Scan(&e.Seq, &t, &e.Actor, &e.Action, &e.Target, &d, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.Time, e.Detail = fromMicros(t), json.RawMessage(d)
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole chain and checks every link and hash, and
// that the head names the last entry. It returns the number of entries,
// or ErrAuditBroken naming the first bad sequence number.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	prev := ""
	var n int64
	for {
		es, err := s.AuditLog(ctx, n, 1000)
		if err != nil {
			return n, err
		}
		for _, e := range es {
			if e.Seq != n+1 {
				return n, fmt.Errorf("%w: entry %d missing", ErrAuditBroken, n+1)
			}
			if e.PrevHash != prev {
				return n, fmt.Errorf("%w: entry %d does not link to %d", ErrAuditBroken, e.Seq, n)
			}
			if auditHash(prev, e.Seq, e.Time.UnixMicro(), e.Actor, e.Action, e.Target, string(e.Detail)) != e.Hash {
				return n, fmt.Errorf("%w: entry %d altered", ErrAuditBroken, e.Seq)
			}
			prev, n = e.Hash, e.Seq
		}
		if len(es) < 1000 {
			break
		}
	}
	var headSeq int64
	var headHash string
	if err := s.r.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return n, fmt.Errorf("audit head: %w", err)
	}
	if headSeq != n || headHash != prev {
		return n, fmt.Errorf("%w: head at %d, log ends at %d (entries removed or head altered)", ErrAuditBroken, headSeq, n)
	}
	return n, nil
}

// AuditRecent returns up to limit entries before seq (0: from the end),
// newest first.
func (s *Store) AuditRecent(ctx context.Context, beforeSeq int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	where, args := "", []any{}
	if beforeSeq > 0 {
		where, args = " WHERE seq < ?", append(args, beforeSeq)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT seq, time_us, actor, action, target, detail, prev_hash, hash FROM audit_log`+where+` ORDER BY seq DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t int64
		var d string
		if err := rows.Scan(&e.Seq, &t, &e.Actor, &e.Action, &e.Target, &d, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		e.Time, e.Detail = fromMicros(t), json.RawMessage(d)
		out = append(out, e)
	}
	return out, rows.Err()
}
