package streams

import (
	"context"
	"testing"

	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
)

// The demo's "block" script is what README.md and streams/README.md show
// the default policy escalating at the response stage (a policy with a
// response-stage block rule stops it). With injection 1.5.0 the script as
// one run-on paragraph scored 0.43 (allowed), so the demo showed nothing.
// This runs the shipped models, detectors and default policy.
func TestDemoScriptsUnderDefaultPolicy(t *testing.T) {
	det, err := detect.New(detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { det.Close() })
	svc := testenv.Service(t, det, nil, check.Options{})
	res, err := svc.Check(context.Background(), check.Request{Stage: types.StageResponse, Text: demoScripts["block"], Source: "proxy"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != types.ActionEscalate {
		t.Fatalf("demo block script: %s (scores %v, reasons %v), want escalate", res.Action, res.Scores, res.Reasons)
	}
	res, err = svc.Check(context.Background(), check.Request{Stage: types.StageResponse, Text: demoScripts["default"], Source: "proxy"})
	if err != nil {
		t.Fatal(err)
	}
	// redact, not escalate: the first call of the README's quick start
	// must not put an incident in the review queue
	if res.Action != types.ActionRedact || res.Text == demoScripts["default"] {
		t.Fatalf("demo default script: %s (scores %v) %q, want its e-mail address and key masked", res.Action, res.Scores, res.Text)
	}
}
