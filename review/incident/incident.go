// Package incident defines warden.incident.v1, the event a block or
// escalate decision raises. It is what travels over Kafka to the review
// queue. The text it carries is always redacted: every finding is replaced
// (the policy's mode where it names one, a mask otherwise), so raw secrets
// and personal data never leave the guard.
package incident

import (
	"time"

	"github.com/wardenhq/warden/internal/types"
)

// Schema is the value of the schema field of every v1 incident.
const Schema = "warden.incident.v1"

// Sources of an incident.
const (
	SourceHook   = "hook"
	SourceStream = "stream"
	SourceProxy  = "proxy"
)

// Incident is one block or escalation.
type Incident struct {
	Schema string    `json:"schema"`
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Tenant string    `json:"tenant"`
	Stage  string    `json:"stage"`
	Source string    `json:"source"`
	Action string    `json:"action"`
	// Key orders incidents of one conversation (Kafka message key).
	Key      string             `json:"key"`
	Reasons  []string           `json:"reasons"`
	RuleIDs  []string           `json:"rule_ids"`
	Scores   map[string]float64 `json:"scores"`
	Signals  []string           `json:"signals,omitempty"`
	Findings []types.Finding    `json:"findings"`
	// Text is the checked text as redacted; finding offsets refer to it.
	Text string `json:"text"`
	// Prompt is the prompt context of a response-stage check, redacted.
	Prompt string `json:"prompt,omitempty"`
	// Delivered counts the bytes of a stream already released to the
	// client before the decision (streams only).
	Delivered      *int              `json:"delivered_bytes,omitempty"`
	DecisionID     string            `json:"decision_id"`
	Trace          Trace             `json:"trace"`
	PolicyRevision string            `json:"policy_revision"`
	ModelVersions  map[string]string `json:"model_versions"`
}

// Trace carries the W3C trace context of the check that raised it.
type Trace struct {
	TraceID     string `json:"trace_id,omitempty"`
	SpanID      string `json:"span_id,omitempty"`
	Traceparent string `json:"traceparent,omitempty"`
}
