package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// The editorial records, read for the API. Whether a viewer may see a
// submission (and so its changes and reviews) is registry.Viewer.MaySee,
// applied by the caller to the submission; lists apply it in SQL.

var (
	submissionsTable = table{name: "submissions", bare: true, fromSQL: `submissions t`,
		columns: `t.id, t.title, t.description, t.correction, t.status, t.author_id, t.created_at, t.updated_at, t.submitted_at, t.merged_at`}
	changesTable = table{name: "changes", bare: true, fromSQL: `changes t`,
		columns: `t.id, t.submission_id, t.position, t.operation, t.entry_type, t.entry_id, t.base_version, t.proposed, t.reason, t.created_at, t.withdrawn_at`}
	reviewsTable = table{name: "reviews", bare: true, fromSQL: `reviews t`,
		columns: `t.id, t.submission_id, t.reviewer_id, t.decision, t.comment, t.created_at`}
	usersTable = table{name: "users", bare: true, fromSQL: `users t`, columns: `t.id, t.name, t.role`}

	// Newest first: a reviewer's queue and an author's list both start with recent work.
	submissionsListing = listing{tb: submissionsTable, desc: true,
		sort: `to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`}
)

func rowsByID[T any](ctx context.Context, db DB, tb table, ids []uuid.UUID) (map[uuid.UUID]*T, error) {
	rows, err := db.Query(ctx, `SELECT t.id AS _group, `+tb.columns+` FROM `+tb.from()+` WHERE t.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("%s by id: %w", tb.name, err)
	}
	got, err := collectGrouped[T](rows, groupOnly)
	if err != nil {
		return nil, fmt.Errorf("%s by id: %w", tb.name, err)
	}
	out := make(map[uuid.UUID]*T, len(got))
	for _, g := range got {
		out[g.group] = g.item
	}
	return out, nil
}

func rowsBy[T any](ctx context.Context, db DB, tb table, group, where, order string, ids []uuid.UUID) (map[uuid.UUID][]*T, error) {
	sql := `SELECT ` + group + ` AS _group, ` + tb.columns + ` FROM ` + tb.from() + ` WHERE ` + group + ` = ANY($1)`
	if where != "" {
		sql += ` AND ` + where
	}
	rows, err := db.Query(ctx, sql+` ORDER BY _group, `+order, ids)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", tb.name, group, err)
	}
	got, err := collectGrouped[T](rows, groupOnly)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", tb.name, group, err)
	}
	return byGroup(got), nil
}

// Submissions reads submissions by ID, whoever may see them.
func (c *Catalog) Submissions(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Submission, error) {
	return rowsByID[registry.Submission](ctx, c.db, submissionsTable, ids)
}

// Changes reads changes by ID, withdrawn ones included.
func (c *Catalog) Changes(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Change, error) {
	return rowsByID[registry.Change](ctx, c.db, changesTable, ids)
}

// Reviews reads reviews by ID.
func (c *Catalog) Reviews(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Review, error) {
	return rowsByID[registry.Review](ctx, c.db, reviewsTable, ids)
}

// Users reads users by ID: never their email.
func (c *Catalog) Users(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.User, error) {
	return rowsByID[registry.User](ctx, c.db, usersTable, ids)
}

// ChangesBySubmission lists each submission's live changes in proposal order.
func (c *Catalog) ChangesBySubmission(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Change, error) {
	return rowsBy[registry.Change](ctx, c.db, changesTable, "t.submission_id", "t.withdrawn_at IS NULL", "t.position", ids)
}

// ReviewsBySubmission lists each submission's reviews, oldest first.
func (c *Catalog) ReviewsBySubmission(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Review, error) {
	return rowsBy[registry.Review](ctx, c.db, reviewsTable, "t.submission_id", "", "t.created_at, t.id", ids)
}

// ListSubmissions pages through the submissions the viewer may see, newest
// first: all of them for editors and admins, their own for contributors.
// Anonymous readers get UNAUTHENTICATED.
func (c *Catalog) ListSubmissions(ctx context.Context, statuses []string, p Page) (*Conn[registry.Submission], error) {
	v := registry.ViewerFrom(ctx)
	if !v.SignedIn() {
		return nil, registry.Unauthenticated("sign in with an API token to see submissions")
	}
	var f filter
	if !v.SeesAllSubmissions() {
		f.where(`t.author_id = ` + f.args.add(v.UserID))
	}
	if len(statuses) > 0 {
		f.where(`t.status = ANY(` + f.args.add(statuses) + `)`)
	}
	m, err := pages[registry.Submission](ctx, c.db, submissionsListing, f, nested{}, nil, p)
	return single(m), err
}

// VersionKey names a version of an entry; Version 0 means the current one.
type VersionKey struct {
	EntryID uuid.UUID
	Version int
}

// Snapshots reads the snapshots of entry versions; absent keys have none.
func (c *Catalog) Snapshots(ctx context.Context, keys []VersionKey) (map[VersionKey]json.RawMessage, error) {
	ids := make([]uuid.UUID, len(keys))
	versions := make([]int32, len(keys))
	for i, k := range keys {
		ids[i], versions[i] = k.EntryID, int32(k.Version)
	}
	rows, err := c.db.Query(ctx, `
		SELECT q.entry_id, q.version, v.snapshot
		FROM unnest($1::uuid[], $2::int[]) AS q (entry_id, version)
		JOIN entries e ON e.id = q.entry_id
		JOIN entry_versions v ON v.entry_id = q.entry_id
		 AND v.version = CASE WHEN q.version = 0 THEN e.version ELSE q.version END`, ids, versions)
	if err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	out := make(map[VersionKey]json.RawMessage, len(keys))
	var k VersionKey
	var snap []byte
	if _, err := pgx.ForEachRow(rows, []any{&k.EntryID, &k.Version, &snap}, func() error {
		out[k] = append([]byte(nil), snap...)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	return out, nil
}

// RedactVersions blanks, for viewers who may not see them, the confidential
// details in versions or in anything shaped like one (a change's proposal
// and diff).
func (c *Catalog) RedactVersions(ctx context.Context, versions []*registry.EntryVersion) error {
	return c.redactVersions(ctx, versions)
}
