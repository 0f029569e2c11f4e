package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"oversight/graph"
	"oversight/internal/server"
)

// persisted is the extensions parameter of an automatic persisted query.
func persisted(hash string) string {
	b, _ := json.Marshal(map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}})
	return string(b)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestAutomaticPersistedQueries walks Apollo's protocol: a GET by hash
// alone fails with PersistedQueryNotFound until a request registers the
// query with its hash; after that the hash alone runs it, as a cacheable
// GET with its own variables.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	api := newHTTPAPI(t, graph.Config{}, server.Config{})
	const query = `query Vendors($n: Int) { vendors(first: $n) { totalCount } }`
	hash := sha256Hex(query)
	byHash := func(accept, variables string) *httpRequestResult {
		t.Helper()
		req := getQuery(accept, "extensions", persisted(hash), "variables", variables)
		return result(t, do(t, api.h, req))
	}

	// Unknown hash: a request error, never cached.
	for _, tt := range []struct {
		accept string
		status int
	}{{"", http.StatusOK}, {mediaGraphQL, http.StatusBadRequest}} {
		r := byHash(tt.accept, `{"n":1}`)
		if r.status != tt.status || len(r.body.Errors) != 1 || r.body.Errors[0].Message != "PersistedQueryNotFound" ||
			r.body.Errors[0].code() != "PERSISTED_QUERY_NOT_FOUND" || r.body.hasData {
			t.Fatalf("GET by unknown hash (Accept %q) = %d %s, want %d and one PersistedQueryNotFound error without data", tt.accept, r.status, r.raw, tt.status)
		}
		if r.cacheControl != "private, no-store" {
			t.Errorf("GET by unknown hash: Cache-Control %q, want private, no-store", r.cacheControl)
		}
	}

	// A wrong hash is refused and registers nothing.
	wrong := sha256Hex("{ __typename }")
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"n": 1}, "extensions": json.RawMessage(persisted(wrong))})
	if r := result(t, do(t, api.h, postJSON(string(body), ""))); len(r.body.Errors) != 1 || r.body.hasData {
		t.Fatalf("POST with a hash that is not the query's = %d %s, want an error", r.status, r.raw)
	}
	if r := result(t, do(t, api.h, getQuery("", "extensions", persisted(wrong)))); len(r.body.Errors) != 1 || r.body.Errors[0].code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("GET by the refused hash = %d %s, want PersistedQueryNotFound", r.status, r.raw)
	}

	// Registering: POST with the query and its hash runs it.
	body, _ = json.Marshal(map[string]any{"query": query, "variables": map[string]any{"n": 1}, "extensions": json.RawMessage(persisted(hash))})
	reg := result(t, do(t, api.h, postJSON(string(body), "")))
	if reg.status != http.StatusOK || len(reg.body.Errors) > 0 || !reg.body.hasData {
		t.Fatalf("POST registering %s = %d %s, want data", query, reg.status, reg.raw)
	}

	// The hash alone now runs it, with the GET's own variables, publicly cacheable.
	direct := result(t, do(t, api.h, getQuery("", "query", query, "variables", `{"n":2}`)))
	r := byHash("", `{"n":2}`)
	if r.status != http.StatusOK || len(r.body.Errors) > 0 || string(r.body.Data) != string(direct.body.Data) {
		t.Fatalf("GET by hash = %d %s, want %s as when sent in full", r.status, r.raw, direct.raw)
	}
	if r.cacheControl != "public, max-age=60" || r.etag == "" || r.etag != direct.etag {
		t.Errorf("GET by hash: Cache-Control %q, ETag %q; want public, max-age=60 and the ETag of the same answer sent in full (%q)", r.cacheControl, r.etag, direct.etag)
	}

	// A persisted mutation still needs POST.
	const mutation = `mutation { createSubmission(input: {title: "Persisted"}) { submission { id } } }`
	body, _ = json.Marshal(map[string]any{"query": mutation, "extensions": json.RawMessage(persisted(sha256Hex(mutation)))})
	do(t, api.h, postJSON(string(body), "")) // registers it (anonymous: refused, but known)
	m := result(t, do(t, api.h, getQuery("", "extensions", persisted(sha256Hex(mutation)))))
	if m.status != http.StatusMethodNotAllowed {
		t.Errorf("GET of a persisted mutation = %d %s, want 405", m.status, m.raw)
	}
}

// httpRequestResult is a response read into what the tests check.
type httpRequestResult struct {
	status       int
	raw          string
	body         gqlBody
	cacheControl string
	etag         string
}

func result(t *testing.T, rec *httptest.ResponseRecorder) *httpRequestResult {
	t.Helper()
	return &httpRequestResult{status: rec.Code, raw: rec.Body.String(), body: decodeBody(t, rec),
		cacheControl: rec.Header().Get("Cache-Control"), etag: rec.Header().Get("ETag")}
}
