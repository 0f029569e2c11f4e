package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/pgtest"
)

// syncBuffer lets the test read what a running command has written so far.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, env(nil), &stdout, &stderr)
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("run(frobnicate) = %v (exit %d), want a usage error with exit 2", err, exitCode(err))
	}
	if !strings.Contains(stderr.String(), "Commands:") {
		t.Errorf("run(frobnicate) printed %q to stderr, want the usage", stderr.String())
	}
	if err := run(context.Background(), []string{"migrate", "sideways", "--database-url", "postgres://x@127.0.0.1:1/x"}, env(nil), &stdout, &stderr); err == nil || exitCode(err) != 2 {
		t.Errorf("run(migrate sideways) = %v, want a usage error", err)
	}
}

func TestMigrateAndSeedCommands(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := context.Background()
	cmd := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, args, env(map[string]string{"DATABASE_URL": url}), &stdout, &stderr); err != nil {
			t.Fatalf("oversight %s = %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		if strings.Contains(stderr.String(), "password") {
			t.Errorf("oversight %s logged a password field: %s", strings.Join(args, " "), stderr.String())
		}
		return stdout.String()
	}

	if out := cmd("migrate", "status"); !regexp.MustCompile(`version: (\d+) of (\d+)`).MatchString(out) || strings.Contains(out, "dirty: true") {
		t.Errorf("migrate status printed %q, want the version and a clean state", out)
	}
	cmd("migrate", "down")
	if out := cmd("migrate", "status"); !strings.Contains(out, "version: 0 of") {
		t.Errorf("after migrate down, status printed %q, want version 0", out)
	}
	cmd("migrate", "up")
	first := cmd("seed")
	if !regexp.MustCompile(`seeded: [1-9]\d* entries added, 0 already present`).MatchString(first) {
		t.Errorf("first seed printed %q, want entries added", first)
	}
	second := cmd("seed")
	if !regexp.MustCompile(`seeded: 0 entries added, [1-9]\d* already present`).MatchString(second) {
		t.Errorf("second seed printed %q, want nothing added", second)
	}
}

func TestServeSeedsServesAndShutsDown(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env(map[string]string{"DATABASE_URL": dbURL}), &stdout, &stderr)
	}()

	base := ""
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/graphql`)
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not say where it listens; stdout %q stderr %q", stdout.String(), stderr.String())
	}

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/healthz", "/readyz", "/graphiql"} {
		if code, body := get(path); code != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200", path, code, body)
		}
	}
	// GET serves queries too; the seeded registry answers with real data.
	code, body := get("/graphql?query=" + url.QueryEscape(`{vendor(slug:"hikvision"){name designations{list{code}}}}`))
	if code != http.StatusOK || !strings.Contains(body, "US-ENTITY-LIST") {
		t.Errorf("GET /graphql vendor(hikvision) = %d %s, want its Entity List designation", code, body)
	}
	// The feed's links are the listen address's (no --public-url), not
	// whatever Host a client sends: the feed is publicly cacheable.
	feed, err := http.NewRequest(http.MethodGet, base+"/changes.atom", nil)
	if err != nil {
		t.Fatal(err)
	}
	feed.Host = "evil.example"
	resp, err := http.DefaultClient.Do(feed)
	if err != nil {
		t.Fatalf("GET /changes.atom: %v", err)
	}
	atom, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if self := `<link rel="self" type="application/atom+xml" href="` + base + `/changes.atom">`; resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(atom), self) || strings.Contains(string(atom), "evil.example") {
		t.Errorf("GET /changes.atom with Host: evil.example = %d, want 200 with %s and no evil.example:\n%.600s", resp.StatusCode, self, atom)
	}
	if !strings.Contains(stderr.String(), "using database") {
		t.Errorf("serve did not log which database it uses: %s", stderr.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel = %v, want a clean shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down within 20 s of cancellation")
	}
}

// TestReadinessNoticesMigrationState: /readyz's check passes on a migrated
// database and fails once the schema is dirty or behind this binary.
func TestReadinessNoticesMigrationState(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ready := readiness(pool, dbURL)
	if err := ready(ctx); err != nil {
		t.Fatalf("readiness of a migrated database = %v, want nil", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE schema_migrations SET version = version - 1`); err != nil {
		t.Fatal(err)
	}
	if err := ready(ctx); err == nil {
		t.Error("readiness of a database one migration behind = nil, want an error")
	}
	if _, err := pool.Exec(ctx, `UPDATE schema_migrations SET version = version + 1, dirty = true`); err != nil {
		t.Fatal(err)
	}
	if err := ready(ctx); err == nil {
		t.Error("readiness of a dirty database = nil, want an error")
	}
}

// --public-url must be a URL the feed's links can start with; anything else
// is a usage error that says what is wanted, before the server starts.
func TestServePublicURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want string // the URL, or a part of the error
		ok   bool
	}{
		{"https://oversight.example.org", "https://oversight.example.org", true},
		{"https://oversight.example.org/", "https://oversight.example.org", true},
		{"http://example.org:8080/oversight/", "http://example.org:8080/oversight", true},
		{"HTTPS://Example.org", "https://Example.org", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"oversight.example.org", "is not an http or https URL", false},
		{"/oversight", "is not an http or https URL", false},
		{"ftp://example.org", "is not an http or https URL", false},
		{"https://", "has no host", false},
		{"https://:8080/x", "has no host", false},
		{"https://example.org?a=1", "has a query or a fragment", false},
		{"https://example.org/?", "has a query or a fragment", false},
		{"https://example.org/#top", "has a query or a fragment", false},
		{"https://editor:secret@example.org", "user name or password", false},
		{"https://example.org:port", "does not parse", false},
	} {
		u, err := parsePublicURL(tt.in)
		switch {
		case tt.ok && (err != nil || u.String() != tt.want):
			t.Errorf("parsePublicURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "want an absolute http:// or https:// URL")):
			t.Errorf("parsePublicURL(%q) = %v, %v; want an error saying it %s and what is wanted", tt.in, u, err, tt.want)
		}
	}

	// Through the command line: exit 2 and the reason, before any database
	// is opened (the one given does not exist).
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "--public-url", "ftp://example.org", "--database-url", "postgres://x@127.0.0.1:1/x"}, env(nil), &stdout, &stderr)
	if err == nil || exitCode(err) != 2 || !strings.Contains(stderr.String(), `invalid value "ftp://example.org" for flag -public-url`) ||
		!strings.Contains(stderr.String(), "want an absolute http:// or https:// URL") {
		t.Errorf("serve --public-url ftp://example.org = %v (exit %d), stderr %q; want a usage error naming the flag and what it wants", err, exitCode(err), stderr.String())
	}
}
