package registry

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// Field describes one field of an entry type, as its struct declares it:
// the struct is the one declaration of a type's fields, and the readers,
// the writer, the exports and the editorial rules derive theirs from it.
type Field struct {
	// Name is the field's name in the API, snapshots, proposals and the
	// exports' "fields" (its json tag).
	Name string
	// Column is its column in the type's own table (its db tag), or "" for
	// a list of IDs kept in a join table (db:"-").
	Column string
	// Kind is the kind of value it holds.
	Kind FieldKind
	// Join is the join table of a list of references (its join tag: the
	// table, the column of the owning entry, the column of the referenced
	// one); nil for any other field.
	Join *Join
}

// Join is a join table that keeps an entry's list of references, one row
// per reference.
type Join struct {
	Table, Owner, Other string
}

// Table returns the table that holds the entries of type t (beside the
// entries table every entry has a row in).
func Table(t EntryType) string { return tables[t] }

var tables = map[EntryType]string{
	TypeState: "states", TypeAgency: "agencies", TypeVendor: "vendors", TypeTechnology: "technologies",
	TypeProduct: "products", TypeDeployment: "deployments", TypeAbuse: "abuses", TypeCommunity: "communities",
	TypeDesignationList: "designation_lists", TypeDesignation: "designations",
	TypeControlListEntry: "control_list_entries", TypeSource: "sources", TypeVendorResponse: "vendor_responses",
}

// FieldKind is the kind of value a field holds, as stores and files need to
// know it.
type FieldKind int

// The kinds of fields.
const (
	KindText     FieldKind = iota // text, or a date, URL, code or enum written as text
	KindUUID                      // a reference to another entry
	KindTextList                  // a list of texts (text[])
	KindUUIDList                  // a list of references, kept in a join table
	KindBool
)

// Fields returns the fields of an entry type in the order of its struct,
// less the identity, version and status every entry has (Meta), which no
// proposal sets and the entries table holds. Citations are not fields.
func Fields(t EntryType) ([]Field, error) {
	if fs, ok := fields()[t]; ok {
		return fs, nil
	}
	return nil, fmt.Errorf("unknown entry type %q", t)
}

// FieldNames returns the names of an entry type's fields (Field.Name), in
// the order of its struct.
func FieldNames(t EntryType) ([]string, error) {
	fs, err := Fields(t)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names, err
}

// Columns returns the columns of an entry type in its own table (the table
// named after the type: vendors, sources...), in the order of its struct.
func Columns(t EntryType) ([]string, error) {
	fs, err := Fields(t)
	var cols []string
	for _, f := range fs {
		if f.Column != "" {
			cols = append(cols, f.Column)
		}
	}
	return cols, err
}

// Values returns the values of e's fields, in the order of Fields(TypeOf(e)).
func Values(e Entry) []any {
	v := reflect.ValueOf(e).Elem()
	var out []any
	for i := range v.NumField() {
		// The same fields as structFields describes.
		if sf := v.Type().Field(i); sf.Anonymous || !sf.IsExported() {
			continue
		}
		out = append(out, v.Field(i).Interface())
	}
	return out
}

// fields is Fields for every type, read once from the structs.
var fields = sync.OnceValue(func() map[EntryType][]Field {
	m := map[EntryType][]Field{}
	for t := range TypeNames {
		e, err := NewEntry(t)
		if err != nil || tables[t] == "" {
			panic(fmt.Sprintf("%s: %v, table %q", t, err, tables[t])) // TypeNames, NewEntry and tables list the same types
		}
		fs, err := structFields(reflect.TypeOf(e).Elem())
		if err != nil {
			panic(fmt.Sprintf("the struct of %s: %v", t, err))
		}
		m[t] = fs
	}
	return m
})

var (
	uuidType    = reflect.TypeFor[uuid.UUID]()
	uuidPtrType = reflect.TypeFor[*uuid.UUID]()
)

// structFields describes a struct's exported fields, leaving out embedded
// structs (Meta) and fields without a json name.
func structFields(st reflect.Type) ([]Field, error) {
	var fs []Field
	for sf := range st.Fields() {
		if sf.Anonymous || !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		column, _, _ := strings.Cut(sf.Tag.Get("db"), ",")
		if name == "" || name == "-" || column == "" {
			return nil, fmt.Errorf("field %s needs a json name and a db column (or db:\"-\")", sf.Name)
		}
		f := Field{Name: name, Column: column}
		if column == "-" {
			f.Column = ""
		}
		switch typ := sf.Type; {
		case typ == uuidType || typ == uuidPtrType:
			f.Kind = KindUUID
		case typ.Kind() == reflect.Slice && typ.Elem() == uuidType:
			f.Kind = KindUUIDList
		case typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.String:
			f.Kind = KindTextList
		case typ.Kind() == reflect.Bool:
			f.Kind = KindBool
		case typ.Kind() == reflect.String || (typ.Kind() == reflect.Pointer && typ.Elem().Kind() == reflect.String):
			f.Kind = KindText
		default:
			return nil, fmt.Errorf("field %s has type %s, which no store or file knows how to keep", sf.Name, typ)
		}
		if (f.Kind == KindUUIDList) != (f.Column == "") {
			return nil, fmt.Errorf("field %s: lists of references, and only they, are kept in join tables (db:\"-\")", sf.Name)
		}
		if f.Kind == KindUUIDList {
			parts := strings.Fields(sf.Tag.Get("join"))
			if len(parts) != 3 {
				return nil, fmt.Errorf("field %s: a list of references names its join table: join:\"table owner_column other_column\"", sf.Name)
			}
			f.Join = &Join{Table: parts[0], Owner: parts[1], Other: parts[2]}
		}
		fs = append(fs, f)
	}
	return fs, nil
}
