package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardenhq/warden/review/verdict"
)

// Label is one labelled example: an incident's stored (redacted) text and
// its latest verdict. It is the line format of `warden export labels`.
type Label struct {
	IncidentID string    `json:"incident_id"`
	Time       time.Time `json:"time"`
	Tenant     string    `json:"tenant"`
	Stage      string    `json:"stage"`
	Source     string    `json:"source"`
	// Action is what the guard did.
	Action string `json:"action"`
	// Text is the text as stored: redacted by policy.
	Text string `json:"text"`
	// Categories are the reviewed labels; empty means benign.
	Categories     []string           `json:"categories"`
	Verdict        verdict.Kind       `json:"verdict"`
	VerdictID      string             `json:"verdict_id"`
	VerdictTime    time.Time          `json:"verdict_time"`
	Scores         map[string]float64 `json:"scores"`
	PolicyRevision string             `json:"policy_revision"`
	ModelVersions  map[string]string  `json:"model_versions"`
}

// LabelQuery filters Labels by verdict time and tenant.
type LabelQuery struct {
	Since, Until time.Time
	Tenant       string
}

// Labels calls fn for every incident with a verdict, in verdict time
// order. It stops at fn's first error and returns it.
func (s *Store) Labels(ctx context.Context, q LabelQuery, fn func(Label) error) error {
	where := ""
	var args []any
	add := func(c string, a any) {
		where += " AND " + c
		args = append(args, a)
	}
	if !q.Since.IsZero() {
		add("v.created_us >= ?", micros(q.Since))
	}
	if !q.Until.IsZero() {
		add("v.created_us < ?", micros(q.Until))
	}
	if q.Tenant != "" {
		add("i.tenant = ?", q.Tenant)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT i.id, i.time_us, i.tenant, i.stage, i.source, i.action, i.text, i.scores, i.policy_revision, i.model_versions,
v.id, v.verdict, v.categories, v.created_us
FROM verdicts v CROSS JOIN incidents i WHERE i.id = v.incident_id AND i.verdict_id = v.id`+where+` ORDER BY v.created_us, v.id`), args...)
	if err != nil {
		return fmt.Errorf("reading labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Label
		var t, vt int64
		var scores, mv, cats, kind string
		if err := rows.Scan(&l.IncidentID, &t, &l.Tenant, &l.Stage, &l.Source, &l.Action, &l.Text, &scores, &l.PolicyRevision, &mv,
			&l.VerdictID, &kind, &cats, &vt); err != nil {
			return fmt.Errorf("reading labels: %w", err)
		}
		l.Time, l.VerdictTime, l.Verdict = fromMicros(t), fromMicros(vt), verdict.Kind(kind)
		if err := errors.Join(json.Unmarshal([]byte(scores), &l.Scores), json.Unmarshal([]byte(mv), &l.ModelVersions),
			json.Unmarshal([]byte(cats), &l.Categories)); err != nil {
			return fmt.Errorf("decoding label %s: %w", l.IncidentID, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}
