package request_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/internal/request"
)

// WriteError writes the bytes gqlgen's own error list marshals to, so that
// the middleware's refusals read like any GraphQL error.
func TestWriteErrorIsAGraphQLResponse(t *testing.T) {
	t.Parallel()
	ext := map[string]any{"code": "SERVER_BUSY", "requestId": "0123abcd"}
	rec := httptest.NewRecorder()
	request.WriteError(rec, request.MediaJSON, http.StatusServiceUnavailable, "too busy", ext)
	want, _ := json.Marshal(struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: "too busy", Extensions: ext}}})
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != string(want) || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("WriteError = %d %q (%s), want 503 %q (application/json; charset=utf-8)", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"), want)
	}
}

// WithID gives each request its own ID, in X-Request-ID and the context.
func TestWithID(t *testing.T) {
	t.Parallel()
	var seen string
	h := request.WithID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = request.ID(r.Context()) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if got := rec.Header().Get("X-Request-ID"); len(got) != 16 || got != seen {
		t.Errorf("X-Request-ID = %q, ID(ctx) = %q; want the same 16 hex digits", got, seen)
	}
	if id := request.ID(t.Context()); id != "" {
		t.Errorf("ID outside WithID = %q, want \"\"", id)
	}
}
