package incident

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wardenhq/warden/internal/types"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of warden.incident.v1, the
// contract of the incidents topic. It is also the file
// review/incident/incident.v1.schema.json in the repository.
//
//go:embed incident.v1.schema.json
var SchemaJSON []byte

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
)

func schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
		if err != nil {
			compileErr = fmt.Errorf("parsing incident schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		const url = "incident.v1.schema.json"
		if err := c.AddResource(url, doc); err != nil {
			compileErr = fmt.Errorf("loading incident schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(url)
	})
	return compiled, compileErr
}

// ValidateJSON checks an encoded incident against the v1 schema.
func ValidateJSON(b []byte) error {
	sch, err := schema()
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("incident is not JSON: %w", err)
	}
	if err := sch.Validate(doc); err != nil {
		return fmt.Errorf("incident does not match %s: %w", Schema, err)
	}
	return nil
}

// Normalize fills the fields the schema requires to be present with empty
// values where the producer left them nil (nil slices and maps would encode
// as null), and sets Schema.
func (i *Incident) Normalize() {
	i.Schema = Schema
	if i.Reasons == nil {
		i.Reasons = []string{}
	}
	if i.RuleIDs == nil {
		i.RuleIDs = []string{}
	}
	if i.Scores == nil {
		i.Scores = map[string]float64{}
	}
	if i.Findings == nil {
		i.Findings = []types.Finding{}
	}
	if i.ModelVersions == nil {
		i.ModelVersions = map[string]string{}
	}
	if i.Key == "" {
		i.Key = i.Tenant
	}
}
