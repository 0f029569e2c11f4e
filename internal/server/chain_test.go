package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/ratelimit"
	"oversight/internal/server"
)

// newServer is server.New with the API and the feed over cfg.
func newServer(cfg graph.Config, hc server.Config) http.Handler {
	hc.Graph = cfg
	return server.New(hc)
}

// getFeed sends GET target to h.
func getFeed(t *testing.T, h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// The feed meets the same rate limits as the API, from the same buckets:
// a client that spent its budget on the feed is refused on /graphql too.
func TestFeedIsRateLimited(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	limits := ratelimit.DefaultConfig()
	limits.Anonymous = ratelimit.Limit{Rate: 0.001, Burst: 2} // no refill while the test runs
	h := newServer(graph.Config{
		Catalog: catalog.New(pool),
		Logger:  slog.New(slog.DiscardHandler),
	}, server.Config{
		Auth:      auth.NewStore(pool),
		RateLimit: ratelimit.New(limits),
	})
	send := func(target, from, authorization string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		req.RemoteAddr = from
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	query := "/graphql?query=" + url.QueryEscape("{ vendors(first: 1) { totalCount } }")
	for i, tt := range []struct {
		name, target, from, authorization string
		want                              int
	}{
		{"first feed request", "/changes.atom", "192.0.2.1:1000", "", http.StatusOK},
		{"second", "/changes.atom", "192.0.2.1:1001", "", http.StatusOK},
		{"third, over the burst", "/changes.atom", "192.0.2.1:1002", "", http.StatusTooManyRequests},
		{"a query from the same client", query, "192.0.2.1:1003", "", http.StatusTooManyRequests},
		{"another client", "/changes.atom", "192.0.2.2:1000", "", http.StatusOK},
		{"a bad token, refused as on /graphql", "/changes.atom", "192.0.2.3:1000", "Bearer not-a-token", http.StatusUnauthorized},
	} {
		rec := send(tt.target, tt.from, tt.authorization)
		if rec.Code != tt.want {
			t.Errorf("%d. %s: GET %s from %s = %d %q, want %d", i, tt.name, tt.target, tt.from, rec.Code, rec.Body.String(), tt.want)
		}
		if tt.want == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%d. %s: 429 without Retry-After", i, tt.name)
		}
	}
}

// blockingBody is a request body whose first Read says so on entered and
// then waits for release: a request reading it holds its admission slot.
type blockingBody struct {
	entered chan<- struct{}
	release <-chan struct{}
	body    io.Reader
	once    sync.Once
}

func (b *blockingBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		b.entered <- struct{}{}
		<-b.release
	})
	return b.body.Read(p)
}

// GraphQL and the feed share one admission: while MaxConcurrent GraphQL
// requests execute, a feed request waits its turn (and is refused as busy
// when its deadline passes first). The exports have their own, so that slow
// downloads cannot stall the API, nor the API the downloads.
func TestFeedSharesAdmissionWithGraphQL(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	h := newServer(graph.Config{
		Catalog: catalog.New(pool),
		Logger:  slog.New(slog.DiscardHandler),
	}, server.Config{
		Export:         bulk.Handler(bulk.NewExporter(pool), nil, nil),
		MaxConcurrent:  1,
		RequestTimeout: 300 * time.Millisecond,
	})
	entered, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // whatever fails, the query does not hang
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		body := &blockingBody{entered: entered, release: release, body: strings.NewReader(`{"query":"{ vendors(first: 1) { totalCount } }"}`)}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		done <- rec
	}()
	<-entered // the query holds the only slot, reading its body

	rec := getFeed(t, h, "/changes.atom", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "SERVER_BUSY") || rec.Header().Get("Retry-After") == "" {
		t.Errorf("GET /changes.atom while a query holds the only slot = %d %q (Retry-After %q), want 503 SERVER_BUSY with Retry-After",
			rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	export := httptest.NewRecorder()
	h.ServeHTTP(export, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/export/registry.ndjson", nil))
	if export.Code != http.StatusOK {
		t.Errorf("GET /export/registry.ndjson while a query holds the only slot = %d %q, want 200 (the exports have their own admission)", export.Code, export.Body.String())
	}

	free()
	if q := <-done; q.Code != http.StatusOK {
		t.Fatalf("the query that held the slot = %d %q, want 200", q.Code, q.Body.String())
	}
	if rec := getFeed(t, h, "/changes.atom", nil); rec.Code != http.StatusOK {
		t.Errorf("GET /changes.atom once the slot is free = %d %q, want 200", rec.Code, rec.Body.String())
	}
}

const mediaGraphQL = "application/graphql-response+json"

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }
