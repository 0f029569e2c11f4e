package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// The filters below mirror the API's filter inputs. An absent or empty list
// constrains nothing; several values of one list match any of them; several
// fields all apply.

// StateFilter narrows the list of states.
type StateFilter struct {
	CountryCodes     []string
	HasAbuses        *bool
	IncludeRetracted bool
}

// VendorFilter narrows the list of vendors.
type VendorFilter struct {
	CountryCodes         []string
	SuppliesCountryCodes []string
	TechnologySlugs      []string
	Designated           *bool
	DesignationListCodes []string
	IncludeRetracted     bool
}

// ProductFilter narrows the list of products.
type ProductFilter struct {
	VendorIDs        []uuid.UUID
	TechnologySlugs  []string
	Controlled       *bool
	IncludeRetracted bool
}

// DeploymentFilter narrows a list of deployments.
type DeploymentFilter struct {
	CountryCodes     []string
	VendorIDs        []uuid.UUID
	TechnologySlugs  []string
	Confidence       []string
	From, To         *registry.PartialDate
	IncludeRetracted bool
}

// AbuseFilter narrows a list of abuses.
type AbuseFilter struct {
	CountryCodes     []string
	CommunityIDs     []uuid.UUID
	Categories       []string
	TechnologySlugs  []string
	VendorIDs        []uuid.UUID
	Confidence       []string
	From, To         *registry.PartialDate
	IncludeRetracted bool
}

// DesignationFilter narrows a list of designations.
type DesignationFilter struct {
	ListCodes        []string
	ActiveOn         *registry.PartialDate
	IncludeRetracted bool
}

// SourceFilter narrows the list of sources.
type SourceFilter struct {
	Kinds            []string
	Publisher        *string
	IncludeRetracted bool
}

// SQL fragments shared by the filters. Each names its own aliases so that it
// can sit inside any list's WHERE.
const (
	// activeDesignation holds for a published designation in force today.
	activeDesignation = `JOIN entries ge ON ge.id = g.id AND ge.status = 'PUBLISHED'
		WHERE partial_date_start(g.listed_on) <= current_date
		  AND (g.removed_on IS NULL OR partial_date_end(g.removed_on) >= current_date)`
)

func statusCond(f *filter, includeRetracted bool) {
	if !includeRetracted {
		f.where(published)
	}
}

// period keeps the entries whose dates overlap [from, to]. An entry with
// only one date is taken as open on the other side; one with no date at all
// cannot be shown to overlap and is left out.
func period(f *filter, from, to *registry.PartialDate) {
	if from == nil && to == nil {
		return
	}
	f.where(`(t.start_date IS NOT NULL OR t.end_date IS NOT NULL)`)
	if from != nil {
		f.where(`(t.end_date IS NULL OR partial_date_end(t.end_date) >= ` + f.args.add(from.Start()) + `::date)`)
	}
	if to != nil {
		f.where(`(t.start_date IS NULL OR partial_date_start(t.start_date) <= ` + f.args.add(to.End()) + `::date)`)
	}
}

func stateFilter(in StateFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.CountryCodes) > 0 {
		f.where(`t.country_code = ANY(` + f.args.add(in.CountryCodes) + `)`)
	}
	if in.HasAbuses != nil {
		cond := `EXISTS (SELECT 1 FROM abuses a JOIN entries ae ON ae.id = a.id AND ae.status = 'PUBLISHED' WHERE a.state_id = t.id)`
		if !*in.HasAbuses {
			cond = `NOT ` + cond
		}
		f.where(cond)
	}
	return f
}

func vendorFilter(in VendorFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.CountryCodes) > 0 {
		f.where(`t.country_code = ANY(` + f.args.add(in.CountryCodes) + `)`)
	}
	if len(in.SuppliesCountryCodes) > 0 {
		f.where(`EXISTS (SELECT 1 FROM deployments d` + publishedDeployment + `
			JOIN states s ON s.id = d.state_id
			WHERE d.vendor_id = t.id AND s.country_code = ANY(` + f.args.add(in.SuppliesCountryCodes) + `))`)
	}
	if len(in.TechnologySlugs) > 0 {
		slugs := f.args.add(in.TechnologySlugs)
		f.where(`(EXISTS (SELECT 1 FROM deployments d` + publishedDeployment + `
				WHERE d.vendor_id = t.id AND d.technology_id IN (SELECT technology_subtree(` + slugs + `)))
			OR EXISTS (SELECT 1 FROM products p JOIN entries pe ON pe.id = p.id AND pe.status = 'PUBLISHED'
				JOIN product_technologies pt ON pt.product_id = p.id
				WHERE p.vendor_id = t.id AND pt.technology_id IN (SELECT technology_subtree(` + slugs + `))))`)
	}
	if in.Designated != nil {
		cond := `EXISTS (SELECT 1 FROM designations g ` + activeDesignation + ` AND g.vendor_id = t.id)`
		if !*in.Designated {
			cond = `NOT ` + cond
		}
		f.where(cond)
	}
	if len(in.DesignationListCodes) > 0 {
		f.where(`EXISTS (SELECT 1 FROM designations g JOIN entries ge ON ge.id = g.id AND ge.status = 'PUBLISHED'
			JOIN designation_lists l ON l.id = g.list_id
			WHERE g.vendor_id = t.id AND l.code = ANY(` + f.args.add(in.DesignationListCodes) + `))`)
	}
	return f
}

func productFilter(in ProductFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.VendorIDs) > 0 {
		f.where(`t.vendor_id = ANY(` + f.args.add(in.VendorIDs) + `)`)
	}
	if len(in.TechnologySlugs) > 0 {
		f.where(`EXISTS (SELECT 1 FROM product_technologies pt WHERE pt.product_id = t.id
			AND pt.technology_id IN (SELECT technology_subtree(` + f.args.add(in.TechnologySlugs) + `)))`)
	}
	if in.Controlled != nil {
		cond := `EXISTS (SELECT 1 FROM product_control_list_entries pc
			JOIN entries ce ON ce.id = pc.control_list_entry_id AND ce.status = 'PUBLISHED'
			WHERE pc.product_id = t.id)`
		if !*in.Controlled {
			cond = `NOT ` + cond
		}
		f.where(cond)
	}
	return f
}

func deploymentFilter(in DeploymentFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.CountryCodes) > 0 {
		f.where(`t.state_id IN (SELECT id FROM states WHERE country_code = ANY(` + f.args.add(in.CountryCodes) + `))`)
	}
	if len(in.VendorIDs) > 0 {
		f.where(`t.vendor_id = ANY(` + f.args.add(in.VendorIDs) + `)`)
	}
	if len(in.TechnologySlugs) > 0 {
		f.where(`t.technology_id IN (SELECT technology_subtree(` + f.args.add(in.TechnologySlugs) + `))`)
	}
	if len(in.Confidence) > 0 {
		f.where(`t.confidence = ANY(` + f.args.add(in.Confidence) + `)`)
	}
	period(&f, in.From, in.To)
	return f
}

func abuseFilter(in AbuseFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.CountryCodes) > 0 {
		f.where(`t.state_id IN (SELECT id FROM states WHERE country_code = ANY(` + f.args.add(in.CountryCodes) + `))`)
	}
	if len(in.CommunityIDs) > 0 {
		f.where(`EXISTS (SELECT 1 FROM abuse_communities ac WHERE ac.abuse_id = t.id
			AND ac.community_id = ANY(` + f.args.add(in.CommunityIDs) + `))`)
	}
	if len(in.Categories) > 0 {
		f.where(`t.categories && ` + f.args.add(in.Categories) + `::text[]`)
	}
	if len(in.TechnologySlugs) > 0 {
		f.where(`EXISTS (SELECT 1 FROM abuse_deployments ad JOIN deployments d ON d.id = ad.deployment_id` + publishedDeployment + `
			WHERE ad.abuse_id = t.id AND d.technology_id IN (SELECT technology_subtree(` + f.args.add(in.TechnologySlugs) + `)))`)
	}
	if len(in.VendorIDs) > 0 {
		f.where(`EXISTS (SELECT 1 FROM abuse_deployments ad JOIN deployments d ON d.id = ad.deployment_id` + publishedDeployment + `
			WHERE ad.abuse_id = t.id AND d.vendor_id = ANY(` + f.args.add(in.VendorIDs) + `))`)
	}
	if len(in.Confidence) > 0 {
		f.where(`t.confidence = ANY(` + f.args.add(in.Confidence) + `)`)
	}
	period(&f, in.From, in.To)
	return f
}

func designationFilter(in DesignationFilter) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.ListCodes) > 0 {
		f.where(`t.list_id IN (SELECT id FROM designation_lists WHERE code = ANY(` + f.args.add(in.ListCodes) + `))`)
	}
	if in.ActiveOn != nil {
		f.where(`partial_date_start(t.listed_on) <= ` + f.args.add(in.ActiveOn.End()) + `::date`)
		f.where(`(t.removed_on IS NULL OR partial_date_end(t.removed_on) >= ` + f.args.add(in.ActiveOn.Start()) + `::date)`)
	}
	return f
}

func sourceFilter(in SourceFilter, v registry.Viewer) filter {
	var f filter
	statusCond(&f, in.IncludeRetracted)
	if len(in.Kinds) > 0 {
		f.where(`t.kind = ANY(` + f.args.add(in.Kinds) + `)`)
	}
	if in.Publisher != nil && *in.Publisher != "" {
		f.where(`t.publisher ILIKE ` + f.args.add("%"+escapeLike(*in.Publisher)+"%"))
		// Finding a confidential source by its publisher would tell its
		// publisher as surely as showing it.
		if withheldSourceDetail("publisher") && !v.SeesConfidential() {
			f.where(`NOT t.confidential`)
		}
	}
	return f
}

// withheldSourceDetail reports whether a source's field (its API name) is
// one a confidential source withholds from viewers who may not see it
// (registry.ConfidentialSourceFields): filters and search must not match it.
func withheldSourceDetail(field string) bool {
	return slices.Contains(registry.ConfidentialSourceFields(), field)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// How each list is ordered. Sort keys are text (the cursor carries one
// string) and never NULL (undated entries sort last in the dated lists).
var (
	statesListing       = listing{tb: statesTable, sort: `t.name`}
	vendorsListing      = listing{tb: vendorsTable, sort: `lower(t.name)`}
	productsListing     = listing{tb: productsTable, sort: `lower(t.name)`}
	deploymentsListing  = listing{tb: deploymentsTable, sort: `coalesce(t.start_date, '')`, desc: true}
	abusesListing       = listing{tb: abusesTable, sort: `coalesce(t.start_date, '')`, desc: true}
	designationsListing = listing{tb: designationsTable, sort: `t.listed_on`, desc: true}
	sourcesListing      = listing{tb: sourcesTable, sort: `lower(t.title)`}
	citationsListing    = listing{tb: table{name: "citations", bare: true,
		fromSQL: `citations t JOIN entries e ON e.id = t.entry_id JOIN sources s ON s.id = t.source_id`,
		columns: `t.id, t.entry_id, e.entry_type, t.source_id, t.locator, t.quote, t.field, t.stance, s.confidential AS source_confidential`},
		sort: `t.entry_id::text || lpad(t.position::text, 6, '0')`}
	versionsListing = listing{tb: table{name: "entry_versions", bare: true, idCol: "t.entry_id",
		fromSQL: `entry_versions t JOIN entries e ON e.id = t.entry_id`,
		columns: `t.entry_id, e.entry_type, t.version, t.created_at, t.summary, t.changes, t.snapshot`},
		sort: `lpad(t.version::text, 10, '0')`}
)

func single[T any](m map[uuid.UUID]*Conn[T]) *Conn[T] { return m[topLevel] }

// ListStates pages through states by name.
func (c *Catalog) ListStates(ctx context.Context, in StateFilter, p Page) (*Conn[registry.State], error) {
	m, err := pages[registry.State](ctx, c.db, statesListing, stateFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListVendors pages through vendors by name.
func (c *Catalog) ListVendors(ctx context.Context, in VendorFilter, p Page) (*Conn[registry.Vendor], error) {
	m, err := pages[registry.Vendor](ctx, c.db, vendorsListing, vendorFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListProducts pages through products by name.
func (c *Catalog) ListProducts(ctx context.Context, in ProductFilter, p Page) (*Conn[registry.Product], error) {
	m, err := pages[registry.Product](ctx, c.db, productsListing, productFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListDeployments pages through deployments, latest start first.
func (c *Catalog) ListDeployments(ctx context.Context, in DeploymentFilter, p Page) (*Conn[registry.Deployment], error) {
	m, err := pages[registry.Deployment](ctx, c.db, deploymentsListing, deploymentFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListAbuses pages through abuses, latest start first.
func (c *Catalog) ListAbuses(ctx context.Context, in AbuseFilter, p Page) (*Conn[registry.Abuse], error) {
	m, err := pages[registry.Abuse](ctx, c.db, abusesListing, abuseFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListDesignations pages through designations, latest listing first.
func (c *Catalog) ListDesignations(ctx context.Context, in DesignationFilter, p Page) (*Conn[registry.Designation], error) {
	m, err := pages[registry.Designation](ctx, c.db, designationsListing, designationFilter(in), nested{}, nil, p)
	return single(m), err
}

// ListSources pages through sources by title.
func (c *Catalog) ListSources(ctx context.Context, in SourceFilter, p Page) (*Conn[registry.Source], error) {
	m, err := pages[registry.Source](ctx, c.db, sourcesListing, sourceFilter(in, registry.ViewerFrom(ctx)), nested{}, nil, p)
	return single(m), err
}

// Deployment connections hang off states, agencies, vendors and products.
var (
	DeploymentsOfState   = nested{group: "t.state_id"}
	DeploymentsOfAgency  = nested{group: "t.agency_id"}
	DeploymentsOfVendor  = nested{group: "t.vendor_id"}
	DeploymentsOfProduct = nested{group: "t.product_id"}
	AbusesOfState        = nested{group: "t.state_id"}
	AbusesOfCommunity    = nested{group: "ac.community_id", join: ` JOIN abuse_communities ac ON ac.abuse_id = t.id`}
)

// Nested is how a connection hangs off its parents.
type Nested = nested

// DeploymentPages pages through the deployments of each parent.
func (c *Catalog) DeploymentPages(ctx context.Context, of Nested, parents []uuid.UUID, in DeploymentFilter, p Page) (map[uuid.UUID]*Conn[registry.Deployment], error) {
	return pages[registry.Deployment](ctx, c.db, deploymentsListing, deploymentFilter(in), of, parents, p)
}

// AbusePages pages through the abuses of each parent.
func (c *Catalog) AbusePages(ctx context.Context, of Nested, parents []uuid.UUID, in AbuseFilter, p Page) (map[uuid.UUID]*Conn[registry.Abuse], error) {
	return pages[registry.Abuse](ctx, c.db, abusesListing, abuseFilter(in), of, parents, p)
}

// DesignationPages pages through the designations of each list.
func (c *Catalog) DesignationPages(ctx context.Context, lists []uuid.UUID, in DesignationFilter, p Page) (map[uuid.UUID]*Conn[registry.Designation], error) {
	return pages[registry.Designation](ctx, c.db, designationsListing, designationFilter(in), nested{group: "t.list_id"}, lists, p)
}

// CitationPages pages through the citations of each source (Source.citedBy),
// leaving out citations from retracted entries.
func (c *Catalog) CitationPages(ctx context.Context, sources []uuid.UUID, p Page) (map[uuid.UUID]*Conn[registry.Citation], error) {
	var f filter
	f.where(published)
	m, err := pages[registry.Citation](ctx, c.db, citationsListing, f, nested{group: "t.source_id"}, sources, p)
	if err != nil {
		return nil, err
	}
	// Every citation here cites its group's source: read them (redacted for
	// the viewer) so that Citation.source needs no lookup of its own.
	srcs, err := c.Sources(ctx, sources)
	if err != nil {
		return nil, err
	}
	v := registry.ViewerFrom(ctx)
	for id, conn := range m {
		for _, cit := range conn.Items {
			cit.Source = srcs[id]
			v.RedactCitation(cit, cit.SourceConfidential)
		}
	}
	return m, nil
}

// VersionPages pages through the published versions of each entry, oldest
// first, redacted for the viewer.
func (c *Catalog) VersionPages(ctx context.Context, entries []uuid.UUID, p Page) (map[uuid.UUID]*Conn[registry.EntryVersion], error) {
	m, err := pages[registry.EntryVersion](ctx, c.db, versionsListing, filter{}, nested{group: "t.entry_id"}, entries, p)
	if err != nil {
		return nil, err
	}
	var versions []*registry.EntryVersion
	for _, conn := range m {
		versions = append(versions, conn.Items...)
	}
	return m, c.redactVersions(ctx, versions)
}

// VersionAtKey asks for the version of an entry current at a moment.
type VersionAtKey struct {
	EntryID uuid.UUID
	At      time.Time
}

// VersionsAt reads the version of each entry that was current at each moment;
// keys with no version then (the entry was not yet published) are absent.
func (c *Catalog) VersionsAt(ctx context.Context, keys []VersionAtKey) (map[VersionAtKey]*registry.EntryVersion, error) {
	ids := make([]uuid.UUID, len(keys))
	ats := make([]time.Time, len(keys))
	for i, k := range keys {
		ids[i], ats[i] = k.EntryID, k.At
	}
	rows, err := c.db.Query(ctx, `
		SELECT DISTINCT ON (q.entry_id, q.at) q.entry_id, q.at,
		       t.entry_id, e.entry_type, t.version, t.created_at, t.summary, t.changes, t.snapshot
		FROM unnest($1::uuid[], $2::timestamptz[]) AS q (entry_id, at)
		JOIN entry_versions t ON t.entry_id = q.entry_id AND t.created_at <= q.at
		JOIN entries e ON e.id = t.entry_id
		ORDER BY q.entry_id, q.at, t.version DESC`, ids, ats)
	if err != nil {
		return nil, fmt.Errorf("versions at: %w", err)
	}
	out := make(map[VersionAtKey]*registry.EntryVersion, len(keys))
	var versions []*registry.EntryVersion
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var k VersionAtKey
		v, err := pgx.RowToAddrOfStructByName[registry.EntryVersion](leadingRow{row, []any{&k.EntryID, &k.At}})
		if err != nil {
			return struct{}{}, err
		}
		// Match the caller's key whatever time zone the database answered in.
		for _, want := range keys {
			if want.EntryID == k.EntryID && want.At.Equal(k.At) {
				out[want] = v
			}
		}
		versions = append(versions, v)
		return struct{}{}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("versions at: %w", err)
	}
	return out, c.redactVersions(ctx, versions)
}

// redactVersions blanks confidential details in versions for viewers who may
// not see them. Whether a source is confidential is read now, in one statement.
func (c *Catalog) redactVersions(ctx context.Context, versions []*registry.EntryVersion) error {
	if len(versions) == 0 || registry.ViewerFrom(ctx).SeesConfidential() {
		return nil
	}
	rows, err := c.db.Query(ctx, `SELECT id FROM sources WHERE confidential`)
	if err != nil {
		return fmt.Errorf("confidential sources: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("confidential sources: %w", err)
	}
	set := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	for _, v := range versions {
		if err := registry.RedactVersion(v, v.EntryType, func(id uuid.UUID) bool { return set[id] }); err != nil {
			return err
		}
	}
	return nil
}
