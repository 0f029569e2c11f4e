package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// database driver
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"oversight/migrations"
)

// Migrate applies the embedded migrations to the database at databaseURL.
// direction "up" applies every pending migration; "down" reverts all of them,
// leaving an empty schema. Having nothing to do is not an error. Migrate
// refuses to touch a dirty database (one where a migration failed part way)
// and says how to repair it.
//
// Cancelling ctx stops after the migration in progress: golang-migrate cannot
// interrupt a single migration, and stopping between two keeps the database
// clean.
func Migrate(ctx context.Context, databaseURL string, direction string) error {
	if direction != "up" && direction != "down" {
		return fmt.Errorf("migrate: direction %q: want \"up\" or \"down\"", direction)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("migrate %s: %w", direction, err)
	}
	m, src, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()

	version, dirty, err := m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return fmt.Errorf("migrate %s: read schema version: %w", direction, err)
	}
	if dirty {
		return dirtyError(src, version)
	}

	// GracefulStop is only read between migrations, so forwarding the
	// cancellation there is the most golang-migrate allows.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-done:
		}
	}()

	if direction == "up" {
		err = m.Up()
	} else {
		err = m.Down()
	}
	var dirtyErr migrate.ErrDirty
	switch {
	case err == nil, errors.Is(err, migrate.ErrNoChange):
	case errors.As(err, &dirtyErr):
		return dirtyError(src, uint(dirtyErr.Version))
	default:
		return fmt.Errorf("migrate %s: %w", direction, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("migrate %s: stopped before the last migration: %w", direction, err)
	}
	return nil
}

// MigrationStatus reports the database's schema version (0 when no migration
// has been applied), whether a failed migration left it dirty, and the latest
// version embedded in this binary.
func MigrationStatus(ctx context.Context, databaseURL string) (version uint, dirty bool, latest uint, err error) {
	if err := ctx.Err(); err != nil {
		return 0, false, 0, fmt.Errorf("migration status: %w", err)
	}
	m, src, err := open(databaseURL)
	if err != nil {
		return 0, false, 0, err
	}
	defer m.Close()

	latest, err = latestVersion(src)
	if err != nil {
		return 0, false, 0, err
	}
	version, dirty, err = m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, latest, nil
	}
	if err != nil {
		return 0, false, 0, fmt.Errorf("migration status: read schema version: %w", err)
	}
	return version, dirty, latest, nil
}

// open builds a migrator over migrations.FS. It also returns the source so
// callers can walk the available versions; closing m closes both.
func open(databaseURL string) (*migrate.Migrate, source.Driver, error) {
	migrateURL, err := pgx5URL(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, migrateURL)
	if err != nil {
		src.Close()
		return nil, nil, fmt.Errorf("open database for migrations: %w", err)
	}
	return m, src, nil
}

// pgx5URL turns a postgres:// or postgresql:// URL into the pgx5:// form that
// selects golang-migrate's pgx v5 driver. Only the scheme is rewritten, byte
// for byte, so every parameter survives, including host=/var/run/postgresql
// for Unix sockets (the driver hands the rest of the URL to pgx unchanged).
func pgx5URL(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// url.Error repeats the URL, password included: keep only the cause.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql", "pgx5":
	default:
		return "", fmt.Errorf("database URL scheme %q: want postgres:// or postgresql://", u.Scheme)
	}
	return "pgx5" + databaseURL[len(u.Scheme):], nil
}

// latestVersion walks the source to its last migration.
func latestVersion(src source.Driver) (uint, error) {
	v, err := src.First()
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if errors.Is(err, fs.ErrNotExist) {
			return v, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read embedded migrations after version %d: %w", v, err)
		}
		v = next
	}
}

// dirtyError explains what a dirty schema version means and how to get out of
// it, since the operator has to decide which state the schema is really in.
func dirtyError(src source.Driver, version uint) error {
	undone := "`force V` with V the version before it"
	if p, err := src.Prev(version); err == nil {
		undone = fmt.Sprintf("`force %d`", p)
	} else if errors.Is(err, fs.ErrNotExist) {
		undone = "`force -1` (no migration applied)"
	}
	return fmt.Errorf("database schema is dirty at version %d: that migration failed part way; "+
		"inspect the schema and finish or undo its changes by hand, then mark the schema clean with golang-migrate's force command "+
		"(`migrate -database URL force %d` if its changes are now fully applied, %s if none remain) and migrate again",
		version, version, undone)
}
