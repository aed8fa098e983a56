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
#   - prompt_injection at or above "block" (0.865) is blocked, and
#     between "escalate" (0.423) and "block" it passes but raises an
#     incident for human review. These are the shipped model's thresholds
#     (models/injection/manifest.json): the smallest scores at which every
#     benign family of its dev split stays under 0.5% (block) / 2%
#     (escalate) false positives, for the shipped model and for each model
#     trained without one attack source;
#   - jailbreak escalates at the model's 0.535 and blocks at 0.99: the
#     manifest's own block threshold (0.999) is the maximum over the
#     leave-one-source-out models and is set by one fold; at 0.99 the
#     benign false-positive rate is below the escalate threshold's (<= 1.4%
#     on every held-out benign set) and confident template jailbreaks
#     (DAN and the like) still block;
#   - harm categories (hate, harassment, violence, sexual, self_harm,
#     illicit; models/harm): escalate at the harm model's own block
#     thresholds (chosen on its dev split: at most ~1% of benign prompts per
#     set), block only at 0.85 (0.95 for harassment, where insults in chat
#     are common): the model's cross-source precision is low (see
#     models/harm/manifest.json), so most harm decisions go to a reviewer;
#   - self_harm never blocks: a person in distress should not meet a
#     refusal; it escalates so that someone can follow up;
#   - secrets are masked (credentials must never reach a model provider);
#     PII passes unless the tenant opts in (see tenant "strict");
#   - Unicode tag characters (a way to smuggle hidden instructions) escalate.
#   Response stage, by default: harm categories escalate and block at the
#   harm model's response-stage thresholds (benign answers score higher
#   than benign prompts, so these are higher); every PII and secret
#   finding is masked,
#   except PERSON and LOCATION: the name tagger's held-out precision (about
#   0.6 per span, models/ner/manifest.json) is too low to rewrite answers
#   by default, so names are findings the policy sees and a tenant opts in
#   to masking them (tenant "strict" does).
#
#   Redaction (config "redact.<stage>"): a finding's mode is looked up by its
#   type ("types": {"EMAIL": "vault"}) and then by its class ("classes":
#   {"pii": ..., "secret": ...}); "none" leaves it. Findings come from
#   classifiers/detect: class "secret" for credentials (PRIVATE_KEY, JWT,
#   URL_CREDENTIALS, PASSWORD, AWS_ACCESS_KEY, GITHUB_TOKEN, every gitleaks
#   rule), class "pii" for EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN,
#   IP_ADDRESS, PERSON, LOCATION. Modes: "mask" ([EMAIL]), "partial" (last
#   four characters kept: use only for PII, never for secrets), "hash" (a
#   stable per-tenant pseudonym, <EMAIL_3f2a9c>) and "vault" (a reversible
#   token kept for a TTL, <EMAIL_3f2a9c1b0d>, which Warden can restore in
#   the model's answer). Secrets default to mask at both stages because a
#   credential must not reach a provider in any recoverable form; PII in
#   prompts is a tenant's choice (tenant "strict" masks it; a tenant that
#   wants the model to keep referring to the same person across turns would
#   choose "hash", or "vault" to get the real values back in the answer).
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

# Findings from statistical detectors (the PERSON/LOCATION model) carry a
# confidence; below the type's min_score they are not acted on. Rule-based
# findings score 1.0 (validated structure) or their stated evidence.
min_score(t) := object.get(object.get(cfg, "min_score", {}), t, 0)

redactions contains {"type": f.type, "mode": mode, "min_score": min_score(f.type)} if {
	some f in input.findings
	f.score >= min_score(f.type)
	mode := redaction_mode(f)
	mode != "none"
}

redact_hits contains hit if {
	some r in redactions
	n := count([f | some f in input.findings; f.type == r.type; f.score >= min_score(f.type)])
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

# Most severe first: block, escalate, then redaction hits.
hits := array.concat(array.concat([h | some h in block_hits], [h | some h in escalate_hits]), [h | some h in redact_hits])

# restore: vault tokens in a model's answer are replaced by the values they
# stand for (the user's own data coming back to them). Only tokens this
# tenant's vault issued can be restored; a stage without the setting never
# restores.
restore := object.get(cfg.restore, input.stage, false)

decision := {
	"action": action,
	"reasons": [h.reason | some h in hits],
	"rules": [h.rule | some h in hits],
	"redactions": [r | some r in redactions],
	"restore": restore,
}
