package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/internal/registry"
)

// inputError is a client's mistake in an argument: its message is written for
// the client and shown as it is.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

// badInput marks err as the client's mistake.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return inputError{err}
}

type requestKey struct{}

// request is what the server keeps about a request while it runs.
type request struct {
	id string
	// outageLogged is set once the request has logged a database outage:
	// every field that reads the database fails alike during one, and one
	// line per request is enough.
	outageLogged atomic.Bool
}

// withRequestID tags each request with a random ID, returned in X-Request-ID,
// so that an error a user reports can be found in the server's log.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		req := &request{id: hex.EncodeToString(b)}
		w.Header().Set("X-Request-ID", req.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, req)))
	})
}

func requestID(ctx context.Context) string {
	if req, _ := ctx.Value(requestKey{}).(*request); req != nil {
		return req.id
	}
	return ""
}

// Answers to a database outage: extensions.code, and the Retry-After
// header (seconds) of a 503. A restart or a failover of PostgreSQL takes
// seconds; clients that come back sooner find it down again.
const (
	codeUnavailable  = "SERVICE_UNAVAILABLE"
	retryAfterOutage = "5"
)

// unavailable reports whether err means the database could not be reached
// or went away, rather than that a statement failed: a connection that
// could not be made (refused, or any pgconn.ConnectError: the server is
// down, starting, or refusing the role), one that broke (closed, reset, or
// cut short: EOF), an error pgx guarantees happened before anything was
// sent (pgconn.SafeToRetry), PostgreSQL shutting down or starting up
// (SQLSTATE 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
// cannot_connect_now), and a closed pool (the server is stopping). The
// request's own deadline and a client that left are never outages, though
// pgx reports them as safe to retry too.
//
// It is the one place that decides: the API's error presenter, the
// authentication step, the feed and the exports all answer what it
// recognises with 503 SERVICE_UNAVAILABLE (see presentError and
// RouteFailure).
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgerrcode.AdminShutdown, pgerrcode.CrashShutdown, pgerrcode.CannotConnectNow:
			return true
		}
		// Any other answer from PostgreSQL means it is up.
		return false
	}
	return pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// unavailableMessage is the message of an outage's error.
func unavailableMessage(id string) string {
	return "the registry's database is unavailable; try again in a few seconds (request ID " + id + ")"
}

// logOutage logs a database outage that failed a request, as a warning
// (the server is fine, its database is not, and an alert on errors should
// not fire once per request while it lasts) and once per request.
func logOutage(ctx context.Context, logger *slog.Logger, err error) {
	if req, _ := ctx.Value(requestKey{}).(*request); req != nil && !req.outageLogged.CompareAndSwap(false, true) {
		return
	}
	logger.WarnContext(ctx, "database unavailable", "request_id", requestID(ctx), "err", err)
}

// RouteFailure returns how a route other than /graphql (the feed, the
// exports; pass it to bulk.Handler) and the middleware in front of every
// route answer a request that failed before its answer started: a database
// outage (unavailable) with 503, Retry-After and the code
// SERVICE_UNAVAILABLE, logged as a warning; anything else with 500 and
// INTERNAL_SERVER_ERROR, logged as an error. Either way the body is a
// GraphQL-shaped error, like the middleware's other refusals, and carries
// the request ID, as the X-Request-ID header does. Nothing in it may be
// cached.
func RouteFailure(logger *slog.Logger) func(w http.ResponseWriter, r *http.Request, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	return func(w http.ResponseWriter, r *http.Request, err error) {
		ctx := r.Context()
		id := requestID(ctx)
		w.Header().Set("Cache-Control", "no-store")
		if unavailable(err) {
			logOutage(ctx, logger, err)
			w.Header().Set("Retry-After", retryAfterOutage)
			writeError(w, mediaJSON, http.StatusServiceUnavailable, unavailableMessage(id), map[string]any{"code": codeUnavailable, "requestId": id})
			return
		}
		logger.ErrorContext(ctx, "request failed", "request_id", id, "path", r.URL.Path, "err", err)
		writeError(w, mediaJSON, http.StatusInternalServerError, "internal error; request ID "+id, map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": id})
	}
}

// presentError is the one place errors leave the server. The client's
// mistakes are shown as they are, with BAD_USER_INPUT: errors gqlgen raises
// while parsing and validating (which wrap nothing), errors resolvers mark
// with badInput, and the registry's INVALID errors (an argument that does not
// parse as its scalar, named by its path). Anything else is logged with the
// request ID and shown as a generic message carrying that ID, so no SQL,
// internal detail or identity ever reaches a client.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		var in inputError
		switch {
		case errors.As(err, &in):
			e := graphql.DefaultErrorPresenter(ctx, err)
			e.Message = in.Error()
			e.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
			return e
		case registry.ErrorCode(err) == registry.CodeUnauthenticated || registry.ErrorCode(err) == registry.CodeForbidden:
			e := graphql.DefaultErrorPresenter(ctx, err)
			e.Message = registry.Message(err)
			e.Extensions = map[string]any{"code": string(registry.ErrorCode(err))}
			return e
		case registry.ErrorCode(err) == registry.CodeInvalid:
			e := graphql.DefaultErrorPresenter(ctx, err)
			msg := registry.Message(err)
			if arg := argumentPath(e.Path); arg != "" {
				// Name the argument: `filter.countryCodes[1]: "cn" is not ...`.
				msg = arg + ": " + msg
			}
			e.Message = msg
			e.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
			return e
		case errors.As(err, &gqlErr) && gqlErr.Err == nil:
			e := graphql.DefaultErrorPresenter(ctx, err)
			if e.Extensions == nil {
				e.Extensions = map[string]any{}
			}
			if _, ok := e.Extensions["code"]; !ok {
				e.Extensions["code"] = "BAD_USER_INPUT"
			}
			return e
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// The request's deadline passed (see withBounds): the running
			// statement was cancelled. Not the client's fault, nor a fault.
			logger.WarnContext(ctx, "request timed out", "request_id", requestID(ctx), "path", graphql.GetPath(ctx).String())
			return &gqlerror.Error{
				Message:    "the request took too long and was stopped; ask for less (smaller pages, fewer nested lists) or try again later",
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": "TIMEOUT", "requestId": requestID(ctx)},
			}
		}
		id := requestID(ctx)
		if unavailable(err) {
			// Not a fault of the server's, nor the client's: the transport
			// answers 503 with Retry-After when nothing else was answered.
			logOutage(ctx, logger, err)
			return &gqlerror.Error{
				Message:    unavailableMessage(id),
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": codeUnavailable, "requestId": id},
			}
		}
		logger.ErrorContext(ctx, "request failed", "request_id", id, "path", graphql.GetPath(ctx).String(), "err", err)
		return &gqlerror.Error{
			Message:    "internal error; request ID " + id,
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": id},
		}
	}
}

// argumentPath renders where in the arguments a bad value sits, from the path
// gqlgen gives it (the field, then the argument and any input fields and list
// indexes): [states filter countryCodes 1] is "filter.countryCodes[1]".
func argumentPath(path ast.Path) string {
	if len(path) < 2 {
		return ""
	}
	var b strings.Builder
	for _, p := range path[1:] {
		switch p := p.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(p))
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(p))
		}
	}
	return b.String()
}
