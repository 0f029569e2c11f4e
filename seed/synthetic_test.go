package seed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

// tinyScale keeps the database tests quick: about 800 entries, 2,000 citations.
const tinyScale = 0.002

func loadSynthetic(t *testing.T, pool *pgxpool.Pool, scale float64) seed.SyntheticResult {
	t.Helper()
	res, err := seed.LoadSynthetic(context.Background(), pool, seed.SyntheticOptions{Scale: scale})
	if err != nil {
		t.Fatalf("LoadSynthetic(%g) = %v", scale, err)
	}
	return res
}

func TestSyntheticSizeAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scale float64
		want  seed.SyntheticSize
	}{
		{1, seed.SyntheticSize{States: 200, Agencies: 2000, Vendors: 5000, Products: 20000, Technologies: 40,
			Deployments: 100000, Abuses: 50000, Sources: 200000, Citations: 1000000, DesignationLists: 10,
			Designations: 10000, Communities: 100, ControlListEntries: 200}},
		{0.002, seed.SyntheticSize{States: 1, Agencies: 4, Vendors: 10, Products: 40, Technologies: 1,
			Deployments: 200, Abuses: 100, Sources: 400, Citations: 2000, DesignationLists: 1,
			Designations: 20, Communities: 1, ControlListEntries: 1}},
		// There are 250 country codes: states stop there.
		{2, seed.SyntheticSize{States: 250, Agencies: 4000, Vendors: 10000, Products: 40000, Technologies: 80,
			Deployments: 200000, Abuses: 100000, Sources: 400000, Citations: 2000000, DesignationLists: 20,
			Designations: 20000, Communities: 200, ControlListEntries: 400}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.scale), func(t *testing.T) {
			got, err := seed.SyntheticSizeAt(tt.scale)
			if err != nil {
				t.Fatalf("SyntheticSizeAt(%g) = %v", tt.scale, err)
			}
			if got != tt.want {
				t.Errorf("SyntheticSizeAt(%g) = %+v\nwant %+v", tt.scale, got, tt.want)
			}
		})
	}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1), seed.MaxSyntheticScale * 2} {
		if _, err := seed.SyntheticSizeAt(bad); registry.ErrorCode(err) != registry.CodeInvalid {
			t.Errorf("SyntheticSizeAt(%g) = %v, want an INVALID error", bad, err)
		}
	}
}

func TestSyntheticLoad(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	res := loadSynthetic(t, pool, tinyScale)
	size := res.Size

	t.Run("counts", func(t *testing.T) {
		want := map[string]int{
			"states": size.States, "agencies": size.Agencies, "vendors": size.Vendors, "products": size.Products,
			"technologies": size.Technologies, "deployments": size.Deployments, "abuses": size.Abuses,
			"sources": size.Sources, "citations": size.Citations, "designation_lists": size.DesignationLists,
			"designations": size.Designations, "communities": size.Communities,
			"control_list_entries": size.ControlListEntries, "entries": size.Entries(), "vendor_responses": 0,
		}
		for table, n := range want {
			if got := count(t, pool, "SELECT count(*) FROM "+table); got != n {
				t.Errorf("rows in %s = %d, want %d", table, got, n)
			}
		}
		for _, tr := range res.Tables {
			if got := count(t, pool, "SELECT count(*) FROM "+tr.Table); int64(got) != tr.Rows {
				t.Errorf("rows in %s = %d, LoadSynthetic reported %d", tr.Table, got, tr.Rows)
			}
		}
		// The link tables have rows too, or the shape is wrong.
		for _, table := range []string{"product_technologies", "control_list_entry_technologies", "abuse_agencies",
			"abuse_communities", "abuse_deployments"} {
			if count(t, pool, "SELECT count(*) FROM "+table) == 0 {
				t.Errorf("%s is empty", table)
			}
		}
	})

	t.Run("history", func(t *testing.T) {
		checks := []struct{ what, sql string }{
			{"entries whose versions are not exactly 1..version",
				`SELECT count(*) FROM entries e WHERE (SELECT array_agg(v.version ORDER BY v.version) FROM entry_versions v WHERE v.entry_id = e.id)
				   IS DISTINCT FROM (SELECT array_agg(n) FROM generate_series(1, e.version) n)`},
			{"versions without their change event",
				`SELECT count(*) FROM entry_versions v WHERE NOT EXISTS (SELECT 1 FROM change_events c
				   WHERE c.entry_id = v.entry_id AND c.version = v.version
				   AND c.kind = CASE v.version WHEN 1 THEN 'CREATED' ELSE 'UPDATED' END AND c.at = v.created_at)`},
			{"change events of the wrong type or more than one per version",
				`SELECT count(*) FROM (SELECT c.entry_id, c.version FROM change_events c JOIN entries e ON e.id = c.entry_id
				   GROUP BY 1, 2 HAVING count(*) <> 1 OR bool_or(c.entry_type <> e.entry_type)) x`},
			{"entries not published, or with times out of step with their versions",
				`SELECT count(*) FROM entries e WHERE e.status <> 'PUBLISHED'
				   OR e.published_at <> (SELECT created_at FROM entry_versions WHERE entry_id = e.id AND version = 1)
				   OR e.updated_at <> (SELECT created_at FROM entry_versions WHERE entry_id = e.id AND version = e.version)`},
			{"first versions whose changes are not every field of the snapshot from null",
				`SELECT count(*) FROM entry_versions WHERE version = 1 AND (jsonb_array_length(changes) = 0
				   OR EXISTS (SELECT 1 FROM jsonb_array_elements(changes) c WHERE c->'before' <> 'null'::jsonb
				     OR c->'after' <> snapshot->(c->>'field')))`},
			{"second versions that change nothing",
				`SELECT count(*) FROM entry_versions WHERE version = 2 AND jsonb_array_length(changes) = 0`},
			{"latest snapshots whose citations differ from the citations table",
				`SELECT count(*) FROM entries e JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version
				   WHERE v.snapshot->'citations' IS DISTINCT FROM coalesce((SELECT jsonb_agg(jsonb_build_object(
				     'sourceId', c.source_id, 'locator', c.locator, 'quote', c.quote, 'field', c.field, 'stance', c.stance)
				     ORDER BY c.position) FROM citations c WHERE c.entry_id = e.id), '[]'::jsonb)`},
		}
		for _, c := range checks {
			if n := count(t, pool, c.sql); n != 0 {
				t.Errorf("%d %s", n, c.what)
			}
		}
		updated := count(t, pool, `SELECT count(*) FROM entries WHERE version = 2`)
		if entries := size.Entries(); updated == 0 || updated > entries/5 {
			t.Errorf("%d of %d entries have a second version, want about 5%%", updated, entries)
		}
	})

	t.Run("changes are registry.Diff of the snapshots", func(t *testing.T) {
		rows, err := pool.Query(ctx, `SELECT v.entry_id::text, v.version, v.snapshot, p.snapshot FROM entry_versions v
			LEFT JOIN entry_versions p ON p.entry_id = v.entry_id AND p.version = v.version - 1`)
		if err != nil {
			t.Fatal(err)
		}
		var ids, wants []string
		var versions []int
		for rows.Next() {
			var id string
			var version int
			var after, before []byte
			if err := rows.Scan(&id, &version, &after, &before); err != nil {
				t.Fatal(err)
			}
			changes, err := registry.Diff(before, after)
			if err != nil {
				t.Fatalf("Diff of %s v%d: %v", id, version, err)
			}
			b, err := json.Marshal(changes)
			if err != nil {
				t.Fatal(err)
			}
			ids, versions, wants = append(ids, id), append(versions, version), append(wants, string(b))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var bad []string
		err = pool.QueryRow(ctx, `SELECT coalesce(array_agg(v.entry_id::text || ' v' || v.version), '{}')
			FROM unnest($1::uuid[], $2::int[], $3::jsonb[]) AS w(id, version, changes)
			JOIN entry_versions v ON v.entry_id = w.id AND v.version = w.version
			WHERE v.changes <> w.changes`, ids, versions, wants).Scan(&bad)
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Errorf("%d of %d versions' changes are not registry.Diff of their snapshots, such as %s", len(bad), len(ids), bad[0])
		}
	})

	t.Run("snapshots match rows", func(t *testing.T) {
		// A deployment's latest snapshot says what its row says.
		rows, err := pool.Query(ctx, `SELECT v.snapshot, d.state_id, d.technology_id, d.confidence, coalesce(d.description, '')
			FROM deployments d JOIN entries e ON e.id = d.id JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version`)
		if err != nil {
			t.Fatal(err)
		}
		n, bad := 0, 0
		for rows.Next() {
			var raw []byte
			var state, tech, conf, desc string
			if err := rows.Scan(&raw, &state, &tech, &conf, &desc); err != nil {
				t.Fatal(err)
			}
			var snap struct {
				StateID, TechnologyID, Confidence string
				Description                       *string
			}
			if err := json.Unmarshal(raw, &snap); err != nil {
				t.Fatal(err)
			}
			got := [4]string{snap.StateID, snap.TechnologyID, snap.Confidence, deref(snap.Description)}
			if want := [4]string{state, tech, conf, desc}; got != want {
				if bad++; bad <= 3 {
					t.Errorf("deployment snapshot says %q, its row %q", got, want)
				}
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != size.Deployments || bad != 0 {
			t.Errorf("%d of %d deployments have a latest snapshot that differs from their row; want 0 of %d", bad, n, size.Deployments)
		}
	})

	t.Run("obviously synthetic", func(t *testing.T) {
		if n := count(t, pool, `SELECT count(*) FROM sources WHERE title NOT LIKE '[synthetic] %' OR publisher IS DISTINCT FROM 'Synthetic data'`); n != 0 {
			t.Errorf("%d sources are not marked synthetic", n)
		}
		if n := count(t, pool, `SELECT count(*) FROM vendors WHERE name !~ '^Vendor [0-9]{5} ' OR wikidata_id IS NOT NULL
			OR website !~ '\.example\.com/'`); n != 0 {
			t.Errorf("%d vendors do not look synthetic", n)
		}
	})

	t.Run("shape", func(t *testing.T) {
		checks := []struct {
			what string
			sql  string
		}{
			{"deployments with a vendor", `SELECT count(*) FROM deployments WHERE vendor_id IS NOT NULL`},
			{"deployments with a product", `SELECT count(*) FROM deployments WHERE product_id IS NOT NULL`},
			{"dates of year precision", `SELECT count(*) FROM deployments WHERE length(start_date) = 4`},
			{"dates of month precision", `SELECT count(*) FROM deployments WHERE length(start_date) = 7`},
			{"dates of day precision", `SELECT count(*) FROM deployments WHERE length(start_date) = 10`},
			{"ended deployments", `SELECT count(*) FROM deployments WHERE end_date IS NOT NULL`},
			{"CREDIBLE deployments", `SELECT count(*) FROM deployments WHERE confidence = 'CREDIBLE'`},
			{"vendor designations", `SELECT count(*) FROM designations WHERE vendor_id IS NOT NULL`},
			{"technologies with a parent", `SELECT count(*) FROM technologies WHERE parent_id IS NOT NULL OR (SELECT count(*) FROM technologies) = 1`},
			{"deployments found by 'surveillance'", `SELECT count(*) FROM deployments WHERE search @@ websearch_to_tsquery('english_unaccent', 'surveillance')`},
			{"abuses found by 'camera'", `SELECT count(*) FROM abuses WHERE search @@ websearch_to_tsquery('english_unaccent', 'camera')`},
			{"quotes found by 'spyware'", `SELECT count(*) FROM citations WHERE search @@ websearch_to_tsquery('english_unaccent', 'spyware')`},
		}
		for _, c := range checks {
			if count(t, pool, c.sql) == 0 {
				t.Errorf("no %s", c.what)
			}
		}
		// Confidences lean to CREDIBLE.
		var top string
		if err := pool.QueryRow(ctx, `SELECT confidence FROM deployments GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`).Scan(&top); err != nil {
			t.Fatal(err)
		}
		if top != "CREDIBLE" {
			t.Errorf("most common deployment confidence = %s, want CREDIBLE", top)
		}
		// Skew: the busiest vendor has many times the deployments of the median one.
		var most, median float64
		err := pool.QueryRow(ctx, `SELECT max(n), percentile_cont(0.5) WITHIN GROUP (ORDER BY n)
			FROM (SELECT count(d.id) AS n FROM vendors v LEFT JOIN deployments d ON d.vendor_id = v.id GROUP BY v.id) x`).Scan(&most, &median)
		if err != nil {
			t.Fatal(err)
		}
		if most < 3*median {
			t.Errorf("busiest vendor has %g deployments, the median %g: want a skewed distribution", most, median)
		}
		// A vendor is on a designation list at most once, as in the real
		// registry, and some vendors are designated.
		var twice, designated int
		err = pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM (SELECT 1 FROM designations WHERE vendor_id IS NOT NULL GROUP BY vendor_id, list_id HAVING count(*) > 1) x),
			(SELECT count(DISTINCT vendor_id) FROM designations)`).Scan(&twice, &designated)
		if err != nil {
			t.Fatal(err)
		}
		if twice != 0 || designated == 0 {
			t.Errorf("%d vendors are on a designation list more than once, %d are designated: want 0 and some", twice, designated)
		}
	})

	t.Run("catalog", func(t *testing.T) {
		conn, err := catalog.New(pool).ListVendors(ctx, catalog.VendorFilter{}, catalog.Page{First: 5, WantTotal: true})
		if err != nil {
			t.Fatalf("ListVendors = %v", err)
		}
		if len(conn.Items) != 5 || conn.Total != size.Vendors {
			t.Errorf("ListVendors(first 5) = %d rows of %d, want 5 of %d", len(conn.Items), conn.Total, size.Vendors)
		}
	})
}

// tableHashes returns an ordered hash of every row of every table.
func tableHashes(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, table := range tables {
		var h string
		q := fmt.Sprintf(`SELECT md5(coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '')) || ':' || count(*) FROM %s t`,
			pgx.Identifier{table}.Sanitize())
		if err := pool.QueryRow(ctx, q).Scan(&h); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[table] = h
	}
	return out
}

func TestSyntheticIsDeterministic(t *testing.T) {
	t.Parallel()
	var hashes [2]map[string]string
	for i := range hashes {
		pool := pgtest.New(t)
		loadSynthetic(t, pool, tinyScale)
		hashes[i] = tableHashes(t, pool)
	}
	if len(hashes[0]) < 20 {
		t.Fatalf("hashed only %d tables: %v", len(hashes[0]), hashes[0])
	}
	if diff := mapDiff(hashes[0], hashes[1]); diff != "" {
		t.Errorf("two loads at scale %g differ (table: first, second):\n%s", tinyScale, diff)
	}
	// The hashes cover the data, not just empty tables.
	if strings.HasSuffix(hashes[0]["entry_versions"], ":0") {
		t.Errorf("entry_versions hash %s covers no rows", hashes[0]["entry_versions"])
	}
}

func TestSyntheticRefusesANonEmptyRegistry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		fill func(t *testing.T, pool *pgxpool.Pool)
	}{
		{"seed dataset", func(t *testing.T, pool *pgxpool.Pool) {
			if _, err := seed.Load(ctx, pool, registryDataset(t)); err != nil {
				t.Fatalf("Load = %v", err)
			}
		}},
		{"synthetic data", func(t *testing.T, pool *pgxpool.Pool) { loadSynthetic(t, pool, tinyScale) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := pgtest.New(t)
			tt.fill(t, pool)
			before := tableHashes(t, pool)
			_, err := seed.LoadSynthetic(ctx, pool, seed.SyntheticOptions{Scale: tinyScale})
			if registry.ErrorCode(err) != registry.CodeConflict || !strings.Contains(err.Error(), "empty registry") {
				t.Errorf("LoadSynthetic into a registry holding the %s = %v, want a CONFLICT error saying it needs an empty registry", tt.name, err)
			}
			if diff := mapDiff(before, tableHashes(t, pool)); diff != "" {
				t.Errorf("the refused load changed the registry (table: before, after):\n%s", diff)
			}
		})
	}
}

func TestHasSynthetic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	realPool, synthetic := pgtest.New(t), pgtest.New(t)
	if _, err := seed.Load(ctx, realPool, registryDataset(t)); err != nil {
		t.Fatalf("Load = %v", err)
	}
	loadSynthetic(t, synthetic, tinyScale)
	for _, tt := range []struct {
		name string
		pool *pgxpool.Pool
		want bool
	}{{"seed dataset", realPool, false}, {"synthetic", synthetic, true}} {
		got, err := seed.HasSynthetic(ctx, tt.pool)
		if err != nil || got != tt.want {
			t.Errorf("HasSynthetic(%s registry) = %t, %v; want %t", tt.name, got, err, tt.want)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// mapDiff lists the keys whose values differ, one a line, sorted.
func mapDiff(a, b map[string]string) string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out strings.Builder
	for _, k := range keys {
		if a[k] != b[k] {
			fmt.Fprintf(&out, "  %s: %q, %q\n", k, a[k], b[k])
		}
	}
	return out.String()
}

// Citations copied in many statements (as at scale 10) make the same
// registry, and entry_quotes, which a trigger fills statement by statement,
// holds every cited entry's quotes. Not parallel: it changes a package
// setting.
func TestSyntheticCitationsInManyStatements(t *testing.T) {
	defer seed.SetCitationsPerStatement(50)()
	pool := pgtest.New(t)
	res := loadSynthetic(t, pool, tinyScale)
	var citations, stale int
	err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM citations),
		(SELECT count(*) FROM (
			SELECT c.entry_id, tsvector_agg(c.search ORDER BY c.position) AS every FROM citations c GROUP BY c.entry_id) x
		FULL JOIN entry_quotes q USING (entry_id)
		WHERE q.every IS DISTINCT FROM x.every)`).Scan(&citations, &stale)
	if err != nil {
		t.Fatal(err)
	}
	if citations != res.Size.Citations || stale != 0 {
		t.Errorf("%d citations (want %d); %d entries whose entry_quotes differ from their citations (want 0)", citations, res.Size.Citations, stale)
	}
	if got := stableHashes(t, pool); got != stableWant {
		t.Errorf("hashes of entries and entry_versions = %s, want %s (as when copied in one statement)", got, stableWant)
	}
}

// TestSyntheticIsStable pins what the generator makes, so that a change to it
// (or nondeterminism that one process cannot see, such as a clock) shows. A
// deliberate change of the generator updates these values.
func TestSyntheticIsStable(t *testing.T) {
	t.Parallel()
	if got, want := seed.SyntheticID(registry.TypeVendor, 42).String(), "27f5de94-733b-5fb3-bef7-050c952ba521"; got != want {
		t.Errorf("SyntheticID(VENDOR, 42) = %s, want %s", got, want)
	}
	pool := pgtest.New(t)
	loadSynthetic(t, pool, tinyScale)
	if got := stableHashes(t, pool); got != stableWant {
		t.Errorf("hashes of entries and entry_versions at scale %g = %s, want %s", tinyScale, got, stableWant)
	}
}

// stableWant is stableHashes of the registry at tinyScale.
const stableWant = "88dbdeab372632c07c6a3b72f665feb2 2a1ab93c78846dc91d2ba4f10c415abb"

func stableHashes(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var got string
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT md5(string_agg(concat_ws('|', id, entry_type, version, extract(epoch FROM published_at), extract(epoch FROM updated_at)), ',' ORDER BY id)) FROM entries)
		|| ' ' || (SELECT md5(string_agg(concat_ws('|', entry_id, version, snapshot, changes), ',' ORDER BY entry_id, version)) FROM entry_versions)`).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
