package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

func registryDataset(t *testing.T) *seed.Dataset {
	t.Helper()
	d, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() = %v", err)
	}
	return d
}

func count(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// tableCounts is what a load writes, table by table.
var tableCounts = []string{"entries", "states", "agencies", "vendors", "technologies", "products",
	"deployments", "abuses", "communities", "designation_lists", "designations", "control_list_entries",
	"sources", "citations", "entry_versions", "change_events", "abuse_deployments", "abuse_communities",
	"control_list_entry_technologies", "product_technologies"}

func snapshotCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	out := map[string]int{}
	for _, table := range tableCounts {
		out[table] = count(t, pool, "SELECT count(*) FROM "+table)
	}
	return out
}

func TestLoadIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	d := registryDataset(t)

	first, err := seed.Load(ctx, pool, d)
	if err != nil {
		t.Fatalf("first Load = %v", err)
	}
	if first.Inserted == 0 || first.Existing != 0 {
		t.Fatalf("first Load = %+v, want every entry inserted", first)
	}
	before := snapshotCounts(t, pool)

	second, err := seed.Load(ctx, pool, d)
	if err != nil {
		t.Fatalf("second Load = %v", err)
	}
	if second.Inserted != 0 || second.Existing != first.Inserted {
		t.Errorf("second Load = %+v, want 0 inserted and %d existing", second, first.Inserted)
	}
	after := snapshotCounts(t, pool)
	for _, table := range tableCounts {
		if before[table] != after[table] {
			t.Errorf("rows in %s: %d after the first load, %d after the second", table, before[table], after[table])
		}
	}
	if before["entries"] != first.Inserted {
		t.Errorf("entries = %d, want %d", before["entries"], first.Inserted)
	}
}

func TestLoadWritesHistoryAndSources(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	if _, err := seed.Load(context.Background(), pool, registryDataset(t)); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		sql  string // counts offenders
	}{
		{"entry without version 1", `SELECT count(*) FROM entries e WHERE NOT EXISTS
			(SELECT 1 FROM entry_versions v WHERE v.entry_id = e.id AND v.version = 1)`},
		{"entry without CREATED event", `SELECT count(*) FROM entries e WHERE NOT EXISTS
			(SELECT 1 FROM change_events c WHERE c.entry_id = e.id AND c.kind = 'CREATED')`},
		{"deployment, abuse or designation without a quoted citation", `SELECT count(*) FROM entries e
			WHERE e.entry_type IN ('DEPLOYMENT', 'ABUSE', 'DESIGNATION') AND NOT EXISTS
			(SELECT 1 FROM citations c WHERE c.entry_id = e.id AND length(c.quote) > 0)`},
		{"snapshot without its citations", `SELECT count(*) FROM entry_versions v JOIN entries e ON e.id = v.entry_id
			WHERE jsonb_array_length(v.snapshot->'citations') <> (SELECT count(*) FROM citations c WHERE c.entry_id = e.id)`},
		{"version 1 whose changes are not every field with a value", `SELECT count(*) FROM entry_versions v
			WHERE jsonb_array_length(v.changes) <> (SELECT count(*) FROM jsonb_each(v.snapshot) f
				WHERE jsonb_typeof(f.value) <> 'null' AND f.value <> '[]'::jsonb)`},
	}
	for _, c := range checks {
		if n := count(t, pool, c.sql); n != 0 {
			t.Errorf("%s: %d entries", c.name, n)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM entries`); n < 300 {
		t.Errorf("entries = %d, want the whole seed dataset (300+)", n)
	}
}

func TestLoadRefusesAnInvalidDatasetAndWritesNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	bad := func() *seed.Dataset {
		d := registryDataset(t)
		d.Deployments[0].Citations = nil
		d.Abuses[0].StartDate = ptr("2019-02-30")
		d.Vendors[0].CountryCode = ptr("ZZ")
		d.Designations[0].List = "NO-SUCH-LIST"
		return d
	}()
	_, err := seed.Load(context.Background(), pool, bad)
	if err == nil {
		t.Fatal("Load(invalid dataset) = nil error, want the problems listed")
	}
	for _, want := range []string{"has no citation", `"2019-02-30" is not a calendar date`, `"ZZ" is not an ISO 3166-1`, `"NO-SUCH-LIST"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load(invalid dataset) error does not mention %q:\n%v", want, err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM entries`); n != 0 {
		t.Errorf("entries after a refused load = %d, want 0", n)
	}
}

func TestIDsAreStable(t *testing.T) {
	t.Parallel()
	a, b := seed.ID(registry.TypeVendor, "hikvision"), seed.ID(registry.TypeVendor, "hikvision")
	if a != b {
		t.Errorf("seed.ID(VENDOR, hikvision) gave %s then %s", a, b)
	}
	if seed.ID(registry.TypeVendor, "hikvision") == seed.ID(registry.TypeTechnology, "hikvision") {
		t.Error("seed.ID gives the same ID to a vendor and a technology with the same key")
	}
}

func ptr[T any](v T) *T { return &v }
