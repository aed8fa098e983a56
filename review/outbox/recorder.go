package outbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden/review/incident"
)

// Message headers set on every incident.
const (
	HeaderSchema      = "schema"
	HeaderContentType = "content-type"
	HeaderIncidentID  = "incident-id"
	HeaderTraceparent = "traceparent"
)

// Recorder appends incidents to a log; it is the check's Recorder.
type Recorder struct {
	log   *Log
	topic string
}

// NewRecorder returns a Recorder that appends to log for topic.
func NewRecorder(log *Log, topic string) *Recorder { return &Recorder{log: log, topic: topic} }

// Record encodes inc as warden.incident.v1 JSON (after Normalize) and
// appends it, keyed by inc.Key, with the trace context in a traceparent
// header. It never touches the network. An incident that does not match
// the schema is refused (the ingest would dead-letter it, so the review
// queue would never see an incident the check reported as raised): the
// check then applies its fail mode. Errors: a schema error, ErrFull,
// ErrTooLarge, ErrClosed, or an I/O error.
func (r *Recorder) Record(ctx context.Context, inc *incident.Incident) error {
	inc.Normalize()
	if err := inc.Validate(); err != nil {
		return fmt.Errorf("incident %s: %w", inc.ID, err)
	}
	b, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("encoding incident %s: %w", inc.ID, err)
	}
	h := make([]Header, 0, 4)
	h = append(h, Header{HeaderSchema, []byte(incident.Schema)}, Header{HeaderContentType, []byte("application/json")},
		Header{HeaderIncidentID, []byte(inc.ID)})
	if inc.Trace.Traceparent != "" {
		h = append(h, Header{HeaderTraceparent, []byte(inc.Trace.Traceparent)})
	}
	if _, err := r.log.Append(ctx, Message{Topic: r.topic, Key: []byte(inc.Key), Value: b, Headers: h}); err != nil {
		return fmt.Errorf("appending incident %s to the outbox: %w", inc.ID, err)
	}
	return nil
}
