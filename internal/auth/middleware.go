package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"oversight/internal/registry"
)

// unauthenticatedBody is the GraphQL-shaped answer to a bad token; it is the
// same for every reason a token is refused.
const unauthenticatedBody = `{"errors":[{"message":"invalid, expired or revoked token","extensions":{"code":"UNAUTHENTICATED"}}]}`

const internalErrorBody = `{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`

// Middleware sets the viewer of each request (registry.WithViewer): the
// anonymous reader when there is no Authorization header, the token's user
// for "Authorization: Bearer TOKEN". A malformed header or a token that
// Authenticate refuses gets 401 with a GraphQL error coded UNAUTHENTICATED,
// rather than silently reading as anonymous, so a client learns its token
// stopped working. It logs no token and no name or email; at debug level,
// the user ID and token prefix.
//
// A failure to check the token (the database is down, say) goes to fail, so
// that the server answers it as it answers every other failure of the same
// kind (a database outage as 503 with the request ID); with fail nil it is
// logged as an error and answered 500.
func Middleware(store *Store, logger *slog.Logger, fail func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			values := r.Header.Values("Authorization")
			if len(values) == 0 {
				next.ServeHTTP(w, r.WithContext(registry.WithViewer(ctx, registry.Anonymous)))
				return
			}
			token, ok := bearerToken(values)
			if !ok {
				logger.DebugContext(ctx, "refused malformed Authorization header")
				writeJSON(w, http.StatusUnauthorized, unauthenticatedBody)
				return
			}
			prefix, _ := TokenPrefix(token)
			viewer, err := store.Authenticate(ctx, token)
			switch {
			case errors.Is(err, ErrUnauthenticated):
				// The prefix of a well-formed token is public; anything else
				// might be a mangled secret and is not logged.
				logger.DebugContext(ctx, "refused token", "token_prefix", prefix)
				writeJSON(w, http.StatusUnauthorized, unauthenticatedBody)
				return
			case err != nil && fail != nil:
				fail(w, r, fmt.Errorf("authenticate token %s: %w", prefix, err))
				return
			case err != nil:
				logger.ErrorContext(ctx, "authenticate request", "token_prefix", prefix, "err", err)
				writeJSON(w, http.StatusInternalServerError, internalErrorBody)
				return
			}
			logger.DebugContext(ctx, "authenticated request", "user_id", viewer.UserID, "token_prefix", prefix)
			next.ServeHTTP(w, r.WithContext(registry.WithViewer(ctx, viewer)))
		})
	}
}

// bearerToken reads the token of a single "Bearer TOKEN" header; the scheme
// is case-insensitive (RFC 9110, section 11.1).
func bearerToken(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", "Bearer")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
