package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/term"

	"oversight/internal/catalog"
	"oversight/internal/database"
	"oversight/internal/postgres"
	"oversight/seed"
)

const usage = `Usage: oversight [command] [flags]

Commands:
  serve               serve the GraphQL API (the default)
  migrate up|down|status
                      apply, revert or show the database migrations
  seed                load the seed dataset (entries already present are kept);
                      --synthetic --scale N: a fake registry-scale dataset for benchmarks
  user add|list|disable
                      add an editorial account (prints its ID), list them, or close one
  token create|revoke|list
                      issue an API token (printed once, as the last line),
                      revoke one or all of a user's, or list a user's
  export [--format ndjson|csv|ftm] [--out PATH]
                      export the published registry (internal/bulk/FORMAT.md)
  import --as EMAIL [--submit] FILE | import --restore FILE
                      propose an ndjson file's entries as one submission, or
                      load an export into an empty registry

Database: --database-url or DATABASE_URL; else a local PostgreSQL that accepts
the current user (database "oversight", created if missing); else an embedded
PostgreSQL under --data-dir.

Run "oversight COMMAND -h" for a command's flags.
`

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// run parses the command line and runs one command. It takes its environment
// as arguments so tests can run it as a user would.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "seed":
		return seedCmd(ctx, args, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdout, stderr)
	case "token":
		return tokenCmd(ctx, args, getenv, stdout, stderr)
	case "export":
		return exportCmd(ctx, args, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	url     string
	dataDir string
	getenv  func(string) string
	tracer  pgx.QueryTracer // set on every connection; serve counts statements
}

// databaseURL is --database-url, else $DATABASE_URL.
func (f *dbFlags) databaseURL() string {
	if f.url == "" && f.getenv != nil {
		return f.getenv("DATABASE_URL")
	}
	return f.url
}

func (f *dbFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	// The environment's URL is applied after parsing rather than shown as the
	// flag's default, so -h never prints a password.
	fs.StringVar(&f.url, "database-url", "", "PostgreSQL URL (default $DATABASE_URL; else a local or embedded server)")
	f.getenv = getenv
	fs.StringVar(&f.dataDir, "data-dir", "", "where the embedded PostgreSQL keeps its data (default ~/.local/share/oversight)")
}

func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// openDatabase resolves the database, migrates it and opens a pool. The
// returned close function closes the pool and stops an embedded server.
func openDatabase(ctx context.Context, f dbFlags, logger *slog.Logger) (*pgxpool.Pool, *database.Database, func(), error) {
	db, err := database.Resolve(ctx, database.Options{URL: f.databaseURL(), DataDir: f.dataDir, Logger: logger})
	if err != nil {
		return nil, nil, nil, err
	}
	stop := func() {
		if err := db.Stop(); err != nil {
			logger.Error("stop database", "err", err)
		}
	}
	logger.Info("using database", "database", db.String())
	if err := postgres.Migrate(ctx, db.URL, "up"); err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("migrate %s: %w", database.Redact(db.URL), err)
	}
	cfg, err := database.PoolConfig(db.URL)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	cfg.ConnConfig.Tracer = f.tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("connect to %s: %w", database.Redact(db.URL), err)
	}
	return pool, db, func() { pool.Close(); stop() }, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	fs.Usage = func() { fmt.Fprintln(stderr, "Usage: oversight migrate up|down|status [flags]"); fs.PrintDefaults() }
	// Accept the direction before or after the flags.
	direction := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		direction, args = args[0], args[1:]
	}
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if direction == "" && fs.NArg() > 0 {
		direction = fs.Arg(0)
	}
	if direction != "up" && direction != "down" && direction != "status" {
		fs.Usage()
		return usageError{fmt.Sprintf("migrate wants up, down or status, not %q", direction)}
	}
	logger := newLogger(stderr)
	db, err := database.Resolve(ctx, database.Options{URL: f.databaseURL(), DataDir: f.dataDir, Logger: logger})
	if err != nil {
		return err
	}
	defer func() { _ = db.Stop() }()
	if direction == "status" {
		version, dirty, latest, err := postgres.MigrationStatus(ctx, db.URL)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database: %s\nversion: %d of %d\ndirty: %t\n", db.String(), version, latest, dirty)
		return nil
	}
	if err := postgres.Migrate(ctx, db.URL, direction); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrated %s\n", direction)
	return nil
}

func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	synthetic := fs.Bool("synthetic", false, "load a synthetic registry (obviously fake, for benchmarks) instead of the seed dataset; only into an empty registry")
	scale := fs.Float64("scale", 1, "with --synthetic: the size; 1 is 5,000 vendors, 100,000 deployments and 1,000,000 citations, 0.01 is a hundredth")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: oversight seed [flags]
       oversight seed --synthetic [--scale N] [flags]

Without --synthetic, load the seed dataset (entries already present are kept).

With --synthetic, fill an empty registry with synthetic data: deterministic
(the same scale gives the same rows and IDs), published, with history, and
obviously fake ("Vendor 00042 Systems", sources titled "[synthetic]").
Synthetic data never mixes with real data: --synthetic refuses a registry that
has any entry, and seeding the real dataset refuses a synthetic registry.
Use a database of its own.

`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("seed takes no arguments, got %q", fs.Args())}
	}
	scaleSet := false
	fs.Visit(func(fl *flag.Flag) { scaleSet = scaleSet || fl.Name == "scale" })
	if scaleSet && !*synthetic {
		return usageError{"--scale is only for --synthetic"}
	}
	if *synthetic {
		if _, err := seed.SyntheticSizeAt(*scale); err != nil {
			return usageError{err.Error()}
		}
	}
	logger := newLogger(stderr)
	pool, _, closeDB, err := openDatabase(ctx, f, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	if *synthetic {
		res, err := seed.LoadSynthetic(ctx, pool, seed.SyntheticOptions{Scale: *scale,
			Progress: func(t seed.TableRows) {
				logger.Info("synthetic seed", "table", t.Table, "rows", t.Rows, "seconds", t.Took.Seconds())
			}})
		if err != nil {
			return err
		}
		if _, err := catalog.RefreshEvidence(ctx, pool); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded synthetic data at scale %g: %d entries, %d citations in %.1fs\n",
			*scale, res.Size.Entries(), res.Size.Citations, res.Took.Seconds())
		return nil
	}
	if found, err := seed.HasSynthetic(ctx, pool); err != nil {
		return err
	} else if found {
		return errors.New("the registry holds synthetic data (oversight seed --synthetic): the seed dataset is not loaded into it, so that real and synthetic data never mix")
	}
	d, err := seed.Registry()
	if err != nil {
		return err
	}
	res, err := seed.Load(ctx, pool, d)
	if err != nil {
		return err
	}
	if _, err := catalog.RefreshEvidence(ctx, pool); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded: %d entries added, %d already present\n", res.Inserted, res.Existing)
	return nil
}
