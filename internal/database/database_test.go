package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no password", "postgres://alice@db.example:5432/oversight", "postgres://alice@db.example:5432/oversight"},
		{"password", "postgres://alice:s3cret@db.example:5432/oversight?sslmode=require", "postgres://alice:xxxxx@db.example:5432/oversight?sslmode=require"},
		{"escaped password", "postgresql://alice:p%40ss%2Fw@db/oversight", "postgresql://alice:xxxxx@db/oversight"},
		{"socket kept verbatim", "postgres://root@/oversight?host=/var/run/postgresql", "postgres://root@/oversight?host=/var/run/postgresql"},
		{"password parameter", "postgres:///oversight?host=/tmp&password=s3cret&sslmode=disable", "postgres:///oversight?host=/tmp&password=xxxxx&sslmode=disable"},
		{"unescaped # in password", "postgres://alice:123#x@db/oversight", "postgres://alice:xxxxx@db/oversight"},
		{"unescaped / in password", "postgres://alice:12/x@db:5432/oversight", "postgres://alice:xxxxx@db:5432/oversight"},
		{"unparseable with @ in password", "postgres://alice:a@b%zz@db/oversight", "postgres://alice:xxxxx@db/oversight"},
		{"keyword/value", "host=db user=alice password=s3cret dbname=oversight", "host=db user=alice password=xxxxx dbname=oversight"},
		{"keyword/value quoted", "host=db password='it''s secret' dbname=oversight", "host=db password=xxxxx dbname=oversight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tt.in)
			if got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, secret := range []string{"s3cret", "p%40ss", "123#x", "12/x", "a@b", "secret"} {
				if strings.Contains(tt.in, secret) && strings.Contains(got, secret) {
					t.Errorf("Redact(%q) = %q, still contains %q", tt.in, got, secret)
				}
			}
		})
	}
}

func TestDatabaseString(t *testing.T) {
	t.Parallel()
	d := &Database{URL: "postgres://oversight:hunter2@127.0.0.1:5433/oversight", Kind: KindEmbedded}
	got := d.String()
	want := "postgres://oversight:xxxxx@127.0.0.1:5433/oversight (embedded)"
	if got != want {
		t.Errorf("Database{URL: %q}.String() = %q, want %q", d.URL, got, want)
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		name, xdg, home, want string
	}{
		{"XDG_DATA_HOME set", "/xdg/data", "/home/alice", "/xdg/data/oversight"},
		{"XDG_DATA_HOME unset", "", "/home/alice", "/home/alice/.local/share/oversight"},
		// The XDG spec says relative paths are invalid and must be ignored.
		{"XDG_DATA_HOME relative", "data", "/home/alice", "/home/alice/.local/share/oversight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			got, err := DefaultDataDir()
			if err != nil || got != tt.want {
				t.Errorf("DefaultDataDir() with XDG_DATA_HOME=%q HOME=%q = %q, %v; want %q, nil", tt.xdg, tt.home, got, err, tt.want)
			}
		})
	}
}

func TestResolveConfiguredURL(t *testing.T) {
	t.Parallel()
	// Nothing listens there: a configured URL must be returned without connecting.
	const url = "postgres://alice:s3cret@db.invalid:1/oversight?sslmode=require&host=/weird"
	var logs strings.Builder
	d, err := Resolve(t.Context(), Options{URL: url, Logger: testLogger(&logs)})
	if err != nil {
		t.Fatalf("Resolve(URL: %q) error = %v, want nil", url, err)
	}
	if d.URL != url || d.Kind != KindConfigured {
		t.Errorf("Resolve(URL: %q) = {URL: %q, Kind: %q}, want the URL unchanged and Kind %q", url, d.URL, d.Kind, KindConfigured)
	}
	if err := d.Stop(); err != nil {
		t.Errorf("Stop() of a configured database = %v, want nil", err)
	}
	if strings.Contains(logs.String(), "s3cret") || !strings.Contains(logs.String(), "kind=configured") {
		t.Errorf("Resolve logged %q, want kind=configured and no password", logs.String())
	}
}

func TestResolveLocal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	serverURL := localServerOrSkip(t)

	r := defaultResolver()
	r.dbName = "oversight_test_" + randomHex(t)
	t.Cleanup(func() { dropDatabase(t, serverURL, r.dbName) })

	// Several processes starting at once must all end up with the database:
	// the losers of the CREATE DATABASE race see it as already there.
	const n = 4
	var wg sync.WaitGroup
	results := make([]*Database, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = r.resolve(ctx, Options{}) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("resolve() #%d with a local server error = %v, want nil", i, errs[i])
		}
		d := results[i]
		if d.Kind != KindLocal || !strings.Contains(d.URL, "/"+r.dbName) {
			t.Errorf("resolve() #%d = {URL: %q, Kind: %q}, want Kind %q on database %s", i, d.URL, d.Kind, KindLocal, r.dbName)
		}
	}

	conn, err := pgx.Connect(ctx, results[0].URL)
	if err != nil {
		t.Fatalf("connect to resolved %s: %v", results[0], err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var got string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&got); err != nil || got != r.dbName {
		t.Errorf("SELECT current_database() on %s = %q, %v; want %q", results[0], got, err, r.dbName)
	}
}

func TestResolveRootWithoutServer(t *testing.T) {
	t.Parallel()
	r := defaultResolver()
	r.candidates = unreachableCandidates
	r.euid = func() int { return 0 }

	d, err := r.resolve(t.Context(), Options{DataDir: t.TempDir()})
	if err == nil {
		d.Stop()
		t.Fatalf("resolve() as root with no server = %s, want an error", d)
	}
	for _, want := range []string{"DATABASE_URL", "run oversight as a normal user", "make the local PostgreSQL accept", "127.0.0.1:1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("resolve() as root with no server error = %q, want it to mention %q", err, want)
		}
	}
}

func TestResolveEmbedded(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("initdb and postgres refuse to run as root; .ci/run starts the embedded server as an unprivileged user instead")
	}
	t.Parallel()
	ctx := t.Context()
	dataDir := t.TempDir()
	r := defaultResolver()
	r.candidates = unreachableCandidates

	var logs strings.Builder
	first, err := r.resolve(ctx, Options{DataDir: dataDir, Logger: testLogger(&logs)})
	if err != nil {
		t.Fatalf("resolve(DataDir: %s) with no local server error = %v, want an embedded server", dataDir, err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			first.Stop()
		}
	})
	if first.Kind != KindEmbedded {
		t.Errorf("resolve() Kind = %q, want %q", first.Kind, KindEmbedded)
	}
	if password, _ := os.ReadFile(filepath.Join(dataDir, passwordFile)); len(password) == 0 || strings.Contains(logs.String(), strings.TrimSpace(string(password))) {
		t.Errorf("resolve() logged %q: want the password (%d bytes saved) never logged", logs.String(), len(password))
	}
	execSQL(t, first.URL, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
	if err := first.Stop(); err != nil {
		t.Fatalf("first Stop() = %v, want nil", err)
	}
	stopped = true

	// A second start must reuse the cluster, not run initdb over it.
	second, err := r.resolve(ctx, Options{DataDir: dataDir})
	if err != nil {
		t.Fatalf("second resolve(DataDir: %s) error = %v, want the existing cluster", dataDir, err)
	}
	defer func() {
		if err := second.Stop(); err != nil {
			t.Errorf("second Stop() = %v, want nil", err)
		}
	}()
	var n int
	if err := queryRow(t, second.URL, "SELECT n FROM kept").Scan(&n); err != nil || n != 42 {
		t.Errorf("SELECT n FROM kept after restart = %d, %v; want 42, nil", n, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dataDir, logDir)); len(entries) == 0 {
		t.Errorf("no server log under %s, want the collector's files there", filepath.Join(dataDir, logDir))
	}
}

func unreachableCandidates() ([]string, error) {
	return []string{"postgres://nobody@127.0.0.1:1/postgres"}, nil
}

// localServerOrSkip returns the local server's maintenance URL. Under CI a
// missing server fails the test, so it never silently stops running.
func localServerOrSkip(t *testing.T) string {
	t.Helper()
	u, err := LocalServerURL(t.Context())
	if err == nil {
		return u
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("LocalServerURL() error = %v; CI needs a local PostgreSQL accepting the current user", err)
	}
	t.Skipf("no local PostgreSQL accepts the current user (%v); start one to run this test", err)
	return ""
}

func dropDatabase(t *testing.T, serverURL, name string) {
	ctx := context.WithoutCancel(t.Context())
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Errorf("cleanup: connect %s: %v", Redact(serverURL), err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("cleanup: drop database %s: %v", name, err)
	}
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", Redact(url), err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

type rowFunc func(dest ...any) error

func (f rowFunc) Scan(dest ...any) error { return f(dest...) }

func queryRow(t *testing.T, url, sql string) pgx.Row {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		return rowFunc(func(...any) error { return err })
	}
	return rowFunc(func(dest ...any) error {
		defer conn.Close(context.WithoutCancel(t.Context()))
		return conn.QueryRow(t.Context(), sql).Scan(dest...)
	})
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testLogger writes text records to b, to check what Resolve logs.
func testLogger(b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The server's pool defaults (more connections than pgxpool's, no JIT) give
// way to what the URL says.
func TestPoolConfig(t *testing.T) {
	tests := []struct {
		url      string
		maxConns int32 // 0: the server's default
		jit      string
	}{
		{"postgres://u@localhost/db", 0, "off"},
		{"postgres://u@localhost/db?pool_max_conns=3", 3, "off"},
		{"postgres://u@localhost/db?jit=on", 0, "on"},
		{"postgres://u@localhost/db?options=-c%20jit%3Don", 0, ""},
	}
	for _, tc := range tests {
		cfg, err := PoolConfig(tc.url)
		if err != nil {
			t.Fatalf("PoolConfig(%q): %v", tc.url, err)
		}
		want := tc.maxConns
		if want == 0 {
			want = int32(max(16, 4*runtime.NumCPU()))
		}
		if cfg.MaxConns != want {
			t.Errorf("PoolConfig(%q).MaxConns = %d, want %d", tc.url, cfg.MaxConns, want)
		}
		if got := cfg.ConnConfig.RuntimeParams["jit"]; got != tc.jit {
			t.Errorf("PoolConfig(%q) jit = %q, want %q", tc.url, got, tc.jit)
		}
	}
	if _, err := PoolConfig("postgres://u:secret@localhost:notaport/db"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("PoolConfig of a bad URL: %v, want an error without the password", err)
	}
}
