package editorial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// Review records an editor's decision on a submitted submission. Editors and
// admins only (FORBIDDEN otherwise), never the author (SELF_REVIEW).
//
// APPROVE merges every change in one transaction, in dependency order: each
// entry gains a version whose snapshot is the change's proposal, the
// submission's title as summary, and a change event (CORRECTED rather than
// UPDATED when the submission is a correction). When an update or
// retraction was based on a version that is no longer current, or a key was
// taken meanwhile, nothing is applied: the submission goes back to
// CHANGES_REQUESTED with a review comment naming the stale entries, and the
// answer carries a CONFLICT field error.
//
// Field errors: NOT_FOUND, SELF_REVIEW, INVALID_STATE, INVALID (comment), CONFLICT.
func (s *Service) Review(ctx context.Context, v registry.Viewer, id uuid.UUID, decision registry.ReviewDecision, comment *string) (*registry.Submission, Errors, error) {
	if err := v.MayReview(); err != nil {
		return nil, nil, err
	}
	if comment != nil && len([]rune(*comment)) > registry.MaxText {
		return nil, Errors{{Field: []string{"comment"}, Code: registry.CodeInvalid, Message: fmt.Sprintf("comment is longer than %d characters", registry.MaxText)}}, nil
	}
	var sub *registry.Submission
	var conflict Errors
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		var err error
		if sub, err = lockSubmission(ctx, tx, v, id, errs, "id"); err != nil || sub == nil {
			return err
		}
		if sub.AuthorID == v.UserID {
			errs.add(registry.CodeSelfReview, "a submission is reviewed by an editor other than its author", "id")
			return nil
		}
		if sub.Status != registry.SubmissionSubmitted {
			errs.add(registry.CodeInvalidState, fmt.Sprintf("only submitted submissions are reviewed; this one is %s", sub.Status), "id")
			return nil
		}
		status := map[registry.ReviewDecision]registry.SubmissionStatus{
			registry.DecisionApprove:        registry.SubmissionMerged,
			registry.DecisionRequestChanges: registry.SubmissionChangesRequested,
			registry.DecisionReject:         registry.SubmissionRejected,
		}[decision]
		if status == "" {
			errs.add(registry.CodeInvalid, fmt.Sprintf("%q is not a decision", decision), "decision")
			return nil
		}
		if decision == registry.DecisionApprove {
			if conflict, err = s.merge(ctx, tx, v, sub); err != nil {
				return err
			}
			if len(conflict) > 0 {
				// Nothing was applied; the submission goes back to its author
				// with the reason, and that is kept.
				msg := conflictComment(conflict, comment)
				decision, status, comment = registry.DecisionRequestChanges, registry.SubmissionChangesRequested, &msg
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reviews (id, submission_id, reviewer_id, decision, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			uuid.New(), id, v.UserID, string(decision), comment, s.now()); err != nil {
			return fmt.Errorf("record review: %w", err)
		}
		if err := s.touch(ctx, tx, sub, status); err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.review", TargetType: "submission", TargetID: id,
			Details: map[string]any{"decision": decision, "status": status, "conflicts": len(conflict)}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return sub, conflict, nil
}

func conflictComment(conflict Errors, comment *string) string {
	var b strings.Builder
	b.WriteString("Not merged; nothing was applied:")
	for _, c := range conflict {
		b.WriteString("\n- ")
		b.WriteString(c.Message)
	}
	b.WriteString("\nPropose the changes again (a stale update starts again from the current version), then resubmit.")
	if comment != nil && *comment != "" {
		b.WriteString("\n\nReviewer's comment: ")
		b.WriteString(*comment)
	}
	return b.String()
}

// merge applies a submission's changes inside tx. It returns CONFLICT field
// errors, and applies nothing, when a change is stale or a key was taken.
func (s *Service) merge(ctx context.Context, tx pgx.Tx, v registry.Viewer, sub *registry.Submission) (Errors, error) {
	changes, err := liveChanges(ctx, tx, sub.ID)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return Errors{{Field: []string{"id"}, Code: registry.CodeInvalid, Message: "the submission has no changes"}}, nil
	}

	// Lock every entry the submission updates or retracts, in ID order so
	// that concurrent merges never deadlock, then compare versions: two
	// merges based on the same version take turns here, and the second
	// finds its base stale.
	var existing []uuid.UUID
	for _, c := range changes {
		if c.Operation != registry.OpCreate {
			existing = append(existing, c.EntryID)
		}
	}
	slices.SortFunc(existing, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	versions := map[uuid.UUID]int{}
	if len(existing) > 0 {
		rows, err := tx.Query(ctx, `SELECT id, version FROM entries WHERE id = ANY($1) ORDER BY id FOR UPDATE`, existing)
		if err != nil {
			return nil, fmt.Errorf("lock entries: %w", err)
		}
		var id uuid.UUID
		var version int
		if _, err := pgx.ForEachRow(rows, []any{&id, &version}, func() error {
			versions[id] = version
			return nil
		}); err != nil {
			return nil, fmt.Errorf("lock entries: %w", err)
		}
	}
	var conflict Errors
	for _, c := range changes {
		if c.Operation == registry.OpCreate {
			continue
		}
		if cur, ok := versions[c.EntryID]; !ok || cur != *c.BaseVersion {
			conflict.add(registry.CodeConflict, fmt.Sprintf("%s %s %s was proposed against version %d, but version %d is now published",
				c.Operation, strings.ToLower(string(c.EntryType)), c.EntryID, *c.BaseVersion, cur), "changes", c.ID.String())
		}
	}
	if len(conflict) > 0 {
		return conflict, nil
	}
	// What the changes refer to must still stand: a source may have been
	// retracted by another merge since this submission was submitted.
	for _, c := range changes {
		if c.Operation == registry.OpRetract {
			continue
		}
		e, cits, err := decode(c.EntryType, c.EntryID, c.Proposed)
		if err != nil {
			return nil, err
		}
		var had []registry.Reference
		if c.Operation == registry.OpUpdate {
			if had, err = publishedReferences(ctx, tx, c.EntryType, c.EntryID); err != nil {
				return nil, err
			}
		}
		var refErrs Errors
		if err := checkReferences(ctx, tx, sub.ID, c.EntryID, e, cits, had, true, &refErrs); err != nil {
			return nil, err
		}
		for _, fe := range refErrs {
			conflict.add(registry.CodeConflict, fmt.Sprintf("%s %s %s: %s", c.Operation, strings.ToLower(string(c.EntryType)), c.EntryID, fe.Message),
				"changes", c.ID.String())
		}
	}
	if len(conflict) > 0 {
		return conflict, nil
	}

	ordered, err := dependencyOrder(changes)
	if errors.Is(err, errCycle) {
		return Errors{{Field: []string{"id"}, Code: registry.CodeInvalid, Message: err.Error()}}, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	batch := &pgx.Batch{}
	for _, c := range ordered {
		e, cits, err := decode(c.EntryType, c.EntryID, c.Proposed)
		if err != nil {
			return nil, err
		}
		m := e.EntryMeta()
		m.PublishedAt, m.UpdatedAt = now, now
		v := postgres.Version{Entry: e, Citations: cits, Snapshot: c.Proposed, Summary: sub.Title, At: now, SubmissionID: &sub.ID}
		if c.Operation == registry.OpCreate {
			v.Number, v.Kind = 1, "CREATED"
			if v.Changes, err = registry.Diff(nil, c.Proposed); err != nil {
				return nil, err
			}
			if err := postgres.QueueCreate(batch, v); err != nil {
				return nil, err
			}
			continue
		}
		var before json.RawMessage
		if err := tx.QueryRow(ctx, `SELECT snapshot FROM entry_versions WHERE entry_id = $1 AND version = $2`, c.EntryID, *c.BaseVersion).Scan(&before); err != nil {
			return nil, fmt.Errorf("base version of %s: %w", c.EntryID, err)
		}
		if v.Changes, err = registry.Diff(before, c.Proposed); err != nil {
			return nil, err
		}
		v.Number = *c.BaseVersion + 1
		switch {
		case c.Operation == registry.OpRetract:
			v.Kind = "RETRACTED"
			postgres.QueueRetract(batch, v)
			continue
		case sub.Correction:
			v.Kind = "CORRECTED"
		default:
			v.Kind = "UPDATED"
		}
		if err := postgres.QueueUpdate(batch, v); err != nil {
			return nil, err
		}
	}

	// A key another submission took since these changes were proposed shows
	// here, as a constraint violation: undo the batch, keep the transaction.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	if err := sp.SendBatch(ctx, batch).Close(); err != nil {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return nil, fmt.Errorf("roll back merge: %w (after %v)", rbErr, err)
		}
		if constraint, ok := isUniqueViolation(err); ok {
			return Errors{{Field: []string{"id"}, Code: registry.CodeConflict,
				Message: fmt.Sprintf("an entry published meanwhile already has the %s one of these changes proposes (%s)", keyOf(constraint), constraint)}}, nil
		}
		return nil, fmt.Errorf("merge submission %s: %w", sub.ID, err)
	}
	if err := sp.Commit(ctx); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	return nil, postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.merge", TargetType: "submission", TargetID: sub.ID,
		Details: map[string]any{"changes": len(changes), "correction": sub.Correction}})
}

// errCycle: new entries that refer to each other cannot be written one
// after the other (two new vendors each the other's parent).
var errCycle = errors.New("the submission's new entries refer to each other in a cycle")

// dependencyOrder sorts changes so that an entry created by the submission
// is written before the changes that refer to it (a deployment citing a new
// source, a technology under a new parent); otherwise in proposal order.
func dependencyOrder(changes []*registry.Change) ([]*registry.Change, error) {
	created := map[uuid.UUID]*registry.Change{}
	for _, c := range changes {
		if c.Operation == registry.OpCreate {
			created[c.EntryID] = c
		}
	}
	deps := map[uuid.UUID][]uuid.UUID{}
	for _, c := range changes {
		if c.Operation == registry.OpRetract {
			continue
		}
		e, cits, err := decode(c.EntryType, c.EntryID, c.Proposed)
		if err != nil {
			return nil, err
		}
		refs := append(registry.References(e), citationRefs(cits)...)
		for _, r := range refs {
			for _, id := range r.IDs {
				if _, ok := created[id]; ok && id != c.EntryID {
					deps[c.ID] = append(deps[c.ID], created[id].ID)
				}
			}
		}
	}
	var out []*registry.Change
	state := map[uuid.UUID]int{} // 1 visiting, 2 done
	byID := map[uuid.UUID]*registry.Change{}
	for _, c := range changes {
		byID[c.ID] = c
	}
	var visit func(c *registry.Change) error
	visit = func(c *registry.Change) error {
		switch state[c.ID] {
		case 1:
			return errCycle
		case 2:
			return nil
		}
		state[c.ID] = 1
		for _, d := range deps[c.ID] {
			if err := visit(byID[d]); err != nil {
				return err
			}
		}
		state[c.ID] = 2
		out = append(out, c)
		return nil
	}
	for _, c := range changes {
		if err := visit(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keyOf names the field a unique constraint is about, for messages.
func keyOf(constraint string) string {
	for _, k := range []struct{ suffix, field string }{
		{"_slug_key", "slug"}, {"_country_code_key", "country code"}, {"_regime_code_key", "regime and code"},
		{"_code_key", "code"}, {"_name_key", "name"},
	} {
		if strings.HasSuffix(constraint, k.suffix) {
			return k.field
		}
	}
	return "key"
}
