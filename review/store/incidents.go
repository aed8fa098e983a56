package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/types"
	"github.com/wardenhq/warden/review/incident"
)

// State is where an incident is in the queue.
type State string

// States. Claimed is derived: an open incident with an unexpired claim.
const (
	StateOpen     State = "open"
	StateClaimed  State = "claimed"
	StateResolved State = "resolved"
)

// Sensitive holds the sealed fields of an incident.
type Sensitive struct {
	// Prompt is the (redacted) prompt context of a response-stage check.
	Prompt string `json:"prompt,omitempty"`
	// Key is the conversation key (tenant/conversation id).
	Key string `json:"key"`
}

// Incident is a stored incident. Incident.Prompt and Incident.Key are
// always empty here: they are sealed (see Reveal).
type Incident struct {
	incident.Incident
	// HasPrompt says a sealed prompt context exists.
	HasPrompt  bool
	ReceivedAt time.Time
	// State is open or resolved; Claim tells whether an open incident is
	// being worked.
	State State
	// Severity is the highest score; Category the category that has it.
	Severity float64
	Category string
	// Claim is the current assignment, if any (it may have expired).
	Claim *Assignment
	// Verdict is the latest verdict, if any.
	Verdict *Verdict
}

// Claimed reports whether someone holds an unexpired claim at now.
func (i *Incident) Claimed(now time.Time) bool {
	return i.Claim != nil && i.Claim.ExpiresAt.After(now)
}

const incidentCols = `id, time_us, received_us, tenant, stage, source, action, severity, category, decision_id, policy_revision, text,
reasons, rule_ids, scores, signals, findings, model_versions, trace, delivered_bytes, has_prompt, sealed, seal_key`

const numIncidentCols = 23

// UpsertIncidents stores incidents by id, ignoring ids already stored (a
// redelivered message). It returns how many were new. All or none are
// stored.
func (s *Store) UpsertIncidents(ctx context.Context, incs []*incident.Incident) (int, error) {
	if len(incs) == 0 {
		return 0, nil
	}
	now := micros(s.now())
	rows := make([][]any, 0, len(incs))
	seen := make(map[string]bool, len(incs))
	for _, inc := range incs {
		if inc.ID == "" {
			return 0, fmt.Errorf("%w: incident without id", ErrInvalid)
		}
		if seen[inc.ID] {
			continue
		}
		seen[inc.ID] = true
		row, err := s.incidentRow(inc, now)
		if err != nil {
			return 0, err
		}
		rows = append(rows, row)
	}
	inserted := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		inserted = 0
		const chunk = 100
		for start := 0; start < len(rows); start += chunk {
			part := rows[start:min(start+chunk, len(rows))]
			var b strings.Builder
			b.WriteString("INSERT INTO incidents (" + incidentCols + ") VALUES ")
			args := make([]any, 0, len(part)*numIncidentCols)
			ph := "(" + strings.TrimSuffix(strings.Repeat("?,", numIncidentCols), ",") + ")"
			for i, r := range part {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(ph)
				args = append(args, r...)
			}
			b.WriteString(" ON CONFLICT (id) DO NOTHING")
			res, err := tx.ExecContext(ctx, s.q(b.String()), args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storing %d incidents (first %s): %w", len(rows), incs[0].ID, err)
	}
	return inserted, nil
}

func (s *Store) incidentRow(inc *incident.Incident, receivedUS int64) ([]any, error) {
	js := func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}
	nz := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	var errs []error
	str := func(v any) string {
		s, err := js(v)
		errs = append(errs, err)
		return s
	}
	findings := inc.Findings
	if findings == nil {
		findings = []types.Finding{}
	}
	scores := inc.Scores
	if scores == nil {
		scores = map[string]float64{}
	}
	mv := inc.ModelVersions
	if mv == nil {
		mv = map[string]string{}
	}
	sev, cat := topScore(scores)
	sens, err := json.Marshal(Sensitive{Prompt: inc.Prompt, Key: inc.Key})
	if err != nil {
		return nil, err
	}
	keys := s.ring()
	sealed, err := keys.Seal(sens, []byte(inc.ID))
	if err != nil {
		return nil, fmt.Errorf("sealing incident %s: %w", inc.ID, err)
	}
	var delivered any
	if inc.Delivered != nil {
		delivered = int64(*inc.Delivered)
	}
	row := []any{inc.ID, micros(inc.Time), receivedUS, inc.Tenant, inc.Stage, inc.Source, inc.Action, sev, cat,
		inc.DecisionID, inc.PolicyRevision, inc.Text,
		str(nz(inc.Reasons)), str(nz(inc.RuleIDs)), str(scores), str(nz(inc.Signals)), str(findings), str(mv), str(inc.Trace),
		delivered, boolInt(inc.Prompt != ""), sealed, keys.Active()}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("encoding incident %s: %w", inc.ID, err)
	}
	return row, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// topScore returns the highest score and its category (ties: by name).
func topScore(scores map[string]float64) (float64, string) {
	best, cat := 0.0, ""
	keys := make([]string, 0, len(scores))
	for k := range scores {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if scores[k] > best {
			best, cat = scores[k], k
		}
	}
	return best, cat
}

const selectCols = `SELECT i.id, i.time_us, i.received_us, i.tenant, i.stage, i.source, i.action, i.severity, i.category,
i.decision_id, i.policy_revision, i.text, i.reasons, i.rule_ids, i.scores, i.signals, i.findings, i.model_versions, i.trace,
i.delivered_bytes, i.has_prompt, i.state,
a.reviewer, a.claimed_us, a.expires_us,
v.id, v.reviewer, v.verdict, v.categories, v.note, v.created_us`

const joins = `
LEFT JOIN assignments a ON a.incident_id = i.id
LEFT JOIN verdicts v ON v.id = i.verdict_id`

const selectIncident = selectCols + ` FROM incidents i` + joins

// selectClaimed starts from the (few) live claims: CROSS JOIN makes
// SQLite loop over them first instead of scanning the incidents; the
// caller adds "c.incident_id = i.id AND c.expires_us > ?".
const selectClaimed = selectCols + ` FROM assignments c CROSS JOIN incidents i` + joins

type scanner interface{ Scan(dest ...any) error }

func scanIncident(sc scanner) (*Incident, error) {
	var (
		inc                                                    Incident
		timeUS, recvUS                                         int64
		reasons, ruleIDs, scores, signals, findings, mv, trace string
		delivered                                              sql.NullInt64
		hasPrompt                                              int
		state                                                  string
		aReviewer                                              sql.NullString
		aClaimed, aExpires                                     sql.NullInt64
		vID, vReviewer, vKind, vCats, vNote                    sql.NullString
		vCreated                                               sql.NullInt64
	)
	err := sc.Scan(&inc.ID, &timeUS, &recvUS, &inc.Tenant, &inc.Stage, &inc.Source, &inc.Action, &inc.Severity, &inc.Category,
		&inc.DecisionID, &inc.PolicyRevision, &inc.Text, &reasons, &ruleIDs, &scores, &signals, &findings, &mv, &trace,
		&delivered, &hasPrompt, &state, &aReviewer, &aClaimed, &aExpires, &vID, &vReviewer, &vKind, &vCats, &vNote, &vCreated)
	if err != nil {
		return nil, err
	}
	inc.Schema = incident.Schema
	inc.Time, inc.ReceivedAt = fromMicros(timeUS), fromMicros(recvUS)
	inc.HasPrompt, inc.State = hasPrompt == 1, State(state)
	var errs []error
	for _, f := range []struct {
		src string
		dst any
	}{{reasons, &inc.Reasons}, {ruleIDs, &inc.RuleIDs}, {scores, &inc.Scores}, {signals, &inc.Signals},
		{findings, &inc.Findings}, {mv, &inc.ModelVersions}, {trace, &inc.Trace}} {
		errs = append(errs, json.Unmarshal([]byte(f.src), f.dst))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("decoding stored incident %s: %w", inc.ID, err)
	}
	if delivered.Valid {
		d := int(delivered.Int64)
		inc.Delivered = &d
	}
	if aReviewer.Valid {
		inc.Claim = &Assignment{IncidentID: inc.ID, Reviewer: aReviewer.String, ClaimedAt: fromMicros(aClaimed.Int64), ExpiresAt: fromMicros(aExpires.Int64)}
	}
	if vID.Valid {
		v := &Verdict{ID: vID.String, IncidentID: inc.ID, Reviewer: vReviewer.String, Kind: verdictKind(vKind.String), Note: vNote.String, Time: fromMicros(vCreated.Int64)}
		if err := json.Unmarshal([]byte(vCats.String), &v.Categories); err != nil {
			return nil, fmt.Errorf("decoding verdict %s: %w", v.ID, err)
		}
		inc.Verdict = v
	}
	return &inc, nil
}

// Get returns one incident (without its sealed fields).
func (s *Store) Get(ctx context.Context, id string) (*Incident, error) {
	inc, err := scanIncident(s.r.QueryRowContext(ctx, s.q(selectIncident+` WHERE i.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading incident %s: %w", id, err)
	}
	return inc, nil
}

// Sort orders a listing.
type Sort string

// Sort orders.
const (
	SortNewest   Sort = "newest"
	SortOldest   Sort = "oldest"
	SortSeverity Sort = "severity" // highest first, then newest
)

// Query filters a listing. Zero fields do not filter.
type Query struct {
	Tenant, Stage, Action, Category string
	State                           State
	Since, Until                    time.Time
	Sort                            Sort
	// Limit is the page size (default 50, at most 500).
	Limit int
	// After is the Next cursor of the previous page.
	After string
}

// Page is one page of a listing.
type Page struct {
	Incidents []*Incident
	// Next is the cursor of the following page ("" at the end).
	Next string
}

type cursor struct {
	Sev  float64 `json:"s,omitempty"`
	Time int64   `json:"t"`
	ID   string  `json:"i"`
}

func (s *Store) where(q Query, now time.Time) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) {
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q.Tenant != "" {
		add("i.tenant = ?", q.Tenant)
	}
	if q.Stage != "" {
		add("i.stage = ?", q.Stage)
	}
	if q.Action != "" {
		add("i.action = ?", q.Action)
	}
	if q.Category != "" {
		add("i.category = ?", q.Category)
	}
	switch q.State {
	case StateResolved:
		add("i.state = 'resolved'")
	case StateOpen:
		// Uncorrelated subqueries: evaluated once (the claims are few),
		// not per incident row.
		add("i.state = 'open' AND i.id NOT IN (SELECT a2.incident_id FROM assignments a2 WHERE a2.expires_us > ?)", micros(now))
	case StateClaimed:
		add("i.state = 'open' AND i.id IN (SELECT a2.incident_id FROM assignments a2 WHERE a2.expires_us > ?)", micros(now))
	}
	if !q.Since.IsZero() {
		add("i.time_us >= ?", micros(q.Since))
	}
	if !q.Until.IsZero() {
		add("i.time_us < ?", micros(q.Until))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns a page of incidents, keyset-paginated (fast at any depth).
func (s *Store) List(ctx context.Context, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	switch q.State {
	case "", StateOpen, StateClaimed, StateResolved:
	default:
		return Page{}, fmt.Errorf("%w: state %q", ErrInvalid, q.State)
	}
	now := s.now()
	base := selectIncident
	if q.State == StateClaimed {
		q.State = "" // the claims join below selects them
		base = selectClaimed
	}
	where, args := s.where(q, now)
	if base == selectClaimed {
		c := "c.incident_id = i.id AND c.expires_us > ? AND i.state = 'open'"
		if where == "" {
			where = " WHERE " + c
		} else {
			where = " WHERE " + c + " AND " + where[len(" WHERE "):]
		}
		args = append([]any{micros(now)}, args...)
	}
	var after *cursor
	if q.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		if err == nil {
			after = &cursor{}
			err = json.Unmarshal(b, after)
		}
		if err != nil {
			return Page{}, fmt.Errorf("%w: page cursor", ErrInvalid)
		}
	}
	join := func(c string) {
		if where == "" {
			where = " WHERE " + c
		} else {
			where += " AND " + c
		}
	}
	var order string
	switch q.Sort {
	case SortNewest:
		order = " ORDER BY i.time_us DESC, i.id DESC"
		if after != nil {
			join("(i.time_us, i.id) < (?, ?)")
			args = append(args, after.Time, after.ID)
		}
	case SortOldest:
		order = " ORDER BY i.time_us ASC, i.id ASC"
		if after != nil {
			join("(i.time_us, i.id) > (?, ?)")
			args = append(args, after.Time, after.ID)
		}
	case SortSeverity:
		order = " ORDER BY i.severity DESC, i.time_us DESC, i.id DESC"
		if after != nil {
			join("(i.severity, i.time_us, i.id) < (?, ?, ?)")
			args = append(args, after.Sev, after.Time, after.ID)
		}
	default:
		return Page{}, fmt.Errorf("%w: sort %q", ErrInvalid, q.Sort)
	}
	args = append(args, q.Limit+1)
	rows, err := s.r.QueryContext(ctx, s.q(base+where+order+" LIMIT ?"), args...)
	if err != nil {
		return Page{}, fmt.Errorf("listing incidents: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return Page{}, err
		}
		p.Incidents = append(p.Incidents, inc)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("listing incidents: %w", err)
	}
	if len(p.Incidents) > q.Limit {
		p.Incidents = p.Incidents[:q.Limit]
		last := p.Incidents[q.Limit-1]
		b, _ := json.Marshal(cursor{Sev: last.Severity, Time: micros(last.Time), ID: last.ID})
		p.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return p, nil
}

// Count counts the incidents a query matches (Sort, Limit, After ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	where, args := s.where(q, s.now())
	var n int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incidents i`+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting incidents: %w", err)
	}
	return n, nil
}

// Reveal opens the sealed fields of an incident for actor and records the
// view in the audit log (in the same transaction). Authorisation is the
// caller's job.
func (s *Store) Reveal(ctx context.Context, id, actor string) (Sensitive, error) {
	if actor == "" {
		return Sensitive{}, fmt.Errorf("%w: reveal needs an actor", ErrInvalid)
	}
	var out Sensitive
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, s.q(`SELECT sealed FROM incidents WHERE id = ?`), id).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("incident %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		plain, err := s.ring().Open(sealed, []byte(id))
		if err != nil {
			return fmt.Errorf("incident %s: %w", id, err)
		}
		if err := json.Unmarshal(plain, &out); err != nil {
			return fmt.Errorf("incident %s: sealed fields: %w", id, err)
		}
		return s.appendAudit(ctx, tx, actor, "reveal", id, map[string]any{"fields": []string{"prompt", "key"}})
	})
	if err != nil {
		return Sensitive{}, fmt.Errorf("revealing incident %s: %w", id, err)
	}
	return out, nil
}

// Reseal re-encrypts, in batches, the sealed fields of incidents sealed
// with a key other than the active one (after a key rotation). It returns
// how many it resealed; afterwards the old keys can be dropped.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	keys := s.ring()
	active := keys.Active()
	total := 0
	for {
		type row struct {
			id     string
			sealed []byte
		}
		var batch []row
		rows, err := s.w.QueryContext(ctx, s.q(`SELECT id, sealed FROM incidents WHERE seal_key <> ? LIMIT 500`), active)
		if err != nil {
			return total, fmt.Errorf("resealing: %w", err)
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.sealed); err != nil {
				rows.Close()
				return total, fmt.Errorf("resealing: %w", err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, fmt.Errorf("resealing: %w", err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			for _, r := range batch {
				plain, err := keys.Open(r.sealed, []byte(r.id))
				if err != nil {
					return fmt.Errorf("incident %s: %w", r.id, err)
				}
				sealed, err := keys.Seal(plain, []byte(r.id))
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE incidents SET sealed = ?, seal_key = ? WHERE id = ?`), sealed, active, r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("resealing: %w", err)
		}
		total += len(batch)
	}
}

// SealKeys counts incidents by the key that sealed them.
func (s *Store) SealKeys(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seal_key, COUNT(*) FROM incidents GROUP BY seal_key`)
	if err != nil {
		return nil, fmt.Errorf("counting seal keys: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
