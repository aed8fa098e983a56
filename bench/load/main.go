// Command load drives a running Warden with concurrent POST /v1/check
// requests and reports latency percentiles, throughput, the action mix and
// (with -pid) the server's resident memory.
//
//	bin/warden serve &                     # note its PID
//	go run ./bench/load -c 8 -n 20000 -size 1024 -pid $PID -healthz
//	go run ./bench/load -rate 200 -n 6000 -size 1024   # fixed arrival rate
//	go run ./bench/load -rate 200 -n 6000 -mix no-attacks   # no attack sentences: few incidents
//
// Texts are drawn from a fixed, seeded mix of benign prose, prompt
// injections and texts with secrets and PII (internal/benchtext, shared with
// the in-process BenchmarkCheck1KB), cut or repeated to -size bytes, so runs
// are comparable. The server-side percentiles come from the server's
// warden_check_duration_seconds histogram, read before and after the run.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/wardenhq/warden/internal/benchtext"
)

func rss(pid int) (cur, peak string) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?", "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			cur = f[1] + " kB"
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			peak = f[1] + " kB"
		}
	}
	return cur, peak
}

// histogram is the check-duration histogram of one stage, summed over
// actions: cumulative counts per upper bound.
type histogram struct {
	bounds []float64
	counts []float64
	count  float64
}

// checkHistogram scrapes warden_check_duration_seconds for stage.
func checkHistogram(client *http.Client, url, stage string) (histogram, error) {
	var h histogram
	resp, err := client.Get(url)
	if err != nil {
		return h, fmt.Errorf("scraping %s: %w", url, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return h, fmt.Errorf("parsing %s: %w", url, err)
	}
	fam := fams["warden_check_duration_seconds"]
	if fam == nil {
		// No check yet since the server started.
		return h, nil
	}
	byBound := map[float64]float64{}
	for _, m := range fam.GetMetric() {
		ok := false
		for _, l := range m.GetLabel() {
			ok = ok || (l.GetName() == "stage" && l.GetValue() == stage)
		}
		if !ok || m.GetHistogram() == nil {
			continue
		}
		for _, b := range m.GetHistogram().GetBucket() {
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
		h.count += float64(m.GetHistogram().GetSampleCount())
	}
	for b := range byBound {
		h.bounds = append(h.bounds, b)
	}
	slices.Sort(h.bounds)
	for _, b := range h.bounds {
		h.counts = append(h.counts, byBound[b])
	}
	return h, nil
}

// sub leaves the observations made since o (same buckets).
func (h *histogram) sub(o histogram) {
	if o.count > 0 && len(o.counts) == len(h.counts) {
		for i := range h.counts {
			h.counts[i] -= o.counts[i]
		}
		h.count -= o.count
	}
}

// atMost is the fraction of observations at or below bound (a bucket edge).
func (h histogram) atMost(bound float64) float64 {
	if h.count == 0 {
		return 0
	}
	for i, b := range h.bounds {
		if b >= bound {
			return h.counts[i] / h.count
		}
	}
	return 1
}

// quantile interpolates linearly inside the bucket that holds q, as
// Prometheus' histogram_quantile does.
func (h histogram) quantile(q float64) string {
	if h.count == 0 {
		return "n/a"
	}
	rank := q * h.count
	lo, prev := 0.0, 0.0
	for i, b := range h.bounds {
		if h.counts[i] >= rank {
			if math.IsInf(b, 1) {
				return fmt.Sprintf("> %v", time.Duration(lo*float64(time.Second)))
			}
			f := (rank - prev) / max(h.counts[i]-prev, 1)
			return time.Duration((lo + f*(b-lo)) * float64(time.Second)).Round(10 * time.Microsecond).String()
		}
		lo, prev = b, h.counts[i]
	}
	return "n/a"
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8080/v1/check", "check endpoint")
	conc := flag.Int("c", 4, "requests in flight")
	n := flag.Int("n", 5000, "requests")
	size := flag.Int("size", 1024, "text bytes per request")
	stage := flag.String("stage", "prompt", "prompt or response")
	pid := flag.Int("pid", 0, "server PID: report its resident memory")
	seed := flag.Uint64("seed", 1, "text mix seed")
	rate := flag.Float64("rate", 0, "open loop: start requests at this many per second (0: closed loop, -c in flight)")
	mix := flag.String("mix", "all", "texts: all (benchtext.Seeds: ~80 % of 1 KB texts carry an attack sentence) or no-attacks (benchtext.NoAttacks)")
	healthz := flag.Bool("healthz", false, "also run the same load against GET /healthz on the same server, for comparison")
	flag.Parse()

	seeds := benchtext.Seeds
	switch *mix {
	case "all":
	case "no-attacks":
		seeds = benchtext.NoAttacks
	default:
		fmt.Fprintf(os.Stderr, "-mix %q: want all or no-attacks\n", *mix)
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(*seed, 0))
	bodies := make([][]byte, 256)
	for i := range bodies {
		bodies[i], _ = json.Marshal(map[string]string{"stage": *stage, "text": benchtext.TextFrom(r, *size, seeds)})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(*conc, 64)}, Timeout: 30 * time.Second}
	run := func(label string, mk func(i int) *http.Request) {
		lat := make([]time.Duration, *n)
		var mu sync.Mutex
		actions := map[string]int{}
		statuses := map[int]int{}
		do := func(i int) {
			t0 := time.Now()
			resp, err := client.Do(mk(i))
			if err != nil {
				fmt.Fprintln(os.Stderr, "request:", err)
				os.Exit(1)
			}
			var out struct {
				Action string `json:"action"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat[i] = time.Since(t0)
			mu.Lock()
			statuses[resp.StatusCode]++
			actions[out.Action]++
			mu.Unlock()
		}
		start := time.Now()
		var wg sync.WaitGroup
		if *rate > 0 {
			// Open loop: request i starts at start + i/rate, whatever
			// the latency of the others (no coordinated omission).
			for i := range *n {
				if d := time.Until(start.Add(time.Duration(float64(i) / *rate * float64(time.Second)))); d > 0 {
					time.Sleep(d)
				}
				wg.Add(1)
				go func() { defer wg.Done(); do(i) }()
			}
		} else {
			var next atomic.Int64
			for range *conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= *n {
							return
						}
						do(i)
					}
				}()
			}
		}
		wg.Wait()
		el := time.Since(start)
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		mode := fmt.Sprintf("concurrency %d", *conc)
		if *rate > 0 {
			mode = fmt.Sprintf("open loop at %.0f req/s", *rate)
		}
		fmt.Printf("%s: %d requests, %s\n", label, *n, mode)
		fmt.Printf("  throughput %.0f req/s\n", float64(*n)/el.Seconds())
		fmt.Printf("  latency p50 %v p90 %v p99 %v max %v\n", q(0.50), q(0.90), q(0.99), lat[len(lat)-1])
		fmt.Printf("  status %v", statuses)
		if label != "healthz" {
			fmt.Printf(" actions %v", actions)
		}
		fmt.Println()
	}
	metricsURL := strings.TrimSuffix(*url, "/v1/check") + "/metrics"
	before, berr := checkHistogram(client, metricsURL, *stage)
	run(fmt.Sprintf("check (%d-byte %s texts)", *size, *stage), func(i int) *http.Request {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, *url, bytes.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		return req
	})
	after, aerr := checkHistogram(client, metricsURL, *stage)
	if err := errors.Join(berr, aerr); err != nil {
		fmt.Fprintln(os.Stderr, "server-side latency unavailable:", err)
	} else {
		after.sub(before)
		fmt.Printf("  server-side (warden_check_duration_seconds, %.0f checks): p50 %s p99 %s; <= 2 ms %.1f %%, <= 10 ms %.1f %%\n",
			after.count, after.quantile(0.50), after.quantile(0.99), 100*after.atMost(0.002), 100*after.atMost(0.010))
	}
	if *healthz {
		hz := strings.TrimSuffix(*url, "/v1/check") + "/healthz"
		run("healthz", func(int) *http.Request {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, hz, nil)
			return req
		})
	}
	if *pid > 0 {
		cur, peak := rss(*pid)
		fmt.Printf("server RSS %s (peak %s)\n", cur, peak)
	}
}
