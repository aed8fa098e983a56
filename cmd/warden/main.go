// Command warden is Warden's one binary. Subcommands:
//
//	warden serve         run the guard (HTTP API) on the embedded default
//	warden review        run the review service alone (ingest into the store)
//	warden export labels write reviewed incidents as JSONL training data
//	warden users         manage the reviewer UI's accounts
//	warden eval          measure the pipeline on a labelled JSONL file
//	warden policy test   run a policy bundle's tests
//	warden policy capabilities   OPA capabilities with Warden's built-ins
//	warden probe         container health check (GET /readyz)
//	warden version       print the version
//
// All wiring of concrete types lives in this package.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "warden:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "warden:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: warden <command> [flags]

commands:
  serve          run the guard on its embedded default (see README for WARDEN_* settings);
                 without KAFKA_BROKERS it also runs the embedded Kafka broker and the review store
  review         run the review service alone against KAFKA_BROKERS and DATABASE_URL:
                 warden review [run | verify-audit | rotate-key [-drop-old] | reseal]
  export labels  write verdicts as JSONL training data: warden export labels [-out f] [-since t]
                 [-until t] [-tenant t] [-actor name]
  users          reviewer UI accounts: warden users add --username U --role viewer|reviewer|admin
                 [--proxy-only] (password: first line of stdin) | passwd | role | disable | enable | list;
                 -actor name is recorded in the audit log (default $USER)
  policy test    run a policy bundle's _test.rego tests: warden policy test [dir]
  policy capabilities
                 OPA capabilities JSON with Warden's built-ins (for opa check --capabilities)
  eval           measure the whole pipeline on labelled JSONL rows:
                 warden eval [-json out.json] [-report out.html] [-rows rows.out.jsonl] [-concurrency N] [-models dir]
                 [-policy dir] [-timeout d] [-progress auto|bar|lines|off] rows.jsonl
  probe          health check for containers: warden probe [URL] exits 0 when URL
                 (default http://127.0.0.1:8080/readyz) answers 2xx within 2s
  version        print the version
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command"}
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "review":
		return reviewCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], stdout, stderr)
	case "users":
		return usersCmd(ctx, args[1:], stdout, stderr)
	case "policy":
		return policyCmd(ctx, args[1:], stdout)
	case "eval":
		return evalCmd(ctx, args[1:], stdout, stderr)
	case "probe":
		return probe(ctx, args[1:], stdout)
	case "version":
		fmt.Fprintln(stdout, "warden", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}
