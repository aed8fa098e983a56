package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/wardenhq/warden/review"
	"github.com/wardenhq/warden/review/store"
	"github.com/wardenhq/warden/review/web"
)

// stdin is where `warden users` reads passwords (tests replace it).
var stdin io.Reader = os.Stdin

const usersUsage = `usage: warden users <command> [flags]   (same WARDEN_DATA_DIR / DATABASE_URL as the server)
  add     --username U --role viewer|reviewer|admin [--proxy-only]   password: first line of stdin
  passwd  --username U                                              password: first line of stdin; ends the user's sessions
  role    --username U --role viewer|reviewer|admin                 ends the user's sessions
  disable --username U | enable --username U                        disable ends the user's sessions
  list`

// usersCmd manages the reviewer accounts of the web UI.
func usersCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{usersUsage}
	}
	sub, args := args[0], args[1:]
	fl := flag.NewFlagSet("users "+sub, flag.ContinueOnError)
	fl.SetOutput(stderr)
	username := fl.String("username", "", "account name (a-z, 0-9, . _ @ + -)")
	role := fl.String("role", "", "viewer, reviewer or admin")
	proxyOnly := fl.Bool("proxy-only", false, "no password: the account logs in only through the trusted proxy (WARDEN_REVIEW_PROXY_USER_HEADER)")
	actor := fl.String("actor", envOr("USER", "cli"), "who makes the change (recorded in the audit log)")
	if err := fl.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	needUser := func() error {
		if *username == "" {
			return usageError{"--username is required\n" + usersUsage}
		}
		return nil
	}
	switch sub {
	case "add":
		if err := needUser(); err != nil {
			return err
		}
		r, err := store.ParseRole(*role)
		if err != nil {
			return usageError{err.Error()}
		}
		pw := ""
		if !*proxyOnly {
			if pw, err = readPassword(); err != nil {
				return err
			}
		}
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			var u store.User
			if *proxyOnly {
				u, err = st.CreateUser(ctx, store.User{Username: *username, Role: r}, *actor)
			} else {
				u, err = web.AddUser(ctx, st, *username, r, pw, *actor)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "user %s added (%s)\n", u.Username, u.Role)
			return nil
		})
	case "passwd":
		if err := needUser(); err != nil {
			return err
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			if err := web.SetPassword(ctx, st, *username, pw, *actor); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password of %s changed; its sessions ended\n", *username)
			return nil
		})
	case "role", "disable", "enable":
		if err := needUser(); err != nil {
			return err
		}
		var up store.UserUpdate
		switch sub {
		case "role":
			r, err := store.ParseRole(*role)
			if err != nil {
				return usageError{err.Error()}
			}
			up.Role = &r
		default:
			off := sub == "disable"
			up.Disabled = &off
		}
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			if err := st.UpdateUser(ctx, *username, up, *actor); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "user %s updated; its sessions ended\n", *username)
			return nil
		})
	case "list":
		return withStore(ctx, stderr, func(st *store.Store, _ review.Config, _ *slog.Logger) error {
			us, err := st.Users(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tLOGIN\tCREATED")
			for _, u := range us {
				status, login := "active", "password"
				if u.Disabled {
					status = "disabled"
				}
				if u.PasswordHash == "" {
					login = "proxy only"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, status, login, u.Created.Format("2006-01-02"))
			}
			return tw.Flush()
		})
	}
	return usageError{usersUsage}
}

// readPassword reads the first line of stdin (never echoed to a log) and
// checks its bounds.
func readPassword() (string, error) {
	r := bufio.NewReaderSize(stdin, 4096)
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{"no password on stdin (give it as the first line, e.g. from a password manager or a file)"}
	}
	if err := web.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}
