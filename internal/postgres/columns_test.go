package postgres

import (
	"slices"
	"testing"

	"github.com/google/uuid"

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

// TestWriterValues checks what the writer sends for every kind of field:
// named strings as plain strings (nil pointers as NULL), text lists never
// nil, references and flags as they are, lists of references to their join
// tables.
func TestWriterValues(t *testing.T) {
	t.Parallel()
	cc := registry.CountryCode("CN")
	start := registry.PartialDate("2017")
	a := &registry.Abuse{Title: "T", StateID: uuid.New(), Categories: []registry.AbuseCategory{"DETENTION"}, StartDate: &start,
		Confidence: registry.Confidence("ALLEGED"), DeploymentIDs: []uuid.UUID{uuid.New()}}
	table, cols, vals, links, err := row(a)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for i, c := range cols {
		got[c] = vals[i]
	}
	if table != "abuses" || got["title"] != "T" || got["state_id"] != a.StateID || got["confidence"] != "ALLEGED" ||
		*got["start_date"].(*string) != "2017" || got["end_date"].(*string) != nil || !slices.Equal(got["categories"].([]string), []string{"DETENTION"}) {
		t.Errorf("row(abuse) = %s %v", table, got)
	}
	if len(links) != 3 || links[2].table != "abuse_deployments" || !slices.Equal(links[2].ids, a.DeploymentIDs) || links[0].ids != nil {
		t.Errorf("row(abuse) links = %+v", links)
	}
	_, cols, vals, _, err = row(&registry.Vendor{Name: "V", CountryCode: &cc})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		switch c {
		case "aliases":
			if l, ok := vals[i].([]string); !ok || l == nil {
				t.Errorf("vendor aliases = %#v, want an empty list, not NULL", vals[i])
			}
		case "country_code":
			if s, ok := vals[i].(*string); !ok || *s != "CN" {
				t.Errorf("vendor country_code = %#v, want a *string", vals[i])
			}
		case "parent_id":
			if p, ok := vals[i].(*uuid.UUID); !ok || p != nil {
				t.Errorf("vendor parent_id = %#v, want a nil *uuid.UUID", vals[i])
			}
		}
	}
}
