package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/wardenhq/warden/internal/config"
	"github.com/wardenhq/warden/internal/eval"
	"github.com/wardenhq/warden/streams"
)

const evalUsage = `usage: warden eval [flags] rows.jsonl   (- reads standard input)

Runs every row through the guard's own pipeline (normalise, detect,
classify, policy; same models, policy and WARDEN_* settings as serve, no
incidents recorded) and reports per category precision, recall, F1 and
AUPRC, the false-positive rate on benign rows, the action mix and latency.

A row: {"text": "...", "stage": "prompt"|"response", "labels": ["jailbreak"], "tenant": "..."}
(labels: the categories that should fire; [] marks a benign row).

flags:
`

func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("eval", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, evalUsage)
		fl.PrintDefaults()
	}
	jsonOut := fl.String("json", "", "write the report as JSON to `file` (for trend tracking)")
	htmlOut := fl.String("report", "", "write a self-contained HTML report with precision-recall curves to `file`")
	rowsOut := fl.String("rows", "", "write one JSON line per row to `file` (line, action, scores, rules; no text)")
	conc := fl.Int("concurrency", 1, "checks in flight (1 gives latency free of queueing)")
	models := fl.String("models", "", "models `dir` (default: WARDEN_MODELS_DIR, else the embedded models)")
	pol := fl.String("policy", "", "policy bundle `dir` (default: WARDEN_POLICY_DIR, else the embedded bundle)")
	timeout := fl.Duration("timeout", 0, "deadline of one check (default: WARDEN_CHECK_TIMEOUT)")
	progress := fl.String("progress", "auto", "progress on stderr: auto (a bar on a terminal, lines otherwise), bar, lines or off")
	// Flags may follow the file name.
	var files []string
	for {
		if err := fl.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		if fl.NArg() == 0 {
			break
		}
		files = append(files, fl.Arg(0))
		args = fl.Args()[1:]
	}
	if len(files) != 1 {
		fl.Usage()
		return usageError{"eval takes one JSONL file"}
	}
	if *conc < 1 {
		return usageError{"-concurrency must be at least 1"}
	}
	switch *progress {
	case "auto", "bar", "lines", "off":
	default:
		return usageError{fmt.Sprintf("-progress %q: want auto, bar, lines or off", *progress)}
	}

	rows, sum, err := readEvalRows(files[0])
	if err != nil {
		return err
	}

	cfg, err := config.FromEnv()
	// The response windows (WARDEN_STREAM_SCORE_WINDOW/_INTERVAL) are
	// serve's: eval scores response rows as the guard does.
	scfg, serr := streams.FromEnv(os.LookupEnv)
	if err := errors.Join(err, serr); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if *models != "" {
		cfg.ModelsDir = *models
	}
	if *pol != "" {
		cfg.PolicyDir = *pol
	}
	if *timeout > 0 {
		cfg.CheckTimeout = *timeout
	}
	if cfg.RedactKey == "" {
		// A throwaway key: eval writes nothing to WARDEN_DATA_DIR.
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		cfg.RedactKey = hex.EncodeToString(key)
	}
	if _, ok := os.LookupEnv("WARDEN_LOG_LEVEL"); !ok {
		cfg.LogLevel = "warn"
	}
	cfg.LogFormat = "text"
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)

	g, err := newGuard(ctx, cfg, scfg.Plan(), log, nil)
	if err != nil {
		return err
	}
	defer g.Close()

	opts := eval.Options{Concurrency: *conc}
	if mode := *progress; mode != "off" {
		tty := mode == "bar"
		if mode == "auto" {
			f, ok := stderr.(*os.File)
			tty = ok && eval.IsTerminal(f)
		}
		opts.Progress = eval.NewProgress(stderr, len(rows), tty).Update
	}
	start := time.Now()
	outs, err := eval.Run(ctx, g.check, rows, opts)
	if err != nil {
		return fmt.Errorf("eval interrupted after %d rows: %w", countDone(outs), err)
	}
	rep := eval.Summarize(outs)
	rep.Time = start.UTC()
	rep.Input = eval.Input{Path: files[0], SHA256: sum}
	rep.Concurrency = *conc
	rep.WallSeconds = time.Since(start).Seconds()
	if rep.WallSeconds > 0 {
		rep.RowsPerSecond = float64(rep.Rows) / rep.WallSeconds
	}

	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeFile(*jsonOut, rep.WriteJSON); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		if err := writeFile(*htmlOut, rep.WriteHTML); err != nil {
			return err
		}
	}
	if *rowsOut != "" {
		if err := writeFile(*rowsOut, func(w io.Writer) error { return eval.WriteRows(w, outs) }); err != nil {
			return err
		}
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d of %d rows could not be checked (see the report)", rep.Errors, rep.Rows)
	}
	return nil
}

func readEvalRows(path string) ([]eval.Row, string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", path, err)
	}
	rows, err := eval.ReadRows(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	s := sha256.Sum256(data)
	return rows, hex.EncodeToString(s[:]), nil
}

func countDone(outs []eval.Outcome) int {
	n := 0
	for _, o := range outs {
		if o.Latency > 0 || o.Err != nil {
			n++
		}
	}
	return n
}

// writeFile writes through a temporary file and renames it into place.
func writeFile(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
