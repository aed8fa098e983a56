package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/store"
)

// exportCmd: warden export labels [-out file] [-since t] [-until t] [-tenant t].
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "labels" {
		return usageError{"usage: warden export labels [-out file.jsonl] [-since 2026-01-02T15:04:05Z|72h] [-until …] [-tenant name]"}
	}
	fl := flag.NewFlagSet("export labels", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("out", "-", "output file (- for stdout)")
	since := fl.String("since", "", "only verdicts at or after this time (RFC 3339) or this long ago (Go duration)")
	until := fl.String("until", "", "only verdicts before this time (RFC 3339) or this long ago")
	tenant := fl.String("tenant", "", "only this tenant")
	actor := fl.String("actor", envOr("USER", "cli"), "who exports (recorded in the audit log)")
	if err := fl.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	q := store.LabelQuery{Tenant: *tenant}
	var err error
	if q.Since, err = parseWhen(*since); err != nil {
		return usageError{fmt.Sprintf("-since: %v", err)}
	}
	if q.Until, err = parseWhen(*until); err != nil {
		return usageError{fmt.Sprintf("-until: %v", err)}
	}
	return withStore(ctx, stderr, func(st *store.Store, _ review.Config, log *slog.Logger) error {
		w := stdout
		if *out != "-" {
			f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("creating %s: %w", *out, err)
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		n := 0
		if err := st.Labels(ctx, q, func(l store.Label) error { n++; return enc.Encode(l) }); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("writing labels: %w", err)
		}
		if err := st.Audit(ctx, *actor, "export", "labels", map[string]any{"labels": n, "since": *since, "until": *until, "tenant": *tenant}); err != nil {
			return err
		}
		log.Info("labels exported", "labels", n, "out", *out)
		return nil
	})
}

// parseWhen reads an RFC 3339 time or a duration before now ("" → zero).
func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor a duration", s)
	}
	return time.Now().Add(-d), nil
}
