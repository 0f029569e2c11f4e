package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// Unavailable tells the database's outage from a failed statement and from
// the request's own end, however deep the error is wrapped. The shapes are
// those pgx returns (TestOutageAnswers503Everywhere meets the live ones: a
// stale connection's EOF, then connection refused).
func TestOutageErrorsAreRecognised(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	wrap := func(err error) error { return fmt.Errorf("vendors page of vendors: %w", err) }
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", wrap(refused), true},
		{"connection reset", wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), true},
		{"broken pipe", wrap(syscall.EPIPE), true},
		{"a stale connection's EOF", wrap(io.ErrUnexpectedEOF), true},
		{"conn closed", wrap(pgconn.ErrConnClosed), true},
		{"closed pool", wrap(puddle.ErrClosedPool), true},
		{"admin shutdown, 57P01", wrap(&pgconn.PgError{Severity: "FATAL", Code: "57P01"}), true},
		{"crash shutdown, 57P02", wrap(&pgconn.PgError{Severity: "FATAL", Code: "57P02"}), true},
		{"starting up, 57P03", wrap(&pgconn.PgError{Severity: "FATAL", Code: "57P03"}), true},
		{"a unique violation", wrap(&pgconn.PgError{Severity: "ERROR", Code: "23505"}), false},
		{"a statement cancelled at the deadline", wrap(&pgconn.PgError{Severity: "ERROR", Code: "57014"}), false},
		{"the request's deadline", wrap(context.DeadlineExceeded), false},
		{"the client left", wrap(context.Canceled), false},
		{"a deadline while connecting", wrap(errors.Join(context.DeadlineExceeded, refused)), false},
		{"a domain error", wrap(&registry.Error{Code: registry.CodeInvalid, Message: "bad"}), false},
		{"a bug", errors.New("index out of range"), false},
		{"nothing", nil, false},
	} {
		if got := postgres.Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%s: %v) = %t, want %t", tt.name, tt.err, got, tt.want)
		}
	}
}
