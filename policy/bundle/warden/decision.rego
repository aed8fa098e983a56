# METADATA
# title: Warden default policy
# description: |
#   Turns classifier scores, detector findings and normalisation signals into
#   one decision: block > escalate > redact > allow.
#
#   Thresholds and redaction modes live in data.json (data.warden.config):
#   "defaults" apply to every tenant; "tenants.<name>" overrides single
#   settings (a threshold, a redaction mode), falling back to the defaults
#   for everything it does not name.
#
#   Prompt stage, by default:
#   - prompt_injection / jailbreak at or above "block" (0.90) are blocked:
#     at that point the shipped model's precision is high on data it never
#     trained on (see models/injection/manifest.json, cross-source metrics);
#   - scores between "escalate" (0.50) and "block" pass but raise an incident
#     for human review: the model is unsure, and a person should decide;
#   - secrets are masked (credentials must never reach a model provider);
#     PII passes unless the tenant opts in (see tenant "strict");
#   - Unicode tag characters (a way to smuggle hidden instructions) escalate.
#   Response stage, by default: every PII and secret finding is masked.
package warden

import rego.v1

# The effective configuration for this request: the tenant's settings
# deep-merged over the defaults, so a tenant overrides only what it names.
cfg := object.union(data.warden.config.defaults, object.get(data.warden.config.tenants, input.tenant, {}))

thresholds := object.get(cfg.thresholds, input.stage, {})

block_hits contains hit if {
	some cat, t in thresholds
	s := input.scores[cat]
	s >= t.block
	hit := {
		"rule": sprintf("%s.block", [cat]),
		"reason": sprintf("%s score %.2f >= block threshold %.2f", [cat, s, t.block]),
	}
}

escalate_hits contains hit if {
	some cat, t in thresholds
	s := input.scores[cat]
	s >= t.escalate
	s < object.get(t, "block", 2)
	hit := {
		"rule": sprintf("%s.escalate", [cat]),
		"reason": sprintf("%s score %.2f >= escalate threshold %.2f", [cat, s, t.escalate]),
	}
}

escalate_hits contains hit if {
	some sig in input.signals
	sig in cfg.signals[input.stage].escalate
	hit := {
		"rule": sprintf("signal.%s", [sig]),
		"reason": sprintf("obfuscation signal %s", [sig]),
	}
}

redact_cfg := object.get(cfg.redact, input.stage, {})

# The redaction mode for a finding: by type first, then by class. "none"
# leaves the finding in place.
redaction_mode(f) := redact_cfg.types[f.type]

redaction_mode(f) := redact_cfg.classes[f.class] if not redact_cfg.types[f.type]

redactions contains {"type": f.type, "mode": mode} if {
	some f in input.findings
	mode := redaction_mode(f)
	mode != "none"
}

redact_hits contains hit if {
	some r in redactions
	n := count([f | some f in input.findings; f.type == r.type])
	hit := {
		"rule": sprintf("redact.%s", [r.type]),
		"reason": sprintf("%d %s finding(s) redacted (%s)", [n, r.type, r.mode]),
	}
}

action := "block" if {
	count(block_hits) > 0
} else := "escalate" if {
	count(escalate_hits) > 0
} else := "redact" if {
	count(redactions) > 0
} else := "allow"

hits := block_hits | escalate_hits | redact_hits

decision := {
	"action": action,
	"reasons": [h.reason | some h in hits],
	"rules": [h.rule | some h in hits],
	"redactions": [r | some r in redactions],
}
