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
#   - prompt_injection at or above "block" (0.884) is blocked, and
#     between "escalate" (0.623) and "block" it passes but raises an
#     incident for human review. These are the shipped model's thresholds
#     (models/injection/manifest.json): the smallest scores at which every
#     benign family of its dev split stays under 0.5% (block) / 2%
#     (escalate) false positives, for the shipped model and for each model
#     trained without one attack source;
#   - jailbreak escalates at the model's 0.271 and blocks at its 0.61,
#     chosen by the same rule (confident template jailbreaks, DAN and the
#     like, block);
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
#   - Unicode tag characters and bytes hidden in variation selectors (ways
#     to smuggle hidden instructions; neither has a benign use in a prompt)
#     escalate.
#   Response stage, by default: harm categories escalate and block at the
#   harm model's response-stage thresholds (benign answers score higher
#   than benign prompts, so these are higher); prompt_injection (0.623)
#   and jailbreak (0.271) escalate and never block — an answer that carries
#   an attack (a retrieved page, a tool result, a quoted template) matters
#   to whatever reads it next, and is often the model explaining one, so a
#   reviewer looks (the injection model's response-stage thresholds,
#   models/injection/manifest.json training.thresholds_by_stage); every
#   PII and secret finding is masked, except PERSON and LOCATION: the name
#   tagger's held-out precision (about 0.6 per span,
#   models/ner/manifest.json) is too low to rewrite answers by default, so
#   names are findings the policy sees and a tenant opts in to masking them
#   (tenant "strict" does).
#
#   Thresholds: every category names "escalate"; "block" is optional (a
#   category without it never blocks) and must not be below "escalate". A
#   bundle test checks both for the defaults and every tenant, so a bad
#   configuration is rejected at reload.
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

# The whole decision is one rule: every intermediate value is a local
# variable, not a rule or function of its own. OPA's interpreter costs a few
# microseconds per expression on a 2-core machine, so the layout keeps the
# expressions a typical check evaluates few (go test ./policy -bench Decide;
# docs/benchmarks.md): the threshold pass is one call of Warden's built-in
# warden.threshold_hits (policy/builtins.go), there is one pass over the
# finding types, and every hit is [severity, rule, reason, action] in one
# sorted list whose head names the action.
decision := {
	"action": object.get({"hits": hits}, ["hits", 0, 3], "allow"),
	"reasons": [h[2] | some h in hits],
	"rules": [h[1] | some h in hits],
	"redactions": red,
	# restore: vault tokens in a model's answer are replaced by the values
	# they stand for (the user's own data coming back to them); only tokens
	# this tenant's vault issued can be restored.
	"restore": object.get(cfg, ["restore", stage], false),
} if {
	stage := input.stage

	# The effective configuration: the tenant's settings deep-merged over
	# the defaults, so a tenant overrides only what it names (a union with
	# an unknown tenant's {} costs nothing).
	conf := data.warden.config
	cfg := object.union(conf.defaults, object.get(conf.tenants, input.tenant, {}))

	# Redaction per finding type (input.finding_types summarises the
	# findings by type): the mode by type first, then by class; "none"
	# leaves the findings. Findings from statistical detectors (the
	# PERSON/LOCATION model) carry a confidence; below the type's min_score
	# they are not acted on. Rule-based findings score 1.0. Each entry is
	# the decision's redaction as it stands ("count", the findings it
	# covers, is for the reason; the engine ignores it).
	rc := object.get(cfg, ["redact", stage], {})
	red := [{"type": type, "mode": mode, "min_score": m, "count": n} |
		some type, f in input.finding_types
		mode := object.get(rc, ["types", type], object.get(rc, ["classes", f.class], "none"))
		mode != "none"
		m := object.get(cfg, ["min_score", type], 0)
		n := count([s | some s in f.scores; s >= m])
		n > 0
	]

	# Every hit as [severity, rule, reason, action]: -3 block, -2
	# escalate, -1 redact, sorted most severe first (then by rule), so the
	# head's action is the decision's (allow when nothing hit). Threshold
	# hits come from warden.threshold_hits: the categories whose score
	# reaches "escalate", each as [category, score, "block"|"escalate",
	# threshold] ("block" when the category has a block threshold and the
	# score reaches it).
	hits := sort(array.concat(
		array.concat(
			[[{"block": -3, "escalate": -2}[x[2]], sprintf("%s.%s", [x[0], x[2]]), sprintf("%s score %.2f >= %s threshold %.2f", x), x[2]] |
				some x in warden.threshold_hits(input.scores, object.get(cfg, ["thresholds", stage], {}))
			],
			[[-2, sprintf("signal.%s", [sig]), sprintf("obfuscation signal %s", [sig]), "escalate"] |
				some sig in input.signals
				sig in object.get(cfg, ["signals", stage, "escalate"], [])
			],
		),
		[[-1, sprintf("redact.%s", [r.type]), sprintf("%d %s finding(s) redacted (%s)", [r.count, r.type, r.mode]), "redact"] | some r in red],
	))
}
