package detect

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDetectLinear: inputs of the API's 1 MiB limit built to stress the
// private-key scanner and the secret rules finish quickly: 0.1-0.7 s each
// on a loaded two-core machine. Before the fixes, half a megabyte took
// 1.5-5.4 s (headers without END lines searched the rest of the text
// once each; every key on one long line read the whole line), and a
// megabyte four times that. The bound is an order of magnitude above the
// linear time (three times, under -race).
func TestDetectLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	d := newRuleDetector(t)
	size := 1 << 20
	if raceEnabled {
		// The race detector slows the regexps 15-fold: at a quarter of
		// the size the linear pass takes up to 3 s, the quadratic one
		// took ~20 s.
		size = 256 << 10
	}
	for name, text := range map[string]string{
		"key headers without an END":       strings.Repeat("-----BEGIN RSA PRIVATE KEY-----\n", size/32),
		"a key header, then short lines":   "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("QUFB\n", size/5),
		"a key header, then escaped lines": "-----BEGIN RSA PRIVATE KEY-----\\n" + strings.Repeat("QUFB\\n", size/6),
		"access keys on one line":          strings.Repeat("AKIAZ3MSJV4WWNKWW5FG ", size/21),
		"api keys on one line":             strings.Repeat("api_key=Kq9vT2pLx8Wm3Zr7 ", size/25),
		"passwords on one line":            strings.Repeat("password=Kq9!vT2#pLx8 ", size/22),
		"tokens on one line":               strings.Repeat("token: 0123456789abcdef0123456789abcdef ", size/40),
		"github tokens on one line":        strings.Repeat("ghp_abcdefghijklmnopqrstuvwxyz0123456789 ", size/41),
	} {
		start := time.Now()
		if _, err := d.Detect(context.Background(), text); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		t.Logf("%s: %v", name, d)
		if d > 10*time.Second {
			t.Errorf("%s: %v for %d KiB", name, d, len(text)>>10)
		}
	}
}
