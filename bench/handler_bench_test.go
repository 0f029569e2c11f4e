package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"oversight/bench"
)

// These run against the benchmark database that bench/run.sh loads, named by
// BENCH_DATABASE_URL; without it they are skipped (they need registry-scale
// data, which the per-test databases of the unit tests do not have).
//
//	BENCH_DATABASE_URL=... go test ./bench -run '^$' -bench . -benchmem
//	BENCH_DATABASE_URL=... go test ./bench -run Statements -v

func server(tb testing.TB) *bench.Server {
	tb.Helper()
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		tb.Skip("BENCH_DATABASE_URL is not set; bench/run.sh sets it")
	}
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
	srv := server(t)
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
