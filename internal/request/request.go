// Package request is what every route shares about a request while it
// runs: its ID (set first thing by the server's middleware chain, returned
// in X-Request-ID and put in every error a client sees), whether it has
// logged a database outage yet, and the GraphQL-shaped error every route
// answers with. It is small so that the server, which sets it, and the
// handlers it mounts (graph among them), which read it, need not import
// each other.
package request

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
)

type key struct{}

// state is what the server keeps about a request while it runs.
type state struct {
	id string
	// outageLogged is set once the request has logged a database outage:
	// every field that reads the database fails alike during one, and one
	// line per request is enough.
	outageLogged atomic.Bool
}

// WithID tags each request with a random ID, returned in X-Request-ID, so
// that an error a user reports can be found in the server's log.
func WithID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		s := &state{id: hex.EncodeToString(b)}
		w.Header().Set("X-Request-ID", s.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, s)))
	})
}

// ID is the request's ID, or "" outside WithID.
func ID(ctx context.Context) string {
	if s, _ := ctx.Value(key{}).(*state); s != nil {
		return s.id
	}
	return ""
}

// Answers to a database outage: extensions.code, and the Retry-After
// header (seconds) of a 503. A restart or a failover of PostgreSQL takes
// seconds; clients that come back sooner find it down again.
const (
	CodeUnavailable  = "SERVICE_UNAVAILABLE"
	RetryAfterOutage = "5"
)

// OutageMessage is the message of an outage's error, for the request id.
func OutageMessage(id string) string {
	return "the registry's database is unavailable; try again in a few seconds (request ID " + id + ")"
}

// LogOutage logs a database outage that failed a request, as a warning
// (the server is fine, its database is not, and an alert on errors should
// not fire once per request while it lasts) and once per request.
func LogOutage(ctx context.Context, logger *slog.Logger, err error) {
	if s, _ := ctx.Value(key{}).(*state); s != nil && !s.outageLogged.CompareAndSwap(false, true) {
		return
	}
	logger.WarnContext(ctx, "database unavailable", "request_id", ID(ctx), "err", err)
}

// MediaJSON is the media type of the errors WriteError writes outside
// GraphQL's own content negotiation.
const MediaJSON = "application/json"

// WriteError answers one error as a GraphQL response without data, in the
// media type media: {"errors":[{"message":...,"extensions":...}]}. The
// middleware's refusals and the routes other than /graphql answer in this
// shape, so that a client reads every error the same way.
func WriteError(w http.ResponseWriter, media string, status int, message string, extensions map[string]any) {
	type gqlError struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}
	body, _ := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{message, extensions}}})
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
