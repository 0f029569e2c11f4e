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

// fieldNames is FieldNames for every type, read once from the structs.
var fieldNames = sync.OnceValue(func() map[EntryType][]string {
	m := map[EntryType][]string{}
	for t := range TypeNames {
		e, err := NewEntry(t)
		if err != nil {
			panic(err) // TypeNames and NewEntry list the same types
		}
		m[t] = jsonNames(reflect.TypeOf(e).Elem())
	}
	return m
})

// jsonNames lists the json names of a struct's fields, leaving out embedded
// structs (Meta) and fields marked json:"-".
func jsonNames(st reflect.Type) []string {
	var names []string
	for f := range st.Fields() {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
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
