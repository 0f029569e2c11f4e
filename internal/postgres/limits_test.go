package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"oversight/internal/pgtest"
)

// TestTextLimitsInTheDatabase checks that the database itself refuses
// oversized values, whatever the client: the API's checks come first, these
// are the last line.
func TestTextLimitsInTheDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	long := strings.Repeat("x", 301)
	cases := []struct {
		name, constraint string
		sql              string
		args             []any
	}{
		{"vendor alias", "vendors_aliases_check",
			`WITH e AS (INSERT INTO entries (id, entry_type, version) VALUES ($1, 'VENDOR', 1) RETURNING id)
			 INSERT INTO vendors (id, slug, name, aliases) SELECT id, 'v', 'V', ARRAY[$2::text] FROM e`, []any{uuid.New(), long}},
		{"source authors", "sources_authors_check",
			`WITH e AS (INSERT INTO entries (id, entry_type, version) VALUES ($1, 'SOURCE', 1) RETURNING id)
			 INSERT INTO sources (id, title, kind, authors) SELECT id, 'S', 'NEWS', ARRAY[$2::text] FROM e`, []any{uuid.New(), long}},
		{"vendor name", "vendors_name_check",
			`WITH e AS (INSERT INTO entries (id, entry_type, version) VALUES ($1, 'VENDOR', 1) RETURNING id)
			 INSERT INTO vendors (id, slug, name) SELECT id, 'w', $2 FROM e`, []any{uuid.New(), strings.Repeat("n", 301)}},
		{"retraction reason", "entries_retraction_reason_length_check",
			`INSERT INTO entries (id, entry_type, version, status, retraction_reason) VALUES ($1, 'STATE', 1, 'RETRACTED', $2)`,
			[]any{uuid.New(), strings.Repeat("r", 5001)}},
	}
	for _, tc := range cases {
		_, err := pool.Exec(ctx, tc.sql, tc.args...)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.ConstraintName != tc.constraint {
			t.Errorf("%s: insert of an oversized value = %v, want a violation of %s", tc.name, err, tc.constraint)
		}
	}
}
