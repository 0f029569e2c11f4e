package editorial_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// TestCheckFields checks the one rule on what a proposal may set, which
// GraphQL's inputs and import lines both meet.
func TestCheckFields(t *testing.T) {
	t.Parallel()
	v := json.RawMessage(`"x"`)
	for _, tc := range []struct {
		name   string
		typ    registry.EntryType
		fields editorial.Fields
		want   []string // the fields refused, in order
	}{
		{"every vendor field and citations", registry.TypeVendor, editorial.Fields{"slug": v, "name": v, "aliases": v, "countryCode": v, "website": v,
			"wikidataId": v, "description": v, "parentId": v, "citations": v}, nil},
		{"a misspelt field", registry.TypeVendor, editorial.Fields{"name": v, "webiste": v}, []string{"webiste"}},
		{"status and retraction reason", registry.TypeAbuse, editorial.Fields{"status": v, "retractionReason": v}, []string{"retractionReason", "status"}},
		{"another type's field", registry.TypeState, editorial.Fields{"slug": v}, []string{"slug"}},
		{"meta fields", registry.TypeSource, editorial.Fields{"id": v, "version": v, "publishedAt": v}, []string{"id", "publishedAt", "version"}},
		{"case matters", registry.TypeSource, editorial.Fields{"Title": v, "title": v}, []string{"Title"}},
		{"nothing", registry.TypeCommunity, editorial.Fields{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range editorial.CheckFields(tc.typ, tc.fields) {
				if len(e.Field) != 2 || e.Field[0] != "input" || e.Code != registry.CodeInvalid || e.Message == "" {
					t.Fatalf("error %+v, want INVALID at input.<field> with a message", e)
				}
				got = append(got, e.Field[1])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("refused %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFieldNamesCoverEveryType checks every entry type has its fields named,
// none of them the identity or status every entry has, so that the rule
// above refuses nothing a type has and accepts nothing it lacks.
func TestFieldNamesCoverEveryType(t *testing.T) {
	t.Parallel()
	for typ := range registry.TypeNames {
		names, err := registry.FieldNames(typ)
		if err != nil || len(names) == 0 {
			t.Errorf("FieldNames(%s) = %v, %v", typ, names, err)
		}
		for _, n := range names {
			if slices.Contains([]string{"id", "version", "status", "retractionReason", "publishedAt", "updatedAt", "citations"}, n) || strings.TrimSpace(n) == "" {
				t.Errorf("FieldNames(%s) has %q", typ, n)
			}
		}
	}
	if _, err := registry.FieldNames("NOPE"); err == nil {
		t.Error(`FieldNames("NOPE") = nil error`)
	}
}
