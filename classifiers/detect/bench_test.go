package detect

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers/detect/devset"
)

var proseWords = strings.Fields(`the a of and to in is that it for was on are as with his they at be this from have or by one had not but
what all were when we there can an your which their said if do will each about how up out them then she many some so these would
other into has more her two like him see time could no make than first been its who now people my made over did down only way find use
may water long little very after words called just where most know get through back much before go good new write our used me man too
any day same right look think also around another came come work three must because does part even place well such here take why help
put different away again off went old number great tell men say small every found still between name should home big give air line set
own under read last never us left end along while might next sound below saw something thought both few those always show large often
together asked house don't world going want school important until form food keep children feet land side without boy once animal life
enough took four head above kind began almost live page got earth need far hand high year mother light country father let night picture
Monday London Paris Python Kubernetes Docker January Amazon Google Berlin Europe Mr Dr API JSON HTTP SQL v2 3.5 42 2024 10% $19.99 #12`)

// mixedText builds about size bytes of text: mostly prose (with numbers,
// capitalised words, code-ish tokens), one line in five a development case
// (PII, secrets or a look-alike).
func mixedText(size int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 7))
	cases := append(devset.Positives(devset.Seed), devset.LookAlikes(devset.Seed)...)
	var b strings.Builder
	b.Grow(size + 1024)
	for b.Len() < size {
		if r.IntN(5) == 0 {
			b.WriteString(cases[r.IntN(len(cases))].Text)
			b.WriteByte('\n')
			continue
		}
		n := 8 + r.IntN(20)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(proseWords[r.IntN(len(proseWords))])
		}
		b.WriteString(". ")
		if r.IntN(4) == 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()[:size]
}

const mb = 1 << 20

// cpuTime is the CPU time (user + system) this process has used: on a
// shared machine it measures the work, where wall time measures the queue.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchDetect(b *testing.B, text string) {
	d := newRuleDetector(b)
	ctx := context.Background()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	n := 0
	c0 := cpuTime()
	for b.Loop() {
		if _, err := d.Detect(ctx, text); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(n)/1e6, "cpu-ms/op")
}

func BenchmarkDetectMixed1MB(b *testing.B) { benchDetect(b, mixedText(mb, 1)) }
func BenchmarkDetectMixed2MB(b *testing.B) { benchDetect(b, mixedText(2*mb, 1)) }

// adversarial inputs: each must scan in time linear in its length.
var adversarial = map[string]func(n int) string{
	"repeated_a":    func(n int) string { return strings.Repeat("a", n) },
	"digits":        func(n int) string { return strings.Repeat("7", n) },
	"spaced_digits": func(n int) string { return strings.Repeat("1 ", n/2) },
	"dashed_digits": func(n int) string { return strings.Repeat("12-", n/3) },
	"at_signs":      func(n int) string { return strings.Repeat("@", n) },
	"a_at":          func(n int) string { return strings.Repeat("a@", n/2) },
	"email_chain":   func(n int) string { return strings.Repeat("a.b@c.de", n/8) },
	"colons":        func(n int) string { return strings.Repeat(":", n) },
	"hex_colons":    func(n int) string { return strings.Repeat("ab:", n/3) },
	"base64ish": func(n int) string {
		return randomRun(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	},
	"keywords":       func(n int) string { return strings.Repeat("key=", n/4) },
	"token_keywords": func(n int) string { return strings.Repeat("token: ", n/7) },
	"jwt_prefix":     func(n int) string { return strings.Repeat("eyJ.", n/4) },
	"pem_begin":      func(n int) string { return strings.Repeat("-----BEGIN ", n/11) },
	"url_scheme":     func(n int) string { return strings.Repeat("a://b:", n/6) },
	"plus_digits":    func(n int) string { return strings.Repeat("+1 (", n/4) },
	"iban_prefix":    func(n int) string { return strings.Repeat("DE89 ", n/5) },
	"ghp":            func(n int) string { return strings.Repeat("ghp_", n/4) },
}

func randomRun(n int, alphabet string) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func BenchmarkDetectAdversarial1MB(b *testing.B) {
	for _, name := range sortedKeys(adversarial) {
		b.Run(name, func(b *testing.B) { benchDetect(b, adversarial[name](mb)) })
	}
}

// timeDetect returns the CPU time of the best of three runs.
func timeDetect(d *Detector, text string) time.Duration {
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		runtime.GC()
		t0 := cpuTime()
		_, _ = d.Detect(context.Background(), text)
		best = min(best, cpuTime()-t0)
	}
	return best
}

// TestLinearTime checks that the time grows linearly, for mixed text and
// for every adversarial input: 4x the input (0.25 MB -> 1 MB) may take at
// most 8x the time (quadratic growth would be 16x). The bound is loose
// because the machine is shared; the benchmarks give the precise figures
// (1 MB vs 2 MB).
func TestLinearTime(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timing test (skipped with -short and -race)")
	}
	d := newRuleDetector(t)
	inputs := map[string]func(n int) string{"mixed": func(n int) string { return mixedText(n, 1) }}
	for k, v := range adversarial {
		inputs[k] = v
	}
	for _, name := range sortedKeys(inputs) {
		small, large := inputs[name](mb/4), inputs[name](mb)
		ts, tl := timeDetect(d, small), timeDetect(d, large)
		ratio := float64(tl) / float64(max(ts, time.Microsecond))
		t.Logf("%-15s 0.25 MB %8v  1 MB %8v  ratio %.2f", name, ts.Round(time.Microsecond), tl.Round(time.Microsecond), ratio)
		// Small absolute times are noise on a shared machine.
		if ratio > 8 && tl > 20*time.Millisecond {
			t.Errorf("%s: 1 MB took %.1fx the time of 0.25 MB", name, ratio)
		}
		if tl > 500*time.Millisecond {
			t.Errorf("%s: 1 MB took %v", name, tl)
		}
	}
}

// BenchmarkReleasable: the cost of the streaming hold-back on a filter's
// buffer (LookBehind of context and a few bytes held), next to Detect's on
// the same buffer: prose, a YAML config (a secret keyword on every line),
// code, CJK text.
func BenchmarkReleasable(b *testing.B) {
	d := newRuleDetector(b)
	config := "```yaml\nserver:\n  port: 8080\n  host: 0.0.0.0\nauth:\n  token_ttl: 3600\n  api_key: ${API_KEY}\n" +
		"  secret_name: prod-db\n  access_log: true\ndatabase:\n  user: app\n  password_file: /run/secrets/db\n```\n"
	n := d.LookBehind() + 8
	for _, c := range []struct{ name, text string }{
		{"prose", proseText}, {"config", config}, {"code", codeText}, {"cjk", cjkText},
	} {
		buf := runePrefix(strings.Repeat(c.text, n/len(c.text)+1), n)
		fs, _ := d.Detect(context.Background(), buf)
		b.Run(c.name+"/detect", func(b *testing.B) {
			for b.Loop() {
				_, _ = d.Detect(context.Background(), buf)
			}
		})
		b.Run(c.name+"/releasable", func(b *testing.B) {
			for b.Loop() {
				d.Releasable(buf, fs, false)
			}
		})
	}
}
