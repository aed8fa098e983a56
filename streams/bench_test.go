package streams

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/classifiers/detect"
	"github.com/wardenhq/warden/internal/api"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/testenv"
	"github.com/wardenhq/warden/internal/types"
	nermodel "github.com/wardenhq/warden/models/ner"
)

// Benchmarks run on the real components: ONNX Runtime with the models,
// the default policy, the real detector (classifiers/detect). Percentiles
// are reported with b.ReportMetric; the plain proxy (httputil.ReverseProxy)
// runs in the same benchmark as Warden.
//
//	go test ./streams -run '^$' -bench . -benchtime 2000x

func benchService(b *testing.B) *check.Service { return benchServiceWith(b, testenv.Suite(b), false) }

// benchServiceWith: the real detector, with the name tagger when ner is
// set (the server's default, WARDEN_NER=on).
func benchServiceWith(b *testing.B, cls check.Classifier, ner bool) *check.Service {
	var opts detect.Options
	if ner {
		testenv.ORT(b)
		opts.NERModelFS, opts.NERDir = nermodel.FS, "."
	}
	det, err := detect.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = det.Close() })
	return check.New(cls, det, testenv.Policy(b), &memRecorder{}, check.Options{FailOpen: map[types.Stage]bool{}})
}

// answer is LLM-like text with some PII, about 3 KB.
var answer = strings.Repeat("Sure! Here is a short overview of the quarterly numbers you asked about. Revenue grew by 12% "+
	"while costs stayed flat; the team at finance (reach them at finance.team@example-corp.com) can share details. ", 14)

func pieces(text string, n int) []string {
	var out []string
	for len(text) > 0 {
		k := min(n, len(text))
		out = append(out, text[:k])
		text = text[k:]
	}
	return out
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, int(float64(len(s))*p))
	return float64(s[i].Microseconds()) + float64(s[i].Nanoseconds()%1000)/1000
}

// BenchmarkFilterChunk: the filter's cost per chunk (4-byte chunks, as
// LLM tokens arrive): detect, score windows, decide, redact, release.
// "shipped": the models as shipped (today none scores responses);
// "response-classifier": the shipped classifiers made to score responses
// too, as response-stage models will.
// "ner": the shipped models and the name tagger among the detectors.
// Also reported: the bytes held after each chunk (p50, max).
func BenchmarkFilterChunk(b *testing.B) {
	b.Run("shipped", func(b *testing.B) { filterChunk(b, benchService(b)) })
	b.Run("ner", func(b *testing.B) { filterChunk(b, benchServiceWith(b, testenv.Suite(b), true)) })
	b.Run("response-classifier", func(b *testing.B) { filterChunk(b, benchServiceWith(b, responseSuite(b), false)) })
}

func filterChunk(b *testing.B, svc *check.Service) {
	e := newTestEngine(b, svc, nil)
	ps := pieces(answer, 4)
	ctx := context.Background()
	var f *Filter
	k := 0
	var d []time.Duration
	var held []int
	b.ReportAllocs()
	for b.Loop() {
		if f == nil || k == len(ps) {
			if f != nil {
				f.Close(ctx)
			}
			f, _ = e.NewFilter(FilterOptions{})
			k = 0
		}
		t0 := time.Now()
		f.Write(ctx, ps[k])
		d = append(d, time.Since(t0))
		held = append(held, f.Held())
		k++
	}
	b.ReportMetric(pct(d, 0.50), "p50-µs/chunk")
	b.ReportMetric(pct(d, 0.99), "p99-µs/chunk")
	b.ReportMetric(pct(d, 0.999), "p99.9-µs/chunk")
	slices.Sort(held)
	b.ReportMetric(float64(held[len(held)/2]), "held-p50-B")
	b.ReportMetric(float64(held[len(held)-1]), "held-max-B")
}

// BenchmarkFilterMemory: heap held by one open filter mid-answer.
func BenchmarkFilterMemory(b *testing.B) {
	svc := benchService(b)
	e := newTestEngine(b, svc, nil)
	ctx := context.Background()
	const open = 1000
	// Warm the detector's shared state (regexp machine pools) first, so
	// that only per-filter memory is counted.
	warm, _ := e.NewFilter(FilterOptions{})
	for _, p := range pieces(answer[:1500], 4) {
		warm.Write(ctx, p)
	}
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		fs := make([]*Filter, open)
		for i := range fs {
			fs[i], _ = e.NewFilter(FilterOptions{})
			for _, p := range pieces(answer[:1500], 4) {
				fs[i].Write(ctx, p)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/open, "heap-B/filter")
		runtime.KeepAlive(fs)
	}
}

// benchUpstream streams answer in chunks of size bytes; first, if set, is
// sent whole as the first content chunk (the hold-back's worth at once).
func benchUpstream(b *testing.B, first string, rest []string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		bw := bufio.NewWriter(w)
		send := func(s string) {
			bw.WriteString("data: ")
			bw.WriteString(s)
			bw.WriteString("\n\n")
			bw.Flush()
			fl.Flush()
		}
		send(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`)
		if first != "" {
			send(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` + mustJSON(first) + `},"finish_reason":null}]}`)
		}
		for _, p := range rest {
			send(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` + mustJSON(p) + `},"finish_reason":null}]}`)
		}
		send(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		send(`[DONE]`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func plainProxy(b *testing.B, upstream string) *httptest.Server {
	u, _ := url.Parse(upstream)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	srv := httptest.NewServer(http.StripPrefix("/v1", rp))
	b.Cleanup(srv.Close)
	return srv
}

func benchWarden(b *testing.B, svc *check.Service, upstream string) *httptest.Server {
	a := api.New(api.Options{Checker: svc})
	cfg := Default()
	cfg.UpstreamURL = upstream
	if _, err := Register(a.Engine(), Deps{Config: cfg, Service: func() *check.Service { return svc }}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	b.Cleanup(srv.Close)
	return srv
}

var benchReq = []byte(`{"model":"m","stream":true,"messages":[{"role":"user","content":"How did the quarter go? Keep it short."}]}`)

// stream sends one request and reads the stream: time to the first
// content byte, total time, and bytes of content text received.
func stream(b *testing.B, client *http.Client, base string) (ttft, total time.Duration, n int) {
	t0 := time.Now()
	resp, err := client.Post(base+"/v1/chat/completions", "application/json", bytes.NewReader(benchReq))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var ch struct {
		Choices []struct {
			Delta struct {
				Content string `json:"content"`
			} `json:"delta"`
		} `json:"choices"`
	}
	for {
		line, err := br.ReadSlice('\n')
		if bytes.HasPrefix(line, []byte("data: {")) {
			ch.Choices = ch.Choices[:0]
			if json.Unmarshal(line[6:], &ch) == nil {
				for _, c := range ch.Choices {
					if c.Delta.Content != "" && ttft == 0 {
						ttft = time.Since(t0)
					}
					n += len(c.Delta.Content)
				}
			}
		}
		if err != nil {
			break
		}
	}
	return ttft, time.Since(t0), n
}

// BenchmarkTTFT: time to first token through a plain reverse proxy and
// through Warden, same upstream, same run. The upstream's first content
// chunk carries more than the hold-back, so what Warden adds is its own
// work (prompt check, forwarding, the first filter step), not the wait for
// text to arrive.
func BenchmarkTTFT(b *testing.B) {
	svc := benchService(b)
	first := answer[:1200]
	up := benchUpstream(b, first, pieces(answer[1200:1400], 8))
	plain := plainProxy(b, up.URL)
	w := benchWarden(b, svc, up.URL+"/v1")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var tp, tw []time.Duration
	for b.Loop() {
		a, _, _ := stream(b, client, plain.URL)
		c, _, _ := stream(b, client, w.URL)
		tp, tw = append(tp, a), append(tw, c)
	}
	b.ReportMetric(pct(tp, 0.5), "plain-p50-µs")
	b.ReportMetric(pct(tw, 0.5), "warden-p50-µs")
	b.ReportMetric(pct(tw, 0.5)-pct(tp, 0.5), "added-p50-µs")
	b.ReportMetric(pct(tw, 0.99)-pct(tp, 0.99), "added-p99-µs")
}

// BenchmarkTTFTPaced: time to first token when the answer arrives as a
// model sends it (4-byte chunks every 10 ms), through a plain reverse
// proxy and through Warden, same upstream, same run. Warden releases text
// as soon as no match can still be growing in it, so what it adds is about
// one chunk interval: the first chunk ("Sure") may yet be the start of an
// e-mail address or a name, and goes out with the second. Reported: both
// p50s, the difference, and the bytes the filter had been given when it
// first released text (in-process, the same 4-byte pieces). "ner": the
// name tagger among the detectors (the server's default).
func BenchmarkTTFTPaced(b *testing.B) {
	for _, ner := range []bool{false, true} {
		b.Run(map[bool]string{false: "rules", true: "ner"}[ner], func(b *testing.B) {
			ttftPaced(b, benchServiceWith(b, testenv.Suite(b), ner))
		})
	}
}

func ttftPaced(b *testing.B, svc *check.Service) {
	text := answer[:800] // enough for the first release (the old hold-back was 602 bytes)
	up := pacedUpstream(b, pieces(text, 4), 10*time.Millisecond)
	plain := plainProxy(b, up.URL)
	w := benchWarden(b, svc, up.URL+"/v1")
	e := newTestEngine(b, svc, nil)
	first := firstRelease(b, e, pieces(text, 4))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var tp, tw []time.Duration
	for b.Loop() {
		a, _, _ := stream(b, client, plain.URL)
		c, _, _ := stream(b, client, w.URL)
		tp, tw = append(tp, a), append(tw, c)
	}
	b.ReportMetric(pct(tp, 0.5)/1e3, "plain-p50-ms")
	b.ReportMetric(pct(tw, 0.5)/1e3, "warden-p50-ms")
	b.ReportMetric((pct(tw, 0.5)-pct(tp, 0.5))/1e3, "added-p50-ms")
	b.ReportMetric(float64(first), "first-release-after-B")
}

// firstRelease is how many bytes a new filter is given before it releases
// text, fed the pieces one by one.
func firstRelease(b *testing.B, e *Engine, ps []string) int {
	ctx := context.Background()
	f, err := e.NewFilter(FilterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Abort(ctx)
	for _, p := range ps {
		o := f.Write(ctx, p)
		if d, ok := f.Due(); ok && !d.After(time.Now()) {
			o.Text += f.Tick(ctx, time.Now()).Text
		}
		if o.Text != "" {
			return f.Len()
		}
	}
	return f.Len()
}

// BenchmarkThroughput: a 3 KB answer in 16-byte chunks through both
// proxies. "unpaced": one stream at a time, the upstream as fast as it can
// write (CPU-bound: Warden's per-stream work, prompt check and final
// decision included, against a byte copy). "paced-N": N concurrent streams,
// the upstream sending a chunk every 10 ms (100 chunks/s per stream, a fast
// model): delivered bytes per second at the clients, which is what users
// see.

func BenchmarkThroughput(b *testing.B) {
	svc := benchService(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Run("unpaced", func(b *testing.B) {
		up := benchUpstream(b, "", pieces(answer, 16))
		plain := plainProxy(b, up.URL)
		w := benchWarden(b, svc, up.URL+"/v1")
		var dp, dw time.Duration
		var np, nw int
		for b.Loop() {
			_, a, x := stream(b, client, plain.URL)
			_, c, y := stream(b, client, w.URL)
			dp, dw, np, nw = dp+a, dw+c, np+x, nw+y
		}
		rp := float64(np) / dp.Seconds()
		rw := float64(nw) / dw.Seconds()
		b.ReportMetric(rp/1e6, "plain-MB/s")
		b.ReportMetric(rw/1e6, "warden-MB/s")
		b.ReportMetric(rw/rp, "ratio")
	})
	for _, conc := range []int{32, 128} {
		b.Run(fmt.Sprintf("paced-%d", conc), func(b *testing.B) { pacedThroughput(b, svc, client, conc) })
	}
}

// pacedThroughput: conc concurrent streams, a 16-byte chunk every 10 ms
// each (100 chunks/s per stream, a fast model).
func pacedThroughput(b *testing.B, svc *check.Service, client *http.Client, conc int) {
	{
		up := pacedUpstream(b, pieces(answer, 16), 10*time.Millisecond)
		plain := plainProxy(b, up.URL)
		w := benchWarden(b, svc, up.URL+"/v1")
		run := func(base string) (time.Duration, int) {
			t0 := time.Now()
			var mu sync.Mutex
			total := 0
			var wg sync.WaitGroup
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, n := stream(b, client, base)
					mu.Lock()
					total += n
					mu.Unlock()
				}()
			}
			wg.Wait()
			return time.Since(t0), total
		}
		var dp, dw time.Duration
		var np, nw int
		for b.Loop() {
			a, x := run(plain.URL)
			c, y := run(w.URL)
			dp, dw, np, nw = dp+a, dw+c, np+x, nw+y
		}
		rp := float64(np) / dp.Seconds()
		rw := float64(nw) / dw.Seconds()
		b.ReportMetric(rp/1e3, "plain-kB/s")
		b.ReportMetric(rw/1e3, "warden-kB/s")
		b.ReportMetric(rw/rp, "ratio")
	}
}

// pacedUpstream sends a chunk every interval.
func pacedUpstream(b *testing.B, rest []string, every time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		t := time.NewTicker(every)
		defer t.Stop()
		for _, p := range rest {
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", mustJSON(p))
			fl.Flush()
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkOpenStreams: heap and goroutines per open proxied stream, held
// open mid-answer, through a plain reverse proxy and through Warden (same
// process: client, proxy and fake upstream; the difference is Warden's
// own share).
func BenchmarkOpenStreams(b *testing.B) {
	svc := benchService(b)
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for _, p := range pieces(answer[:1500], 16) {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", mustJSON(p))
		}
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer up.Close()
	defer close(release)
	plain := plainProxy(b, up.URL)
	w := benchWarden(b, svc, up.URL+"/v1")
	const open = 100
	measure := func(base string) (heap, gor float64) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: open}}
		defer client.CloseIdleConnections()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()
		var bodies []io.ReadCloser
		for range open {
			resp, err := client.Post(base+"/v1/chat/completions", "application/json", bytes.NewReader(benchReq))
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 512)
			_, _ = resp.Body.Read(buf)
			bodies = append(bodies, resp.Body)
		}
		time.Sleep(300 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		heap = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / open
		gor = float64(runtime.NumGoroutine()-g0) / open
		for _, bd := range bodies {
			bd.Close()
		}
		return heap, gor
	}
	for b.Loop() {
		hp, gp := measure(plain.URL)
		hw, gw := measure(w.URL)
		b.ReportMetric(hp, "plain-heap-B/stream")
		b.ReportMetric(hw, "warden-heap-B/stream")
		b.ReportMetric(hw-hp, "added-heap-B/stream")
		b.ReportMetric(gw-gp, "added-goroutines/stream")
	}
}
