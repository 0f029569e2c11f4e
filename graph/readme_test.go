package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/server"
	"oversight/seed"
)

// TestREADMEExamples runs every GraphQL example of the README against the
// seeded registry: each must answer without errors and with real data.
// Only examples at the start of a line count: the indented ones of the
// editorial workflow are mutations that need a token and variables.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	blocks := regexp.MustCompile("(?ms)^```graphql\n(.*?)^```").FindAllSubmatch(readme, -1)
	if len(blocks) < 6 {
		t.Fatalf("README has %d GraphQL examples, want at least 6", len(blocks))
	}

	pool := pgtest.New(t)
	ctx := context.Background()
	d, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, pool, d); err != nil {
		t.Fatalf("seed: %v", err)
	}
	srv := httptest.NewServer(newServer(graph.Config{
		Catalog: catalog.New(pool),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, server.Config{}))
	t.Cleanup(srv.Close)

	for i, b := range blocks {
		query := string(b[1])
		t.Run(firstLine(query, i), func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"query": query})
			resp, err := http.Post(srv.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				Data   map[string]any `json:"data"`
				Errors []any          `json:"errors"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatalf("decode response: %v", err)
			}
			if resp.StatusCode != http.StatusOK || len(out.Errors) > 0 {
				t.Fatalf("example %d: status %d, errors %v\n%s", i+1, resp.StatusCode, out.Errors, query)
			}
			for field, v := range out.Data {
				if !hasData(v) {
					t.Errorf("example %d: %s returned no data: %v\n%s", i+1, field, v, query)
				}
			}
		})
	}
}

// hasData reports whether a result holds at least one non-empty list, so
// an example that matches nothing (totalCount 0, nodes []) fails.
func hasData(v any) bool {
	switch x := v.(type) {
	case []any:
		if len(x) > 0 {
			return true
		}
	case map[string]any:
		for _, e := range x {
			if hasData(e) {
				return true
			}
		}
	}
	return false
}

func firstLine(q string, _ int) string {
	m := regexp.MustCompile(`\{\s*(\w+)`).FindStringSubmatch(q)
	if m == nil {
		return "example"
	}
	return m[1]
}
