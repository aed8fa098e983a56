package warden_test

import rego.v1

import data.warden

# found is the input's findings and their summary by type, as the engine
# builds it (policy.Input).
found(fs) := {"findings": fs, "finding_types": {t: {"class": f.class, "count": count(sc), "scores": sc} |
	some f in fs
	t := f.type
	sc := [g.score | some g in fs; g.type == t]
}}

# thr is the default threshold object of a stage and category (data.json):
# the tests below place scores relative to it, so that a retrained model's
# thresholds (copied from its manifest) need no test edits, while the
# decision logic around them stays pinned.
thr(stage, cat) := data.warden.config.defaults.thresholds[stage][cat]

# mid is halfway between a category's escalate and block thresholds.
mid(stage, cat) := (thr(stage, cat).escalate + thr(stage, cat).block) / 2

base := {"stage": "prompt", "tenant": "default", "source": "hook", "scores": {}, "findings": [], "signals": [], "text_length": 10}

test_benign_allowed if {
	d := warden.decision with input as object.union(base, {"scores": {"prompt_injection": 0.02, "jailbreak": 0.005}})
	d.action == "allow"
	d.reasons == []
}

test_confident_injection_blocked if {
	d := warden.decision with input as object.union(base, {"scores": {"prompt_injection": 0.99}})
	d.action == "block"
	"prompt_injection.block" in d.rules
}

test_block_threshold_is_inclusive if {
	d := warden.decision with input as object.union(base, {"scores": {"jailbreak": thr("prompt", "jailbreak").block}})
	d.action == "block"
}

test_uncertain_band_escalates if {
	d := warden.decision with input as object.union(base, {"scores": {"jailbreak": mid("prompt", "jailbreak")}})
	d.action == "escalate"
	d.rules == ["jailbreak.escalate"]
}

test_below_escalate_allowed if {
	d := warden.decision with input as object.union(base, {"scores": {"jailbreak": thr("prompt", "jailbreak").escalate - 0.001}})
	d.action == "allow"
}

test_response_stage_escalates_injection_never_blocks if {
	d := warden.decision with input as object.union(base, {"stage": "response", "scores": {"prompt_injection": 0.99, "jailbreak": 0.999}})
	d.action == "escalate"
	d.rules == ["jailbreak.escalate", "prompt_injection.escalate"]
	below := thr("response", "prompt_injection").escalate - 0.001
	d2 := warden.decision with input as object.union(base, {"stage": "response", "scores": {"prompt_injection": below}})
	d2.action == "allow"
}

test_secret_masked_in_prompt if {
	f := {"type": "AWS_ACCESS_KEY", "class": "secret", "start": 0, "end": 20, "score": 1}
	d := warden.decision with input as object.union(base, found([f]))
	d.action == "redact"
	d.redactions == [{"type": "AWS_ACCESS_KEY", "mode": "mask", "min_score": 0, "count": 1}]
}

test_pii_passes_in_prompt_by_default if {
	f := {"type": "EMAIL", "class": "pii", "start": 0, "end": 12, "score": 1}
	d := warden.decision with input as object.union(base, found([f]))
	d.action == "allow"
}

test_pii_masked_in_response if {
	f := {"type": "EMAIL", "class": "pii", "start": 0, "end": 12, "score": 1}
	d := warden.decision with input as object.union(base, object.union({"stage": "response"}, found([f])))
	d.action == "redact"
}

test_strict_tenant_overrides_thresholds_only if {
	score := mid("prompt", "prompt_injection")
	score >= data.warden.config.tenants.strict.thresholds.prompt.prompt_injection.block
	inp := object.union(base, {"tenant": "strict", "scores": {"prompt_injection": score}})
	d := warden.decision with input as inp
	d.action == "block"

	# the default tenant only escalates the same score
	d2 := warden.decision with input as object.union(inp, {"tenant": "default"})
	d2.action == "escalate"
}

test_strict_tenant_masks_pii_in_prompt if {
	f := {"type": "EMAIL", "class": "pii", "start": 0, "end": 12, "score": 1}
	d := warden.decision with input as object.union(base, object.union({"tenant": "strict"}, found([f])))
	d.action == "redact"
}

test_unknown_tenant_gets_defaults if {
	score := thr("prompt", "prompt_injection").block
	d := warden.decision with input as object.union(base, {"tenant": "nobody", "scores": {"prompt_injection": score}})
	d.action == "block"
}

test_tag_chars_escalate if {
	d := warden.decision with input as object.union(base, {"signals": ["tag_chars"]})
	d.action == "escalate"
	d.rules == ["signal.tag_chars"]
}

test_variation_selectors_escalate if {
	d := warden.decision with input as object.union(base, {"signals": ["variation_selectors"]})
	d.action == "escalate"
	d.rules == ["signal.variation_selectors"]
}

test_other_signals_alone_allow if {
	d := warden.decision with input as object.union(base, {"signals": ["joined_words", "escapes", "cipher"]})
	d.action == "allow"
}

test_block_wins_and_keeps_redactions if {
	f := {"type": "GITHUB_TOKEN", "class": "secret", "start": 0, "end": 40, "score": 1}
	d := warden.decision with input as object.union(base, object.union({"scores": {"prompt_injection": 0.99}}, found([f])))
	d.action == "block"
	count(d.redactions) == 1
}

test_restore_only_at_response_stage if {
	d := warden.decision with input as base
	d.restore == false
	d2 := warden.decision with input as object.union(base, {"stage": "response"})
	d2.restore == true
}

test_low_confidence_names_left_alone if {
	weak := {"type": "PERSON", "class": "pii", "start": 0, "end": 6, "score": 0.7}
	d := warden.decision with input as object.union(base, object.union({"stage": "response", "tenant": "strict"}, found([weak])))
	d.action == "allow"
	strong := object.union(weak, {"score": 0.97})
	d2 := warden.decision with input as object.union(base, object.union({"stage": "response", "tenant": "strict"}, found([strong])))
	d2.action == "redact"
}

test_harm_escalates_below_block if {
	d := warden.decision with input as object.union(base, {"scores": {"illicit": mid("prompt", "illicit")}})
	d.action == "escalate"
	d.rules == ["illicit.escalate"]
}

test_confident_harm_blocked if {
	d := warden.decision with input as object.union(base, {"scores": {"illicit": 0.9}})
	d.action == "block"
}

test_self_harm_never_blocks if {
	d := warden.decision with input as object.union(base, {"scores": {"self_harm": 0.99}})
	d.action == "escalate"
	d2 := warden.decision with input as object.union(base, {"stage": "response", "scores": {"self_harm": 0.99}})
	d2.action == "escalate"
}

test_response_harm_thresholds_are_the_response_ones if {
	# with a response threshold above the prompt's, 0.6 hate escalates a
	# prompt but not an answer (thresholds set here: the shipped ones may
	# coincide for a category)
	ts := {
		"prompt": {"hate": {"block": 0.85, "escalate": 0.5}},
		"response": {"hate": {"block": 0.95, "escalate": 0.86}},
	}
	d := warden.decision with input as object.union(base, {"scores": {"hate": 0.6}})
		with data.warden.config.defaults.thresholds as ts
	d.action == "escalate"
	d2 := warden.decision with input as object.union(base, {"stage": "response", "scores": {"hate": 0.6}})
		with data.warden.config.defaults.thresholds as ts
	d2.action == "allow"
}

# Every threshold names "escalate", and "block" (when present) is not below
# it, for the defaults and for every tenant's merged settings: the policy
# looks at a category only once its score reaches escalate.
test_every_threshold_names_escalate_at_or_below_block if {
	d := data.warden.config.defaults
	configs := array.concat([d], [object.union(d, c) | some c in data.warden.config.tenants])
	bad := [[stage, cat] |
		some c in configs
		some stage, ts in object.get(c, "thresholds", {})
		some cat, t in ts
		not valid_threshold(t)
	]
	bad == []
}

valid_threshold(t) if {
	is_number(t.escalate)
	object.get(t, "block", 2) >= t.escalate
}
