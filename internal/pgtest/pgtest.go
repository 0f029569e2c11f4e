// Package pgtest gives each test its own PostgreSQL database, migrated to the
// latest schema. Databases are cloned from a template that is migrated once
// per schema (pgtestdb), so a new one costs a CREATE DATABASE, not a migration
// run. Import it from tests only.
//
// The server is, in order: TEST_DATABASE_URL, DATABASE_URL, or a local
// PostgreSQL that accepts the current OS user without a password (see
// database.LocalServerURL). With none reachable, tests are skipped, or
// failed when CI=true so that no test silently stops running in CI.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"oversight/internal/database"
	"oversight/internal/postgres"
	"oversight/migrations"
)

// New returns a pool on a fresh, migrated database, closed when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return NewWithTracer(t, nil)
}

// NewWithTracer is New with tracer set on every connection of the pool, for
// tests that observe the SQL a piece of code runs (counting statements, say).
func NewWithTracer(t testing.TB, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL(t))
	if err != nil {
		t.Fatalf("pgtest: parse test database URL: %v", err)
	}
	cfg.ConnConfig.Tracer = tracer
	cfg.AfterConnect = database.RegisterTypes // as the server's pools do
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	// Registered after URL's cleanup, so it runs first: the database can
	// only be dropped once the pool's connections are gone.
	t.Cleanup(pool.Close)
	return pool
}

// URL returns the postgres:// URL of a fresh, migrated database, dropped when
// the test ends (kept when it fails, for inspection).
func URL(t testing.TB) string {
	t.Helper()
	conf := serverConfig(t)
	return pgtestdb.Custom(t, conf, migrator{}).URL()
}

// server caches the resolution: probing once per test binary is enough.
var server = sync.OnceValues(resolveServer)

func serverConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	conf, err := server()
	if err == nil {
		return conf
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("pgtest: no PostgreSQL for tests, and CI=true forbids skipping: %v", err)
	}
	t.Skipf("pgtest: skipping, no PostgreSQL for tests (%v); set TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/postgres "+
		"(a role that may create roles and databases), or run a local PostgreSQL that accepts your OS user", err)
	return pgtestdb.Config{}
}

func resolveServer() (pgtestdb.Config, error) {
	for _, env := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if u := os.Getenv(env); u != "" {
			conf, err := configFromURL(u)
			if err != nil {
				return conf, fmt.Errorf("%s: %w", env, err)
			}
			return conf, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := database.LocalServerURL(ctx)
	if err != nil {
		return pgtestdb.Config{}, fmt.Errorf("TEST_DATABASE_URL and DATABASE_URL are unset and %w", err)
	}
	return configFromURL(u)
}

// configFromURL splits a postgres:// URL into pgtestdb's fields. pgtestdb
// rebuilds URLs as postgres://user:password@host:port/db?options, so a Unix
// socket given as ?host=/dir stays in the options, where pgx lets it override
// the placeholder host.
func configFromURL(rawURL string) (pgtestdb.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return pgtestdb.Config{}, fmt.Errorf("%s is not a postgres:// URL", database.Redact(rawURL))
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	password, _ := u.User.Password()
	db := u.Path
	if len(db) > 0 && db[0] == '/' {
		db = db[1:]
	}
	if db == "" {
		db = "postgres"
	}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       hostForURL(host),
		Port:       port,
		User:       escapeUserInfo(u.User.Username()),
		Password:   escapeUserInfo(password),
		Database:   db,
		Options:    u.RawQuery,
		// A test that leaks a connection fails on its own; force the drop
		// so it does not also leave its database behind.
		ForceTerminateConnections: true,
	}, nil
}

// escapeUserInfo escapes a user name or password for the user info part of
// the URL pgtestdb builds with plain string formatting.
func escapeUserInfo(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// hostForURL brackets IPv6 literals, which pgtestdb writes as host:port.
func hostForURL(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[" + host + "]"
	}
	return host
}

// migrator migrates pgtestdb's template with the application's own migration
// code, so tests run on exactly the schema production gets.
type migrator struct{}

// Hash identifies the template: it changes whenever a migration file is added,
// renamed or edited, which makes pgtestdb build a new template.
func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Migrate applies every migration to the template at conf.
func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	return postgres.Migrate(ctx, conf.URL(), "up")
}
