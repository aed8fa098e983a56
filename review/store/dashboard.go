package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// StateCounts counts the incidents a query matches, by state.
type StateCounts struct {
	Open, Claimed, Resolved int
}

// Total is the sum of the states.
func (c StateCounts) Total() int { return c.Open + c.Claimed + c.Resolved }

// Of returns the count of one state ("" or unknown: the total).
func (c StateCounts) Of(s State) int {
	switch s {
	case StateOpen:
		return c.Open
	case StateClaimed:
		return c.Claimed
	case StateResolved:
		return c.Resolved
	}
	return c.Total()
}

// CountStates counts the incidents q matches in each state (q.State,
// Sort, Limit and After are ignored). On SQLite, without a time filter,
// it reads the trigger-kept incident_counts table; otherwise an index
// that holds every filter column.
func (s *Store) CountStates(ctx context.Context, q Query) (StateCounts, error) {
	q.State = ""
	where, args := s.where(q, s.now())
	count := `SELECT i.state, COUNT(*) FROM incidents i` + where + ` GROUP BY i.state`
	if !s.pg && q.Since.IsZero() && q.Until.IsZero() {
		// SQLite keeps counts per state and filter columns (triggers):
		// the same filters apply to them.
		count = `SELECT i.state, SUM(i.n) FROM incident_counts i` + where + ` GROUP BY i.state`
	}
	rows, err := s.r.QueryContext(ctx, s.q(count), args...)
	if err != nil {
		return StateCounts{}, fmt.Errorf("counting incidents: %w", err)
	}
	defer rows.Close()
	var c StateCounts
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return StateCounts{}, fmt.Errorf("counting incidents: %w", err)
		}
		switch State(st) {
		case StateOpen:
			c.Open += n
		case StateResolved:
			c.Resolved += n
		}
	}
	if err := rows.Err(); err != nil {
		return StateCounts{}, fmt.Errorf("counting incidents: %w", err)
	}
	// Claims are few: count from them (CROSS JOIN keeps SQLite's loop
	// order), not from the incidents.
	cond := "c.incident_id = i.id AND c.expires_us > ? AND i.state = 'open'"
	cargs := []any{micros(s.now())}
	if where != "" {
		cond += " AND " + where[len(" WHERE "):]
		cargs = append(cargs, args...)
	}
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM assignments c CROSS JOIN incidents i WHERE `+cond), cargs...).Scan(&c.Claimed); err != nil {
		return StateCounts{}, fmt.Errorf("counting claimed incidents: %w", err)
	}
	c.Open -= c.Claimed
	return c, nil
}

// Facets are the values seen in the store, for filter suggestions.
type Facets struct {
	Tenants, Categories []string
}

// GetFacets returns up to limit distinct tenants and categories.
func (s *Store) GetFacets(ctx context.Context, limit int) (Facets, error) {
	var f Facets
	for _, c := range []struct {
		col string
		dst *[]string
	}{{"tenant", &f.Tenants}, {"category", &f.Categories}} {
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT DISTINCT `+c.col+` FROM incidents ORDER BY `+c.col+` LIMIT ?`), limit)
		if err != nil {
			return Facets{}, fmt.Errorf("reading %s values: %w", c.col, err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return Facets{}, fmt.Errorf("reading %s values: %w", c.col, err)
			}
			if v != "" {
				*c.dst = append(*c.dst, v)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return Facets{}, fmt.Errorf("reading %s values: %w", c.col, err)
		}
	}
	return f, nil
}

// Span is a dashboard's time range, cut in buckets of Step from Since.
type Span struct {
	Since, Until time.Time
	Step         time.Duration
	// Tenant filters (empty: all).
	Tenant string
}

// Buckets is the number of buckets in the span.
func (sp Span) Buckets() int {
	if sp.Step <= 0 || !sp.Until.After(sp.Since) {
		return 0
	}
	return int((sp.Until.Sub(sp.Since) + sp.Step - 1) / sp.Step)
}

func (sp Span) valid() error {
	if sp.Step < time.Minute || sp.Buckets() < 1 || sp.Buckets() > 1000 {
		return fmt.Errorf("%w: dashboard span %v..%v by %v", ErrInvalid, sp.Since, sp.Until, sp.Step)
	}
	return nil
}

// Series counts by bucket (index from Span.Since) and key.
type Series struct {
	Keys []string
	// Counts[key][bucket].
	Counts map[string][]int
}

// IncidentsOverTime counts incidents by bucket of their time, by
// category and by action, in one pass.
func (s *Store) IncidentsOverTime(ctx context.Context, sp Span) (byCategory, byAction Series, err error) {
	if err := sp.valid(); err != nil {
		return Series{}, Series{}, err
	}
	where := "time_us >= ? AND time_us < ?"
	args := []any{micros(sp.Since), sp.Step.Microseconds(), micros(sp.Since), micros(sp.Until)}
	if sp.Tenant != "" {
		where += " AND tenant = ?"
		args = append(args, sp.Tenant)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT (time_us - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS b, category, action, COUNT(*) FROM incidents WHERE `+where+` GROUP BY 1, 2, 3`), args...)
	if err != nil {
		return Series{}, Series{}, fmt.Errorf("incidents over time: %w", err)
	}
	defer rows.Close()
	byCategory, byAction = Series{Counts: map[string][]int{}}, Series{Counts: map[string][]int{}}
	n := sp.Buckets()
	add := func(s *Series, key string, b int64, c int) {
		if _, ok := s.Counts[key]; !ok {
			s.Keys = append(s.Keys, key)
			s.Counts[key] = make([]int, n)
		}
		s.Counts[key][b] += c
	}
	for rows.Next() {
		var b int64
		var cat, action string
		var c int
		if err := rows.Scan(&b, &cat, &action, &c); err != nil {
			return Series{}, Series{}, fmt.Errorf("incidents over time: %w", err)
		}
		if b < 0 || b >= int64(n) {
			continue
		}
		add(&byCategory, cat, b, c)
		add(&byAction, action, b, c)
	}
	if err := rows.Err(); err != nil {
		return Series{}, Series{}, fmt.Errorf("incidents over time: %w", err)
	}
	sortKeysByTotal(byCategory)
	sortKeysByTotal(byAction)
	return byCategory, byAction, nil
}

// Throughput counts verdicts by bucket and reviewer.
func (s *Store) Throughput(ctx context.Context, sp Span) (Series, error) {
	if err := sp.valid(); err != nil {
		return Series{}, err
	}
	query := `SELECT (v.created_us - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS b, v.reviewer, COUNT(*) FROM verdicts v`
	args := []any{micros(sp.Since), sp.Step.Microseconds()}
	if sp.Tenant != "" {
		query += ` JOIN incidents i ON i.id = v.incident_id`
	}
	query += ` WHERE v.created_us >= ? AND v.created_us < ?`
	args = append(args, micros(sp.Since), micros(sp.Until))
	if sp.Tenant != "" {
		query += ` AND i.tenant = ?`
		args = append(args, sp.Tenant)
	}
	return s.series(ctx, sp, query+` GROUP BY 1, 2`, args)
}

func (s *Store) series(ctx context.Context, sp Span, query string, args []any) (Series, error) {
	rows, err := s.r.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return Series{}, fmt.Errorf("dashboard query: %w", err)
	}
	defer rows.Close()
	out := Series{Counts: map[string][]int{}}
	n := sp.Buckets()
	for rows.Next() {
		var b int64
		var key string
		var c int
		if err := rows.Scan(&b, &key, &c); err != nil {
			return Series{}, fmt.Errorf("dashboard query: %w", err)
		}
		if b < 0 || b >= int64(n) {
			continue
		}
		if _, ok := out.Counts[key]; !ok {
			out.Keys = append(out.Keys, key)
			out.Counts[key] = make([]int, n)
		}
		out.Counts[key][b] += c
	}
	if err := rows.Err(); err != nil {
		return Series{}, fmt.Errorf("dashboard query: %w", err)
	}
	sortKeysByTotal(out)
	return out, nil
}

func sortKeysByTotal(s Series) {
	total := make(map[string]int, len(s.Keys))
	for k, cs := range s.Counts {
		for _, c := range cs {
			total[k] += c
		}
	}
	sort.Slice(s.Keys, func(i, j int) bool {
		a, b := s.Keys[i], s.Keys[j]
		if total[a] != total[b] {
			return total[a] > total[b]
		}
		return a < b
	})
}

// AgeBucket counts unresolved incidents whose age is below Below (the
// last bucket: Below 0, everything older).
type AgeBucket struct {
	Below time.Duration
	N     int
}

// QueueAge counts the unresolved incidents by age (now − incident time)
// into buckets with the given upper edges (ascending), plus one for
// everything older, and returns the oldest incident's time.
func (s *Store) QueueAge(ctx context.Context, edges []time.Duration, tenant string) ([]AgeBucket, time.Time, error) {
	now := s.now()
	expr := "CASE"
	var args []any
	for i, e := range edges {
		if i > 0 && e <= edges[i-1] {
			return nil, time.Time{}, fmt.Errorf("%w: age edges must ascend", ErrInvalid)
		}
		expr += fmt.Sprintf(" WHEN time_us > ? THEN %d", i)
		args = append(args, micros(now.Add(-e)))
	}
	expr += fmt.Sprintf(" ELSE %d END", len(edges))
	where := " WHERE state = 'open'"
	if tenant != "" {
		where += " AND tenant = ?"
		args = append(args, tenant)
	}
	out := make([]AgeBucket, len(edges)+1)
	for i, e := range edges {
		out[i].Below = e
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+expr+` AS b, COUNT(*), MIN(time_us) FROM incidents`+where+` GROUP BY 1`), args...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("queue age: %w", err)
	}
	defer rows.Close()
	var oldest int64
	for rows.Next() {
		var b, n int
		var first int64
		if err := rows.Scan(&b, &n, &first); err != nil {
			return nil, time.Time{}, fmt.Errorf("queue age: %w", err)
		}
		if b >= 0 && b < len(out) {
			out[b].N = n
		}
		if oldest == 0 || first < oldest {
			oldest = first
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("queue age: %w", err)
	}
	var ot time.Time
	if oldest != 0 {
		ot = fromMicros(oldest)
	}
	return out, ot, nil
}

// CategoryRate is how reviewers judged one category's incidents.
type CategoryRate struct {
	Category                        string
	Verdicts, Overturned, Relabeled int
}

// Rate is Overturned / Verdicts (0 without verdicts).
func (c CategoryRate) Rate() float64 {
	if c.Verdicts == 0 {
		return 0
	}
	return float64(c.Overturned) / float64(c.Verdicts)
}

// OverturnRates counts, per incident category (the top-scoring one), the
// incidents whose latest verdict falls in the span and how many of them
// were overturned (false positives) or relabelled. Highest rate first.
func (s *Store) OverturnRates(ctx context.Context, sp Span) ([]CategoryRate, error) {
	// From the verdicts of the span (an index range) to their incidents;
	// CROSS JOIN keeps SQLite from scanning every incident instead.
	query := `SELECT i.category, COUNT(*), SUM(CASE WHEN v.verdict = 'overturn' THEN 1 ELSE 0 END), SUM(CASE WHEN v.verdict = 'relabel' THEN 1 ELSE 0 END)
FROM verdicts v CROSS JOIN incidents i WHERE i.id = v.incident_id AND i.verdict_id = v.id AND v.created_us >= ? AND v.created_us < ?`
	args := []any{micros(sp.Since), micros(sp.Until)}
	if sp.Tenant != "" {
		query += ` AND i.tenant = ?`
		args = append(args, sp.Tenant)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query+` GROUP BY i.category`), args...)
	if err != nil {
		return nil, fmt.Errorf("overturn rates: %w", err)
	}
	defer rows.Close()
	var out []CategoryRate
	for rows.Next() {
		var c CategoryRate
		if err := rows.Scan(&c.Category, &c.Verdicts, &c.Overturned, &c.Relabeled); err != nil {
			return nil, fmt.Errorf("overturn rates: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overturn rates: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rate() != out[j].Rate() {
			return out[i].Rate() > out[j].Rate()
		}
		return out[i].Category < out[j].Category
	})
	return out, nil
}
