// Package types is Warden's shared vocabulary: stages, actions, categories,
// findings and decisions. Every other package speaks in these types; this
// package imports nothing from the rest of Warden.
package types

import "fmt"

// Stage says where in the LLM exchange a text sits.
type Stage int

const (
	// StagePrompt is text going to the model.
	StagePrompt Stage = iota + 1
	// StageResponse is text coming back from the model.
	StageResponse
)

var stageNames = map[Stage]string{StagePrompt: "prompt", StageResponse: "response"}

// ParseStage turns "prompt" or "response" into a Stage; anything else is an error.
func ParseStage(s string) (Stage, error) {
	for k, v := range stageNames {
		if v == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown stage %q (want prompt or response)", s)
}

func (s Stage) String() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Stage) MarshalText() ([]byte, error) {
	if _, ok := stageNames[s]; !ok {
		return nil, fmt.Errorf("invalid stage %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Stage) UnmarshalText(b []byte) error {
	v, err := ParseStage(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Action is what the policy decided to do with a text. Actions are ordered by
// severity: Allow < Redact < Escalate < Block.
type Action int

const (
	// ActionAllow lets the text through unchanged.
	ActionAllow Action = iota + 1
	// ActionRedact lets the text through with findings rewritten.
	ActionRedact
	// ActionEscalate lets the text through (redacted if the policy says so)
	// and raises an incident for human review.
	ActionEscalate
	// ActionBlock stops the text and raises an incident.
	ActionBlock
)

var actionNames = map[Action]string{
	ActionAllow:    "allow",
	ActionRedact:   "redact",
	ActionEscalate: "escalate",
	ActionBlock:    "block",
}

// ParseAction parses an action name; unknown names are errors.
func ParseAction(s string) (Action, error) {
	for k, v := range actionNames {
		if v == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (want allow, redact, escalate or block)", s)
}

func (a Action) String() string {
	if n, ok := actionNames[a]; ok {
		return n
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Valid reports whether a is one of the four actions.
func (a Action) Valid() bool { _, ok := actionNames[a]; return ok }

// Incident reports whether the action raises an incident for review.
func (a Action) Incident() bool { return a == ActionBlock || a == ActionEscalate }

// MarshalText implements encoding.TextMarshaler.
func (a Action) MarshalText() ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("invalid action %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Category names a classifier score (snake_case, as in the API).
type Category = string

// ValidCategory reports whether name is a category name: ^[a-z][a-z0-9_]*$
// (the incident schema's rule; a model's labels must follow it).
func ValidCategory(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return name != ""
}

// Categories scored by Warden's classifiers. Finer categories
// (hate_threatening, …) may be added by models; these are the core set.
const (
	PromptInjection Category = "prompt_injection"
	Jailbreak       Category = "jailbreak"
	Hate            Category = "hate"
	Harassment      Category = "harassment"
	Violence        Category = "violence"
	Sexual          Category = "sexual"
	SelfHarm        Category = "self_harm"
	Illicit         Category = "illicit"
)

// Scores maps a category to a calibrated probability in [0, 1].
type Scores map[Category]float64

// Finding is one span a detector found in a text. Offsets are byte offsets
// into the text the caller sent (after UTF-8 validation), End exclusive.
type Finding struct {
	Type string `json:"type"`
	// Class groups types for policy: "pii" or "secret".
	Class string  `json:"class,omitempty"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
	// Detector names the detector or rule that produced the finding (for
	// example a gitleaks rule id). It never contains the matched value.
	Detector string `json:"detector,omitempty"`
}

// Len is the length of the finding in bytes.
func (f Finding) Len() int { return f.End - f.Start }

// Redaction is the policy's instruction for one finding type.
type Redaction struct {
	// Type is the finding type it applies to ("EMAIL"), or "*" for all.
	Type string `json:"type"`
	// Mode is mask, partial, hash or vault.
	Mode string `json:"mode"`
	// MinScore: findings of this type scoring below it are left as they are.
	MinScore float64 `json:"min_score,omitempty"`
}

// Applies reports whether the redactions act on finding f: a redaction
// names its type (or "*") and f meets the redaction's minimum score.
func Applies(rs []Redaction, f Finding) bool {
	var wild *Redaction
	for i := range rs {
		if rs[i].Type == f.Type {
			return f.Score >= rs[i].MinScore
		}
		if rs[i].Type == "*" {
			wild = &rs[i]
		}
	}
	return wild != nil && f.Score >= wild.MinScore
}

// Decision is the typed result of a policy evaluation. It is never a bare
// boolean: it carries the action and everything needed to explain it.
type Decision struct {
	ID         string      `json:"id"`
	Action     Action      `json:"action"`
	Reasons    []string    `json:"reasons"`
	RuleIDs    []string    `json:"rule_ids"`
	Redactions []Redaction `json:"redactions,omitempty"`
	// Restore asks for reversible vault tokens in the text to be replaced
	// by their values (response stage: give the user back their own data).
	Restore        bool              `json:"restore,omitempty"`
	PolicyRevision string            `json:"policy_revision"`
	ModelVersions  map[string]string `json:"model_versions"`
	// Shadow holds the action a shadow (candidate) policy would have taken,
	// when shadow mode is configured; it is recorded, never enforced.
	Shadow *Action `json:"shadow_action,omitempty"`
}

// Signal is a named boolean or count raised by normalisation (for example
// "zero_width" when invisible characters were stripped).
type Signal = string

// Message is one chat turn (OpenAI style).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}
