package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
)

// schema is a GraphQL server without generated code: name answers, fail
// fails, slow waits for the request's deadline, and an operation named
// Deep is refused the way graph's limits refuse one.
func schema() *handler.Server {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { name: String! fail: String! slow: String! }
		type Mutation { submit: String! }
	`})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return s },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			field := graphql.GetOperationContext(ctx).Operation.SelectionSet[0].(*ast.Field).Name
			ran := false
			return func(ctx context.Context) *graphql.Response {
				if ran {
					return nil
				}
				ran = true
				switch field {
				case "fail":
					graphql.AddError(ctx, gqlerror.Errorf("boom"))
					return &graphql.Response{Data: []byte(`null`)}
				case "slow":
					<-ctx.Done()
					graphql.AddError(ctx, ctx.Err())
					return &graphql.Response{Data: []byte(`null`)}
				}
				return &graphql.Response{Data: []byte(`{"` + field + `":"x"}`)}
			}
		},
	})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(deepLimit{})
	return srv
}

type deepLimit struct{}

func (deepLimit) ExtensionName() string                   { return "deep" }
func (deepLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (deepLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation.Name == "Deep" {
		return &gqlerror.Error{Message: "too deep", Extensions: map[string]any{"code": "QUERY_TOO_DEEP"}}
	}
	return nil
}

// stack is the server's order: metrics, then request ID, then the bounds
// and whatever inner answers, then gqlgen with the extension.
func stack(m *Metrics, inner func(http.Handler) http.Handler, timeout time.Duration) http.Handler {
	srv := schema()
	srv.Use(m.Extension())
	var h http.Handler = srv
	if inner != nil {
		h = inner(h)
	}
	bounded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, 1000)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
	withID := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "req-0123")
		bounded.ServeHTTP(w, r)
	})
	return m.Middleware(withID)
}

func post(query, op string) *http.Request {
	b, _ := json.Marshal(map[string]string{"query": query, "operationName": op})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	status := func(code int) func(http.Handler) http.Handler {
		return func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
		}
	}
	tests := []struct {
		name      string
		inner     func(http.Handler) http.Handler
		req       *http.Request
		operation string
		outcome   string
		reason    string
	}{
		{"named query", nil, post(`query Vendors { name }`, ""), "Vendors", OutcomeOK, ""},
		{"operation chosen by name", nil, post(`query A { name } query B { name }`, "B"), "B", OutcomeOK, ""},
		{"unnamed query", nil, post(`{ name }`, ""), "anonymous", OutcomeOK, ""},
		{"GET", nil, httptest.NewRequest(http.MethodGet, "/graphql?query=query+G+%7B+name+%7D", nil), "G", OutcomeOK, ""},
		{"resolver error", nil, post(`query F { fail }`, ""), "F", OutcomeError, ""},
		{"validation error", nil, post(`query V { nope }`, ""), "unknown", OutcomeError, ""},
		{"validation error, operation named", nil, post(`query V { nope }`, "V"), "V", OutcomeError, ""},
		{"parse error", nil, post(`query P {`, ""), "unknown", OutcomeError, ""},
		{"limit refused", nil, post(`query Deep { name }`, ""), "Deep", OutcomeRejected, ReasonTooDeep},
		{"timeout in a resolver", nil, post(`query S { slow }`, ""), "S", OutcomeRejected, ReasonTimeout},
		{"body too large", nil, post(`query L { name }`+strings.Repeat(" ", 2000), ""), "unknown", OutcomeRejected, ReasonBodyTooLarge},
		{"rate limited", status(http.StatusTooManyRequests), post(`query R { name }`, ""), "unknown", OutcomeRejected, ReasonRateLimited},
		{"bad token", status(http.StatusUnauthorized), post(`query U { name }`, ""), "unknown", OutcomeRejected, ReasonUnauthenticated},
		{"internal error before gqlgen", status(http.StatusInternalServerError), post(`{ name }`, ""), "unknown", OutcomeError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			m := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			timeout := time.Minute
			if tt.reason == ReasonTimeout {
				timeout = 20 * time.Millisecond
			}
			stack(m, tt.inner, timeout).ServeHTTP(httptest.NewRecorder(), tt.req)

			if got := testutil.ToFloat64(m.requests.WithLabelValues(tt.operation, tt.outcome)); got != 1 {
				t.Errorf("oversight_requests_total{operation=%q,outcome=%q} = %v, want 1; log: %s", tt.operation, tt.outcome, got, logs.String())
			}
			if got := testutil.CollectAndCount(m.requests); got != 1 {
				t.Errorf("oversight_requests_total has %d series, want 1", got)
			}
			if got := testutil.CollectAndCount(m.duration); got != 3 {
				t.Errorf("oversight_request_duration_seconds has %d series, want 3 (one per outcome)", got)
			}
			if tt.reason != "" {
				if got := testutil.ToFloat64(m.rejected.WithLabelValues(tt.reason)); got != 1 {
					t.Errorf("oversight_rejected_total{reason=%q} = %v, want 1", tt.reason, got)
				}
			}
			line := logLine(t, logs.Bytes())
			if line["outcome"] != tt.outcome || (tt.reason != "" && line["reason"] != tt.reason) {
				t.Errorf("log line %v: want outcome %q, reason %q", line, tt.outcome, tt.reason)
			}
		})
	}
}

// TestOperationInterceptorTimeout covers a deadline that passes before
// gqlgen computes the response: it answers null, and no response
// interceptor runs.
func TestOperationInterceptorTimeout(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	srv := schema()
	srv.Use(m.Extension())
	expired := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithDeadline(r.Context(), time.Now().Add(-time.Second))
		defer cancel()
		srv.ServeHTTP(w, r.WithContext(ctx))
	})
	m.Middleware(expired).ServeHTTP(httptest.NewRecorder(), post(`query Late { name }`, ""))
	if got := testutil.ToFloat64(m.rejected.WithLabelValues(ReasonTimeout)); got != 1 {
		t.Errorf("oversight_rejected_total{reason=timeout} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("Late", OutcomeRejected)); got != 1 {
		t.Errorf("oversight_requests_total{operation=Late,outcome=rejected} = %v, want 1", got)
	}
}

func TestOperationCardinality(t *testing.T) {
	t.Parallel()
	m := New(Options{MaxOperations: 3, KnownOperations: []string{"Known", "not a name"}})
	h := stack(m, nil, time.Minute)
	for _, op := range []string{"A", "B", "C", "Known", "A"} {
		h.ServeHTTP(httptest.NewRecorder(), post(`query `+op+` { name }`, ""))
	}
	long := strings.Repeat("x", 65)
	h.ServeHTTP(httptest.NewRecorder(), post(`query `+long+` { name }`, ""))
	h.ServeHTTP(httptest.NewRecorder(), post(`{ name }`, "not-a-graphql-name"))
	want := map[[2]string]float64{
		{"Known", OutcomeOK}: 1, {"A", OutcomeOK}: 2, {"B", OutcomeOK}: 1,
		{"other", OutcomeOK}: 2, {"other", OutcomeError}: 1,
	}
	for k, v := range want {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(k[0], k[1])); got != v {
			t.Errorf("oversight_requests_total{operation=%q,outcome=%q} = %v, want %v", k[0], k[1], got, v)
		}
	}
	if got := testutil.CollectAndCount(m.requests); got != len(want) {
		t.Errorf("oversight_requests_total has %d series, want %d", got, len(want))
	}
}

func TestLogLine(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	m := New(Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h := stack(m, nil, time.Minute)

	const (
		token = "ovs_abcdefgh_0123456789secretsecretsecret"
		email = "editor.at.risk@example.org"
	)
	body := `{"query":"mutation Submit { submit }","operationName":"Submit","variables":{"email":"` + email + `","token":"` + token + `"}}`
	r := httptest.NewRequest(http.MethodPost, "/graphql?email="+email+"&token="+token, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Cookie", "session="+token)
	r.Header.Set("X-Forwarded-For", "198.51.100.23")
	r.RemoteAddr = "203.0.113.77:4567"
	r = r.WithContext(registry.WithViewer(r.Context(), registry.Viewer{Role: registry.RoleEditor}))
	h.ServeHTTP(httptest.NewRecorder(), r)

	out := logs.String()
	for _, secret := range []string{token, "ovs_abcdefgh", email, "example.org", "198.51.100.23", "203.0.113.77", "Bearer", "email="} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q: %s", secret, out)
		}
	}
	line := logLine(t, logs.Bytes())
	want := map[string]any{
		"msg": "request", "level": "INFO", "request_id": "req-0123", "method": "POST", "path": "/graphql",
		"operation": "Submit", "status": float64(200), "outcome": OutcomeOK,
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log field %s = %v, want %v (line %s)", k, line[k], v, out)
		}
	}
	if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("log field duration_ms = %v, want a duration", line["duration_ms"])
	}
	if _, ok := line["reason"]; ok {
		t.Errorf("log of an accepted request has a reason: %s", out)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	h := m.Route("/export/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("x")) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/export/registry.ndjson", nil))
	if got := testutil.ToFloat64(m.requests.WithLabelValues("/export/", OutcomeOK)); got != 1 {
		t.Errorf(`oversight_requests_total{operation="/export/",outcome="ok"} = %v, want 1`, got)
	}
}

func TestPanicCounted(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	h := m.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not go on")
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), post(`{ name }`, ""))
	}()
	if got := testutil.ToFloat64(m.requests.WithLabelValues("unknown", OutcomeError)); got != 1 {
		t.Errorf("oversight_requests_total{operation=unknown,outcome=error} after a panic = %v, want 1", got)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	stack(m, nil, time.Minute).ServeHTTP(httptest.NewRecorder(), post(`query Vendors { name }`, ""))
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := w.Body.String()
	for _, want := range []string{
		`oversight_requests_total{operation="Vendors",outcome="ok"} 1`,
		`oversight_request_duration_seconds_bucket{outcome="ok",le="0.005"}`,
		`oversight_rejected_total{reason="rate_limited"} 0`,
		`oversight_rejected_total{reason="unauthenticated"} 0`,
		`oversight_merges_total{outcome="conflict"}`,
		`oversight_sql_statements_total{outcome="ok"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReasonForCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		"QUERY_TOO_COMPLEX": ReasonTooComplex, "QUERY_TOO_DEEP": ReasonTooDeep, "TOO_MANY_ALIASES": ReasonTooManyAliases,
		"TOO_MANY_ROOT_FIELDS": ReasonTooManyRoots, "TOO_MANY_FRAGMENTS": ReasonTooManyFrags, "UNAUTHENTICATED": ReasonUnauthenticated,
		"RATE_LIMITED": ReasonRateLimited,
	} {
		if got, ok := ReasonForCode(code); !ok || got != want {
			t.Errorf("ReasonForCode(%q) = %q, %t; want %q", code, got, ok, want)
		}
	}
	if _, ok := ReasonForCode("FORBIDDEN"); ok {
		t.Error("ReasonForCode(FORBIDDEN) is a rejection; it is an error")
	}
}

// TestRecordReview is not parallel: the merge counter is the package's.
func TestRecordReview(t *testing.T) {
	merged, conflict := testutil.ToFloat64(merges.WithLabelValues(MergeMerged)), testutil.ToFloat64(merges.WithLabelValues(MergeConflict))
	RecordReview(registry.SubmissionMerged, 0)
	RecordReview(registry.SubmissionChangesRequested, 2)
	RecordReview(registry.SubmissionChangesRequested, 0) // a plain request for changes
	RecordReview(registry.SubmissionRejected, 0)
	if got := testutil.ToFloat64(merges.WithLabelValues(MergeMerged)) - merged; got != 1 {
		t.Errorf("merged grew by %v, want 1", got)
	}
	if got := testutil.ToFloat64(merges.WithLabelValues(MergeConflict)) - conflict; got != 1 {
		t.Errorf("conflict grew by %v, want 1", got)
	}
	// Two registries share the counter.
	New(Options{})
	New(Options{})
}

// countingTracer stands for another tracer on the same pool.
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) { c.n.Add(1) }

func TestDatabase(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	other := &countingTracer{}
	if JoinTracers(nil, nil) != nil {
		t.Error("JoinTracers(nil, nil) is not nil")
	}
	if tr := m.StatementTracer(); JoinTracers(nil, tr) != pgx.QueryTracer(tr) {
		t.Error("JoinTracers(nil, t) is not t")
	}
	pool := pgtest.NewWithTracer(t, JoinTracers(m.StatementTracer(), other))
	if err := m.RegisterPool(pool); err != nil {
		t.Fatalf("RegisterPool: %v", err)
	}
	ctx := context.Background()
	before := testutil.ToFloat64(m.statements.WithLabelValues(OutcomeOK))
	var n int
	if err := pool.QueryRow(ctx, `SELECT 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, _ = pool.Exec(ctx, `SELECT nope`)
	b := &pgx.Batch{}
	b.Queue(`SELECT 1`)
	b.Queue(`SELECT 2`)
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.statements.WithLabelValues(OutcomeOK)) - before; got != 3 {
		t.Errorf("oversight_sql_statements_total{outcome=ok} grew by %v, want 3 (a query and a batch of two)", got)
	}
	if got := testutil.ToFloat64(m.statements.WithLabelValues(OutcomeError)); got != 1 {
		t.Errorf("oversight_sql_statements_total{outcome=error} = %v, want 1", got)
	}
	if got := other.n.Load(); got < 2 {
		t.Errorf("the other tracer saw %d queries, want at least 2", got)
	}

	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := w.Body.String()
	for _, name := range []string{"acquired_conns 0", "idle_conns", "total_conns", "max_conns", "acquires_total", "acquire_seconds_total",
		"empty_acquires_total", "canceled_acquires_total 0", "new_conns_total"} {
		if !strings.Contains(out, "\noversight_db_pool_"+name) {
			t.Errorf("/metrics lacks oversight_db_pool_%s", name)
		}
	}
	if strings.Contains(out, "oversight_db_pool_acquires_total 0\n") {
		t.Errorf("oversight_db_pool_acquires_total is 0 after three statements")
	}
}

// logLine decodes the one JSON line in out.
func logLine(t *testing.T, out []byte) map[string]any {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %s", len(lines), out)
	}
	var line map[string]any
	if err := json.Unmarshal(lines[0], &line); err != nil {
		t.Fatalf("log line %s: %v", lines[0], err)
	}
	return line
}
