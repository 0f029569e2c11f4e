package pgtest_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
	"oversight/internal/postgres"
)

func TestNewGivesDistinctMigratedDatabases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := pgtest.New(t), pgtest.New(t)

	var nameA, nameB string
	if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatalf("first pool: SELECT current_database(): %v", err)
	}
	if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatalf("second pool: SELECT current_database(): %v", err)
	}
	if nameA == nameB {
		t.Errorf("two New() calls both gave database %q, want two distinct databases", nameA)
	}

	// A table made in one must not show up in the other.
	if _, err := a.Exec(ctx, "CREATE TABLE pgtest_probe (n int)"); err != nil {
		t.Fatalf("first pool: CREATE TABLE: %v", err)
	}
	var exists bool
	if err := b.QueryRow(ctx, "SELECT to_regclass('pgtest_probe') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Errorf("second database sees the first's table: to_regclass = %v, %v; want false, nil", exists, err)
	}
}

func TestURLIsAtLatestMigration(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	version, dirty, latest, err := postgres.MigrationStatus(t.Context(), url)
	if err != nil {
		t.Fatalf("MigrationStatus(pgtest.URL) error = %v", err)
	}
	if dirty || version != latest || latest == 0 {
		t.Errorf("MigrationStatus(pgtest.URL) = version %d, dirty %v, latest %d; want the latest version (> 0), clean", version, dirty, latest)
	}
}

// countingTracer counts the statements a pool runs.
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestNewWithTracer(t *testing.T) {
	t.Parallel()
	tracer := &countingTracer{}
	pool := pgtest.NewWithTracer(t, tracer)
	for range 3 {
		if _, err := pool.Exec(t.Context(), "SELECT 1"); err != nil {
			t.Fatalf("Exec(SELECT 1): %v", err)
		}
	}
	if got := tracer.n.Load(); got != 3 {
		t.Errorf("tracer counted %d statements after 3 Exec calls, want 3", got)
	}
}
