package database_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
)

// TestUUIDCodec checks the binary uuid codec both ways, in both formats,
// through NULLs and arrays, on a pool set up as the server's are.
func TestUUIDCodec(t *testing.T) {
	pool := pgtest.New(t)
	ctx := t.Context()
	a := uuid.MustParse("0a1b2c3d-4e5f-4061-8273-8495a6b7c8d9")
	b := uuid.MustParse("ffffffff-0000-4000-8000-000000000001")

	tests := []struct {
		name string
		mode pgx.QueryExecMode
		// The simple protocol cannot send a []uuid.UUID at all (OID 0),
		// with or without the codec.
		arrays bool
	}{
		{"binary (prepared)", pgx.QueryExecModeCacheStatement, true},
		{"text (simple protocol)", pgx.QueryExecModeSimpleProtocol, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got uuid.UUID
			var text string
			if err := pool.QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text`, tt.mode, a).Scan(&got, &text); err != nil {
				t.Fatal(err)
			}
			if got != a || text != a.String() {
				t.Errorf("round trip of %s = %s (as text %q)", a, got, text)
			}

			var null, some *uuid.UUID
			zero := a // NULL into a uuid.UUID leaves it as it was, as uuid.UUID.Scan does
			if err := pool.QueryRow(ctx, `SELECT NULL::uuid, $1::uuid, NULL::uuid`, tt.mode, b).Scan(&null, &some, &zero); err != nil {
				t.Fatal(err)
			}
			if null != nil || some == nil || *some != b || zero != a {
				t.Errorf("NULL, %s, NULL scanned as %v, %v, %s", b, null, some, zero)
			}

			if tt.arrays {
				var ids []uuid.UUID
				if err := pool.QueryRow(ctx, `SELECT $1::uuid[]`, tt.mode, []uuid.UUID{a, b}).Scan(&ids); err != nil {
					t.Fatal(err)
				}
				if len(ids) != 2 || ids[0] != a || ids[1] != b {
					t.Errorf("array round trip = %v", ids)
				}
			}

			if err := pool.QueryRow(ctx, `SELECT 'not a uuid'::text::uuid`, tt.mode).Scan(&got); err == nil {
				t.Error("a malformed uuid was accepted")
			}
		})
	}
}
