package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/postgres"
	"oversight/seed"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	addr := fs.String("addr", ":8080", "address to listen on")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	logger := newLogger(stderr)
	pool, db, closeDB, err := openDatabase(ctx, f, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := seedIfEmpty(ctx, pool, logger); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler: graph.NewServer(graph.Config{
			Catalog:   catalog.New(pool),
			Editorial: editorial.New(pool),
			Auth:      auth.NewStore(pool),
			Logger:    logger,
			Ready:     readiness(pool, db.URL),
			Export:    bulk.Handler(bulk.NewExporter(pool), logger),
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("serving", "addr", ln.Addr().String(), "graphql", "/graphql", "graphiql", "/graphiql")
	fmt.Fprintf(stdout, "Oversight is serving GraphQL on http://%s/graphql (GraphiQL: /graphiql)\n", displayAddr(ln.Addr()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// seedIfEmpty loads the seed dataset into a registry that has no entries, so
// a fresh install serves real data at once; a registry with entries is left
// alone (use "oversight seed" to add missing seed entries to it).
func seedIfEmpty(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	var empty bool
	if err := pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM entries)`).Scan(&empty); err != nil {
		return fmt.Errorf("check for entries: %w", err)
	}
	if !empty {
		return nil
	}
	d, err := seed.Registry()
	if err != nil {
		return err
	}
	res, err := seed.Load(ctx, pool, d)
	if err != nil {
		return err
	}
	logger.Info("seeded an empty registry", "entries", res.Inserted)
	return nil
}

// readiness checks that the database answers and is migrated to the version
// this binary expects.
func readiness(pool *pgxpool.Pool, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
		version, dirty, latest, err := postgres.MigrationStatus(ctx, url)
		if err != nil {
			return err
		}
		if dirty || version != latest {
			return fmt.Errorf("database at migration %d (dirty %t), want %d", version, dirty, latest)
		}
		return nil
	}
}

func displayAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}
