package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// table describes how to read one entry type: its table (always aliased t,
// joined to entries as e) and the columns its domain struct scans from.
type table struct {
	entryType registry.EntryType
	name      string
	columns   string
	// For the lists that are not of entries (citations, versions): the FROM
	// clause, the column that identifies a row, and no entry metadata.
	fromSQL string
	idCol   string
	bare    bool
}

const metaColumns = `e.id, e.version, e.status, e.retraction_reason, e.published_at, e.updated_at`

func (tb table) from() string {
	if tb.fromSQL != "" {
		return tb.fromSQL
	}
	return tb.name + ` t JOIN entries e ON e.id = t.id`
}

// fromEach is from() with each row's entry found by its own index scan (a
// lateral subquery the planner cannot flatten, for OFFSET). For a relation
// of a thousand rows PostgreSQL otherwise hashes the whole entries table
// to join them: the designations of 10 vendors at scale 1, 52 ms that way,
// 15 ms this way, and the hash grows with the registry.
func (tb table) fromEach() string {
	if tb.fromSQL != "" {
		return tb.fromSQL
	}
	return tb.name + ` t CROSS JOIN LATERAL (SELECT * FROM entries e WHERE e.id = t.id OFFSET 0) e`
}

func (tb table) selectList() string {
	if tb.bare {
		return tb.columns
	}
	return metaColumns + `, ` + tb.columns
}

func (tb table) id() string {
	if tb.idCol != "" {
		return tb.idCol
	}
	return "t.id"
}

var (
	statesTable             = entryTable(registry.TypeState)
	agenciesTable           = entryTable(registry.TypeAgency)
	vendorsTable            = entryTable(registry.TypeVendor)
	technologiesTable       = entryTable(registry.TypeTechnology)
	productsTable           = entryTable(registry.TypeProduct)
	deploymentsTable        = entryTable(registry.TypeDeployment)
	abusesTable             = entryTable(registry.TypeAbuse)
	communitiesTable        = entryTable(registry.TypeCommunity)
	designationListsTable   = entryTable(registry.TypeDesignationList)
	designationsTable       = entryTable(registry.TypeDesignation)
	controlListEntriesTable = entryTable(registry.TypeControlListEntry)
	sourcesTable            = entryTable(registry.TypeSource)
	vendorResponsesTable    = entryTable(registry.TypeVendorResponse)
)

// entryTable reads an entry type from its table (registry.Table): every
// column its struct declares (registry.Columns, from the db tags), so a
// field added to the struct is read with no list here to keep in step.
func entryTable(t registry.EntryType) table {
	cols, err := registry.Columns(t)
	if err != nil {
		panic(err) // the types above are the registry's own
	}
	return table{entryType: t, name: registry.Table(t), columns: "t." + strings.Join(cols, ", t.")}
}

// visible applies the viewer's rules to entries read from the database.
func visible[T any](ctx context.Context, items []*T) {
	v := registry.ViewerFrom(ctx)
	for _, it := range items {
		if s, ok := any(it).(*registry.Source); ok {
			v.RedactSource(s)
		}
	}
}

// byIDs reads entries of one type by ID, retracted ones included: a reference
// to a retracted entry must still resolve and show why it was retracted.
//
// Each ID is looked up by its own index scan (a lateral subquery the planner
// cannot flatten, for OFFSET): given a long list of IDs in a plain join or
// "= ANY", it estimates a hash join over the whole entries table instead,
// which costs a full scan per statement and grows with the registry.
func byIDs[T any](ctx context.Context, db DB, tb table, ids []uuid.UUID) (map[uuid.UUID]*T, error) {
	sql := `SELECT q.id AS _group, x.* FROM unnest($1::uuid[]) AS q (id) CROSS JOIN LATERAL (SELECT ` +
		tb.selectList() + ` FROM ` + tb.from() + ` WHERE t.id = q.id OFFSET 0) x`
	rows, err := db.Query(ctx, sql, ids)
	if err != nil {
		return nil, fmt.Errorf("%s by id: %w", tb.name, err)
	}
	got, err := collectGrouped[T](rows, groupOnly)
	if err != nil {
		return nil, fmt.Errorf("%s by id: %w", tb.name, err)
	}
	out := make(map[uuid.UUID]*T, len(got))
	items := make([]*T, 0, len(got))
	for _, g := range got {
		out[g.group] = g.item
		items = append(items, g.item)
	}
	visible(ctx, items)
	return out, nil
}

// States reads states by ID.
func (c *Catalog) States(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.State, error) {
	return byIDs[registry.State](ctx, c.db, statesTable, ids)
}

// Agencies reads agencies by ID.
func (c *Catalog) Agencies(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Agency, error) {
	return byIDs[registry.Agency](ctx, c.db, agenciesTable, ids)
}

// Vendors reads vendors by ID.
func (c *Catalog) Vendors(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Vendor, error) {
	return byIDs[registry.Vendor](ctx, c.db, vendorsTable, ids)
}

// Technologies reads technologies by ID.
func (c *Catalog) Technologies(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Technology, error) {
	return byIDs[registry.Technology](ctx, c.db, technologiesTable, ids)
}

// Products reads products by ID.
func (c *Catalog) Products(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Product, error) {
	return byIDs[registry.Product](ctx, c.db, productsTable, ids)
}

// Deployments reads deployments by ID.
func (c *Catalog) Deployments(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Deployment, error) {
	return byIDs[registry.Deployment](ctx, c.db, deploymentsTable, ids)
}

// Abuses reads abuses by ID.
func (c *Catalog) Abuses(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Abuse, error) {
	return byIDs[registry.Abuse](ctx, c.db, abusesTable, ids)
}

// Communities reads religious communities by ID.
func (c *Catalog) Communities(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Community, error) {
	return byIDs[registry.Community](ctx, c.db, communitiesTable, ids)
}

// DesignationLists reads designation lists by ID.
func (c *Catalog) DesignationLists(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.DesignationList, error) {
	return byIDs[registry.DesignationList](ctx, c.db, designationListsTable, ids)
}

// Designations reads designations by ID.
func (c *Catalog) Designations(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Designation, error) {
	return byIDs[registry.Designation](ctx, c.db, designationsTable, ids)
}

// ControlListEntries reads export-control list entries by ID.
func (c *Catalog) ControlListEntries(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.ControlListEntry, error) {
	return byIDs[registry.ControlListEntry](ctx, c.db, controlListEntriesTable, ids)
}

// Sources reads sources by ID, with confidential details blanked for viewers who may not see them.
func (c *Catalog) Sources(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.Source, error) {
	return byIDs[registry.Source](ctx, c.db, sourcesTable, ids)
}

// VendorResponses reads vendor responses by ID.
func (c *Catalog) VendorResponses(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*registry.VendorResponse, error) {
	return byIDs[registry.VendorResponse](ctx, c.db, vendorResponsesTable, ids)
}

// EntryTypes reads the type of each entry, for references (a citation's
// entry, a response's subject) that may point at an entry of any type.
func (c *Catalog) EntryTypes(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]registry.EntryType, error) {
	rows, err := c.db.Query(ctx, `SELECT id, entry_type FROM entries WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("entry types: %w", err)
	}
	out := make(map[uuid.UUID]registry.EntryType, len(ids))
	var id uuid.UUID
	var typ registry.EntryType
	_, err = pgx.ForEachRow(rows, []any{&id, &typ}, func() error {
		out[id] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("entry types: %w", err)
	}
	return out, nil
}
