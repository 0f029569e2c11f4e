package graph_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/server"
)

// TestSlowQueryIsCancelled: a request past its deadline is answered with
// TIMEOUT, and its SQL statement is cancelled in PostgreSQL rather than left
// running. The vendors table is locked by another transaction so the
// request's query cannot finish.
func TestSlowQueryIsCancelled(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	h := newServer(graph.Config{
		Catalog: catalog.New(pool),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, server.Config{
		RequestTimeout: 300 * time.Millisecond,
	})

	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := lock.Exec(ctx, `LOCK TABLE vendors IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	r := post(t, h, `{ vendors { totalCount } }`, nil)
	elapsed := time.Since(start)
	if len(r.Errors) == 0 || r.Errors[0].code() != "TIMEOUT" {
		t.Fatalf("query on a locked table = %s, want a TIMEOUT error", r.body)
	}
	if elapsed > 5*time.Second {
		t.Errorf("the request took %v, want it stopped near its 300 ms deadline", elapsed)
	}

	// The cancelled statement must not still be waiting on the lock.
	var waiting int
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'active' AND query LIKE '%FROM vendors%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		if err != nil && err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		if waiting == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if waiting != 0 {
		t.Errorf("%d statements on vendors still running after the request's deadline, want them cancelled", waiting)
	}
}
