package bulk

import (
	"github.com/google/uuid"

	"oversight/internal/registry"
)

// kind is how a column's value is written: in CSV, and into PostgreSQL on restore.
type kind int

const (
	kText      kind = iota // text, or a PartialDate, URL or enum kept as text
	kUUID                  // a reference to another entry
	kTextArray             // text[]: JSON array in CSV
	kBool
)

// column maps a snapshot field (the API's name) to its table column (and CSV header).
type column struct {
	name  string // column of the type's table and header of its CSV file
	field string // field of the snapshot and of the ndjson "fields"
	kind  kind
}

// link is a join table an entry type owns, filled from one of its ID-list fields.
type link struct {
	table, owner, other string
	field               string
}

// entryTable describes how one entry type is stored and exported.
type entryTable struct {
	typ     registry.EntryType
	table   string // also the CSV file name, without .csv
	columns []column
	links   []link
}

// entryTables lists the entry types in dependency order: an entry only refers
// to entries of its own type or of types listed before it (sources first,
// since every type cites them; vendor responses last, since they may be about
// any entry). Exports follow this order, then entry ID, so they are byte-stable.
// Each type's table, columns and join tables are its struct's
// (registry.Fields), in the struct's order.
var entryTables = []entryTable{
	newEntryTable(registry.TypeSource),
	newEntryTable(registry.TypeState),
	newEntryTable(registry.TypeAgency),
	newEntryTable(registry.TypeVendor),
	newEntryTable(registry.TypeTechnology),
	newEntryTable(registry.TypeControlListEntry),
	newEntryTable(registry.TypeProduct),
	newEntryTable(registry.TypeCommunity),
	newEntryTable(registry.TypeDeployment),
	newEntryTable(registry.TypeAbuse),
	newEntryTable(registry.TypeDesignationList),
	newEntryTable(registry.TypeDesignation),
	newEntryTable(registry.TypeVendorResponse),
}

// newEntryTable describes an entry type from its struct's fields
// (registry.Fields): a column for each field its table holds, a link for
// each list of references kept in a join table.
func newEntryTable(t registry.EntryType) entryTable {
	fs, err := registry.Fields(t)
	if err != nil {
		panic(err) // the types above are the registry's own
	}
	et := entryTable{typ: t, table: registry.Table(t)}
	for _, f := range fs {
		if f.Join != nil {
			et.links = append(et.links, link{f.Join.Table, f.Join.Owner, f.Join.Other, f.Name})
			continue
		}
		k := kText
		switch f.Kind {
		case registry.KindUUID:
			k = kUUID
		case registry.KindTextList:
			k = kTextArray
		case registry.KindBool:
			k = kBool
		}
		et.columns = append(et.columns, column{name: f.Column, field: f.Name, kind: k})
	}
	return et
}

func tableOf(t registry.EntryType) *entryTable {
	for i := range entryTables {
		if entryTables[i].typ == t {
			return &entryTables[i]
		}
	}
	return nil
}

// allLinks lists every link table, in the order of entryTables.
func allLinks() []link {
	var out []link
	for _, t := range entryTables {
		out = append(out, t.links...)
	}
	return out
}

// GlobalID is the API's ID of an entry.
func GlobalID(t registry.EntryType, id uuid.UUID) string { return registry.EntryGlobalID(t, id) }

// SubmissionGlobalID is the API's ID of a submission.
func SubmissionGlobalID(id uuid.UUID) string { return registry.GlobalID("Submission", id) }
