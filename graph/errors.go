package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/internal/postgres"
	"oversight/internal/registry"
	"oversight/internal/request"
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
			e.Extensions = map[string]any{"code": CodeBadUserInput}
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
			e.Extensions = map[string]any{"code": CodeBadUserInput}
			return e
		case errors.As(err, &gqlErr) && gqlErr.Err == nil:
			e := graphql.DefaultErrorPresenter(ctx, err)
			if e.Extensions == nil {
				e.Extensions = map[string]any{}
			}
			if _, ok := e.Extensions["code"]; !ok {
				e.Extensions["code"] = CodeBadUserInput
			}
			return e
		}
		if errors.Is(err, context.DeadlineExceeded) {
			// The request's deadline passed (see internal/server): the running
			// statement was cancelled. Not the client's fault, nor a fault.
			logger.WarnContext(ctx, "request timed out", "request_id", request.ID(ctx), "path", graphql.GetPath(ctx).String())
			return &gqlerror.Error{
				Message:    "the request took too long and was stopped; ask for less (smaller pages, fewer nested lists) or try again later",
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": CodeTimeout, "requestId": request.ID(ctx)},
			}
		}
		id := request.ID(ctx)
		if postgres.Unavailable(err) {
			// Not a fault of the server's, nor the client's: the transport
			// answers 503 with Retry-After when nothing else was answered.
			request.LogOutage(ctx, logger, err)
			return &gqlerror.Error{
				Message:    request.OutageMessage(id),
				Path:       graphql.GetPath(ctx),
				Extensions: map[string]any{"code": request.CodeUnavailable, "requestId": id},
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
