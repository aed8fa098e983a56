package incident

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/wardenhq/warden/internal/types"
)

var (
	uuidRE        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	findingTypeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	traceIDRE     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDRE      = regexp.MustCompile(`^[0-9a-f]{16}$`)
	traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)
)

// Validate checks the constraints of the v1 schema on a decoded incident,
// some 20 times faster than validating the JSON against the schema (which
// the ingest would otherwise do for every message). It cannot see whether
// a field whose zero value the schema allows (text, policy_revision,
// trace, a finding's offsets) was present; everything else agrees with the
// schema, and a test keeps the two in step.
func (i *Incident) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if i.Schema != Schema {
		bad("schema %q, want %q", i.Schema, Schema)
	}
	if !uuidRE.MatchString(i.ID) {
		bad("id %q is not a UUID", i.ID)
	}
	if i.Time.IsZero() {
		bad("time missing")
	}
	if len(i.Tenant) < 1 || len([]rune(i.Tenant)) > 256 {
		bad("tenant length %d outside 1..256", len(i.Tenant))
	}
	if i.Stage != "prompt" && i.Stage != "response" {
		bad("stage %q", i.Stage)
	}
	if i.Source != SourceHook && i.Source != SourceStream && i.Source != SourceProxy {
		bad("source %q", i.Source)
	}
	if i.Action != "block" && i.Action != "escalate" {
		bad("action %q", i.Action)
	}
	if i.Key == "" {
		bad("key missing")
	}
	if i.Reasons == nil {
		bad("reasons missing")
	}
	if i.RuleIDs == nil {
		bad("rule_ids missing")
	}
	if i.Scores == nil {
		bad("scores missing")
	}
	for k, v := range i.Scores {
		if !types.ValidCategory(k) {
			bad("score category %q", k)
		}
		if v < 0 || v > 1 {
			bad("score %s = %v outside 0..1", k, v)
		}
	}
	if i.Findings == nil {
		bad("findings missing")
	}
	for n, f := range i.Findings {
		if !findingTypeRE.MatchString(f.Type) {
			bad("findings[%d].type %q", n, f.Type)
		}
		if f.Start < 0 || f.End < 0 {
			bad("findings[%d] negative offset", n)
		}
		if f.Score < 0 || f.Score > 1 {
			bad("findings[%d].score %v outside 0..1", n, f.Score)
		}
	}
	if i.Delivered != nil && *i.Delivered < 0 {
		bad("delivered_bytes %d negative", *i.Delivered)
	}
	if i.DecisionID == "" {
		bad("decision_id missing")
	}
	if t := i.Trace.TraceID; t != "" && !traceIDRE.MatchString(t) {
		bad("trace.trace_id %q", t)
	}
	if s := i.Trace.SpanID; s != "" && !spanIDRE.MatchString(s) {
		bad("trace.span_id %q", s)
	}
	if p := i.Trace.Traceparent; p != "" && !traceparentRE.MatchString(p) {
		bad("trace.traceparent %q", p)
	}
	if i.ModelVersions == nil {
		bad("model_versions missing")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("incident does not match %s: %w", Schema, err)
	}
	return nil
}

// Decode parses one encoded incident strictly (unknown fields are errors,
// like the schema's additionalProperties: false) and validates it.
func Decode(b []byte) (*Incident, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var inc Incident
	if err := dec.Decode(&inc); err != nil {
		return nil, fmt.Errorf("decoding incident: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding incident: trailing data")
	}
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	return &inc, nil
}
