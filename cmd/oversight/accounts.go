package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"oversight/internal/auth"
)

const userUsage = `Usage:
  oversight user add --name NAME --email EMAIL --role contributor|editor|admin
                      add an account and print its ID
  oversight user list print every account (their names and emails: keep the
                      output on the operator's terminal)
  oversight user disable --email EMAIL
                      close an account: its tokens stop working at once
`

const tokenUsage = `Usage:
  oversight token create --email EMAIL [--expires 90d|12h|30m|never]
                      issue an API token; it is printed once, as the last line
  oversight token revoke TOKEN_OR_PREFIX
                      revoke one token, named by its prefix (ovs_ and 8 hex
                      digits) or the token itself
  oversight token revoke --email EMAIL
                      revoke every token of a user
  oversight token list --email EMAIL
                      list a user's tokens (prefixes only, never secrets)
`

// subcommand splits "add --flags..." into the subcommand and its flags.
func subcommand(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// accountFlags returns a flag set with the database flags and usage for
// "oversight NOUN VERB".
func accountFlags(name, usage string, f *dbFlags, getenv func(string) string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	f.register(fs, getenv)
	fs.Usage = func() { fmt.Fprint(stderr, usage, "\nFlags:\n"); fs.PrintDefaults() }
	return fs
}

// openStore opens the database (migrating it) and returns an account store.
func openStore(ctx context.Context, f dbFlags, stderr io.Writer) (*auth.Store, func(), error) {
	pool, _, closeDB, err := openDatabase(ctx, f, newLogger(stderr))
	if err != nil {
		return nil, nil, err
	}
	return auth.NewStore(pool), closeDB, nil
}

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, args := subcommand(args)
	var f dbFlags
	switch sub {
	case "add":
		fs := accountFlags("user add", userUsage, &f, getenv, stderr)
		name := fs.String("name", "", "the user's name (required)")
		email := fs.String("email", "", "the user's email, unique without case (required)")
		roleName := fs.String("role", "", "contributor, editor or admin (required)")
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			fs.Usage()
			return usageError{fmt.Sprintf("user add takes no arguments, got %q", fs.Arg(0))}
		}
		if *name == "" || *email == "" || *roleName == "" {
			fs.Usage()
			return usageError{"user add needs --name, --email and --role"}
		}
		role, err := auth.ParseRole(*roleName)
		if err != nil {
			fs.Usage()
			return usageError{fmt.Sprintf("--role %q: want contributor, editor or admin", *roleName)}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		id, err := store.AddUser(ctx, *name, *email, role)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, id)
		return nil

	case "list":
		fs := accountFlags("user list", userUsage, &f, getenv, stderr)
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			fs.Usage()
			return usageError{fmt.Sprintf("user list takes no arguments, got %q", fs.Arg(0))}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		users, err := store.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tCREATED\tDISABLED\tNAME\tEMAIL")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, strings.ToLower(string(u.Role)),
				formatTime(&u.CreatedAt), formatTime(u.DisabledAt), oneLine(u.Name), oneLine(u.Email))
		}
		return tw.Flush()

	case "disable":
		fs := accountFlags("user disable", userUsage, &f, getenv, stderr)
		email := fs.String("email", "", "the email of the account to disable (required)")
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if *email == "" || fs.NArg() > 0 {
			fs.Usage()
			return usageError{"user disable needs --email and nothing else"}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		if err := store.DisableUser(ctx, *email); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "disabled; the account's tokens no longer work")
		return nil
	}
	fmt.Fprint(stderr, userUsage)
	if sub == "" {
		return usageError{"user wants add, list or disable"}
	}
	return usageError{fmt.Sprintf("unknown user command %q", sub)}
}

func tokenCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub, args := subcommand(args)
	var f dbFlags
	switch sub {
	case "create":
		fs := accountFlags("token create", tokenUsage, &f, getenv, stderr)
		email := fs.String("email", "", "the email of the token's user (required)")
		expires := fs.String("expires", "90d", "lifetime: days (90d), hours (12h), minutes (30m), or never")
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			fs.Usage()
			return usageError{fmt.Sprintf("token create takes no arguments, got %q", fs.Arg(0))}
		}
		if *email == "" {
			fs.Usage()
			return usageError{"token create needs --email"}
		}
		lifetime, err := parseLifetime(*expires)
		if err != nil {
			fs.Usage()
			return usageError{err.Error()}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		token, info, err := store.CreateToken(ctx, *email, lifetime)
		if err != nil {
			return err
		}
		expiry := "never expires"
		if info.ExpiresAt != nil {
			expiry = "expires " + formatTime(info.ExpiresAt)
		}
		fmt.Fprintf(stderr, "token %s for user %s, %s.\nThe token is shown once, below: store it now.\n", info.Prefix, info.UserID, expiry)
		// The token alone, last, so scripts can take it with tail -n1.
		fmt.Fprintln(stdout, token)
		return nil

	case "revoke":
		fs := accountFlags("token revoke", tokenUsage, &f, getenv, stderr)
		email := fs.String("email", "", "revoke every token of the user with this email")
		// Accept the token or prefix before or after the flags.
		arg := ""
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			arg, args = args[0], args[1:]
		}
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if arg == "" && fs.NArg() > 0 {
			arg = fs.Arg(0)
		} else if fs.NArg() > 0 {
			fs.Usage()
			return usageError{"token revoke takes one token or prefix"}
		}
		if (arg == "") == (*email == "") {
			fs.Usage()
			return usageError{"token revoke needs a token or prefix, or --email, but not both"}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		if *email != "" {
			n, err := store.RevokeTokensOf(ctx, *email)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %d %s\n", n, plural(n, "token", "tokens"))
			return nil
		}
		if err := store.RevokeToken(ctx, arg); err != nil {
			return err
		}
		prefix := arg
		if p, ok := auth.TokenPrefix(arg); ok {
			prefix = p // never echo a secret
		}
		fmt.Fprintf(stdout, "revoked %s\n", prefix)
		return nil

	case "list":
		fs := accountFlags("token list", tokenUsage, &f, getenv, stderr)
		email := fs.String("email", "", "the email of the tokens' user (required)")
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			fs.Usage()
			return usageError{fmt.Sprintf("token list takes no arguments, got %q", fs.Arg(0))}
		}
		if *email == "" {
			fs.Usage()
			return usageError{"token list needs --email"}
		}
		store, closeDB, err := openStore(ctx, f, stderr)
		if err != nil {
			return err
		}
		defer closeDB()
		tokens, err := store.ListTokens(ctx, *email)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREFIX\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
		for _, t := range tokens {
			status := "active"
			switch {
			case t.RevokedAt != nil:
				status = "revoked"
			case !t.Active(now):
				status = "expired"
			}
			expires := "never"
			if t.ExpiresAt != nil {
				expires = formatTime(t.ExpiresAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Prefix, status, formatTime(&t.CreatedAt), expires, formatTime(t.LastUsedAt))
		}
		return tw.Flush()
	}
	fmt.Fprint(stderr, tokenUsage)
	if sub == "" {
		return usageError{"token wants create, revoke or list"}
	}
	return usageError{fmt.Sprintf("unknown token command %q", sub)}
}

// parseLifetime reads a token lifetime: a number of days (90d), a Go
// duration (12h, 30m, 1h30m), or never (0).
func parseLifetime(s string) (time.Duration, error) {
	if s == "never" {
		return 0, nil
	}
	bad := fmt.Errorf("--expires %q: want days (90d), hours (12h), minutes (30m) or never", s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// formatTime writes a time in UTC to the second, or "-" for none.
func formatTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// oneLine keeps a table row on one line whatever a name holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
