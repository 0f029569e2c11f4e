package main

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/pgtest"
)

// The server recomputes the stored evidence rows soon after a write marks
// them stale: told by the writer's notification, well before its one-minute
// fallback.
func TestServerRefreshesEvidenceAfterAWrite(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	startServer(t, binary(t), url) // seeds the empty registry, which marks the rows stale
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	waitFresh := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var stale bool
			if err := pool.QueryRow(t.Context(), `SELECT stale FROM evidence_summary_state`).Scan(&stale); err != nil {
				t.Fatal(err)
			}
			if !stale {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the evidence rows are still stale after 20 s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFresh("after the seed")
	var before int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM evidence_summary`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if before == 0 {
		t.Fatal("the seeded registry has no stored evidence rows")
	}
	// Retract every vendor: no supply relationship stands any more.
	if _, err := pool.Exec(t.Context(), `UPDATE entries SET status = 'RETRACTED', retraction_reason = 'For the test' WHERE entry_type = 'VENDOR'`); err != nil {
		t.Fatal(err)
	}
	waitFresh("after a retraction")
	var after int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM evidence_summary`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != 0 {
		t.Errorf("after every vendor's retraction, %d evidence rows are stored (had %d), want none", after, before)
	}
}
