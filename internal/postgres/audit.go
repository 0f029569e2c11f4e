package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs a statement: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// AuditEntry is one line of the audit log: who did what to which record.
// Details must hold no secret and no personal data (no token, no email, no
// name): the log is kept forever.
type AuditEntry struct {
	ActorID    uuid.UUID // uuid.Nil when the operator acted through the CLI with no account
	Action     string    // e.g. "submission.create", "user.add", "token.revoke"
	TargetType string
	TargetID   uuid.UUID
	Details    map[string]any
}

// Audit appends an entry to the audit log, in the caller's transaction when
// it passes one, so the record and the action commit together or not at all.
func Audit(ctx context.Context, db Execer, e AuditEntry) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	var actor, target any
	if e.ActorID != uuid.Nil {
		actor = e.ActorID
	}
	if e.TargetID != uuid.Nil {
		target = e.TargetID
	}
	var targetType any
	if e.TargetType != "" {
		targetType = e.TargetType
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_log (actor_id, action, target_type, target_id, details) VALUES ($1, $2, $3, $4, $5)`,
		actor, e.Action, targetType, target, string(b)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}
