package postgres

import (
	"slices"
	"testing"

	"oversight/internal/registry"
)

// TestWriterCoversEveryColumn checks the entry writer writes every column
// an entry type's struct declares (registry.Columns, from its db tags), and
// nothing else: a field added to a struct but not to the writer would be
// dropped at every merge.
func TestWriterCoversEveryColumn(t *testing.T) {
	t.Parallel()
	for typ := range registry.TypeNames {
		e, err := registry.NewEntry(typ)
		if err != nil {
			t.Fatal(err)
		}
		_, cols, vals, _, err := row(e)
		if err != nil {
			t.Fatalf("row(%s): %v", typ, err)
		}
		want, err := registry.Columns(typ)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cols, want) || len(vals) != len(cols) {
			t.Errorf("the writer of %s writes %v (%d values), want the struct's columns %v", typ, cols, len(vals), want)
		}
	}
}
