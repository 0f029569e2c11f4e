package database_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
)

// TestRegistryStringsScan checks the registry's string types through the
// plans tryRegistryString gives them: values, pointers, NULL and arrays.
func TestRegistryStringsScan(t *testing.T) {
	pool := pgtest.New(t)
	ctx := t.Context()

	var (
		typ        registry.EntryType
		date, none *registry.PartialDate
		url        *registry.URL
		cats       []registry.AbuseCategory
		code       registry.CountryCode
	)
	err := pool.QueryRow(ctx, `SELECT 'VENDOR', '2020-03'::text, NULL::text, 'https://example.org/a'::text,
		ARRAY['DETENTION', 'OTHER'], 'CN'`).Scan(&typ, &date, &none, &url, &cats, &code)
	if err != nil {
		t.Fatal(err)
	}
	if typ != registry.TypeVendor || date == nil || *date != "2020-03" || none != nil ||
		url == nil || *url != "https://example.org/a" || len(cats) != 2 || cats[0] != "DETENTION" || cats[1] != "OTHER" || code != "CN" {
		t.Errorf("scanned %q, %v, %v, %v, %q, %q", typ, date, none, url, cats, code)
	}

	// The plan is the registry's, not pgx's reflection over the underlying type.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, target := range []any{new(registry.URL), new(registry.Confidence), new(registry.PartialDate)} {
		plan := conn.Conn().TypeMap().PlanScan(pgtype.TextOID, pgtype.BinaryFormatCode, target)
		if got := fmt.Sprintf("%T", plan); !strings.Contains(got, "stringScan") {
			t.Errorf("the scan plan for %T is %s, want the registry's stringScan", target, got)
		}
	}

	// NULL into a value is an error, as it was for a plain string.
	if err := pool.QueryRow(ctx, `SELECT NULL::text`).Scan(&typ); err == nil {
		t.Error("NULL scanned into a registry.EntryType without an error")
	}
}
