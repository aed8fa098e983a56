package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenhq/warden/review/outbox"
)

// VerdictOutbox is the store's transactional outbox of verdict events, as
// an outbox.Source for a relay. Several review processes may relay the same
// PostgreSQL outbox: an event may then be published more than once
// (consumers dedupe by verdict id), never lost.
func (s *Store) VerdictOutbox() outbox.Source { return verdictSource{s} }

type verdictSource struct{ s *Store }

func (v verdictSource) Ready() <-chan struct{} { return v.s.ready }

func (v verdictSource) Pending(ctx context.Context, max, maxBytes int) ([]outbox.Entry, error) {
	rows, err := v.s.r.QueryContext(ctx, v.s.q(`SELECT seq, topic, msg_key, value, headers, created_us FROM outbox ORDER BY seq LIMIT ?`), max)
	if err != nil {
		return nil, fmt.Errorf("reading the verdict outbox: %w", err)
	}
	defer rows.Close()
	var out []outbox.Entry
	size := 0
	for rows.Next() && size < maxBytes {
		var e outbox.Entry
		var seq, created int64
		var headers string
		if err := rows.Scan(&seq, &e.Topic, &e.Key, &e.Value, &headers, &created); err != nil {
			return nil, fmt.Errorf("reading the verdict outbox: %w", err)
		}
		var hs [][2]string
		if err := json.Unmarshal([]byte(headers), &hs); err != nil {
			return nil, fmt.Errorf("verdict outbox entry %d: %w", seq, err)
		}
		for _, h := range hs {
			e.Headers = append(e.Headers, outbox.Header{Key: h[0], Value: []byte(h[1])})
		}
		e.Seq, e.Time = uint64(seq), fromMicros(created)
		size += len(e.Value)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Ack deletes exactly the published rows (not "everything up to": with
// PostgreSQL, sequence values can commit out of order).
func (v verdictSource) Ack(ctx context.Context, entries []outbox.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, len(entries))
	for i, e := range entries {
		args[i] = int64(e.Seq)
	}
	q := `DELETE FROM outbox WHERE seq IN (` + strings.TrimSuffix(strings.Repeat("?,", len(entries)), ",") + `)`
	if _, err := v.s.w.ExecContext(ctx, v.s.q(q), args...); err != nil {
		return fmt.Errorf("acknowledging %d verdict events: %w", len(entries), err)
	}
	return nil
}
