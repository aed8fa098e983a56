package streams

import (
	"strings"
	"testing"
)

// TestFromEnvDemoUpstream: WARDEN_DEMO_UPSTREAM takes on/off like the
// guard's switches, and the usual booleans; anything else is an error
// listed with the other invalid settings.
func TestFromEnvDemoUpstream(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for v, want := range map[string]bool{"on": true, "OFF": false, "true": true, "false": false, "1": true, "0": false, " on ": true} {
		c, err := FromEnv(env(map[string]string{"WARDEN_DEMO_UPSTREAM": v}))
		if err != nil || c.Demo != want {
			t.Errorf("%q: demo %v (%v), want %v", v, c.Demo, err, want)
		}
	}
	if c, err := FromEnv(env(nil)); err != nil || !c.Demo {
		t.Errorf("default: demo %v (%v), want true", c.Demo, err)
	}
	_, err := FromEnv(env(map[string]string{"WARDEN_DEMO_UPSTREAM": "maybe", "WARDEN_STREAM_SCORE_WINDOW": "x"}))
	if err == nil || !strings.Contains(err.Error(), "WARDEN_DEMO_UPSTREAM") || !strings.Contains(err.Error(), "WARDEN_STREAM_SCORE_WINDOW") {
		t.Fatalf("two invalid settings: %v", err)
	}
}
