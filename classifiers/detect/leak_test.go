package detect

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

// TestFindingsNeverCarryValues: the JSON of every finding (what reaches
// logs, traces, incidents) never contains the value it points at, and
// detector errors never contain the text.
func TestFindingsNeverCarryValues(t *testing.T) {
	d := newRuleDetector(t)
	for _, c := range readCases(t, positivesFile) {
		fs, err := d.Detect(context.Background(), c.Text)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(fs)
		value := c.Text[c.Start:c.End]
		// Long values: any 8-byte piece of them; short ones whole.
		probe := value
		if len(value) > 12 {
			probe = value[len(value)/2-4 : len(value)/2+4]
		}
		if strings.Contains(string(b), probe) {
			t.Fatalf("%s: finding JSON %s contains %q", c.ID, b, probe)
		}
	}
	// A cancelled detection fails without quoting the text.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	secret := "ghp_R8kq2Lm9Xw3Zt7Vb1Nc5Hd0Jf4Gp6Ys8Qe2A"
	_, err := d.Detect(ctx, "token "+secret)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v", err)
	}
	// A broken model manifest names the file, not the text.
	_, err = New(Options{NERModelFS: fstest.MapFS{"manifest.json": {Data: []byte(`{"name":"x"}`)}}})
	if err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Fatalf("bad manifest: %v", err)
	}
}
