# METADATA
# title: streams test policy
# description: |
#   A small policy for the streams tests (not shipped): finding types listed
#   in block_types block, in escalate_types escalate, every other finding is
#   masked; scores at or above thresholds[stage][category] block. Tenant
#   "restore" asks for vault tokens to be restored.
package warden

import rego.v1

cfg := data.warden.test

block_hits contains {"rule": sprintf("finding.%s", [f.type]), "reason": sprintf("%s found", [f.type])} if {
	some f in input.findings
	f.type in cfg.block_types
}

block_hits contains {"rule": sprintf("%s.block", [cat]), "reason": sprintf("%s score %.2f >= %.2f", [cat, input.scores[cat], t])} if {
	some cat, t in object.get(cfg.thresholds, input.stage, {})
	input.scores[cat] >= t
}

escalate_hits contains {"rule": sprintf("finding.%s", [f.type]), "reason": sprintf("%s found", [f.type])} if {
	some f in input.findings
	f.type in cfg.escalate_types
}

redactions contains {"type": f.type, "mode": object.get(cfg.modes, f.type, "mask")} if {
	some f in input.findings
	not f.type in cfg.block_types
	not f.type in cfg.escalate_types
}

action := "block" if {
	count(block_hits) > 0
} else := "escalate" if {
	count(escalate_hits) > 0
} else := "redact" if {
	count(redactions) > 0
} else := "allow"

redact_hits contains {"rule": sprintf("redact.%s", [r.type]), "reason": sprintf("%s redacted (%s)", [r.type, r.mode])} if {
	some r in redactions
}

hits := (block_hits | escalate_hits) | redact_hits

decision := {
	"action": action,
	"reasons": [h.reason | some h in hits],
	"rules": [h.rule | some h in hits],
	"redactions": [r | some r in redactions],
	"restore": object.get(input, "tenant", "") == "restore",
}
