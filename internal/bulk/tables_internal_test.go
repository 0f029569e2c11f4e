package bulk

import (
	"slices"
	"testing"

	"oversight/internal/registry"
)

// TestTablesCoverEveryField checks the exports' and restore's description of
// each entry type against its struct: its columns are the struct's
// (registry.Columns), and every other field (registry.FieldNames) is a join
// table's list named here, so that no field is missing from the CSV files
// or from a restore; and every entry type has its table.
func TestTablesCoverEveryField(t *testing.T) {
	t.Parallel()
	seen := map[registry.EntryType]bool{}
	for _, et := range entryTables {
		seen[et.typ] = true
		cols, err := registry.Columns(et.typ)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := registry.FieldNames(et.typ)
		if err != nil {
			t.Fatal(err)
		}
		var gotCols, gotFields []string
		for _, c := range et.columns {
			gotCols, gotFields = append(gotCols, c.name), append(gotFields, c.field)
		}
		if !slices.Equal(gotCols, cols) {
			t.Errorf("%s: columns %v, want the struct's %v", et.typ, gotCols, cols)
		}
		for _, l := range et.links {
			gotFields = append(gotFields, l.field)
		}
		slices.Sort(gotFields)
		want := slices.Sorted(slices.Values(fields))
		if !slices.Equal(gotFields, want) {
			t.Errorf("%s: fields %v, want the struct's %v", et.typ, gotFields, want)
		}
	}
	for typ := range registry.TypeNames {
		if !seen[typ] {
			t.Errorf("%s has no table in entryTables", typ)
		}
	}
}
