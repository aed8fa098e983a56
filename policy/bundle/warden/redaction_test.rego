package warden_test

import rego.v1

import data.warden

# Redaction tests: which findings the default policy redacts, and how a
# tenant's per-type modes override the per-class defaults.

red_base := {"stage": "prompt", "tenant": "default", "source": "hook", "scores": {}, "findings": [], "signals": [], "text_length": 100}

secret(t) := {"type": t, "class": "secret", "start": 0, "end": 10, "score": 0.7}

pii(t) := {"type": t, "class": "pii", "start": 20, "end": 30, "score": 0.9}

test_every_secret_type_masked_in_prompt if {
	fs := [secret("PASSWORD"), secret("URL_CREDENTIALS"), secret("PRIVATE_KEY"), secret("JWT"), secret("API_KEY")]
	d := warden.decision with input as object.union(red_base, found(fs))
	d.action == "redact"
	count(d.redactions) == 5
	every r in d.redactions {
		r.mode == "mask"
	}
}

test_pii_and_names_pass_in_prompt_by_default if {
	fs := [pii("PERSON"), pii("LOCATION"), pii("PHONE")]
	d := warden.decision with input as object.union(red_base, found(fs))
	d.action == "allow"
	d.redactions == []
}

test_secret_and_pii_in_prompt_only_secret_redacted if {
	d := warden.decision with input as object.union(red_base, found([secret("GITHUB_TOKEN"), pii("EMAIL")]))
	d.redactions == [{"type": "GITHUB_TOKEN", "mode": "mask", "min_score": 0, "count": 1}]
}

# The name tagger's precision is too low to rewrite answers by default
# (models/ner/manifest.json): names and places are findings, and a tenant
# opts in to masking them ("strict" does).
test_names_reported_not_masked_in_response_by_default if {
	d := warden.decision with input as object.union(red_base, object.union({"stage": "response"}, found([pii("PERSON"), pii("LOCATION"), pii("EMAIL")])))
	d.action == "redact"
	{r.type | some r in d.redactions} == {"EMAIL"}
}

test_names_masked_in_response_for_strict if {
	d := warden.decision with input as object.union(red_base, object.union({"stage": "response", "tenant": "strict"}, found([pii("PERSON"), pii("LOCATION")])))
	d.action == "redact"
	{r.type | some r in d.redactions} == {"PERSON", "LOCATION"}
}

# A tenant can choose modes per type: vault for e-mail (restorable in the
# answer), hash for phones, none for IP addresses; other PII keeps the
# class mode.
tenant_cfg := {
	"defaults": data.warden.config.defaults,
	"tenants": {"crm": {"redact": {"prompt": {
		"classes": {"pii": "mask"},
		"types": {"EMAIL": "vault", "PHONE": "hash", "IP_ADDRESS": "none"},
	}}}},
}

test_tenant_type_modes_override_class if {
	fs := [pii("EMAIL"), pii("PHONE"), pii("IP_ADDRESS"), pii("US_SSN"), secret("AWS_ACCESS_KEY")]
	d := warden.decision with input as object.union(red_base, object.union({"tenant": "crm"}, found(fs)))
		with data.warden.config as tenant_cfg
	modes := {r.type: r.mode | some r in d.redactions}
	modes == {"EMAIL": "vault", "PHONE": "hash", "US_SSN": "mask", "AWS_ACCESS_KEY": "mask"}
}

test_redaction_reason_names_type_and_mode if {
	d := warden.decision with input as object.union(red_base, found([secret("PASSWORD"), secret("PASSWORD")]))
	"redact.PASSWORD" in d.rules
	some reason in d.reasons
	contains(reason, "2 PASSWORD finding(s) redacted (mask)")
}
