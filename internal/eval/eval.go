// Package eval measures the whole inline pipeline (normalise, detect,
// classify, policy) on a labelled JSONL file: each row goes through the
// same check service the guard serves, and the outcomes are summarised
// per category (precision, recall, F1, AUPRC at the policy's thresholds),
// on benign rows (false-positive rate), by action and by latency.
//
// A row is a JSON object per line:
//
//	{"text": "...", "stage": "prompt"|"response", "labels": ["prompt_injection"], "tenant": "default", "id": "..."}
//
// labels lists the categories that should fire; an empty list marks a
// benign row. tenant and id are optional; other fields are ignored.
//
// A category fires on a row when the policy's decision names a rule of that
// category: rule ids "<category>.<something>", as the default bundle's
// "prompt_injection.block" and "jailbreak.escalate". AUPRC is computed on
// the category's score, independent of the policy.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/classifiers"
	"github.com/wardenhq/warden/internal/check"
	"github.com/wardenhq/warden/internal/types"
)

// Row is one labelled text.
type Row struct {
	ID     string   `json:"id,omitempty"`
	Text   string   `json:"text"`
	Stage  string   `json:"stage"`
	Labels []string `json:"labels"`
	Tenant string   `json:"tenant,omitempty"`
	// Line is the row's line number in its file (1-based).
	Line int `json:"-"`

	stage types.Stage
}

// Benign reports whether the row has no label.
func (r Row) Benign() bool { return len(r.Labels) == 0 }

// Has reports whether the row is labelled with category c.
func (r Row) Has(c string) bool {
	for _, l := range r.Labels {
		if l == c {
			return true
		}
	}
	return false
}

// maxLine bounds one JSONL line (a row's text).
const maxLine = 16 << 20

// ReadRows reads JSONL rows. Blank lines are skipped; a row without text,
// with an unknown stage or without a labels list is an error naming its
// line.
func ReadRows(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var rows []Row
	var errs []error
	n := 1
	for ; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark some editors write
		}
		if line == "" {
			continue
		}
		var raw struct {
			Row
			Labels *[]string `json:"labels"`
		}
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		row := raw.Row
		row.Line = n
		st, err := types.ParseStage(row.Stage)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("line %d: stage %q: want prompt or response", n, row.Stage))
		case raw.Labels == nil:
			errs = append(errs, fmt.Errorf("line %d: no \"labels\" list (use [] for a benign row)", n))
		case row.Text == "":
			errs = append(errs, fmt.Errorf("line %d: empty text", n))
		}
		if raw.Labels != nil {
			row.Labels = *raw.Labels
		}
		for _, l := range row.Labels {
			if l == "" || strings.ToLower(l) != l || strings.ContainsAny(l, " \t") {
				errs = append(errs, fmt.Errorf("line %d: label %q is not a snake_case category", n, l))
			}
		}
		row.stage = st
		rows = append(rows, row)
		if len(errs) >= 20 {
			errs = append(errs, errors.New("too many errors"))
			break
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		errs = append(errs, fmt.Errorf("line %d: longer than %d MiB", n, maxLine>>20))
	} else if err != nil {
		errs = append(errs, fmt.Errorf("reading rows: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("no rows")
	}
	return rows, nil
}

// Checker runs one check (check.Service).
type Checker interface {
	Check(ctx context.Context, req check.Request) (check.Result, error)
}

// Options configure Run.
type Options struct {
	// Concurrency is the number of checks in flight (default 1, which
	// gives latency figures free of queueing).
	Concurrency int
	// Progress, when set, is called after each row with the number of
	// rows done (from one goroutine at a time).
	Progress func(done int)
	// MaxRetries bounds the retries of a row refused as overloaded
	// (default 50).
	MaxRetries int
}

// Outcome is what the pipeline did with one row.
type Outcome struct {
	Row      Row
	Action   types.Action
	Scores   types.Scores
	RuleIDs  []string
	FailMode string
	// Routes says which tier decided each category (nil without a
	// second tier).
	Routes         map[string]classifiers.Route
	PolicyRevision string
	ModelVersions  map[string]string
	// Latency is the time of the check that answered (retries excluded).
	Latency time.Duration
	Retries int
	Err     error
}

// Fired reports whether the decision names a rule of category c.
func (o Outcome) Fired(c string) bool {
	for _, id := range o.RuleIDs {
		if strings.HasPrefix(id, c+".") {
			return true
		}
	}
	return false
}

// Flagged reports a block or an escalation.
func (o Outcome) Flagged() bool {
	return o.Action == types.ActionBlock || o.Action == types.ActionEscalate
}

// Run checks every row and returns the outcomes in row order. A row whose
// check fails keeps the error in its Outcome; only the end of ctx stops
// the run (returning the outcomes so far and ctx's error).
func Run(ctx context.Context, chk Checker, rows []Row, o Options) ([]Outcome, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 50
	}
	out := make([]Outcome, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range min(o.Concurrency, len(rows)) {
		wg.Go(func() {
			for i := range next {
				out[i] = checkRow(ctx, chk, rows[i], o.MaxRetries)
				if o.Progress != nil {
					mu.Lock()
					done++
					o.Progress(done)
					mu.Unlock()
				}
			}
		})
	}
	var err error
feed:
	for i := range rows {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return out, err
}

func checkRow(ctx context.Context, chk Checker, row Row, maxRetries int) Outcome {
	oc := Outcome{Row: row}
	stage := row.stage
	if stage == 0 {
		st, err := types.ParseStage(row.Stage)
		if err != nil {
			oc.Err = err
			return oc
		}
		stage = st
	}
	req := check.Request{Stage: stage, Text: row.Text, Tenant: row.Tenant}
	for {
		start := time.Now()
		res, err := chk.Check(ctx, req)
		oc.Latency = time.Since(start)
		var ra interface{ RetryAfter() time.Duration }
		if err != nil && errors.As(err, &ra) && oc.Retries < maxRetries && ctx.Err() == nil {
			oc.Retries++
			wait := min(ra.RetryAfter(), time.Duration(oc.Retries)*5*time.Millisecond)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
			continue
		}
		if err != nil {
			oc.Err = err
			return oc
		}
		oc.Action, oc.Scores, oc.RuleIDs, oc.FailMode = res.Action, res.Scores, res.RuleIDs, res.FailMode
		oc.PolicyRevision, oc.ModelVersions = res.PolicyRevision, res.ModelVersions
		oc.Routes = res.Tiers
		if !hasSecondTier(oc.Routes) {
			oc.Routes = nil
		}
		return oc
	}
}

// hasSecondTier tells routes of a Router with a second tier (some score
// was in a band) from plain tier-1 routes.
func hasSecondTier(rs map[string]classifiers.Route) bool {
	for _, r := range rs {
		if r.Tier1 != nil {
			return true
		}
	}
	return false
}
