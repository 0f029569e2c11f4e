package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/database"
	"oversight/internal/editorial"
	"oversight/internal/metrics"
	"oversight/internal/postgres"
	"oversight/internal/ratelimit"
	"oversight/internal/registry"
	"oversight/internal/server"
)

// TestOutageAnswers503Everywhere stops the database under a running server:
// every route (the API, anonymous and signed in, in both media types; the
// feed; the exports) then answers 503 SERVICE_UNAVAILABLE with Retry-After
// and the request ID, rather than an internal error, and the outage logs no
// error per request. The PostgreSQL is the test's own (privatePostgres), so
// stopping it disturbs no other test.
func TestOutageAnswers503Everywhere(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	ctx := t.Context()
	if err := postgres.Migrate(ctx, pg.url, "up"); err != nil {
		t.Fatalf("migrate the private PostgreSQL: %v", err)
	}
	poolCfg, err := database.PoolConfig(pg.url)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		t.Fatalf("open a pool on the private PostgreSQL: %v", err)
	}
	t.Cleanup(pool.Close)
	store := auth.NewStore(pool)
	if _, err := store.AddUser(ctx, "Casey Contributor", "casey@example.org", registry.RoleContributor); err != nil {
		t.Fatalf("AddUser error = %v", err)
	}
	token, _, err := store.CreateToken(ctx, "casey@example.org", 0)
	if err != nil {
		t.Fatalf("CreateToken error = %v", err)
	}

	// The server as serve assembles it, logging JSON to logs.
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := newServer(graph.Config{
		Catalog:   catalog.New(pool),
		Editorial: editorial.New(pool),
		Logger:    logger,
	}, server.Config{
		Auth:      store,
		Export:    bulk.Handler(bulk.NewExporter(pool), logger, server.RouteFailure(logger)),
		Metrics:   metrics.New(metrics.Options{Logger: logger}),
		RateLimit: ratelimit.New(ratelimit.DefaultConfig()),
	})

	const query = `{ vendors(first: 1) { totalCount } }`
	post := func(accept, token, query string) *http.Request {
		body, _ := json.Marshal(map[string]string{"query": query})
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
	get := func(target string) *http.Request {
		return httptest.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	}
	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	for _, tok := range []string{"", token} {
		if rec := serve(post("", tok, query)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"totalCount":0`) {
			t.Fatalf("before the outage, POST %s (token %t) = %d %s; want 200 with the count", query, tok != "", rec.Code, rec.Body.String())
		}
	}
	pg.stop(t)
	logsBefore := len(logs.String())

	tests := []struct {
		name string
		req  *http.Request
		// partial: the query has nullable fields, so the outage leaves
		// partial data ({"vendor": null}), which the GraphQL-over-HTTP
		// specification requires to be answered 200.
		partial bool
	}{
		{name: "anonymous POST, application/json", req: post("", "", query)},
		{name: "anonymous POST, application/graphql-response+json", req: post(mediaGraphQL, "", query)},
		{name: "anonymous GET", req: get("/graphql?query=" + url.QueryEscape(query))},
		{name: "signed-in POST", req: post("", token, query)},
		{name: "signed-in POST, application/graphql-response+json", req: post(mediaGraphQL, token, query)},
		{name: "the feed", req: get("/changes.atom")},
		{name: "the corrections feed", req: get("/changes.atom?kinds=CORRECTED,RETRACTED")},
		{name: "the ndjson export", req: get("/export/registry.ndjson")},
		{name: "the FollowTheMoney export", req: get("/export/registry.ftm.ndjson")},
		{name: "partial data", req: post(mediaGraphQL, "", `{ vendor(slug: "hikvision") { name } }`), partial: true},
	}
	for _, tt := range tests { // in order: the first meets the pool's stale connections
		rec := serve(tt.req)
		what := fmt.Sprintf("%s: %s %s", tt.name, tt.req.Method, tt.req.URL)
		id := rec.Header().Get("X-Request-ID")
		var body struct {
			Data   *json.RawMessage `json:"data"`
			Errors []gqlError       `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) == 0 {
			t.Errorf("%s = %d %q: want a GraphQL-shaped error (%v)", what, rec.Code, rec.Body.String(), err)
			continue
		}
		for _, e := range body.Errors {
			if e.code() != "SERVICE_UNAVAILABLE" || id == "" || e.Extensions["requestId"] != id || !strings.Contains(e.Message, id) {
				t.Errorf("%s: error %+v (X-Request-ID %q), want SERVICE_UNAVAILABLE with the request ID in its message and extensions", what, e, id)
			}
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
		}
		if tt.partial {
			if rec.Code != http.StatusOK || body.Data == nil || string(*body.Data) != `{"vendor":null}` {
				t.Errorf("%s = %d %s, want 200 with the partial data", what, rec.Code, rec.Body.String())
			}
			continue
		}
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || body.Data != nil {
			t.Errorf("%s = %d (Retry-After %q) %s, want 503 with Retry-After and no data", what, rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
		}
	}

	// An outage is the database's, not the server's: warnings, at most one
	// about the outage per request, and no error to page anyone per request.
	var warned int
	sc := bufio.NewScanner(strings.NewReader(logs.String()[logsBefore:]))
	for sc.Scan() {
		var line struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if line.Level == "ERROR" {
			t.Errorf("the outage logged an error: %s", sc.Text())
		}
		if line.Msg == "database unavailable" {
			warned++
		}
	}
	if warned == 0 || warned > len(tests) {
		t.Errorf("the outage logged %d warnings about the database for %d requests, want one per request at most, and some", warned, len(tests))
	}
}

// syncBuffer is a buffer the server's goroutines may log to while the test
// reads it.
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

// privatePostgres is a PostgreSQL cluster of the test's own, which it may
// stop.
type privatePostgres struct {
	url  string
	data string
	run  func(args ...string) error // a PostgreSQL program, as the cluster's owner
	once sync.Once
}

// startPrivatePostgres initialises and starts a throwaway cluster from the
// PostgreSQL binaries installed on the machine, listening on a free port of
// 127.0.0.1 only, with durability off (it lives for one test). initdb
// refuses to run as root, so as root the cluster belongs to the user nobody.
// Without binaries the test is skipped, except under CI=true, where it
// fails: CI must run it.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	unusable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: this test must run)", msg)
		}
		t.Skipf("%s: skipping the test that stops a private PostgreSQL", msg)
	}
	bin := postgresBinDir()
	if bin == "" {
		unusable("no PostgreSQL binaries (initdb, pg_ctl, postgres) in pg_config --bindir or /usr/lib/postgresql/*/bin")
	}
	dir, err := os.MkdirTemp("", "oversight-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			unusable("running as root, and no user nobody to own the cluster: %v", err)
		}
		uid, _ := strconv.ParseUint(nobody.Uid, 10, 32)
		gid, _ := strconv.ParseUint(nobody.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	pg := &privatePostgres{
		url:  fmt.Sprintf("postgres://oversight@127.0.0.1:%d/postgres?sslmode=disable", port),
		data: filepath.Join(dir, "data"),
	}
	pg.run = func(args ...string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, args[0]), args[1:]...)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := pg.run("initdb", "--pgdata", pg.data, "--username", "oversight", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v", err)
	}
	opts := fmt.Sprintf("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off", port)
	if err := pg.run("pg_ctl", "start", "--pgdata", pg.data, "--wait", "--log", filepath.Join(dir, "postgres.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		t.Fatalf("start PostgreSQL: %v\n%s", err, log)
	}
	t.Cleanup(func() { pg.stop(t) })
	return pg
}

// stop stops the cluster at once, as a crash or a killed server would
// (pg_ctl stop -m immediate); again is a no-op.
func (pg *privatePostgres) stop(t *testing.T) {
	pg.once.Do(func() {
		if err := pg.run("pg_ctl", "stop", "--pgdata", pg.data, "--mode", "immediate", "--wait"); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
	})
}

// postgresBinDir is the directory of the installed PostgreSQL programs, as
// internal/database looks for them: pg_config --bindir, then Debian's
// /usr/lib/postgresql/*/bin, newest first; "" when there are none.
func postgresBinDir() string {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(debian, func(i, j int) bool { return majorVersion(debian[i]) > majorVersion(debian[j]) })
	dirs = append(dirs, debian...)
	for _, dir := range dirs {
		if !slices.ContainsFunc([]string{"initdb", "pg_ctl", "postgres"}, func(p string) bool {
			info, err := os.Stat(filepath.Join(dir, p))
			return err != nil || info.Mode()&0o111 == 0
		}) {
			return dir
		}
	}
	return ""
}

// majorVersion is 15 for /usr/lib/postgresql/15/bin.
func majorVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}
