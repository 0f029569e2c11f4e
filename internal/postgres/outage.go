package postgres

import (
	"context"
	"errors"
	"io"
	"syscall"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// Unavailable reports whether err means the database could not be reached
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
// recognises with 503 SERVICE_UNAVAILABLE (see graph's presentError and
// server.RouteFailure).
func Unavailable(err error) bool {
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
