package registry

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// FieldNames returns the names of the fields an entry of type t has, as
// snapshots, proposals and the exports' "fields" name them, in the order of
// its struct: the json names of its fields, less the identity, version and
// status every entry has (Meta), which no proposal sets. Citations are not
// fields.
func FieldNames(t EntryType) ([]string, error) {
	if names, ok := fieldNames()[t]; ok {
		return names, nil
	}
	return nil, fmt.Errorf("unknown entry type %q", t)
}

// Columns returns the columns of an entry of type t in its own table (the
// table named after the type: vendors, sources...), in the order of its
// struct: the db names of its fields, less the identity, version and status
// every entry has in the entries table (Meta), and the lists kept in join
// tables (db:"-"). The catalog reads these columns, the writer writes them.
func Columns(t EntryType) ([]string, error) {
	if names, ok := columns()[t]; ok {
		return names, nil
	}
	return nil, fmt.Errorf("unknown entry type %q", t)
}

// fieldNames and columns are FieldNames and Columns for every type, read
// once from the structs.
var (
	fieldNames = sync.OnceValue(func() map[EntryType][]string { return tagNames("json") })
	columns    = sync.OnceValue(func() map[EntryType][]string { return tagNames("db") })
)

func tagNames(tag string) map[EntryType][]string {
	m := map[EntryType][]string{}
	for t := range TypeNames {
		e, err := NewEntry(t)
		if err != nil {
			panic(err) // TypeNames and NewEntry list the same types
		}
		m[t] = structTagNames(reflect.TypeOf(e).Elem(), tag)
	}
	return m
}

// structTagNames lists the names a struct's fields have in a tag, leaving
// out embedded structs (Meta) and fields marked "-".
func structTagNames(st reflect.Type, tag string) []string {
	var names []string
	for f := range st.Fields() {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
