// Package auth manages the editorial accounts and their API tokens, and
// turns a request's bearer token into the registry.Viewer it acts as.
//
// Editors may be at risk, so the package never puts a name, an email or a
// token secret in an error, a log line or the audit log: users are referred
// to by ID and tokens by their prefix (ovs_ and eight hex digits), which is
// safe to show. Only a SHA-256 hash of each token is stored.
//
// The Store's account methods make no permission check: the CLI calls them
// for the operator, and any other caller must check the actor's role first.
package auth

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// DB is what the Store needs of the database; *pgxpool.Pool satisfies it.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store keeps the users and their tokens.
type Store struct {
	db DB
}

// NewStore returns a Store over db, usually a *pgxpool.Pool.
func NewStore(db DB) *Store { return &Store{db: db} }

// Errors returned by the Store. None of them names the user or the token it
// is about, so they are safe to log and to show.
var (
	// ErrUnauthenticated is the one answer to a token that is malformed,
	// unknown, revoked or expired, or whose user is disabled: the caller is
	// not told which.
	ErrUnauthenticated = errors.New("invalid, expired or revoked token")
	// ErrEmailTaken (CONFLICT) is returned by AddUser for an email already in
	// use, compared without case.
	ErrEmailTaken error = &registry.Error{Code: registry.CodeConflict, Message: "a user with this email already exists"}
	// ErrUnknownUser (NOT_FOUND) is returned for an email no user has.
	ErrUnknownUser error = &registry.Error{Code: registry.CodeNotFound, Message: "no user has this email"}
	// ErrUnknownToken (NOT_FOUND) is returned by RevokeToken for a prefix no
	// token has.
	ErrUnknownToken error = &registry.Error{Code: registry.CodeNotFound, Message: "no token has this prefix"}
	// ErrUserDisabled (INVALID) is returned by CreateToken for a disabled user.
	ErrUserDisabled error = &registry.Error{Code: registry.CodeInvalid, Message: "the user is disabled"}
)

func invalid(msg string) error { return &registry.Error{Code: registry.CodeInvalid, Message: msg} }

// audit records an account action in tx. The actor is the signed-in viewer
// of ctx; with none, the action comes from the operator's CLI, which has no
// account: the row's actor is NULL and its details say "via": "cli".
func audit(ctx context.Context, tx postgres.Execer, action, targetType string, target uuid.UUID, details map[string]any) error {
	e := postgres.AuditEntry{Action: action, TargetType: targetType, TargetID: target, Details: details}
	if v := registry.ViewerFrom(ctx); v.SignedIn() {
		e.ActorID = v.UserID
	} else {
		e.Details["via"] = "cli"
	}
	return postgres.Audit(ctx, tx, e)
}
