package graph_test

// GraphQL over HTTP: methods, media types and status codes as the
// GraphQL-over-HTTP specification asks (the MUSTs of the graphql-http audit
// that CI runs, here so that go test catches a regression without npm),
// HTTP caching of anonymous GET queries, and the routing of reads to a
// read replica.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/internal/server"
)

const (
	mediaJSON    = "application/json"
	mediaGraphQL = "application/graphql-response+json"
)

// httpAPI is the whole server over an empty, migrated registry, with one
// contributor's token.
type httpAPI struct {
	h     http.Handler
	pool  *pgxpool.Pool
	token string
}

func newHTTPAPI(t *testing.T, cfg graph.Config, hc server.Config) *httpAPI {
	t.Helper()
	pool := pgtest.New(t)
	store := auth.NewStore(pool)
	if _, err := store.AddUser(t.Context(), "Casey Contributor", "casey@example.org", registry.RoleContributor); err != nil {
		t.Fatalf("AddUser error = %v", err)
	}
	token, _, err := store.CreateToken(t.Context(), "casey@example.org", 0)
	if err != nil {
		t.Fatalf("CreateToken error = %v", err)
	}
	cfg.Catalog = catalog.New(pool)
	cfg.Editorial = editorial.New(pool)
	cfg.Logger = slog.New(slog.DiscardHandler)
	hc.Auth = store
	return &httpAPI{h: newServer(cfg, hc), pool: pool, token: token}
}

// httpRequest describes one request to /graphql.
type httpRequest struct {
	method string
	query  url.Values // the URL's query string
	header map[string]string
	body   string
}

// do sends req and returns the recorded response.
func do(t *testing.T, h http.Handler, req httpRequest) *httptest.ResponseRecorder {
	t.Helper()
	target := "/graphql"
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequestWithContext(t.Context(), req.method, target, body)
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// gqlBody is a GraphQL response; hasData tells "data": null from no data
// entry at all.
type gqlBody struct {
	Data    json.RawMessage `json:"data"`
	Errors  []gqlError      `json:"errors"`
	hasData bool
}

func decodeBody(t *testing.T, rec *httptest.ResponseRecorder) gqlBody {
	t.Helper()
	var b gqlBody
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || json.Unmarshal(rec.Body.Bytes(), &entries) != nil {
		t.Fatalf("status %d, body %q is not a GraphQL response: %v", rec.Code, rec.Body.String(), err)
	}
	_, b.hasData = entries["data"]
	return b
}

func postJSON(body string, accept string) httpRequest {
	h := map[string]string{"Content-Type": "application/json"}
	if accept != "" {
		h["Accept"] = accept
	}
	return httpRequest{method: http.MethodPost, header: h, body: body}
}

func getQuery(accept string, kv ...string) httpRequest {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	h := map[string]string{}
	if accept != "" {
		h["Accept"] = accept
	}
	return httpRequest{method: http.MethodGet, query: q, header: h}
}

func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	api := newHTTPAPI(t, graph.Config{}, server.Config{MaxBodyBytes: 4096})
	const typename = `{"query":"{ __typename }"}`
	const coerce = `{"query":"query($n: Int!) { vendors(first: $n) { totalCount } }","variables":{"n":"three"}}`
	tooManyRoots := `{"query":"{` + strings.Repeat(" __typename", graph.DefaultLimits.MaxRootFields+1) + ` }"}`
	tests := []struct {
		name      string
		req       httpRequest
		status    int
		mediaType string // the response's media type; "" when there is no body to check
		allow     string // the Allow header, when it must be set
		data      bool   // whether the body has a data entry
		code      string // extensions.code of the first error; "" for no error
	}{
		// Media types (4655, 22EB, 47DE, 80D8).
		{"POST accepting application/json", postJSON(typename, mediaJSON), 200, mediaJSON, "", true, ""},
		{"POST accepting graphql-response+json", postJSON(typename, mediaGraphQL), 200, mediaGraphQL, "", true, ""},
		{"POST without Accept", postJSON(typename, ""), 200, mediaJSON, "", true, ""},
		{"POST accepting */*", postJSON(typename, "*/*"), 200, mediaJSON, "", true, ""},
		{"graphql-response+json preferred", postJSON(typename, mediaGraphQL+", application/json;q=0.9"), 200, mediaGraphQL, "", true, ""},
		{"application/json preferred", postJSON(typename, "application/json, "+mediaGraphQL+";q=0.5"), 200, mediaJSON, "", true, ""},
		{"both at equal quality", postJSON(typename, "application/json, "+mediaGraphQL), 200, mediaGraphQL, "", true, ""},
		{"a browser's Accept", getQuery("text/html,application/xhtml+xml,*/*;q=0.8", "query", "{ __typename }"), 200, mediaJSON, "", true, ""},
		{"Accept allowing neither", postJSON(typename, "text/html"), 406, mediaJSON, "", false, "NOT_ACCEPTABLE"},
		{"Accept refusing both", postJSON(typename, "application/json;q=0, "+mediaGraphQL+";q=0"), 406, mediaJSON, "", false, "NOT_ACCEPTABLE"},
		{"UTF-8 request", postJSON(`{"query":"{ __type(name: \"Türkiye ✓\") { name } }"}`, ""), 200, mediaJSON, "", true, ""},
		{"charset utf-8", httpRequest{method: http.MethodPost, header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}, body: typename},
			200, mediaJSON, "", true, ""},

		// Methods.
		{"GET query", getQuery("", "query", "{ __typename }"), 200, mediaJSON, "", true, ""},
		{"GET with variables", getQuery(mediaGraphQL, "query", "query($n: Int) { vendors(first: $n) { totalCount } }", "variables", `{"n":2}`),
			200, mediaGraphQL, "", true, ""},
		{"GET mutation", getQuery("", "query", `mutation { createSubmission(input: {title: "x"}) { submission { id } } }`),
			405, mediaJSON, "POST", false, "METHOD_NOT_ALLOWED"},
		{"GET mutation by operationName", getQuery(mediaGraphQL, "query", `query Q { __typename } mutation M { createSubmission(input: {title: "x"}) { submission { id } } }`, "operationName", "M"),
			405, mediaGraphQL, "POST", false, "METHOD_NOT_ALLOWED"},
		{"PUT", httpRequest{method: http.MethodPut, header: map[string]string{"Content-Type": "application/json"}, body: typename},
			405, mediaJSON, "GET, POST, OPTIONS", false, "METHOD_NOT_ALLOWED"},
		{"DELETE", httpRequest{method: http.MethodDelete}, 405, mediaJSON, "GET, POST, OPTIONS", false, "METHOD_NOT_ALLOWED"},
		{"OPTIONS", httpRequest{method: http.MethodOptions}, 204, "", "GET, POST, OPTIONS", false, ""},

		// Requests that are not well-formed GraphQL over HTTP.
		{"POST without Content-Type", httpRequest{method: http.MethodPost, body: typename}, 415, mediaJSON, "", false, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST as text/plain", httpRequest{method: http.MethodPost, header: map[string]string{"Content-Type": "text/plain"}, body: typename},
			415, mediaJSON, "", false, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST as a form", httpRequest{method: http.MethodPost, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "query=%7B__typename%7D"},
			415, mediaJSON, "", false, "UNSUPPORTED_MEDIA_TYPE"},
		{"POST in latin1", httpRequest{method: http.MethodPost, header: map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, body: typename},
			415, mediaJSON, "", false, "UNSUPPORTED_MEDIA_TYPE"},
		{"empty body", postJSON("", ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"body not JSON", postJSON("{query", mediaGraphQL), 400, mediaGraphQL, "", false, "BAD_REQUEST"},
		{"body not JSON, application/json", postJSON("{query", mediaJSON), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"body an array", postJSON(`[{"query":"{ __typename }"}]`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"body with trailing data", postJSON(typename+" {}", ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"no query", postJSON(`{"variables":{}}`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"query a number", postJSON(`{"query":1}`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"operationName an object", postJSON(`{"query":"{ __typename }","operationName":{}}`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"variables a string", postJSON(`{"query":"{ __typename }","variables":"{}"}`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"extensions an array", postJSON(`{"query":"{ __typename }","extensions":[]}`, ""), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"null parameters", postJSON(`{"query":"{ __typename }","operationName":null,"variables":null,"extensions":null}`, ""), 200, mediaJSON, "", true, ""},
		{"GET without query", getQuery("", "variables", "{}"), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"GET variables not JSON", getQuery("", "query", "{ __typename }", "variables", "{n:1}"), 400, mediaJSON, "", false, "BAD_REQUEST"},
		{"body too large", postJSON(`{"query":"{ __typename }","pad":"`+strings.Repeat("x", 5000)+`"}`, ""), 413, mediaJSON, "", false, "REQUEST_TOO_LARGE"},

		// GraphQL request errors: 200 for application/json, 400 for
		// graphql-response+json, and never a data entry.
		{"parse error, application/json", postJSON(`{"query":"{"}`, mediaJSON), 200, mediaJSON, "", false, "GRAPHQL_PARSE_FAILED"},
		{"parse error, graphql-response+json", postJSON(`{"query":"{"}`, mediaGraphQL), 400, mediaGraphQL, "", false, "GRAPHQL_PARSE_FAILED"},
		{"validation error, application/json", postJSON(`{"query":"{ nope }"}`, mediaJSON), 200, mediaJSON, "", false, "GRAPHQL_VALIDATION_FAILED"},
		{"validation error, graphql-response+json", postJSON(`{"query":"{ nope }"}`, mediaGraphQL), 400, mediaGraphQL, "", false, "GRAPHQL_VALIDATION_FAILED"},
		{"variable coercion, application/json", postJSON(coerce, mediaJSON), 200, mediaJSON, "", false, "GRAPHQL_VALIDATION_FAILED"},
		{"variable coercion, graphql-response+json", postJSON(coerce, mediaGraphQL), 400, mediaGraphQL, "", false, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown operationName", postJSON(`{"query":"query A { __typename }","operationName":"B"}`, mediaGraphQL), 400, mediaGraphQL, "", false, "GRAPHQL_VALIDATION_FAILED"},
		{"over the limits, application/json", postJSON(tooManyRoots, mediaJSON), 200, mediaJSON, "", false, graph.CodeTooManyFields},
		{"over the limits, graphql-response+json", postJSON(tooManyRoots, mediaGraphQL), 400, mediaGraphQL, "", false, graph.CodeTooManyFields},

		// Field errors leave data: 200 whatever the media type.
		{"field error, graphql-response+json", postJSON(`{"query":"{ vendors(first: -1) { totalCount } }"}`, mediaGraphQL), 200, mediaGraphQL, "", true, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := do(t, api.h, tt.req)
			if rec.Code != tt.status {
				t.Fatalf("%s %v = %d %s, want %d", tt.req.method, tt.req.header, rec.Code, rec.Body.String(), tt.status)
			}
			if tt.allow != "" {
				if got := rec.Header().Get("Allow"); got != tt.allow {
					t.Errorf("Allow = %q, want %q", got, tt.allow)
				}
			}
			if tt.mediaType == "" {
				return
			}
			if got, want := rec.Header().Get("Content-Type"), tt.mediaType+"; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			b := decodeBody(t, rec)
			if b.hasData != tt.data {
				t.Errorf("body %s: data entry present = %t, want %t", rec.Body.String(), b.hasData, tt.data)
			}
			switch {
			case tt.code == "" && len(b.Errors) > 0:
				t.Errorf("body %s: want no errors", rec.Body.String())
			case tt.code != "" && (len(b.Errors) == 0 || b.Errors[0].code() != tt.code):
				t.Errorf("body %s: want an error coded %s", rec.Body.String(), tt.code)
			}
		})
	}
}

// TestGETMutationWritesNothing: a mutation sent with GET, by a signed-in
// contributor who could run it over POST, is refused before it runs.
func TestGETMutationWritesNothing(t *testing.T) {
	t.Parallel()
	api := newHTTPAPI(t, graph.Config{}, server.Config{})
	const mutation = `mutation { createSubmission(input: {title: "Sent by GET"}) { submission { id } userErrors { code } } }`
	req := getQuery("", "query", mutation)
	req.header["Authorization"] = "Bearer " + api.token
	rec := do(t, api.h, req)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
		t.Fatalf("GET %s = %d (Allow %q) %s, want 405 with Allow: POST", mutation, rec.Code, rec.Header().Get("Allow"), rec.Body.String())
	}
	if n := countSubmissions(t, api.pool); n != 0 {
		t.Fatalf("after GET %s: %d submissions, want 0", mutation, n)
	}
	// The same mutation over POST runs, so the refusal was the method's.
	post := postJSON(`{"query":`+quote(mutation)+`}`, "")
	post.header["Authorization"] = "Bearer " + api.token
	if rec := do(t, api.h, post); rec.Code != http.StatusOK || len(decodeBody(t, rec).Errors) > 0 {
		t.Fatalf("POST %s = %d %s, want 200 and no errors", mutation, rec.Code, rec.Body.String())
	}
	if n := countSubmissions(t, api.pool); n != 1 {
		t.Fatalf("after POST %s: %d submissions, want 1", mutation, n)
	}
}

func countSubmissions(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions`).Scan(&n); err != nil {
		t.Fatalf("count submissions: %v", err)
	}
	return n
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestHTTPCaching(t *testing.T) {
	t.Parallel()
	api := newHTTPAPI(t, graph.Config{}, server.Config{})
	const query = `{ vendors(first: 2) { totalCount } }`
	const private = "private, no-store"

	first := do(t, api.h, getQuery("", "query", query))
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || first.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("anonymous GET %s = %d, Cache-Control %q; want 200, public, max-age=60", query, first.Code, first.Header().Get("Cache-Control"))
	}
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("anonymous GET %s: ETag %q, want a strong entity tag", query, etag)
	}
	if vary := first.Header().Get("Vary"); !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Accept") {
		t.Errorf("anonymous GET %s: Vary %q, want Authorization and Accept", query, vary)
	}
	if again := do(t, api.h, getQuery("", "query", query)); again.Header().Get("ETag") != etag {
		t.Errorf("ETag of the same answer: %q then %q, want the same", etag, again.Header().Get("ETag"))
	}
	if other := do(t, api.h, getQuery(mediaGraphQL, "query", query)); other.Header().Get("ETag") == etag {
		t.Errorf("ETag for %s = %q, the same as for application/json; want each representation its own", mediaGraphQL, etag)
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		req := getQuery("", "query", query)
		req.header["If-None-Match"] = inm
		rec := do(t, api.h, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
			t.Errorf("GET with If-None-Match %s = %d, ETag %q, %d bytes; want 304, %s, no body", inm, rec.Code, rec.Header().Get("ETag"), rec.Body.Len(), etag)
		}
	}
	stale := getQuery("", "query", query)
	stale.header["If-None-Match"] = `"stale"`
	if rec := do(t, api.h, stale); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		t.Errorf("GET with a stale If-None-Match = %d, want 200 with the body", rec.Code)
	}

	// Nothing public for a token holder, a POST, an error or a refusal.
	signedIn := getQuery("", "query", query)
	signedIn.header["Authorization"] = "Bearer " + api.token
	signedIn.header["If-None-Match"] = etag
	notFound := url.Values{"query": {`{ node(id: "nope") { id } }`}}
	for name, req := range map[string]httpRequest{
		"signed-in GET":     signedIn,
		"POST":              postJSON(`{"query":`+quote(query)+`}`, ""),
		"validation error":  getQuery("", "query", "{ nope }"),
		"field error":       {method: http.MethodGet, query: notFound},
		"GET mutation":      getQuery("", "query", `mutation { createSubmission(input: {title: "x"}) { submission { id } } }`),
		"malformed request": getQuery("", "variables", "{}"),
	} {
		rec := do(t, api.h, req)
		if cc := rec.Header().Get("Cache-Control"); cc != private || rec.Header().Get("ETag") != "" || rec.Code == http.StatusNotModified {
			t.Errorf("%s: %d, Cache-Control %q, ETag %q; want %q, no ETag and never 304", name, rec.Code, cc, rec.Header().Get("ETag"), private)
		}
	}

	for _, tt := range []struct {
		maxAge time.Duration
		want   string
	}{{5 * time.Minute, "public, max-age=300"}, {-1, private}} {
		api := newHTTPAPI(t, graph.Config{CacheMaxAge: tt.maxAge}, server.Config{})
		if got := do(t, api.h, getQuery("", "query", query)).Header().Get("Cache-Control"); got != tt.want {
			t.Errorf("with CacheMaxAge %v: Cache-Control %q, want %q", tt.maxAge, got, tt.want)
		}
	}
}

// TestReadReplicaRouting counts the statements on two pools over one
// database: the read pool (read-only, as a streaming replica is) serves the
// queries and the feed, the primary the mutations and the token checks.
func TestReadReplicaRouting(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	openPool := func(counter *statementCounter, readOnly bool) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(dbURL)
		if err != nil {
			t.Fatalf("parse %s: %v", dbURL, err)
		}
		cfg.ConnConfig.Tracer = counter
		if readOnly {
			cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
		}
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatalf("open pool: %v", err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	primaryStatements, readStatements := &statementCounter{}, &statementCounter{}
	primary, read := openPool(primaryStatements, false), openPool(readStatements, true)
	store := auth.NewStore(primary)
	if _, err := store.AddUser(t.Context(), "Casey Contributor", "casey@example.org", registry.RoleContributor); err != nil {
		t.Fatalf("AddUser error = %v", err)
	}
	token, _, err := store.CreateToken(t.Context(), "casey@example.org", 0)
	if err != nil {
		t.Fatalf("CreateToken error = %v", err)
	}
	h := newServer(graph.Config{
		Catalog:     catalog.New(primary),
		ReadCatalog: catalog.New(read),
		Editorial:   editorial.New(primary),
		Logger:      slog.New(slog.DiscardHandler),
	}, server.Config{
		Auth: store,
	})
	signedIn := func(req httpRequest) httpRequest {
		req.header["Authorization"] = "Bearer " + token
		return req
	}

	tests := []struct {
		name          string
		req           httpRequest
		path          string // instead of /graphql
		wantRead      bool   // statements on the read pool
		wantPrimary   bool   // statements on the primary
		wantNoPrimary bool   // none at all on the primary
	}{
		{name: "anonymous query by POST", req: postJSON(`{"query":"{ vendors(first: 3) { totalCount nodes { name } } }"}`, ""), wantRead: true, wantNoPrimary: true},
		{name: "anonymous query by GET", req: getQuery("", "query", "{ states(first: 3) { totalCount } }"), wantRead: true, wantNoPrimary: true},
		{name: "signed-in query", req: signedIn(postJSON(`{"query":"{ me { id } submissions(first: 5) { totalCount } }"}`, "")), wantRead: true, wantPrimary: true},
		{name: "mutation", req: signedIn(postJSON(`{"query":"mutation { createSubmission(input: {title: \"Routed\"}) { submission { id title status author { id } changes { id } } userErrors { code } } }"}`, "")), wantPrimary: true},
		{name: "feed", path: "/changes.atom", req: httpRequest{method: http.MethodGet}, wantRead: true, wantNoPrimary: true},
	}
	for _, tt := range tests { // not parallel: the counters are shared
		readBefore, primaryBefore := readStatements.N.Load(), primaryStatements.N.Load()
		var rec *httptest.ResponseRecorder
		if tt.path != "" {
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), tt.req.method, tt.path, nil))
		} else {
			rec = do(t, h, tt.req)
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s, want 200", tt.name, rec.Code, rec.Body.String())
		}
		if tt.path == "" {
			if b := decodeBody(t, rec); len(b.Errors) > 0 {
				t.Fatalf("%s: %s, want no errors", tt.name, rec.Body.String())
			}
		}
		onRead, onPrimary := readStatements.N.Load()-readBefore, primaryStatements.N.Load()-primaryBefore
		switch {
		case tt.wantRead != (onRead > 0):
			t.Errorf("%s: %d statements on the read pool, want some = %t", tt.name, onRead, tt.wantRead)
		case tt.wantPrimary && onPrimary == 0, tt.wantNoPrimary && onPrimary > 0:
			t.Errorf("%s: %d statements on the primary, want some = %t", tt.name, onPrimary, tt.wantPrimary)
		}
	}
	if n := countSubmissions(t, primary); n != 1 {
		t.Errorf("after the mutation: %d submissions, want 1", n)
	}
}
