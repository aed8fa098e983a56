package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsValid(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.FailModePrompt != FailClosed || c.FailModeResponse != FailClosed {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"WARDEN_ADDR":               "0.0.0.0:9000",
		"WARDEN_CHECK_TIMEOUT":      "50ms",
		"WARDEN_FAIL_MODE_RESPONSE": "open",
		"WARDEN_MAX_BODY_BYTES":     "2048",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.CheckTimeout != 50*time.Millisecond || c.FailModeResponse != FailOpen || c.MaxBodyBytes != 2048 {
		t.Fatalf("%+v", c)
	}
}

func TestInvalidReportsEveryError(t *testing.T) {
	_, err := Load(env(map[string]string{
		"WARDEN_ADDR":             "nonsense",
		"WARDEN_CHECK_TIMEOUT":    "-1s",
		"WARDEN_FAIL_MODE_PROMPT": "sometimes",
		"WARDEN_LOG_FORMAT":       "xml",
	}))
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"WARDEN_FAIL_MODE_PROMPT", "WARDEN_ADDR", "WARDEN_LOG_FORMAT", "WARDEN_CHECK_TIMEOUT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	_, err = Load(env(map[string]string{"WARDEN_ADDR": "nonsense", "WARDEN_LOG_FORMAT": "xml", "WARDEN_CHECK_TIMEOUT": "-1s"}))
	for _, want := range []string{"WARDEN_ADDR", "WARDEN_LOG_FORMAT", "WARDEN_CHECK_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestPprofAddr(t *testing.T) {
	env := map[string]string{"WARDEN_PPROF_ADDR": "127.0.0.1:6060"}
	c, err := Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || c.PprofAddr != "127.0.0.1:6060" {
		t.Fatalf("%+v %v", c.PprofAddr, err)
	}
	env["WARDEN_PPROF_ADDR"] = "6060"
	if _, err := Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), "WARDEN_PPROF_ADDR") {
		t.Fatalf("bad address accepted: %v", err)
	}
}

func TestMallocArenas(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.MallocArenas != 2 {
		t.Fatalf("default MallocArenas = %d, %v; want 2", c.MallocArenas, err)
	}
	c, err = Load(env(map[string]string{"WARDEN_MALLOC_ARENAS": "0"}))
	if err != nil || c.MallocArenas != 0 {
		t.Fatalf("WARDEN_MALLOC_ARENAS=0: %d, %v", c.MallocArenas, err)
	}
	for _, bad := range []string{"-1", "2000", "two"} {
		if _, err := Load(env(map[string]string{"WARDEN_MALLOC_ARENAS": bad})); err == nil ||
			!strings.Contains(err.Error(), "WARDEN_MALLOC_ARENAS") {
			t.Errorf("WARDEN_MALLOC_ARENAS=%s: error %v does not name it", bad, err)
		}
	}
}

// A value that does not parse is listed with the settings that parse but
// are invalid, not instead of them.
func TestParseAndRangeErrorsTogether(t *testing.T) {
	_, err := Load(env(map[string]string{"WARDEN_CHECK_TIMEOUT": "soon", "WARDEN_LOG_LEVEL": "loud", "WARDEN_ORT_THREADS": "0"}))
	for _, want := range []string{"WARDEN_CHECK_TIMEOUT", "WARDEN_LOG_LEVEL", "WARDEN_ORT_THREADS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// The batch queue must hold a full batch; batching refused it only after
// the listener and the incident pipeline had started.
func TestBatchQueueBelowBatchMax(t *testing.T) {
	_, err := Load(env(map[string]string{"WARDEN_BATCH_QUEUE": "8", "WARDEN_BATCH_MAX": "32"}))
	if err == nil || !strings.Contains(err.Error(), "WARDEN_BATCH_QUEUE") {
		t.Fatalf("queue below a batch accepted: %v", err)
	}
	if _, err := Load(env(map[string]string{"WARDEN_BATCH_QUEUE": "8", "WARDEN_BATCH_MAX": "8"})); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(env(map[string]string{"WARDEN_BATCH_QUEUE": "8", "WARDEN_BATCH": "off"})); err != nil {
		t.Fatalf("without batching the queue bound is unused: %v", err)
	}
}
