package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wardenhq/warden/review/verdict"
)

// Assignment is a reviewer's claim on an incident, valid until ExpiresAt.
type Assignment struct {
	IncidentID string
	Reviewer   string
	ClaimedAt  time.Time
	ExpiresAt  time.Time
}

// Claim gives reviewer the incident for lease. Claiming again extends the
// reviewer's own lease; a claim held by someone else that has not expired
// yields ErrClaimed (wrapped with the holder's name). Resolved incidents
// can be claimed too (to revise a verdict).
func (s *Store) Claim(ctx context.Context, id, reviewer string, lease time.Duration) (Assignment, error) {
	if reviewer == "" || lease <= 0 {
		return Assignment{}, fmt.Errorf("%w: claim needs a reviewer and a positive lease", ErrInvalid)
	}
	now := s.now()
	a := Assignment{IncidentID: id, Reviewer: reviewer, ClaimedAt: now.UTC().Truncate(time.Microsecond), ExpiresAt: now.Add(lease).UTC().Truncate(time.Microsecond)}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incidents WHERE id = ?`), id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("incident %s: %w", id, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO assignments (incident_id, reviewer, claimed_us, expires_us) VALUES (?, ?, ?, ?)
ON CONFLICT (incident_id) DO UPDATE SET
  claimed_us = CASE WHEN assignments.reviewer = excluded.reviewer THEN assignments.claimed_us ELSE excluded.claimed_us END,
  reviewer = excluded.reviewer, expires_us = excluded.expires_us
WHERE assignments.reviewer = excluded.reviewer OR assignments.expires_us <= ?`),
			id, reviewer, micros(a.ClaimedAt), micros(a.ExpiresAt), micros(now))
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			var holder string
			_ = tx.QueryRowContext(ctx, s.q(`SELECT reviewer FROM assignments WHERE incident_id = ?`), id).Scan(&holder)
			return fmt.Errorf("incident %s: %w (%s)", id, ErrClaimed, holder)
		}
		var claimed int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT claimed_us FROM assignments WHERE incident_id = ?`), id).Scan(&claimed); err != nil {
			return err
		}
		a.ClaimedAt = fromMicros(claimed)
		return s.appendAudit(ctx, tx, reviewer, "claim", id, map[string]any{"expires": a.ExpiresAt})
	})
	if err != nil {
		return Assignment{}, fmt.Errorf("claiming incident %s: %w", id, err)
	}
	return a, nil
}

// Release drops reviewer's claim on an incident (no-op if not held).
func (s *Store) Release(ctx context.Context, id, reviewer string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM assignments WHERE incident_id = ? AND reviewer = ?`), id, reviewer)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.appendAudit(ctx, tx, reviewer, "release", id, nil)
	})
	if err != nil {
		return fmt.Errorf("releasing incident %s: %w", id, err)
	}
	return nil
}

// Verdict is a recorded verdict.
type Verdict struct {
	ID         string
	IncidentID string
	Reviewer   string
	Kind       verdict.Kind
	// Categories are the labels after review; empty means benign.
	Categories []string
	Note       string
	Time       time.Time
}

func verdictKind(s string) verdict.Kind { return verdict.Kind(s) }

// VerdictInput is a reviewer's decision.
type VerdictInput struct {
	IncidentID string
	Reviewer   string
	Kind       verdict.Kind
	// Categories: for Confirm, optional (default: the categories whose
	// rules fired); for Relabel, required; for Overturn, must be empty.
	Categories []string
	Note       string
	// Seen, when not nil, is the id of the incident's latest verdict as
	// the reviewer saw it ("" for none). If another verdict has been
	// recorded since, RecordVerdict records nothing and fails with
	// ErrStale: a reviewer acting on a stale page does not silently
	// replace a colleague's verdict. Nil skips the check.
	Seen *string
}

// RecordVerdict stores a verdict, resolves the incident, releases its
// claim, appends to the audit log and queues a warden.verdict.v1 event for
// the verdicts topic — all in one transaction. A verdict on an incident
// someone else holds an unexpired claim on fails with ErrClaimed; one
// whose Seen no longer names the latest verdict fails with ErrStale.
func (s *Store) RecordVerdict(ctx context.Context, in VerdictInput) (Verdict, error) {
	if _, err := verdict.ParseKind(string(in.Kind)); err != nil {
		return Verdict{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if in.Reviewer == "" {
		return Verdict{}, fmt.Errorf("%w: verdict needs a reviewer", ErrInvalid)
	}
	for _, c := range in.Categories {
		if !validCategory(c) {
			return Verdict{}, fmt.Errorf("%w: category %q", ErrInvalid, c)
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	v := Verdict{ID: uuid.Must(uuid.NewV7()).String(), IncidentID: in.IncidentID, Reviewer: in.Reviewer, Kind: in.Kind,
		Note: in.Note, Time: now}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var tenant, stage, action, ruleIDs, scores, rev, mv string
		var latest sql.NullString
		// PostgreSQL: lock the row, so that two verdicts on one incident
		// are checked against Seen one after the other (SQLite's write
		// transactions are serial already).
		lock := ""
		if s.pg {
			lock = " FOR UPDATE"
		}
		err := tx.QueryRowContext(ctx, s.q(`SELECT tenant, stage, action, rule_ids, scores, policy_revision, model_versions, verdict_id FROM incidents WHERE id = ?`+lock), in.IncidentID).
			Scan(&tenant, &stage, &action, &ruleIDs, &scores, &rev, &mv, &latest)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("incident %s: %w", in.IncidentID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		var holder string
		var expires int64
		err = tx.QueryRowContext(ctx, s.q(`SELECT reviewer, expires_us FROM assignments WHERE incident_id = ?`), in.IncidentID).Scan(&holder, &expires)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && holder != in.Reviewer && expires > micros(now) {
			return fmt.Errorf("incident %s: %w (%s)", in.IncidentID, ErrClaimed, holder)
		}
		if in.Seen != nil && *in.Seen != latest.String {
			return fmt.Errorf("incident %s: %w: verdict %s was recorded since", in.IncidentID, ErrStale, latest.String)
		}
		ev := verdict.Event{Schema: verdict.Schema, ID: v.ID, Time: now, IncidentID: in.IncidentID, Tenant: tenant, Stage: stage,
			Action: action, Verdict: in.Kind, Reviewer: in.Reviewer, PolicyRevision: rev}
		var rules []string
		if err := errors.Join(json.Unmarshal([]byte(ruleIDs), &rules), json.Unmarshal([]byte(scores), &ev.Scores),
			json.Unmarshal([]byte(mv), &ev.ModelVersions)); err != nil {
			return fmt.Errorf("incident %s: %w", in.IncidentID, err)
		}
		switch in.Kind {
		case verdict.Confirm:
			v.Categories = in.Categories
			if len(v.Categories) == 0 {
				v.Categories = FlaggedCategories(rules, ev.Scores)
			}
			if len(v.Categories) == 0 {
				return fmt.Errorf("%w: incident %s flagged no category; confirm it with categories (relabel)", ErrInvalid, in.IncidentID)
			}
		case verdict.Relabel:
			if len(in.Categories) == 0 {
				return fmt.Errorf("%w: relabel needs categories (overturn means benign)", ErrInvalid)
			}
			v.Categories = in.Categories
		case verdict.Overturn:
			if len(in.Categories) != 0 {
				return fmt.Errorf("%w: overturn takes no categories", ErrInvalid)
			}
			v.Categories = []string{}
		}
		v.Categories = dedupSorted(v.Categories)
		ev.Categories = v.Categories
		cats, _ := json.Marshal(v.Categories)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO verdicts (id, incident_id, reviewer, verdict, categories, note, created_us) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			v.ID, v.IncidentID, v.Reviewer, string(v.Kind), string(cats), v.Note, micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE incidents SET state = 'resolved', verdict_id = ? WHERE id = ?`), v.ID, v.IncidentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM assignments WHERE incident_id = ?`), v.IncidentID); err != nil {
			return err
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		headers, _ := json.Marshal([][2]string{{"schema", verdict.Schema}, {"content-type", "application/json"}, {"verdict-id", v.ID}})
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO outbox (topic, msg_key, value, headers, created_us) VALUES (?, ?, ?, ?, ?)`),
			s.opts.VerdictTopic, []byte(v.IncidentID), body, string(headers), micros(now)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, in.Reviewer, "verdict", v.IncidentID, map[string]any{"verdict_id": v.ID, "verdict": v.Kind, "categories": v.Categories})
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("recording a verdict on incident %s: %w", in.IncidentID, err)
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
	return v, nil
}

// Verdicts returns the verdict history of an incident, oldest first.
func (s *Store) Verdicts(ctx context.Context, incidentID string) ([]Verdict, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, reviewer, verdict, categories, note, created_us FROM verdicts WHERE incident_id = ? ORDER BY created_us, id`), incidentID)
	if err != nil {
		return nil, fmt.Errorf("reading verdicts of %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []Verdict
	for rows.Next() {
		v := Verdict{IncidentID: incidentID}
		var kind, cats string
		var created int64
		if err := rows.Scan(&v.ID, &v.Reviewer, &kind, &cats, &v.Note, &created); err != nil {
			return nil, err
		}
		v.Kind, v.Time = verdict.Kind(kind), fromMicros(created)
		if err := json.Unmarshal([]byte(cats), &v.Categories); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// FlaggedCategories returns the score categories whose block or escalate
// rule fired ("<category>.block", "<category>.escalate").
func FlaggedCategories(ruleIDs []string, scores map[string]float64) []string {
	var out []string
	for _, r := range ruleIDs {
		i := strings.LastIndexByte(r, '.')
		if i <= 0 {
			continue
		}
		cat, kind := r[:i], r[i+1:]
		if kind != "block" && kind != "escalate" {
			continue
		}
		if _, ok := scores[cat]; ok {
			out = append(out, cat)
		}
	}
	return dedupSorted(out)
}

func dedupSorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func validCategory(c string) bool {
	if c == "" || len(c) > 64 || c[0] < 'a' || c[0] > 'z' {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}
