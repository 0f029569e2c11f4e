// Package editorial is the registry's editorial workflow: submissions of
// proposed changes (create, update, retract), their review by an editor who
// is not the author, and the merge that publishes every change of a
// submission in one transaction, or none of them.
//
// Each method takes the acting viewer, checks the rules of
// internal/registry, and returns either a result, the user's mistakes as
// field errors (the API's userErrors), or an error: a registry.Error for
// UNAUTHENTICATED and FORBIDDEN, anything else internal. Field errors change
// nothing: the transaction that found them is rolled back.
package editorial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// Service runs the editorial workflow.
type Service struct {
	db  *pgxpool.Pool
	now func() time.Time
}

// New returns the workflow over db.
func New(db *pgxpool.Pool) *Service {
	return &Service{db: db, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// Fields are the fields an author gave for an entry, named as in the API's
// inputs and in snapshots, references as UUIDs. A field given as null clears
// it; a field left out keeps its current value on an update.
type Fields map[string]json.RawMessage

// Errors is a list of the user's mistakes; empty when there were none.
type Errors []registry.FieldError

func (e *Errors) add(code registry.Code, msg string, path ...string) {
	*e = append(*e, registry.FieldError{Field: path, Message: msg, Code: code})
}

// errRollback ends a transaction that found the user's mistakes, so that
// nothing it did is kept.
var errRollback = errors.New("rolled back: the request had errors")

// inTx runs fn in a transaction; fn's field errors roll it back.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, errs *Errors) error) (Errors, error) {
	var errs Errors
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := fn(tx, &errs); err != nil {
			return err
		}
		if len(errs) > 0 {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return errs, nil
	}
	return errs, err
}

const submissionColumns = `id, title, description, correction, status, author_id, created_at, updated_at, submitted_at, merged_at`

const changeColumns = `id, submission_id, position, operation, entry_type, entry_id, base_version, proposed, reason, created_at, withdrawn_at`

// lockSubmission reads a submission for update, so that two requests on the
// same submission (two approvals, an approval and an amendment) take turns.
// A submission the viewer may not see is FORBIDDEN.
func lockSubmission(ctx context.Context, tx pgx.Tx, v registry.Viewer, id uuid.UUID, errs *Errors, field string) (*registry.Submission, error) {
	rows, err := tx.Query(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return nil, fmt.Errorf("lock submission %s: %w", id, err)
	}
	sub, err := pgx.CollectExactlyOneRow(rows, pgx.RowToAddrOfStructByName[registry.Submission])
	if errors.Is(err, pgx.ErrNoRows) {
		errs.add(registry.CodeNotFound, "no such submission", field)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock submission %s: %w", id, err)
	}
	if !v.MaySee(sub) {
		// A permission failure, reported as the contract says, not as absence.
		return nil, registry.Forbidden("this submission is not yours")
	}
	return sub, nil
}

// lockForAuthor locks a submission its author is about to change: it must
// exist (NOT_FOUND), be the viewer's (FORBIDDEN) and be in a status where
// doing so is allowed (INVALID_STATE, "a SUBMITTED submission cannot be
// <doing>"). It returns nil when it recorded a field error.
func lockForAuthor(ctx context.Context, tx pgx.Tx, v registry.Viewer, id uuid.UUID, errs *Errors, field, doing string, allowed func(registry.SubmissionStatus) bool) (*registry.Submission, error) {
	sub, err := lockSubmission(ctx, tx, v, id, errs, field)
	if err != nil || sub == nil {
		return nil, err
	}
	if err := v.MayEdit(sub); err != nil {
		return nil, err
	}
	if !allowed(sub.Status) {
		errs.add(registry.CodeInvalidState, fmt.Sprintf("a %s submission cannot be %s", sub.Status, doing), field)
		return nil, nil
	}
	return sub, nil
}

func openStatus(s registry.SubmissionStatus) bool { return s.Open() }

func liveChanges(ctx context.Context, q pgx.Tx, submissionID uuid.UUID) ([]*registry.Change, error) {
	rows, err := q.Query(ctx, `SELECT `+changeColumns+` FROM changes
		WHERE submission_id = $1 AND withdrawn_at IS NULL ORDER BY position`, submissionID)
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", submissionID, err)
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToAddrOfStructByName[registry.Change])
	if err != nil {
		return nil, fmt.Errorf("changes of %s: %w", submissionID, err)
	}
	return cs, nil
}

func (s *Service) touch(ctx context.Context, tx pgx.Tx, sub *registry.Submission, status registry.SubmissionStatus) error {
	now := s.now()
	sub.UpdatedAt = now
	if status != "" && status != sub.Status {
		sub.Status = status
		switch status {
		case registry.SubmissionSubmitted:
			sub.SubmittedAt = &now
		case registry.SubmissionMerged:
			sub.MergedAt = &now
		}
	}
	_, err := tx.Exec(ctx, `UPDATE submissions SET status = $2, updated_at = $3, submitted_at = $4, merged_at = $5 WHERE id = $1`,
		sub.ID, string(sub.Status), sub.UpdatedAt, sub.SubmittedAt, sub.MergedAt)
	if err != nil {
		return fmt.Errorf("update submission %s: %w", sub.ID, err)
	}
	return nil
}

// CreateSubmission opens a draft submission authored by v. Any signed-in user.
// Field errors: INVALID (title, description).
func (s *Service) CreateSubmission(ctx context.Context, v registry.Viewer, title string, description *string, correction bool) (*registry.Submission, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var errs Errors
	if strings.TrimSpace(title) == "" || len([]rune(title)) > 300 {
		errs.add(registry.CodeInvalid, "title is required, at most 300 characters", "input", "title")
	}
	if description != nil && len([]rune(*description)) > registry.MaxText {
		errs.add(registry.CodeInvalid, fmt.Sprintf("description is longer than %d characters", registry.MaxText), "input", "description")
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	now := s.now()
	sub := &registry.Submission{ID: uuid.New(), Title: strings.TrimSpace(title), Description: description, Correction: correction,
		Status: registry.SubmissionDraft, AuthorID: v.UserID, CreatedAt: now, UpdatedAt: now}
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		if _, err := tx.Exec(ctx, `INSERT INTO submissions (id, title, description, correction, status, author_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'DRAFT', $5, $6, $6)`, sub.ID, sub.Title, sub.Description, sub.Correction, sub.AuthorID, now); err != nil {
			return fmt.Errorf("create submission: %w", err)
		}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.create",
			TargetType: "submission", TargetID: sub.ID, Details: map[string]any{"correction": correction}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return sub, nil, nil
}

// Withdraw closes a submission its author no longer wants reviewed. The
// author only, while it is a draft, submitted or sent back.
// Field errors: NOT_FOUND, INVALID_STATE.
func (s *Service) Withdraw(ctx context.Context, v registry.Viewer, id uuid.UUID) (*registry.Submission, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var sub *registry.Submission
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		var err error
		withdrawable := func(st registry.SubmissionStatus) bool { return st.Open() || st == registry.SubmissionSubmitted }
		if sub, err = lockForAuthor(ctx, tx, v, id, errs, "id", "withdrawn", withdrawable); err != nil || sub == nil {
			return err
		}
		if err := s.touch(ctx, tx, sub, registry.SubmissionWithdrawn); err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.withdraw", TargetType: "submission", TargetID: id})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return sub, nil, nil
}

// Submit asks for review. The author only, from DRAFT or CHANGES_REQUESTED.
// Every deployment, abuse and designation it creates or updates must cite a
// source. Field errors: NOT_FOUND, INVALID_STATE, INVALID (no changes),
// UNSOURCED (naming the change), NOT_FOUND (a reference that no longer resolves).
func (s *Service) Submit(ctx context.Context, v registry.Viewer, id uuid.UUID) (*registry.Submission, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var sub *registry.Submission
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		var err error
		if sub, err = lockForAuthor(ctx, tx, v, id, errs, "id", "submitted", openStatus); err != nil || sub == nil {
			return err
		}
		changes, err := liveChanges(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			errs.add(registry.CodeInvalid, "the submission has no changes to review", "id")
			return nil
		}
		for _, c := range changes {
			if c.Operation == registry.OpRetract || !registry.MustCite(c.EntryType) {
				continue
			}
			var p struct {
				Citations []json.RawMessage `json:"citations"`
			}
			if err := json.Unmarshal(c.Proposed, &p); err != nil {
				return fmt.Errorf("change %s: %w", c.ID, err)
			}
			if len(p.Citations) == 0 {
				errs.add(registry.CodeUnsourced, fmt.Sprintf("change %d (%s %s of %s) cites no source: every %s must be sourced",
					c.Position, c.Operation, strings.ToLower(string(c.EntryType)), c.EntryID, strings.ToLower(string(c.EntryType))),
					"changes", c.ID.String(), "citations")
			}
		}
		// A reference may have stopped resolving since it was proposed (a
		// change it pointed at was withdrawn).
		for _, c := range changes {
			if c.Operation == registry.OpRetract {
				continue
			}
			e, cits, err := decode(c.EntryType, c.EntryID, c.Proposed)
			if err != nil {
				return err
			}
			var had []registry.Reference
			if c.Operation == registry.OpUpdate {
				if had, err = publishedReferences(ctx, tx, c.EntryType, c.EntryID); err != nil {
					return err
				}
			}
			var refErrs Errors
			if err := checkReferences(ctx, tx, id, c.EntryID, e, cits, had, false, &refErrs); err != nil {
				return err
			}
			for _, fe := range refErrs {
				errs.add(fe.Code, fmt.Sprintf("change %d (%s %s): %s", c.Position, strings.ToLower(string(c.EntryType)), c.EntryID, fe.Message),
					append([]string{"changes", c.ID.String()}, fe.Field[1:]...)...)
			}
		}
		if len(*errs) > 0 {
			return nil
		}
		if err := s.touch(ctx, tx, sub, registry.SubmissionSubmitted); err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.submit", TargetType: "submission", TargetID: id,
			Details: map[string]any{"changes": len(changes)}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return sub, nil, nil
}

// decode reads a proposed snapshot back into an entry and its citations.
func decode(t registry.EntryType, id uuid.UUID, proposed json.RawMessage) (registry.Entry, []registry.Citation, error) {
	e, err := registry.NewEntry(t)
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(proposed, e); err != nil {
		return nil, nil, fmt.Errorf("decode %s %s: %w", t, id, err)
	}
	var p struct {
		Status           registry.EntryStatus `json:"status"`
		RetractionReason *string              `json:"retractionReason"`
		Citations        []registry.Citation  `json:"citations"`
	}
	if err := json.Unmarshal(proposed, &p); err != nil {
		return nil, nil, fmt.Errorf("decode %s %s: %w", t, id, err)
	}
	m := e.EntryMeta()
	m.ID, m.Status, m.RetractionReason = id, p.Status, p.RetractionReason
	if m.Status == "" {
		m.Status = registry.StatusPublished
	}
	return e, p.Citations, nil
}

func isUniqueViolation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "23503") {
		return pgErr.ConstraintName, true
	}
	return "", false
}
