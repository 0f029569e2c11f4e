package catalog

import (
	"context"
	"fmt"
	"regexp"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"oversight/internal/registry"
)

// relation is a list of entries that hangs off a parent entry (a vendor's
// products, an abuse's communities), read for many parents in one statement.
type relation struct {
	tb       table
	group    string // SQL giving the parent's ID for each row
	join     string // joins that reach the parent, if it is not a column of t
	where    string // further conditions, if any
	order    string // order within a parent; plain columns, so DISTINCT can use them
	distinct bool   // for relations derived through other entries (a state's vendors)
}

// published is the condition every list applies: retracted entries leave
// lists (they stay reachable by ID and through references).
const published = `e.status = 'PUBLISHED'`

// publishedDeployment joins deployments d through which a derived relation
// runs; only published deployments count as evidence of it.
const publishedDeployment = ` JOIN entries de ON de.id = d.id AND de.status = 'PUBLISHED'`

func related[T any](ctx context.Context, db DB, r relation, ids []uuid.UUID) (map[uuid.UUID][]*T, error) {
	distinct := ""
	if r.distinct {
		distinct = "DISTINCT "
	}
	sql := `SELECT ` + distinct + r.group + ` AS _group, ` + r.tb.selectList() +
		` FROM ` + r.tb.fromEach() + r.join +
		` WHERE ` + r.group + ` = ANY($1) AND ` + published
	if r.where != "" {
		sql += ` AND ` + r.where
	}
	sql += ` ORDER BY _group, ` + r.order + `, e.id`
	rows, err := db.Query(ctx, sql, ids)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", r.tb.name, r.group, err)
	}
	got, err := collectGrouped[T](rows, groupOnly)
	if err != nil {
		return nil, fmt.Errorf("%s by %s: %w", r.tb.name, r.group, err)
	}
	items := make([]*T, len(got))
	for i, g := range got {
		items[i] = g.item
	}
	visible(ctx, items)
	return byGroup(got), nil
}

var (
	agenciesByState = relation{tb: agenciesTable, group: "t.state_id", order: "t.name"}

	designationsByVendor = relation{tb: designationsTable, group: "t.vendor_id", order: "t.listed_on DESC"}
	designationsByState  = relation{tb: designationsTable, group: "t.state_id", order: "t.listed_on DESC"}
	designationsByAgency = relation{tb: designationsTable, group: "t.agency_id", order: "t.listed_on DESC"}

	vendorsByState = relation{tb: vendorsTable, group: "d.state_id", order: "t.name", distinct: true,
		join: ` JOIN deployments d ON d.vendor_id = t.id` + publishedDeployment}
	statesByVendor = relation{tb: statesTable, group: "d.vendor_id", order: "t.name", distinct: true,
		join: ` JOIN deployments d ON d.state_id = t.id` + publishedDeployment}

	subsidiariesByVendor = relation{tb: vendorsTable, group: "t.parent_id", order: "t.name"}
	productsByVendor     = relation{tb: productsTable, group: "t.vendor_id", order: "t.name"}
	responsesByVendor    = relation{tb: vendorResponsesTable, group: "t.vendor_id", order: "e.published_at"}

	technologyChildren   = relation{tb: technologiesTable, group: "t.parent_id", order: "t.name"}
	productsByTechnology = relation{tb: productsTable, group: "pt.technology_id", order: "t.name",
		join: ` JOIN product_technologies pt ON pt.product_id = t.id`}
	technologiesByProduct = relation{tb: technologiesTable, group: "pt.product_id", order: "t.name",
		join: ` JOIN product_technologies pt ON pt.technology_id = t.id`}
	controlListEntriesByProduct = relation{tb: controlListEntriesTable, group: "pc.product_id", order: "t.regime, t.code",
		join: ` JOIN product_control_list_entries pc ON pc.control_list_entry_id = t.id`}
	productsByControlListEntry = relation{tb: productsTable, group: "pc.control_list_entry_id", order: "t.name",
		join: ` JOIN product_control_list_entries pc ON pc.product_id = t.id`}
	technologiesByControlListEntry = relation{tb: technologiesTable, group: "ct.control_list_entry_id", order: "t.name",
		join: ` JOIN control_list_entry_technologies ct ON ct.technology_id = t.id`}
	controlListEntriesByTechnology = relation{tb: controlListEntriesTable, group: "ct.technology_id", order: "t.regime, t.code",
		join: ` JOIN control_list_entry_technologies ct ON ct.control_list_entry_id = t.id`}

	abusesByDeployment = relation{tb: abusesTable, group: "ad.deployment_id", order: "t.title",
		join: ` JOIN abuse_deployments ad ON ad.abuse_id = t.id`}
	agenciesByAbuse = relation{tb: agenciesTable, group: "aa.abuse_id", order: "t.name",
		join: ` JOIN abuse_agencies aa ON aa.agency_id = t.id`}
	communitiesByAbuse = relation{tb: communitiesTable, group: "ac.abuse_id", order: "t.name",
		join: ` JOIN abuse_communities ac ON ac.community_id = t.id`}
	deploymentsByAbuse = relation{tb: deploymentsTable, group: "ad.abuse_id", order: "t.start_date DESC NULLS LAST",
		join: ` JOIN abuse_deployments ad ON ad.deployment_id = t.id`}
	technologiesByAbuse = relation{tb: technologiesTable, group: "ad.abuse_id", order: "t.name", distinct: true,
		join: ` JOIN deployments d ON d.technology_id = t.id` + publishedDeployment +
			` JOIN abuse_deployments ad ON ad.deployment_id = d.id`}
	vendorsByAbuse = relation{tb: vendorsTable, group: "ad.abuse_id", order: "t.name", distinct: true,
		join: ` JOIN deployments d ON d.vendor_id = t.id` + publishedDeployment +
			` JOIN abuse_deployments ad ON ad.deployment_id = d.id`}
)

// AgenciesByState lists each state's agencies.
func (c *Catalog) AgenciesByState(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Agency, error) {
	return related[registry.Agency](ctx, c.db, agenciesByState, ids)
}

// DesignationsByVendor lists each vendor's designations, latest first.
func (c *Catalog) DesignationsByVendor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Designation, error) {
	return related[registry.Designation](ctx, c.db, designationsByVendor, ids)
}

// DesignationsByState lists each state's designations, latest first.
func (c *Catalog) DesignationsByState(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Designation, error) {
	return related[registry.Designation](ctx, c.db, designationsByState, ids)
}

// DesignationsByAgency lists each agency's designations, latest first.
func (c *Catalog) DesignationsByAgency(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Designation, error) {
	return related[registry.Designation](ctx, c.db, designationsByAgency, ids)
}

// VendorsByState lists the vendors with at least one published deployment in each state.
func (c *Catalog) VendorsByState(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Vendor, error) {
	return related[registry.Vendor](ctx, c.db, vendorsByState, ids)
}

// StatesByVendor lists the states where each vendor's technology is deployed.
func (c *Catalog) StatesByVendor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.State, error) {
	return related[registry.State](ctx, c.db, statesByVendor, ids)
}

// SubsidiariesByVendor lists each vendor's subsidiaries.
func (c *Catalog) SubsidiariesByVendor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Vendor, error) {
	return related[registry.Vendor](ctx, c.db, subsidiariesByVendor, ids)
}

// ProductsByVendor lists each vendor's products.
func (c *Catalog) ProductsByVendor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Product, error) {
	return related[registry.Product](ctx, c.db, productsByVendor, ids)
}

// ResponsesByVendor lists each vendor's responses.
func (c *Catalog) ResponsesByVendor(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.VendorResponse, error) {
	return related[registry.VendorResponse](ctx, c.db, responsesByVendor, ids)
}

// TechnologyChildren lists each technology's narrower technologies.
func (c *Catalog) TechnologyChildren(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Technology, error) {
	return related[registry.Technology](ctx, c.db, technologyChildren, ids)
}

// ProductsByTechnology lists the products classed under each technology.
func (c *Catalog) ProductsByTechnology(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Product, error) {
	return related[registry.Product](ctx, c.db, productsByTechnology, ids)
}

// TechnologiesByProduct lists each product's technologies.
func (c *Catalog) TechnologiesByProduct(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Technology, error) {
	return related[registry.Technology](ctx, c.db, technologiesByProduct, ids)
}

// ControlListEntriesByProduct lists the export-control entries each product falls under.
func (c *Catalog) ControlListEntriesByProduct(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.ControlListEntry, error) {
	return related[registry.ControlListEntry](ctx, c.db, controlListEntriesByProduct, ids)
}

// ProductsByControlListEntry lists the products under each export-control entry.
func (c *Catalog) ProductsByControlListEntry(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Product, error) {
	return related[registry.Product](ctx, c.db, productsByControlListEntry, ids)
}

// TechnologiesByControlListEntry lists the technologies each export-control entry covers.
func (c *Catalog) TechnologiesByControlListEntry(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Technology, error) {
	return related[registry.Technology](ctx, c.db, technologiesByControlListEntry, ids)
}

// ControlListEntriesByTechnology lists the export-control entries that cover each technology.
func (c *Catalog) ControlListEntriesByTechnology(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.ControlListEntry, error) {
	return related[registry.ControlListEntry](ctx, c.db, controlListEntriesByTechnology, ids)
}

// AbusesByDeployment lists the abuses each deployment is implicated in.
func (c *Catalog) AbusesByDeployment(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Abuse, error) {
	return related[registry.Abuse](ctx, c.db, abusesByDeployment, ids)
}

// AgenciesByAbuse lists the agencies responsible for each abuse.
func (c *Catalog) AgenciesByAbuse(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Agency, error) {
	return related[registry.Agency](ctx, c.db, agenciesByAbuse, ids)
}

// CommunitiesByAbuse lists the communities each abuse targeted.
func (c *Catalog) CommunitiesByAbuse(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Community, error) {
	return related[registry.Community](ctx, c.db, communitiesByAbuse, ids)
}

// DeploymentsByAbuse lists the deployments implicated in each abuse.
func (c *Catalog) DeploymentsByAbuse(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Deployment, error) {
	return related[registry.Deployment](ctx, c.db, deploymentsByAbuse, ids)
}

// TechnologiesByAbuse lists the technologies of the deployments implicated in each abuse.
func (c *Catalog) TechnologiesByAbuse(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Technology, error) {
	return related[registry.Technology](ctx, c.db, technologiesByAbuse, ids)
}

// VendorsByAbuse lists the vendors of the deployments implicated in each abuse.
func (c *Catalog) VendorsByAbuse(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Vendor, error) {
	return related[registry.Vendor](ctx, c.db, vendorsByAbuse, ids)
}

// citedSourceColumns are sourcesTable's columns under CitationsByEntry's
// alias for sources.
var citedSourceColumns = regexp.MustCompile(`\bt\.`).ReplaceAllString(sourcesTable.columns, "s.")

// CitationsByEntry lists each entry's citations in their order, each with
// its source, quotes and details of confidential sources blanked for viewers
// who may not see them. The sources come in the same statement because nearly
// every query that asks for citations asks for their sources: it saves a
// statement, and Citation.source becomes a plain field instead of a resolver
// (a goroutine and a loader call per citation).
//
// Each entry's citations are read by a lateral index scan: with a long list
// of entries, a plain join lets the planner hash whole tables.
//
// The citations' EntryType is left empty: the callers know what they asked
// for, and reading it cost an index probe per entry (1,108 for a busy
// vendor's products) for the one field that needs it, Citation.entry,
// which reads it itself.
func (c *Catalog) CitationsByEntry(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Citation, error) {
	return c.citationsByEntry(ctx, ids, false)
}

// CitationsWithSourceTitles is CitationsByEntry for a caller that reads of
// each source only its ID, title, kind and confidentiality: the rest of the
// Source is left zero. A dossier asks for nothing more, and
// the source's publication metadata is a lookup in entries per citation,
// about a third of the statement's reads.
func (c *Catalog) CitationsWithSourceTitles(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*registry.Citation, error) {
	return c.citationsByEntry(ctx, ids, true)
}

func (c *Catalog) citationsByEntry(ctx context.Context, ids []uuid.UUID, brief bool) (map[uuid.UUID][]*registry.Citation, error) {
	// The source's columns are sourcesTable's, scanned by hand below rather
	// than by name, for speed (a wide query reads thousands of citations): a
	// column added to the table without a destination here fails every
	// read of citations rather than going missing.
	columns := `se.version, se.status, se.retraction_reason, se.published_at, se.updated_at, ` + citedSourceColumns
	join := `JOIN entries se ON se.id = c.source_id`
	if brief {
		columns, join = `s.title, s.kind, s.confidential`, ``
	}
	rows, err := c.db.Query(ctx, `
		SELECT q.id, x.*
		FROM unnest($1::uuid[]) AS q (id)
		CROSS JOIN LATERAL (
			SELECT c.id, c.source_id, c.locator, c.quote, c.field, c.stance, `+columns+`
			FROM citations c
			JOIN sources s ON s.id = c.source_id
			`+join+`
			WHERE c.entry_id = q.id
			ORDER BY c.position
			OFFSET 0
		) x`, ids)
	if err != nil {
		return nil, fmt.Errorf("citations by entry: %w", err)
	}
	defer rows.Close()
	v := registry.ViewerFrom(ctx)
	out := make(map[uuid.UUID][]*registry.Citation, len(ids))
	sources := map[uuid.UUID]*registry.Source{}
	// Each row is scanned into the same scratch values, then copied. The
	// named string types are scanned as plain strings and converted, and
	// nullable text as pgtype.Text: pgx scans into a named type, or through
	// a pointer to a pointer, by reflection, value by value, and a dossier
	// reads thousands of citations. Destinations declared in the loop would
	// each escape to the heap, row after row.
	var (
		cit                           registry.Citation
		src                           registry.Source
		stance, status, kind          string
		locator, quote, field, reason pgtype.Text
		publisher, url, archiveURL    pgtype.Text
		publishedOn, accessedOn       pgtype.Text
		language, sha256              pgtype.Text
	)
	dest := []any{&cit.EntryID, &cit.ID, &cit.SourceID, &locator, &quote, &field, &stance,
		&src.Version, &status, &reason, &src.PublishedAt, &src.UpdatedAt,
		&src.Title, &kind, &publisher, &src.Authors, &url, &archiveURL, &publishedOn,
		&accessedOn, &language, &sha256, &src.Confidential}
	if brief {
		dest = []any{&cit.EntryID, &cit.ID, &cit.SourceID, &locator, &quote, &field, &stance,
			&src.Title, &kind, &src.Confidential}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("citations by entry: %w", err)
		}
		c := new(registry.Citation)
		*c = cit
		c.Stance = registry.CitationStance(stance)
		c.Locator, c.Quote, c.Field = textPtr(locator), textPtr(quote), textPtr(field)
		s, ok := sources[c.SourceID]
		if !ok {
			s = new(registry.Source)
			*s = src
			s.ID = c.SourceID
			s.Status, s.Kind = registry.EntryStatus(status), registry.SourceKind(kind)
			s.RetractionReason, s.Publisher = textPtr(reason), textPtr(publisher)
			s.URL, s.ArchiveURL = (*registry.URL)(textPtr(url)), (*registry.URL)(textPtr(archiveURL))
			s.PublishedOn = (*registry.PartialDate)(textPtr(publishedOn))
			s.AccessedOn = (*registry.PartialDate)(textPtr(accessedOn))
			s.Language, s.ContentSha256 = textPtr(language), textPtr(sha256)
			v.RedactSource(s)
			sources[c.SourceID] = s
		}
		c.Source = s
		c.SourceConfidential = s.Confidential
		v.RedactCitation(c, c.SourceConfidential)
		out[c.EntryID] = append(out[c.EntryID], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("citations by entry: %w", err)
	}
	return out, nil
}

// textPtr is t as a nullable string.
func textPtr(t pgtype.Text) *string {
	if !t.Valid {
		return nil
	}
	s := t.String // not &t.String, which would move every t to the heap, NULL or not
	return &s
}

// all lists every published entry of a type, ordered; for the short lists
// the API returns whole (technologies, communities, designation lists).
func all[T any](ctx context.Context, db DB, tb table, where string, order string, params ...any) ([]*T, error) {
	sql := `SELECT ` + tb.selectList() + ` FROM ` + tb.from() + ` WHERE ` + published
	if where != "" {
		sql += ` AND ` + where
	}
	sql += ` ORDER BY ` + order + `, e.id`
	rows, err := db.Query(ctx, sql, params...)
	if err != nil {
		return nil, fmt.Errorf("all %s: %w", tb.name, err)
	}
	items, err := pgxCollectAddr[T](rows)
	if err != nil {
		return nil, fmt.Errorf("all %s: %w", tb.name, err)
	}
	visible(ctx, items)
	return items, nil
}

// AllTechnologies lists every published technology, broad ones and their kinds alike, by name.
func (c *Catalog) AllTechnologies(ctx context.Context) ([]*registry.Technology, error) {
	return all[registry.Technology](ctx, c.db, technologiesTable, "", "t.name")
}

// AllCommunities lists every published religious community by name.
func (c *Catalog) AllCommunities(ctx context.Context) ([]*registry.Community, error) {
	return all[registry.Community](ctx, c.db, communitiesTable, "", "t.name")
}

// AllDesignationLists lists every published designation list by code.
func (c *Catalog) AllDesignationLists(ctx context.Context) ([]*registry.DesignationList, error) {
	return all[registry.DesignationList](ctx, c.db, designationListsTable, "", "t.code")
}

// AllControlListEntries lists published export-control entries, of one regime when regime is set.
func (c *Catalog) AllControlListEntries(ctx context.Context, regime *registry.ControlRegime) ([]*registry.ControlListEntry, error) {
	if regime != nil {
		return all[registry.ControlListEntry](ctx, c.db, controlListEntriesTable, "t.regime = $1", "t.regime, t.code", string(*regime))
	}
	return all[registry.ControlListEntry](ctx, c.db, controlListEntriesTable, "", "t.regime, t.code")
}

// StateByCountryCode finds a state, retracted or not; nil when there is none.
func (c *Catalog) StateByCountryCode(ctx context.Context, code registry.CountryCode) (*registry.State, error) {
	return one[registry.State](ctx, c.db, statesTable, "t.country_code = $1", string(code))
}

// VendorBySlug finds a vendor, retracted or not; nil when there is none.
func (c *Catalog) VendorBySlug(ctx context.Context, slug string) (*registry.Vendor, error) {
	return one[registry.Vendor](ctx, c.db, vendorsTable, "t.slug = $1", slug)
}

// TechnologyBySlug finds a technology, retracted or not; nil when there is none.
func (c *Catalog) TechnologyBySlug(ctx context.Context, slug string) (*registry.Technology, error) {
	return one[registry.Technology](ctx, c.db, technologiesTable, "t.slug = $1", slug)
}

func one[T any](ctx context.Context, db DB, tb table, where string, params ...any) (*T, error) {
	rows, err := db.Query(ctx, `SELECT `+tb.selectList()+` FROM `+tb.from()+` WHERE `+where, params...)
	if err != nil {
		return nil, fmt.Errorf("%s where %s: %w", tb.name, where, err)
	}
	items, err := pgxCollectAddr[T](rows)
	if err != nil {
		return nil, fmt.Errorf("%s where %s: %w", tb.name, where, err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	visible(ctx, items)
	return items[0], nil
}
