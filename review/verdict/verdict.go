// Package verdict defines warden.verdict.v1, the event a reviewer's
// decision on an incident raises. Verdicts travel over Kafka (the verdicts
// topic) to whatever tunes thresholds or retrains models, and are exported
// as labelled training data.
package verdict

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema is the value of the schema field of every v1 verdict.
const Schema = "warden.verdict.v1"

// Kind is what the reviewer decided.
type Kind string

// Verdict kinds.
const (
	// Confirm agrees with the guard: the flagged categories stand.
	Confirm Kind = "confirm"
	// Overturn says the text was benign (a false positive).
	Overturn Kind = "overturn"
	// Relabel says the text was harmful but in other categories.
	Relabel Kind = "relabel"
)

// ParseKind parses a verdict kind; unknown values are errors.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case Confirm, Overturn, Relabel:
		return k, nil
	}
	return "", fmt.Errorf("unknown verdict %q (want confirm, overturn or relabel)", s)
}

// Event is one verdict as published.
type Event struct {
	Schema     string    `json:"schema"`
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	IncidentID string    `json:"incident_id"`
	Tenant     string    `json:"tenant"`
	Stage      string    `json:"stage"`
	// Action is what the guard did (block or escalate).
	Action  string `json:"action"`
	Verdict Kind   `json:"verdict"`
	// Categories are the labels after review; empty means benign.
	Categories     []string           `json:"categories"`
	Reviewer       string             `json:"reviewer"`
	PolicyRevision string             `json:"policy_revision"`
	ModelVersions  map[string]string  `json:"model_versions"`
	Scores         map[string]float64 `json:"scores"`
}

// SchemaJSON is the JSON Schema of warden.verdict.v1.
//
//go:embed verdict.v1.schema.json
var SchemaJSON []byte

var (
	once   sync.Once
	sch    *jsonschema.Schema
	schErr error
)

// ValidateJSON checks an encoded verdict against the v1 schema.
func ValidateJSON(b []byte) error {
	once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
		if err != nil {
			schErr = fmt.Errorf("parsing verdict schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("verdict.v1.schema.json", doc); err != nil {
			schErr = fmt.Errorf("loading verdict schema: %w", err)
			return
		}
		sch, schErr = c.Compile("verdict.v1.schema.json")
	})
	if schErr != nil {
		return schErr
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("verdict is not JSON: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("verdict does not match %s: %w", Schema, err)
	}
	return nil
}
