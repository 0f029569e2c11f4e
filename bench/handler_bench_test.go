package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/bench"
	"oversight/internal/pgtest"
	"oversight/seed"
)

// These run against the benchmark database that bench/run.sh loads, named by
// BENCH_DATABASE_URL. Without it the benchmarks are skipped (their numbers
// mean something only at registry scale), and the statement-count test runs
// on a small synthetic registry of its own, so go test ./... checks it.
//
//	BENCH_DATABASE_URL=... go test ./bench -run '^$' -bench . -benchmem
//	BENCH_DATABASE_URL=... go test ./bench -run Statements -v

// smallScale is the synthetic registry the statement-count test loads when
// no benchmark database is given: 10 states, 5,000 deployments, 50,000
// citations, loaded in a few seconds, with rows at every level of every
// workload.
const smallScale = 0.05

func server(tb testing.TB) *bench.Server {
	tb.Helper()
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		tb.Skip("BENCH_DATABASE_URL is not set; bench/run.sh sets it")
	}
	return serverAt(tb, url)
}

// smallServer is a server over a fresh database holding the synthetic
// registry at smallScale.
func smallServer(tb testing.TB) *bench.Server {
	tb.Helper()
	url := pgtest.URL(tb)
	pool, err := pgxpool.New(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	defer pool.Close()
	if _, err := seed.LoadSynthetic(tb.Context(), pool, seed.SyntheticOptions{Scale: smallScale}); err != nil {
		tb.Fatalf("load the synthetic registry at scale %g: %v", smallScale, err)
	}
	// The workloads' vendor and technology, chosen as bench/run.sh does.
	for name, sql := range map[string]string{
		"BENCH_SLUG":       `SELECT v.slug FROM vendors v JOIN deployments d ON d.vendor_id = v.id GROUP BY v.slug ORDER BY count(*) DESC, v.slug LIMIT 1`,
		"BENCH_TECHNOLOGY": `SELECT t.slug FROM technologies t JOIN deployments d ON d.technology_id = t.id GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 1`,
	} {
		var v string
		if err := pool.QueryRow(tb.Context(), sql).Scan(&v); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		tb.Setenv(name, v)
	}
	return serverAt(tb, url)
}

func serverAt(tb testing.TB, url string) *bench.Server {
	tb.Helper()
	srv, err := bench.NewServer(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(srv.Close)
	return srv
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func body(tb testing.TB, workload string, vars map[string]any) string {
	tb.Helper()
	q, err := os.ReadFile("workloads/" + workload + ".oversight.graphql")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"query": string(q), "variables": vars})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func workloads(tb testing.TB) []struct {
	name string
	body string
} {
	return []struct {
		name string
		body string
	}{
		{"wide", body(tb, "wide", map[string]any{"states": 50, "deployments": 20})},
		{"dossier", body(tb, "dossier", map[string]any{"slug": env("BENCH_SLUG", "hikvision")})},
		{"evidence", body(tb, "evidence", map[string]any{"technology": env("BENCH_TECHNOLOGY", "facial-recognition")})},
		{"search", body(tb, "search", map[string]any{"q": env("BENCH_TERM", "surveillance")})},
	}
}

// BenchmarkHandler times each workload through the whole GraphQL handler
// (parsing, validation, resolvers, loaders, SQL, JSON) on one goroutine, and
// reports SQL statements per request beside -benchmem's allocations.
func BenchmarkHandler(b *testing.B) {
	srv := server(b)
	for _, w := range workloads(b) {
		b.Run(w.name, func(b *testing.B) {
			if _, err := srv.Post(w.body); err != nil {
				b.Fatal(err)
			}
			before := srv.Tracer.Count()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Post(w.body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(srv.Tracer.Count()-before)/float64(b.N), "stmts/op")
		})
	}
}

// BenchmarkHandlerParallel is BenchmarkHandler with requests in parallel, as
// under load: throughput rather than one request's latency.
func BenchmarkHandlerParallel(b *testing.B) {
	srv := server(b)
	for _, w := range workloads(b) {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := srv.Post(w.body); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestStatementsConstantInPageSizes checks the claim that the number of SQL
// statements a request costs depends on the shape of the query, not on how
// many rows each level returns. (Pages are at least 5 deep, so that every
// level has rows to load: an empty level skips its statements.)
func TestStatementsConstantInPageSizes(t *testing.T) {
	var srv *bench.Server
	if os.Getenv("BENCH_DATABASE_URL") != "" {
		srv = server(t)
	} else {
		srv = smallServer(t)
	}
	counts := map[string]int64{}
	var first int64 = -1
	for _, states := range []int{10, 50, 100} {
		for _, deployments := range []int{5, 20, 100} {
			b := body(t, "wide", map[string]any{"states": states, "deployments": deployments})
			before := srv.Tracer.Count()
			if _, err := srv.Post(b); err != nil {
				t.Fatalf("wide(states %d, deployments %d): %v", states, deployments, err)
			}
			n := srv.Tracer.Count() - before
			counts[fmt.Sprintf("states=%d deployments=%d", states, deployments)] = n
			t.Logf("wide query, states(first: %d) deployments(first: %d): %d SQL statements", states, deployments, n)
			if first < 0 {
				first = n
			} else if n != first {
				t.Errorf("wide(states %d, deployments %d) = %d statements, want %d as for states(first: 10) deployments(first: 5)", states, deployments, n, first)
			}
		}
	}
	for _, w := range workloads(t) {
		before := srv.Tracer.Count()
		if _, err := srv.Post(w.body); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		t.Logf("%s: %d SQL statements", w.name, srv.Tracer.Count()-before)
	}
}
