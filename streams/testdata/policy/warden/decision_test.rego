package warden_test

import rego.v1

import data.warden

test_forbidden_blocks if {
	warden.decision.action == "block" with input as {"stage": "response", "findings": [{"type": "FORBIDDEN"}], "scores": {}}
}

test_email_masked if {
	d := warden.decision with input as {"stage": "response", "findings": [{"type": "EMAIL"}], "scores": {}}
	d.action == "redact"
	d.redactions == [{"type": "EMAIL", "mode": "mask"}]
}
