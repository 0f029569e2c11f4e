package registry

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestStructFields checks how a struct's fields are described, and that a
// field no store or file knows how to keep is refused when the registry's
// descriptions are first read, rather than dropped somewhere downstream.
func TestStructFields(t *testing.T) {
	t.Parallel()
	type good struct {
		Meta
		Name  string      `db:"name" json:"name"`
		Note  *string     `db:"note" json:"note"`
		Ref   *uuid.UUID  `db:"ref_id" json:"refId"`
		Tags  []string    `db:"tags" json:"tags"`
		Links []uuid.UUID `db:"-" json:"linkIds" join:"good_links good_id link_id"`
		Flag  bool        `db:"flag" json:"flag"`
		Kind  Confidence  `db:"kind" json:"kind"`
	}
	fs, err := structFields(reflect.TypeFor[good]())
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{"name", "name", KindText, nil}, {"note", "note", KindText, nil}, {"refId", "ref_id", KindUUID, nil}, {"tags", "tags", KindTextList, nil},
		{"linkIds", "", KindUUIDList, &Join{"good_links", "good_id", "link_id"}}, {"flag", "flag", KindBool, nil}, {"kind", "kind", KindText, nil}}
	if !reflect.DeepEqual(fs, want) {
		t.Errorf("structFields = %+v, want %+v", fs, want)
	}
	for _, tc := range []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"a number", reflect.TypeFor[struct {
			N int `db:"n" json:"n"`
		}](), "no store or file knows"},
		{"no db tag", reflect.TypeFor[struct {
			S string `json:"s"`
		}](), "needs a json name and a db column"},
		{"a list of references in the table", reflect.TypeFor[struct {
			L []uuid.UUID `db:"l" json:"l"`
		}](), "join tables"},
		{"a text in a join table", reflect.TypeFor[struct {
			S string `db:"-" json:"s"`
		}](), "join tables"},
		{"a join table unnamed", reflect.TypeFor[struct {
			L []uuid.UUID `db:"-" json:"l"`
		}](), "names its join table"},
	} {
		if _, err := structFields(tc.typ); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: structFields error = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	for typ := range TypeNames {
		if fs, err := Fields(typ); err != nil || len(fs) == 0 || Table(typ) == "" {
			t.Errorf("Fields(%s) = %v, %v; table %q", typ, fs, err, Table(typ))
		}
	}
}
