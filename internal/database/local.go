package database

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// probeTimeout bounds each connection attempt: a local server answers in
// milliseconds, and a hung one must not delay the fallback to embedded.
const probeTimeout = 2 * time.Second

// setupTimeout bounds the statements run to create the database.
const setupTimeout = 30 * time.Second

// socketDirs are where Debian-style packages (/var/run/postgresql) and
// source builds or Homebrew (/tmp) put the server's Unix socket.
var socketDirs = []string{"/var/run/postgresql", "/tmp"}

// LocalServerURL returns the URL of the "postgres" maintenance database on the
// first local PostgreSQL server that accepts the current OS user without a
// password: the Unix sockets in /var/run/postgresql and /tmp, then
// 127.0.0.1:5432. It connects to check, and returns an error listing why each
// candidate was refused when none is usable.
func LocalServerURL(ctx context.Context) (string, error) {
	return defaultResolver().localServer(ctx)
}

func (r resolver) localServer(ctx context.Context) (string, error) {
	candidates, err := r.candidates()
	if err != nil {
		return "", err
	}
	var reasons []string
	for _, c := range candidates {
		conn, err := connect(ctx, c, false)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		conn.Close(context.WithoutCancel(ctx))
		return c, nil
	}
	// One line, not errors.Join: this ends up inside an operator-facing message.
	return "", fmt.Errorf("%w: %s", errNoLocalServer, strings.Join(reasons, "; "))
}

// localCandidates lists the maintenance-database URLs of the places a local
// server listens by default, as the current OS user, since that is the role
// peer and trust authentication let in.
func localCandidates() ([]string, error) {
	name := currentUser()
	if name == "" {
		return nil, errors.New("cannot tell the current OS user")
	}
	var urls []string
	for _, dir := range socketDirs {
		u := url.URL{Scheme: "postgres", User: url.User(name), Path: "/postgres", RawQuery: "host=" + dir}
		urls = append(urls, u.String())
	}
	u := url.URL{Scheme: "postgres", User: url.User(name), Host: "127.0.0.1:5432", Path: "/postgres"}
	return append(urls, u.String()), nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// connect opens one connection with a short connect timeout. Unless
// withPassword is set it drops any password pgx picked up from PGPASSWORD or
// ~/.pgpass: the URL we hand back must work on its own.
func connect(ctx context.Context, rawURL string, withPassword bool) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", Redact(rawURL), err)
	}
	cfg.ConnectTimeout = probeTimeout
	if !withPassword {
		cfg.Password = ""
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", Redact(rawURL), err)
	}
	return conn, nil
}

// ensureDatabase creates database name on the server at serverURL unless it
// exists, and returns serverURL pointed at it.
func ensureDatabase(ctx context.Context, serverURL, name string, withPassword bool) (string, error) {
	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	conn, err := connect(ctx, serverURL, withPassword)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return "", fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return dbURL, nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	// Another process may create it between our check and ours: PostgreSQL
	// reports duplicate_database, or a unique violation on pg_database when
	// both commands ran at the same moment. Either way the database exists.
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == pgerrcode.DuplicateDatabase || pgErr.Code == pgerrcode.UniqueViolation) {
		err = nil
	}
	if err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return dbURL, nil
}

// withDatabase returns serverURL with its database replaced by name, every
// other part (user, host, query parameters) kept.
func withDatabase(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("parse server URL %s: %w", Redact(serverURL), errors.Unwrap(err))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}
