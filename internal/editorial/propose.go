package editorial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// Proposal is the result of a propose call: the change and its submission.
type Proposal struct {
	Change     *registry.Change
	Submission *registry.Submission
}

// Propose adds a change to a submission: a CREATE when id is nil (the new
// entry's ID is allocated now, so later changes can refer to it), else an
// UPDATE of entry id. Proposing again for an entry the submission already
// changes amends that change. The author only, while the submission is a
// draft or sent back.
//
// Field errors (paths under "input"): INVALID (formats, required fields,
// dates out of order), NOT_FOUND (references that do not resolve), CONFLICT
// (a slug, country code or list code already taken), INVALID_STATE.
func (s *Service) Propose(ctx context.Context, v registry.Viewer, submissionID uuid.UUID, t registry.EntryType, id *uuid.UUID, fields Fields) (*Proposal, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var out *Proposal
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		sub, err := lockForAuthor(ctx, tx, v, submissionID, errs, "submissionId", "changed", openStatus)
		if err != nil || sub == nil {
			return err
		}

		if *errs = append(*errs, CheckFields(t, fields)...); len(*errs) > 0 {
			return nil
		}

		// What the proposal starts from: nothing for a new entry, the
		// change being amended, or the entry's current published version.
		var existing *registry.Change
		base := map[string]json.RawMessage{}
		op := registry.OpCreate
		var baseVersion *int
		entryID := uuid.New()
		if id != nil {
			entryID = *id
			if existing, err = liveChangeFor(ctx, tx, submissionID, entryID); err != nil {
				return err
			}
			if existing != nil && existing.Operation == registry.OpUpdate {
				stale, err := isStale(ctx, tx, existing)
				if err != nil {
					return err
				}
				if stale {
					// The entry changed since this update was proposed (a
					// merge sent it back): start again from the current
					// version. The stale change is kept, withdrawn.
					if _, err := tx.Exec(ctx, `UPDATE changes SET withdrawn_at = $2 WHERE id = $1`, existing.ID, s.now()); err != nil {
						return fmt.Errorf("withdraw stale change %s: %w", existing.ID, err)
					}
					existing = nil
				}
			}
			switch {
			case existing != nil && existing.EntryType != t:
				errs.add(registry.CodeInvalid, fmt.Sprintf("the entry is a %s, not a %s", strings.ToLower(string(existing.EntryType)), strings.ToLower(string(t))), "id")
				return nil
			case existing != nil && existing.Operation == registry.OpRetract:
				errs.add(registry.CodeInvalidState, "the submission retracts this entry: withdraw that change first", "id")
				return nil
			case existing != nil:
				op, baseVersion = existing.Operation, existing.BaseVersion
				if err := json.Unmarshal(existing.Proposed, &base); err != nil {
					return fmt.Errorf("change %s: %w", existing.ID, err)
				}
			default:
				cur, err := current(ctx, tx, entryID)
				if err != nil {
					return err
				}
				if cur == nil || cur.typ != t {
					errs.add(registry.CodeNotFound, fmt.Sprintf("no published %s with this ID", strings.ToLower(string(t))), "id")
					return nil
				}
				if cur.status == registry.StatusRetracted {
					errs.add(registry.CodeInvalidState, "a retracted entry cannot be updated", "id")
					return nil
				}
				op, baseVersion = registry.OpUpdate, &cur.version
				if err := json.Unmarshal(cur.snapshot, &base); err != nil {
					return fmt.Errorf("snapshot of %s: %w", entryID, err)
				}
			}
		}
		for k, val := range fields {
			base[k] = val
		}
		if op == registry.OpCreate && (t == registry.TypeVendor || t == registry.TypeTechnology) && isEmptyJSON(base["slug"]) {
			var name string
			if json.Unmarshal(base["name"], &name) == nil {
				base["slug"], _ = json.Marshal(registry.Slugify(name))
			}
		}
		merged, err := json.Marshal(base)
		if err != nil {
			return fmt.Errorf("proposal: %w", err)
		}
		e, cits, err := decode(t, entryID, merged)
		if err != nil {
			errs.add(registry.CodeInvalid, "a field has a value of the wrong kind", "input")
			return nil
		}
		for _, fe := range registry.Validate(e, cits) {
			errs.add(fe.Code, fe.Message, append([]string{"input"}, fe.Field...)...)
		}
		var had []registry.Reference
		if op == registry.OpUpdate {
			if had, err = publishedReferences(ctx, tx, t, entryID); err != nil {
				return err
			}
		}
		if err := checkReferences(ctx, tx, submissionID, entryID, e, cits, had, false, errs); err != nil {
			return err
		}
		if err := checkUnique(ctx, tx, submissionID, entryID, e, errs); err != nil {
			return err
		}
		if len(*errs) > 0 {
			return nil
		}

		snapshot, err := registry.Snapshot(e, cits)
		if err != nil {
			return err
		}
		change := existing
		var previous json.RawMessage // an amended change's earlier proposal, kept in the audit log
		if change == nil {
			change = &registry.Change{ID: uuid.New(), SubmissionID: submissionID, Operation: op, EntryType: t,
				EntryID: entryID, BaseVersion: baseVersion, CreatedAt: s.now()}
			err = tx.QueryRow(ctx, `INSERT INTO changes (id, submission_id, position, operation, entry_type, entry_id, base_version, proposed, created_at)
				VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM changes WHERE submission_id = $2), $3, $4, $5, $6, $7, $8)
				RETURNING position`,
				change.ID, submissionID, string(op), string(t), entryID, baseVersion, string(snapshot), change.CreatedAt).Scan(&change.Position)
		} else {
			previous = change.Proposed
			_, err = tx.Exec(ctx, `UPDATE changes SET proposed = $2 WHERE id = $1`, change.ID, string(snapshot))
		}
		if err != nil {
			return fmt.Errorf("save change: %w", err)
		}
		change.Proposed = snapshot
		if err := s.touch(ctx, tx, sub, ""); err != nil {
			return err
		}
		out = &Proposal{Change: change, Submission: sub}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "change.propose", TargetType: "change", TargetID: change.ID,
			Details: map[string]any{"submission": submissionID, "operation": op, "entryType": t, "entry": entryID, "amended": existing != nil, "previous": previous}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return out, nil, nil
}

// ProposeRetraction adds a change that retracts a published entry, with the
// public reason. The author only, while the submission is open.
// Field errors: NOT_FOUND, INVALID (reason), INVALID_STATE (already
// retracted, or already changed by this submission).
func (s *Service) ProposeRetraction(ctx context.Context, v registry.Viewer, submissionID, entryID uuid.UUID, reason string) (*Proposal, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var out *Proposal
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		sub, err := lockForAuthor(ctx, tx, v, submissionID, errs, "submissionId", "changed", openStatus)
		if err != nil || sub == nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		if reason == "" || len([]rune(reason)) > 5000 {
			errs.add(registry.CodeInvalid, "a retraction needs its public reason, at most 5000 characters", "reason")
		}
		existing, err := liveChangeFor(ctx, tx, submissionID, entryID)
		if err != nil {
			return err
		}
		if existing != nil {
			errs.add(registry.CodeInvalidState, "the submission already changes this entry: withdraw that change first", "entryId")
			return nil
		}
		cur, err := current(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if cur == nil {
			errs.add(registry.CodeNotFound, "no published entry with this ID", "entryId")
			return nil
		}
		if cur.status == registry.StatusRetracted {
			errs.add(registry.CodeInvalidState, "the entry is already retracted", "entryId")
		}
		if len(*errs) > 0 {
			return nil
		}
		var snap map[string]json.RawMessage
		if err := json.Unmarshal(cur.snapshot, &snap); err != nil {
			return fmt.Errorf("snapshot of %s: %w", entryID, err)
		}
		snap["status"], _ = json.Marshal(registry.StatusRetracted)
		snap["retractionReason"], _ = json.Marshal(reason)
		change := &registry.Change{ID: uuid.New(), SubmissionID: submissionID, Operation: registry.OpRetract, EntryType: cur.typ,
			EntryID: entryID, BaseVersion: &cur.version, Proposed: mustJSON(snap), Reason: &reason, CreatedAt: s.now()}
		err = tx.QueryRow(ctx, `INSERT INTO changes (id, submission_id, position, operation, entry_type, entry_id, base_version, proposed, reason, created_at)
			VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM changes WHERE submission_id = $2), 'RETRACT', $3, $4, $5, $6, $7, $8)
			RETURNING position`,
			change.ID, submissionID, string(cur.typ), entryID, cur.version, string(change.Proposed), reason, change.CreatedAt).Scan(&change.Position)
		if err != nil {
			return fmt.Errorf("save retraction: %w", err)
		}
		if err := s.touch(ctx, tx, sub, ""); err != nil {
			return err
		}
		out = &Proposal{Change: change, Submission: sub}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "change.propose", TargetType: "change", TargetID: change.ID,
			Details: map[string]any{"submission": submissionID, "operation": registry.OpRetract, "entryType": cur.typ, "entry": entryID}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return out, nil, nil
}

// WithdrawChange takes a change out of its submission. The change is kept,
// marked withdrawn: nothing an author proposed is lost. The author only,
// while the submission is open. Field errors: NOT_FOUND, INVALID_STATE.
func (s *Service) WithdrawChange(ctx context.Context, v registry.Viewer, changeID uuid.UUID) (*registry.Submission, Errors, error) {
	if err := v.MayContribute(); err != nil {
		return nil, nil, err
	}
	var sub *registry.Submission
	errs, err := s.inTx(ctx, func(tx pgx.Tx, errs *Errors) error {
		var submissionID uuid.UUID
		var withdrawn bool
		err := tx.QueryRow(ctx, `SELECT submission_id, withdrawn_at IS NOT NULL FROM changes WHERE id = $1`, changeID).Scan(&submissionID, &withdrawn)
		if errors.Is(err, pgx.ErrNoRows) {
			errs.add(registry.CodeNotFound, "no such change", "changeId")
			return nil
		}
		if err != nil {
			return fmt.Errorf("find change %s: %w", changeID, err)
		}
		if sub, err = lockForAuthor(ctx, tx, v, submissionID, errs, "changeId", "changed", openStatus); err != nil || sub == nil {
			return err
		}
		if withdrawn {
			errs.add(registry.CodeInvalidState, "the change is already withdrawn", "changeId")
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE changes SET withdrawn_at = $2 WHERE id = $1`, changeID, s.now()); err != nil {
			return fmt.Errorf("withdraw change %s: %w", changeID, err)
		}
		if err := s.touch(ctx, tx, sub, ""); err != nil {
			return err
		}
		return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "change.withdraw", TargetType: "change", TargetID: changeID,
			Details: map[string]any{"submission": submissionID}})
	})
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return sub, nil, nil
}

func liveChangeFor(ctx context.Context, tx pgx.Tx, submissionID, entryID uuid.UUID) (*registry.Change, error) {
	rows, err := tx.Query(ctx, `SELECT `+changeColumns+` FROM changes
		WHERE submission_id = $1 AND entry_id = $2 AND withdrawn_at IS NULL`, submissionID, entryID)
	if err != nil {
		return nil, fmt.Errorf("change for %s: %w", entryID, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToAddrOfStructByName[registry.Change])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("change for %s: %w", entryID, err)
	}
	return c, nil
}

// published is an entry as it stands: its type, version, status and the
// snapshot of its current version.
type published struct {
	typ      registry.EntryType
	version  int
	status   registry.EntryStatus
	snapshot json.RawMessage
}

func current(ctx context.Context, tx pgx.Tx, id uuid.UUID) (*published, error) {
	var p published
	err := tx.QueryRow(ctx, `SELECT e.entry_type, e.version, e.status, v.snapshot
		FROM entries e JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version
		WHERE e.id = $1`, id).Scan(&p.typ, &p.version, &p.status, &p.snapshot)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", id, err)
	}
	return &p, nil
}

func citationRefs(cits []registry.Citation) []registry.Reference {
	var refs []registry.Reference
	for _, c := range cits {
		refs = append(refs, registry.Reference{Field: "sourceId", Type: registry.TypeSource, IDs: []uuid.UUID{c.SourceID}})
	}
	return refs
}

// checkReferences makes sure every entry e points at exists with the right
// type: published, or created by the same submission. A new reference to a
// retracted entry is refused; one the entry already had is kept.
func checkReferences(ctx context.Context, tx pgx.Tx, submissionID, self uuid.UUID, e registry.Entry, cits []registry.Citation, had []registry.Reference, lock bool, errs *Errors) error {
	type ref struct {
		path []string
		typ  registry.EntryType
		id   uuid.UUID
	}
	var refs []ref
	for _, r := range registry.References(e) {
		for _, id := range r.IDs {
			refs = append(refs, ref{[]string{"input", r.Field}, r.Type, id})
		}
	}
	for i, c := range cits {
		refs = append(refs, ref{[]string{"input", "citations", fmt.Sprint(i), "sourceId"}, registry.TypeSource, c.SourceID})
	}
	if len(refs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	type found struct {
		typ    registry.EntryType
		status registry.EntryStatus
	}
	known := map[uuid.UUID]found{}
	// At merge, the entries referred to are locked (FOR SHARE) so that a
	// concurrent merge cannot retract one between this check and the write.
	published := `SELECT id, entry_type, status FROM entries WHERE id = ANY($1) ORDER BY id`
	if lock {
		published += ` FOR SHARE`
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{published, []any{ids}},
		{`SELECT entry_id, entry_type, 'PUBLISHED' FROM changes
			WHERE submission_id = $2 AND operation = 'CREATE' AND withdrawn_at IS NULL AND entry_id = ANY($1)`, []any{ids, submissionID}},
	} {
		rows, err := tx.Query(ctx, q.sql, q.args...)
		if err != nil {
			return fmt.Errorf("check references: %w", err)
		}
		var id uuid.UUID
		var f found
		if _, err := pgx.ForEachRow(rows, []any{&id, &f.typ, &f.status}, func() error {
			known[id] = f
			return nil
		}); err != nil {
			return fmt.Errorf("check references: %w", err)
		}
	}
	hadIDs := map[uuid.UUID]bool{}
	for _, r := range had {
		for _, id := range r.IDs {
			hadIDs[id] = true
		}
	}
	for _, r := range refs {
		f, ok := known[r.id]
		want := "entry"
		if r.typ != "" {
			want = strings.ToLower(strings.ReplaceAll(string(r.typ), "_", " "))
		}
		switch {
		case !ok || (r.typ != "" && f.typ != r.typ):
			errs.add(registry.CodeNotFound, fmt.Sprintf("%s: no %s with this ID, published or created by this submission", r.path[len(r.path)-1], want), r.path...)
		case r.id == self && r.typ != "":
			// parentId pointing at itself is Validate's to report.
		case f.status == registry.StatusRetracted && !hadIDs[r.id]:
			errs.add(registry.CodeInvalid, fmt.Sprintf("%s: the %s is retracted", r.path[len(r.path)-1], want), r.path...)
		}
	}
	return nil
}

// uniqueKey is a field (or pair) that no two entries of a type may share.
type uniqueKey struct {
	field string // the input field a clash is reported on
	sql   string // counts published entries other than $1 with the key ($2, $3)
	json  string // the same key in a proposed snapshot, as a SQL expression over proposed
	args  func(registry.Entry) []any
}

var uniqueKeys = map[registry.EntryType]uniqueKey{
	registry.TypeState: {"countryCode", `SELECT count(*) FROM states WHERE id <> $1 AND country_code = $2`,
		`proposed->>'countryCode' = $2`, func(e registry.Entry) []any { return []any{string(e.(*registry.State).CountryCode)} }},
	registry.TypeVendor: {"slug", `SELECT count(*) FROM vendors WHERE id <> $1 AND slug = $2`,
		`proposed->>'slug' = $2`, func(e registry.Entry) []any { return []any{e.(*registry.Vendor).Slug} }},
	registry.TypeTechnology: {"slug", `SELECT count(*) FROM technologies WHERE id <> $1 AND slug = $2`,
		`proposed->>'slug' = $2`, func(e registry.Entry) []any { return []any{e.(*registry.Technology).Slug} }},
	registry.TypeDesignationList: {"code", `SELECT count(*) FROM designation_lists WHERE id <> $1 AND code = $2`,
		`proposed->>'code' = $2`, func(e registry.Entry) []any { return []any{e.(*registry.DesignationList).Code} }},
	registry.TypeControlListEntry: {"code", `SELECT count(*) FROM control_list_entries WHERE id <> $1 AND regime = $2 AND code = $3`,
		`proposed->>'regime' = $2 AND proposed->>'code' = $3`, func(e registry.Entry) []any {
			x := e.(*registry.ControlListEntry)
			return []any{string(x.Regime), x.Code}
		}},
	registry.TypeCommunity: {"name", `SELECT count(*) FROM communities WHERE id <> $1 AND name = $2`,
		`proposed->>'name' = $2`, func(e registry.Entry) []any { return []any{e.(*registry.Community).Name} }},
	registry.TypeProduct: {"name", `SELECT count(*) FROM products WHERE id <> $1 AND vendor_id = $2 AND name = $3`,
		`proposed->>'vendorId' = $2::text AND proposed->>'name' = $3`, func(e registry.Entry) []any {
			x := e.(*registry.Product)
			return []any{x.VendorID, x.Name}
		}},
	registry.TypeAgency: {"name", `SELECT count(*) FROM agencies WHERE id <> $1 AND state_id = $2 AND name = $3`,
		`proposed->>'stateId' = $2::text AND proposed->>'name' = $3`, func(e registry.Entry) []any {
			x := e.(*registry.Agency)
			return []any{x.StateID, x.Name}
		}},
}

// checkUnique refuses a key that a published entry, or another change of the
// same submission, already has. (Two submissions may still race for one key;
// the merge's unique constraints settle that.)
func checkUnique(ctx context.Context, tx pgx.Tx, submissionID, self uuid.UUID, e registry.Entry, errs *Errors) error {
	t := registry.TypeOf(e)
	k, ok := uniqueKeys[t]
	if !ok {
		return nil
	}
	args := append([]any{self}, k.args(e)...)
	var n int
	if err := tx.QueryRow(ctx, k.sql, args...).Scan(&n); err != nil {
		return fmt.Errorf("check %s of %s: %w", k.field, t, err)
	}
	var m int
	inSubmission := `SELECT count(*) FROM changes WHERE entry_id <> $1 AND submission_id = $` + fmt.Sprint(len(args)+1) +
		` AND entry_type = $` + fmt.Sprint(len(args)+2) + ` AND operation <> 'RETRACT' AND withdrawn_at IS NULL AND ` + k.json
	if err := tx.QueryRow(ctx, inSubmission, append(args, submissionID, string(t))...).Scan(&m); err != nil {
		return fmt.Errorf("check %s of %s in submission: %w", k.field, t, err)
	}
	if n+m > 0 {
		errs.add(registry.CodeConflict, fmt.Sprintf("another %s already has this %s", strings.ToLower(strings.ReplaceAll(string(t), "_", " ")), k.field), "input", k.field)
	}
	return nil
}

func isEmptyJSON(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	return s == "" || s == "null" || s == `""`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("editorial: marshal %T: %v", v, err))
	}
	return b
}

// isStale reports whether an update or retraction was based on a version
// that is no longer the entry's current one.
func isStale(ctx context.Context, tx pgx.Tx, c *registry.Change) (bool, error) {
	if c.BaseVersion == nil {
		return false, nil
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT version FROM entries WHERE id = $1`, c.EntryID).Scan(&version); err != nil {
		return false, fmt.Errorf("version of %s: %w", c.EntryID, err)
	}
	return version != *c.BaseVersion, nil
}

// publishedReferences lists what the entry's current version refers to: an
// update may keep those references even if they were retracted since.
func publishedReferences(ctx context.Context, tx pgx.Tx, t registry.EntryType, id uuid.UUID) ([]registry.Reference, error) {
	cur, err := current(ctx, tx, id)
	if err != nil || cur == nil {
		return nil, err
	}
	prev, cits, err := decode(t, id, cur.snapshot)
	if err != nil {
		return nil, err
	}
	return append(registry.References(prev), citationRefs(cits)...), nil
}
