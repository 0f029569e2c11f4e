package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/auth"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
)

func TestAccountCommands(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := auth.NewStore(pool)

	// oversight runs a command and returns its output and exit status.
	oversight := func(args ...string) (stdout, stderr string, exit int) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := run(ctx, args, env(map[string]string{"DATABASE_URL": dbURL}), &out, &errOut)
		if err != nil {
			errOut.WriteString("oversight: " + err.Error() + "\n")
			exit = exitCode(err)
		}
		return out.String(), errOut.String(), exit
	}
	ok := func(args ...string) (stdout, stderr string) {
		t.Helper()
		stdout, stderr, exit := oversight(args...)
		if exit != 0 {
			t.Fatalf("oversight %s exited %d:\n%s", strings.Join(args, " "), exit, stderr)
		}
		return stdout, stderr
	}
	fails := func(wantExit int, wantMsg string, args ...string) {
		t.Helper()
		stdout, stderr, exit := oversight(args...)
		if exit != wantExit || !strings.Contains(stderr, wantMsg) {
			t.Errorf("oversight %s = exit %d, stderr %q; want exit %d and %q", strings.Join(args, " "), exit, stderr, wantExit, wantMsg)
		}
		if stdout != "" {
			t.Errorf("oversight %s failed but printed %q", strings.Join(args, " "), stdout)
		}
	}

	// user add prints the ID alone, for ID=$(oversight user add ...).
	out, _ := ok("user", "add", "--name", "Ada Lovelace", "--email", "ada@example.org", "--role", "editor")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$`).MatchString(out) {
		t.Fatalf("user add printed %q, want the new ID on its own line", out)
	}
	adaID := uuid.MustParse(strings.TrimSpace(out))
	ok("user", "add", "--name", "Bo", "--email", "bo@example.org", "--role", "ADMIN")

	fails(1, "a user with this email already exists", "user", "add", "--name", "Ada Again", "--email", "ADA@example.org", "--role", "contributor")
	fails(1, "email must look like", "user", "add", "--name", "Cy", "--email", "cy.example.org", "--role", "contributor")
	fails(2, "needs --name, --email and --role", "user", "add", "--name", "Cy", "--email", "cy@example.org")
	fails(2, `--role "owner"`, "user", "add", "--name", "Cy", "--email", "cy@example.org", "--role", "owner")
	fails(2, "user add takes no arguments", "user", "add", "--name", "Cy", "--email", "cy@example.org", "--role", "editor", "extra")
	fails(2, "unknown user command", "user", "remove")
	fails(2, "user wants add, list or disable", "user")

	out, _ = ok("user", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("user list printed %q, want a header and two users", out)
	}
	if row := strings.Fields(lines[1]); len(row) < 6 || row[0] != adaID.String() || row[1] != "editor" || row[3] != "-" ||
		!strings.Contains(lines[1], "Ada Lovelace") || row[len(row)-1] != "ada@example.org" {
		t.Errorf("user list row %q, want Ada's ID, editor, created, -, name and email", lines[1])
	}

	// token create prints the token last, and only the token on stdout.
	out, errOut := ok("token", "create", "--email", "Ada@Example.org")
	token := lastLine(out)
	if out != token+"\n" {
		t.Errorf("token create printed %q on stdout, want only the token", out)
	}
	viewer, err := store.Authenticate(ctx, token)
	if err != nil || viewer != (registry.Viewer{UserID: adaID, Role: registry.RoleEditor}) {
		t.Fatalf("Authenticate(token from token create) = %+v, %v; want Ada as editor", viewer, err)
	}
	prefix, _ := auth.TokenPrefix(token)
	if !strings.Contains(errOut, prefix) || !strings.Contains(errOut, "shown once") || strings.Contains(errOut, token[13:]) {
		t.Errorf("token create said %q on stderr, want the prefix %s and a warning it is shown once, without the secret", errOut, prefix)
	}
	expiry := tokenExpiry(t, store, "ada@example.org", prefix)
	if expiry == nil || time.Until(*expiry) < 89*24*time.Hour || time.Until(*expiry) > 91*24*time.Hour {
		t.Errorf("token create with the default lifetime expires at %v, want in 90 days", expiry)
	}

	out, _ = ok("token", "create", "--expires", "1d", "--email", "ada@example.org")
	dayToken := lastLine(out)
	dayPrefix, _ := auth.TokenPrefix(dayToken)
	if expiry := tokenExpiry(t, store, "ada@example.org", dayPrefix); expiry == nil || time.Until(*expiry) < 23*time.Hour || time.Until(*expiry) > 25*time.Hour {
		t.Errorf("token create --expires 1d expires at %v, want about 24 hours from now", expiry)
	}
	out, errOut = ok("token", "create", "--expires", "never", "--email", "bo@example.org")
	boToken := lastLine(out)
	boPrefix, _ := auth.TokenPrefix(boToken)
	if expiry := tokenExpiry(t, store, "bo@example.org", boPrefix); expiry != nil || !strings.Contains(errOut, "never expires") {
		t.Errorf("token create --expires never: expiry %v, stderr %q; want none", expiry, errOut)
	}

	fails(1, "no user has this email", "token", "create", "--email", "nobody@example.org")
	fails(2, "needs --email", "token", "create")
	fails(2, `--expires "soon"`, "token", "create", "--email", "ada@example.org", "--expires", "soon")

	// token list shows prefixes and never a secret.
	out, _ = ok("token", "list", "--email", "ada@example.org")
	for _, p := range []string{prefix, dayPrefix} {
		if !strings.Contains(out, p) {
			t.Errorf("token list printed %q, want the prefix %s", out, p)
		}
	}
	if strings.Contains(out, token[13:]) || strings.Contains(out, dayToken[13:]) || strings.Contains(out, "revoked") {
		t.Errorf("token list printed %q, want two active tokens and no secret", out)
	}
	fails(1, "no user has this email", "token", "list", "--email", "nobody@example.org")
	fails(2, "needs --email", "token", "list")

	// Revoke by prefix, then by the token itself (printing only its prefix).
	if out, _ := ok("token", "revoke", prefix); out != "revoked "+prefix+"\n" {
		t.Errorf("token revoke %s printed %q, want %q", prefix, out, "revoked "+prefix+"\n")
	}
	if _, err := store.Authenticate(ctx, token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(revoked token) error = %v, want ErrUnauthenticated", err)
	}
	if out, _ := ok("token", "revoke", "--database-url", dbURL, dayToken); out != "revoked "+dayPrefix+"\n" {
		t.Errorf("token revoke TOKEN printed %q, want %q and no secret", out, "revoked "+dayPrefix+"\n")
	}
	if _, err := store.Authenticate(ctx, dayToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(token revoked by value) error = %v, want ErrUnauthenticated", err)
	}
	out, _ = ok("token", "list", "--email", "ada@example.org")
	if strings.Count(out, "revoked") != 2 {
		t.Errorf("token list after revoking both printed %q, want two revoked tokens", out)
	}
	fails(1, "no token has this prefix", "token", "revoke", "ovs_00000000")
	fails(1, "give a token or its prefix", "token", "revoke", "hunter2")
	fails(2, "needs a token or prefix, or --email", "token", "revoke")
	fails(2, "not both", "token", "revoke", boPrefix, "--email", "bo@example.org")
	fails(2, "unknown token command", "token", "rotate")

	// Revoke all of a user's tokens.
	ok("token", "create", "--email", "bo@example.org")
	if out, _ := ok("token", "revoke", "--email", "bo@example.org"); out != "revoked 2 tokens\n" {
		t.Errorf("token revoke --email printed %q, want %q", out, "revoked 2 tokens\n")
	}
	if _, err := store.Authenticate(ctx, boToken); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(token of a user whose tokens were revoked) error = %v, want ErrUnauthenticated", err)
	}
	fails(1, "no user has this email", "token", "revoke", "--email", "nobody@example.org")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// tokenExpiry returns the expiry of the token with prefix, failing the test
// when the user has no such token.
func tokenExpiry(t *testing.T, store *auth.Store, email, prefix string) *time.Time {
	t.Helper()
	tokens, err := store.ListTokens(context.Background(), email)
	if err != nil {
		t.Fatalf("ListTokens(%q) error = %v", email, err)
	}
	for _, tok := range tokens {
		if tok.Prefix == prefix {
			return tok.ExpiresAt
		}
	}
	t.Fatalf("ListTokens(%q) has no token %s", email, prefix)
	return nil
}

func TestParseLifetime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "90d", want: 90 * 24 * time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "12h", want: 12 * time.Hour},
		{in: "30m", want: 30 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "never", want: 0},
		{in: "", bad: true},
		{in: "0d", bad: true},
		{in: "-1d", bad: true},
		{in: "0", bad: true},
		{in: "-5m", bad: true},
		{in: "d", bad: true},
		{in: "1.5d", bad: true},
		{in: "forever", bad: true},
		{in: "99999d", bad: true},
	}
	for _, tt := range tests {
		got, err := parseLifetime(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseLifetime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseLifetime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestUserDisable(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	cmd := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, args, env(map[string]string{"DATABASE_URL": dbURL}), &stdout, &stderr)
		return stdout.String(), err
	}
	if _, err := cmd("user", "add", "--name", "Dora", "--email", "dora@example.org", "--role", "editor"); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("token", "create", "--email", "dora@example.org")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if _, err := cmd("user", "disable", "--email", "DORA@example.org"); err != nil {
		t.Fatalf("user disable = %v", err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := auth.NewStore(pool)
	if _, err := store.Authenticate(ctx, token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Authenticate(token of a disabled user) = %v, want ErrUnauthenticated", err)
	}
	if _, err := cmd("user", "disable", "--email", "nobody@example.org"); !errors.Is(err, auth.ErrUnknownUser) {
		t.Errorf("user disable of an unknown email = %v, want ErrUnknownUser", err)
	}
	if _, err := cmd("user", "disable"); err == nil || exitCode(err) != 2 {
		t.Errorf("user disable with no --email = %v, want a usage error", err)
	}
}
