package streams

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/check"
)

// Config configures the streaming filter, the provider proxies, the
// generic stream API and the demo upstream. Start from Default.
type Config struct {
	// UpstreamURL is the OpenAI-compatible base URL requests to
	// /v1/chat/completions are forwarded to, as an OpenAI SDK's baseURL
	// (for example https://api.openai.com/v1); "/chat/completions" is
	// appended (WARDEN_UPSTREAM_URL). Empty: the demo upstream when Demo is
	// on, otherwise the route answers 503 upstream_not_configured.
	UpstreamURL string
	// UpstreamKey, when set, replaces the caller's Authorization header
	// with "Bearer <key>" (WARDEN_UPSTREAM_KEY). Empty: the caller's
	// Authorization is passed through.
	UpstreamKey string
	// AnthropicUpstreamURL is the Anthropic base URL (as the SDK's baseURL,
	// for example https://api.anthropic.com); "/v1/messages" is appended
	// (WARDEN_ANTHROPIC_UPSTREAM_URL). Empty: the demo upstream when Demo is
	// on, otherwise 503 upstream_not_configured.
	AnthropicUpstreamURL string
	// AnthropicUpstreamKey, when set, replaces the caller's x-api-key
	// (WARDEN_ANTHROPIC_UPSTREAM_KEY).
	AnthropicUpstreamKey string
	// Demo serves the built-in scripted demo upstream under /demo/ and uses
	// it for a provider whose upstream URL is empty (WARDEN_DEMO_UPSTREAM,
	// default true). Its answers are canned text, not a model.
	Demo bool

	// HoldBackBytes is the hold-back window used when the detector does not
	// declare the longest text it can match (MaxMatch)
	// (WARDEN_STREAM_HOLDBACK_BYTES, default 256).
	HoldBackBytes int
	// MaxHoldBackBytes bounds the hold-back window
	// (WARDEN_STREAM_MAX_HOLDBACK_BYTES, default 4096): a detector declaring
	// a longer match is held back this much only, and a match that outgrows
	// the window is a hold-back overflow (see MaxHoldBackTime).
	MaxHoldBackBytes int
	// MaxHoldBackTime bounds how long text may be held back while the
	// upstream sends nothing that lets it be released
	// (WARDEN_STREAM_MAX_HOLDBACK_TIME, default 5s).
	//
	// A hold-back overflow (a match longer than the window, or text held
	// longer than MaxHoldBackTime) takes the response stage's fail mode
	// (WARDEN_FAIL_MODE_RESPONSE, closed by default): closed stops the
	// stream with the wire format's block signal; open releases the held
	// text (redactions the policy asked for still apply) and counts a
	// fail-open.
	MaxHoldBackTime time.Duration
	// ScoreWindowRunes and ScoreIntervalRunes fix the classifier windows
	// of response text: a window of ScoreWindowRunes runes scored every
	// ScoreIntervalRunes runes and at the end of the text
	// (WARDEN_STREAM_SCORE_WINDOW, default 512; WARDEN_STREAM_SCORE_INTERVAL,
	// default 256). Streamed and whole responses use the same windows.
	ScoreWindowRunes   int
	ScoreIntervalRunes int

	// MaxEventBytes bounds one upstream SSE event (and one line of the
	// generic stream API) (WARDEN_STREAM_MAX_EVENT_BYTES, default 1 MiB).
	MaxEventBytes int
	// MaxRequestBytes bounds a proxied request body
	// (WARDEN_PROXY_MAX_BODY_BYTES, default 20 MiB).
	MaxRequestBytes int64
	// MaxResponseBytes bounds a non-streamed upstream response
	// (WARDEN_PROXY_MAX_RESPONSE_BYTES, default 16 MiB).
	MaxResponseBytes int64
	// UpstreamTimeout bounds a non-streamed exchange, and the wait for the
	// response headers of a streamed one (WARDEN_UPSTREAM_TIMEOUT,
	// default 10m).
	UpstreamTimeout time.Duration
	// UpstreamIdleTimeout bounds the silence between two events of a
	// streamed response (WARDEN_UPSTREAM_IDLE_TIMEOUT, default 60s).
	UpstreamIdleTimeout time.Duration
}

// Default returns the documented defaults.
func Default() Config {
	return Config{
		Demo:                true,
		HoldBackBytes:       256,
		MaxHoldBackBytes:    4096,
		MaxHoldBackTime:     5 * time.Second,
		ScoreWindowRunes:    check.DefaultPlan.WindowRunes,
		ScoreIntervalRunes:  check.DefaultPlan.StepRunes,
		MaxEventBytes:       1 << 20,
		MaxRequestBytes:     20 << 20,
		MaxResponseBytes:    16 << 20,
		UpstreamTimeout:     10 * time.Minute,
		UpstreamIdleTimeout: 60 * time.Second,
	}
}

// FromEnv returns Default overridden by the WARDEN_* variables that lookup
// finds (os.LookupEnv in production).
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	integer := func(name string, dst *int) {
		if v, ok := lookup(name); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	int64v := func(name string, dst *int64) {
		if v, ok := lookup(name); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = n
		}
	}
	dur := func(name string, dst *time.Duration) {
		if v, ok := lookup(name); ok {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	str("WARDEN_UPSTREAM_URL", &c.UpstreamURL)
	str("WARDEN_UPSTREAM_KEY", &c.UpstreamKey)
	str("WARDEN_ANTHROPIC_UPSTREAM_URL", &c.AnthropicUpstreamURL)
	str("WARDEN_ANTHROPIC_UPSTREAM_KEY", &c.AnthropicUpstreamKey)
	if v, ok := lookup("WARDEN_DEMO_UPSTREAM"); ok {
		// on/off like WARDEN_NER and WARDEN_BATCH, and the usual booleans
		switch w := strings.ToLower(strings.TrimSpace(v)); w {
		case "on":
			c.Demo = true
		case "off":
			c.Demo = false
		default:
			b, err := strconv.ParseBool(w)
			if err != nil {
				errs = append(errs, fmt.Errorf("WARDEN_DEMO_UPSTREAM %q: want true or false (on or off)", v))
			} else {
				c.Demo = b
			}
		}
	}
	integer("WARDEN_STREAM_HOLDBACK_BYTES", &c.HoldBackBytes)
	integer("WARDEN_STREAM_MAX_HOLDBACK_BYTES", &c.MaxHoldBackBytes)
	dur("WARDEN_STREAM_MAX_HOLDBACK_TIME", &c.MaxHoldBackTime)
	integer("WARDEN_STREAM_SCORE_WINDOW", &c.ScoreWindowRunes)
	integer("WARDEN_STREAM_SCORE_INTERVAL", &c.ScoreIntervalRunes)
	integer("WARDEN_STREAM_MAX_EVENT_BYTES", &c.MaxEventBytes)
	int64v("WARDEN_PROXY_MAX_BODY_BYTES", &c.MaxRequestBytes)
	int64v("WARDEN_PROXY_MAX_RESPONSE_BYTES", &c.MaxResponseBytes)
	dur("WARDEN_UPSTREAM_TIMEOUT", &c.UpstreamTimeout)
	dur("WARDEN_UPSTREAM_IDLE_TIMEOUT", &c.UpstreamIdleTimeout)
	// Every problem at once: a value that did not parse keeps its default,
	// so Validate reports only the others.
	return c, errors.Join(errors.Join(errs...), c.Validate())
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	for name, u := range map[string]string{"WARDEN_UPSTREAM_URL": c.UpstreamURL, "WARDEN_ANTHROPIC_UPSTREAM_URL": c.AnthropicUpstreamURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			errs = append(errs, fmt.Errorf("%s %q: want an http(s) base URL without query", name, u))
		}
	}
	if c.HoldBackBytes < 0 {
		errs = append(errs, fmt.Errorf("WARDEN_STREAM_HOLDBACK_BYTES %d: must be >= 0", c.HoldBackBytes))
	}
	if c.MaxHoldBackBytes < c.HoldBackBytes || c.MaxHoldBackBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("WARDEN_STREAM_MAX_HOLDBACK_BYTES %d: must be >= WARDEN_STREAM_HOLDBACK_BYTES (%d) and <= 1 MiB", c.MaxHoldBackBytes, c.HoldBackBytes))
	}
	if c.MaxHoldBackTime <= 0 {
		errs = append(errs, fmt.Errorf("WARDEN_STREAM_MAX_HOLDBACK_TIME %v: must be > 0", c.MaxHoldBackTime))
	}
	if err := c.Plan().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("WARDEN_STREAM_SCORE_WINDOW/WARDEN_STREAM_SCORE_INTERVAL: %w", err))
	}
	if c.MaxEventBytes < 1024 {
		errs = append(errs, fmt.Errorf("WARDEN_STREAM_MAX_EVENT_BYTES %d: must be >= 1024", c.MaxEventBytes))
	}
	if c.MaxRequestBytes < 1024 || c.MaxResponseBytes < 1024 {
		errs = append(errs, errors.New("WARDEN_PROXY_MAX_BODY_BYTES and WARDEN_PROXY_MAX_RESPONSE_BYTES must be >= 1024"))
	}
	if c.UpstreamTimeout <= 0 || c.UpstreamIdleTimeout <= 0 {
		errs = append(errs, errors.New("WARDEN_UPSTREAM_TIMEOUT and WARDEN_UPSTREAM_IDLE_TIMEOUT must be > 0"))
	}
	return errors.Join(errs...)
}

// Plan is the classifier scoring plan of response text.
func (c Config) Plan() check.Plan {
	return check.Plan{WindowRunes: c.ScoreWindowRunes, StepRunes: c.ScoreIntervalRunes}
}

func (c Config) openaiUpstream() string {
	return strings.TrimRight(c.UpstreamURL, "/")
}

func (c Config) anthropicUpstream() string {
	return strings.TrimRight(c.AnthropicUpstreamURL, "/")
}
