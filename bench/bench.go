// Package bench holds what the benchmark harness (run.sh, cmd/benchtool and
// handler_bench_test.go) shares: Oversight's GraphQL handler assembled in
// process over a pool whose statements are counted and, when asked, recorded.
// It is never imported by the server.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/database"
	"oversight/internal/editorial"
	"oversight/internal/server"
)

// Statement is one SQL statement as the server sent it, with its arguments.
type Statement struct {
	SQL  string `json:"text"`
	Args []any  `json:"values"`
}

// Tracer counts every statement sent through a pool (batched ones included)
// and, while Record is on, keeps them.
type Tracer struct {
	count  atomic.Int64
	record atomic.Bool
	mu     sync.Mutex
	kept   []Statement
}

// Count is the number of statements sent so far.
func (t *Tracer) Count() int64 { return t.count.Load() }

// Record starts keeping statements, forgetting those kept before.
func (t *Tracer) Record() {
	t.mu.Lock()
	t.kept = nil
	t.mu.Unlock()
	t.record.Store(true)
}

// Stop stops keeping statements and returns those kept.
func (t *Tracer) Stop() []Statement {
	t.record.Store(false)
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := t.kept
	t.kept = nil
	return kept
}

func (t *Tracer) seen(sql string, args []any) {
	t.count.Add(1)
	if t.record.Load() {
		t.mu.Lock()
		t.kept = append(t.kept, Statement{SQL: sql, Args: append([]any(nil), args...)})
		t.mu.Unlock()
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.seen(d.SQL, d.Args)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *Tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (t *Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: each statement of a batch counts.
func (t *Tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	t.seen(d.SQL, d.Args)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *Tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Server is Oversight's GraphQL handler over a traced pool.
type Server struct {
	Handler http.Handler
	Tracer  *Tracer
	Pool    *pgxpool.Pool
}

// NewServer assembles the GraphQL handler as "oversight serve" does (anonymous
// reader, default limits and loader wait) over a pool on databaseURL.
func NewServer(ctx context.Context, databaseURL string) (*Server, error) {
	cfg, err := database.PoolConfig(databaseURL) // as "oversight serve" opens it
	if err != nil {
		return nil, err
	}
	tr := &Tracer{}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	concurrent := 0 // the server's default
	if v := os.Getenv("BENCH_MAX_CONCURRENT"); v != "" {
		if concurrent, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("BENCH_MAX_CONCURRENT: %w", err)
		}
	}
	h := server.New(server.Config{
		Graph: graph.Config{
			Catalog:   catalog.New(pool),
			Editorial: editorial.New(pool),
		},
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxConcurrent: concurrent,
	})
	return &Server{Handler: h, Tracer: tr, Pool: pool}, nil
}

// Close closes the pool.
func (s *Server) Close() { s.Pool.Close() }

// Post sends one GraphQL request body to the handler and returns the
// response body; a non-200 status or a response with errors is an error.
func (s *Server) Post(body string) ([]byte, error) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	out := rec.Body.Bytes()
	if rec.Code != http.StatusOK {
		return out, fmt.Errorf("status %d: %.300s", rec.Code, out)
	}
	// The server writes "errors" first when there are any (graph's
	// httpResponse.encode), so a prefix check finds them without decoding a
	// megabyte of JSON per request, which would be the benchmark's own cost.
	if bytes.HasPrefix(out, []byte(`{"errors"`)) {
		return out, fmt.Errorf("GraphQL errors: %.300s", out)
	}
	if !bytes.HasPrefix(out, []byte(`{"data"`)) {
		return out, fmt.Errorf("not a GraphQL response: %.300s", out)
	}
	return out, nil
}
