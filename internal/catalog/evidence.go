package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/registry"
)

// Evidence rows: the policymaker's chain vendor → product → export-control
// entry → state → abuse → designation, one row per supply relationship.
//
// A row is a vendor × state × technology × product (the product may be
// unknown) with at least one published deployment by a published vendor.
// Deployments with no vendor are not supply relationships and never form a
// row. Everything a row shows is read from its published deployments:
//
//   - its control-list entries are the published entries its product is
//     listed under, together with those that cover its technology or any of
//     that technology's ancestors (a control on "malware and spyware" covers
//     "mercenary spyware"). Entries on narrower kinds are left out: a control
//     on voice biometrics says nothing about "biometric surveillance" at
//     large. A row is controlled when it has at least one such entry;
//   - its abuses are the published abuses linked to its deployments;
//   - its strongest confidence is the strongest of its deployments';
//   - its citation count is the number of citations its deployments carry.
//
// Rows come strongest evidence first: by strongest confidence, then by
// number of abuses (more first), then by vendor slug, state country code,
// technology slug and product name, and last by a row ID derived from the
// row's four IDs, so that the order is total and keyset pages never repeat
// or skip a row.

// EvidenceFilter narrows the evidence rows. Like the other filters, an absent
// or empty list constrains nothing and several fields all apply.
type EvidenceFilter struct {
	VendorIDs          []uuid.UUID
	VendorCountryCodes []string
	StateCountryCodes  []string
	TechnologySlugs    []string // these technologies and their narrower kinds
	Controlled         *bool
	WithAbuses         *bool
	MinConfidence      *registry.Confidence
}

// EvidenceKey identifies an evidence row: its vendor, state, technology and
// product (uuid.Nil when the product is unknown). It is comparable, so the
// API's loaders can batch a row's lists by it.
type EvidenceKey struct {
	VendorID     uuid.UUID
	StateID      uuid.UUID
	TechnologyID uuid.UUID
	ProductID    uuid.UUID
}

// Key is the row's key.
func (r *EvidenceRow) Key() EvidenceKey {
	k := EvidenceKey{VendorID: r.VendorID, StateID: r.StateID, TechnologyID: r.TechnologyID}
	if r.ProductID != nil {
		k.ProductID = *r.ProductID
	}
	return k
}

// Supply is what a row's control-list entries depend on: its product
// (uuid.Nil when unknown) and its technology.
type Supply struct {
	ProductID    uuid.UUID
	TechnologyID uuid.UUID
}

// Supply is the part of the row's key its control-list entries depend on.
func (r *EvidenceRow) Supply() Supply {
	k := r.Key()
	return Supply{ProductID: k.ProductID, TechnologyID: k.TechnologyID}
}

// lineage pairs every technology with itself and each of its ancestors.
// UNION (not UNION ALL) ends the recursion even if the tree had a cycle.
const lineage = `lineage (technology_id, ancestor_id) AS (
	SELECT id, id FROM technologies
	UNION
	SELECT l.technology_id, p.parent_id FROM lineage l JOIN technologies p ON p.id = l.ancestor_id
	WHERE p.parent_id IS NOT NULL)`

// coveringEntries is the SQL set of control-list entry IDs that bear on a
// supply of product (an expression; NULL or uuid.Nil when unknown) and
// technology: the product's entries and those covering the technology or one
// of its ancestors. It needs the lineage CTE in scope. Whether the entries
// are published is for the caller to check.
func coveringEntries(product, technology string) string {
	return `(SELECT pc.control_list_entry_id FROM product_control_list_entries pc WHERE pc.product_id = ` + product + `
		UNION
		SELECT ct.control_list_entry_id FROM lineage l
		JOIN control_list_entry_technologies ct ON ct.technology_id = l.ancestor_id
		WHERE l.technology_id = ` + technology + `)`
}

// confidenceRank maps a confidence to its strength, CONFIRMED strongest; it
// agrees with registry.Confidence.Rank.
func confidenceRank(col string) string {
	return `CASE ` + col + ` WHEN 'CONFIRMED' THEN 4 WHEN 'CREDIBLE' THEN 3 WHEN 'ALLEGED' THEN 2 WHEN 'DISPUTED' THEN 1 ELSE 0 END`
}

// evidenceColumns are the columns of an evidence row, in evidence_summary's
// order.
const evidenceColumns = `row_id, vendor_id, state_id, technology_id, product_id, deployment_ids, citation_count,
	confidence_rank, strongest_confidence, abuse_count, vendor_country_code, state_country_code, controlled, sort_key`

// evidenceSources are the two tables an evidence row can come from, each
// aliased t: evidence_summary (migration 0007) when it is up to date, else
// the rows computed from the registry's tables, so that an answer is never
// older than the data. Each is guarded by the same uncorrelated subquery,
// which PostgreSQL evaluates once and uses to skip the other entirely; the
// listing pages each on its own (see listing.alternatives).
//
// deployments narrows the computed rows before aggregation (see
// computedEvidence); summary narrows the stored rows the same way, by
// conditions on their columns.
func evidenceSources(deployments, summary string) []string {
	return []string{
		`(SELECT ` + evidenceColumns + ` FROM evidence_summary
		WHERE NOT (SELECT stale FROM evidence_summary_state) AND ` + summary + `) t`,
		`(SELECT ` + evidenceColumns + ` FROM ` + computedEvidence(deployments) + `
		WHERE (SELECT stale FROM evidence_summary_state)) t`,
	}
}

// RefreshEvidence recomputes evidence_summary if a write has marked it
// stale since the last time, and reports whether it did. It clears the mark
// first: that update waits for every transaction that marked it to commit,
// so the recomputation (a later statement, with a later snapshot) sees their
// writes; a writer that comes after waits on the mark until this commits,
// then marks it stale again. It takes about a second at scale 1.
func RefreshEvidence(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh evidence: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	tag, err := tx.Exec(ctx, `UPDATE evidence_summary_state SET stale = false WHERE stale`)
	if err != nil {
		return false, fmt.Errorf("refresh evidence: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return false, tx.Commit(ctx)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM evidence_summary`); err != nil {
		return false, fmt.Errorf("refresh evidence: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO evidence_summary (`+evidenceColumns+`)
		SELECT `+evidenceColumns+` FROM `+computedEvidence("TRUE")); err != nil {
		return false, fmt.Errorf("refresh evidence: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("refresh evidence: %w", err)
	}
	return true, nil
}

// computedEvidence is the table of evidence rows computed from the registrys
// tables, aliased t, with the columns the
// filters and the order need besides EvidenceRow's. The sort key is text in
// the C collation so that its order is byte order: one digit for the
// confidence (1 = CONFIRMED), six for the abuses (fewer abuses, larger
// number), then the row's slugs and codes.
//
// deployments is a condition on the deployments (d) that are aggregated:
// filters on a row's key (its vendor, state or technology) go there, so that
// only the matching supply relationships are built rather than all of them
// before the filter throws most away.
func computedEvidence(deployments string) string {
	return `(WITH RECURSIVE ` + lineage + `
	SELECT s.vendor_id, s.state_id, s.technology_id, s.product_id, s.deployment_ids, s.citation_count, s.confidence_rank,
		(CASE s.confidence_rank WHEN 4 THEN 'CONFIRMED' WHEN 3 THEN 'CREDIBLE' WHEN 2 THEN 'ALLEGED' ELSE 'DISPUTED' END) AS strongest_confidence,
		a.n AS abuse_count,
		v.country_code AS vendor_country_code,
		st.country_code AS state_country_code,
		EXISTS (SELECT 1 FROM entries ce WHERE ce.status = 'PUBLISHED'
			AND ce.id IN ` + coveringEntries("s.product_id", "s.technology_id") + `) AS controlled,
		md5(s.vendor_id::text || s.state_id::text || s.technology_id::text || coalesce(s.product_id::text, ''))::uuid AS row_id,
		((5 - s.confidence_rank)::text || lpad((999999 - least(a.n, 999999))::text, 6, '0') || ' ' || v.slug || ' ' ||
			st.country_code || ' ' || tc.slug || ' ' || coalesce(left(lower(p.name), 100), '')) COLLATE "C" AS sort_key
	FROM (
		SELECT d.vendor_id, d.state_id, d.technology_id, d.product_id,
			array_agg(d.id ORDER BY coalesce(d.start_date, '') DESC, d.id DESC) AS deployment_ids,
			max(` + confidenceRank("d.confidence") + `) AS confidence_rank,
			sum(c.n)::int AS citation_count
		FROM deployments d
		JOIN entries de ON de.id = d.id AND de.status = 'PUBLISHED'
		JOIN entries ve ON ve.id = d.vendor_id AND ve.status = 'PUBLISHED'
		CROSS JOIN LATERAL (SELECT count(*) AS n FROM citations c WHERE c.entry_id = d.id) c
		WHERE ` + deployments + `
		GROUP BY d.vendor_id, d.state_id, d.technology_id, d.product_id
	) s
	CROSS JOIN LATERAL (SELECT count(DISTINCT ad.abuse_id) AS n FROM abuse_deployments ad
		JOIN entries ae ON ae.id = ad.abuse_id AND ae.status = 'PUBLISHED'
		WHERE ad.deployment_id = ANY(s.deployment_ids)) a
	JOIN vendors v ON v.id = s.vendor_id
	JOIN states st ON st.id = s.state_id
	JOIN technologies tc ON tc.id = s.technology_id
	LEFT JOIN products p ON p.id = s.product_id
) t`
}

// evidenceListing is the listing of the evidence rows whose deployments meet
// the given condition.
func evidenceListing(deployments, summary string) listing {
	return listing{
		tb: table{name: "evidence", bare: true, idCol: "t.row_id",
			columns: `t.vendor_id, t.state_id, t.technology_id, t.product_id, t.deployment_ids, t.strongest_confidence, t.citation_count`},
		sort:         `t.sort_key`,
		alternatives: evidenceSources(deployments, summary),
	}
}

// evidenceFilter turns in into conditions on the rows (the filter), and the
// conditions on a row's key into conditions on the deployments aggregated
// into computed rows and on the stored rows (for evidenceListing); all share
// the filter's parameters.
func evidenceFilter(in EvidenceFilter) (f filter, deployments, summary string) {
	var d, sm []string
	if len(in.VendorIDs) > 0 {
		p := f.args.add(in.VendorIDs)
		d = append(d, `d.vendor_id = ANY(`+p+`)`)
		sm = append(sm, `vendor_id = ANY(`+p+`)`)
	}
	if len(in.VendorCountryCodes) > 0 {
		p := f.args.add(in.VendorCountryCodes)
		d = append(d, `d.vendor_id IN (SELECT id FROM vendors WHERE country_code = ANY(`+p+`))`)
		sm = append(sm, `vendor_country_code = ANY(`+p+`)`)
	}
	if len(in.StateCountryCodes) > 0 {
		p := f.args.add(in.StateCountryCodes)
		d = append(d, `d.state_id IN (SELECT id FROM states WHERE country_code = ANY(`+p+`))`)
		sm = append(sm, `state_country_code = ANY(`+p+`)`)
	}
	if len(in.TechnologySlugs) > 0 {
		p := f.args.add(in.TechnologySlugs)
		d = append(d, `d.technology_id IN (SELECT technology_subtree(`+p+`))`)
		// As an array, the subtree is a value the stored rows' index can
		// look up (the count: 16 → 2 ms at scale 1); as a semi-join, the
		// planner hashed the whole table.
		sm = append(sm, `technology_id = ANY(ARRAY(SELECT technology_subtree(`+p+`)))`)
	}
	and := func(conds []string) string {
		if len(conds) == 0 {
			return "TRUE"
		}
		return strings.Join(conds, " AND ")
	}
	deployments, summary = and(d), and(sm)
	if in.Controlled != nil {
		if *in.Controlled {
			f.where(`t.controlled`)
		} else {
			f.where(`NOT t.controlled`)
		}
	}
	if in.WithAbuses != nil {
		if *in.WithAbuses {
			f.where(`t.abuse_count > 0`)
		} else {
			f.where(`t.abuse_count = 0`)
		}
	}
	if in.MinConfidence != nil {
		f.where(`t.confidence_rank >= ` + f.args.add(in.MinConfidence.Rank()))
	}
	return f, deployments, summary
}

// ExportControlEvidence pages through the evidence rows, strongest evidence
// first (see the top of this file for what a row is and how rows are ordered).
// Anyone may call it.
func (c *Catalog) ExportControlEvidence(ctx context.Context, in EvidenceFilter, p Page) (*Conn[EvidenceRow], error) {
	f, deployments, summary := evidenceFilter(in)
	m, err := pages[EvidenceRow](ctx, c.db, evidenceListing(deployments, summary), f, nested{}, nil, p)
	return single(m), err
}

// EvidenceControlListEntries lists, for each supply, the published
// control-list entries that bear on it, by regime and code: its product's
// and those covering its technology or one of its ancestors.
func (c *Catalog) EvidenceControlListEntries(ctx context.Context, keys []Supply) (map[Supply][]*registry.ControlListEntry, error) {
	products := make([]uuid.UUID, len(keys))
	techs := make([]uuid.UUID, len(keys))
	for i, k := range keys {
		products[i], techs[i] = k.ProductID, k.TechnologyID
	}
	tb := controlListEntriesTable
	// Each supply's covering entries are listed once, by a lateral UNION,
	// then read by ID: as "t.id IN (...)" the UNION ran again for every
	// pair of supply and control-list entry (25 → 4.5 ms at scale 1).
	rows, err := c.db.Query(ctx, `WITH RECURSIVE `+lineage+`
		SELECT k.product_id, k.technology_id, `+tb.selectList()+`
		FROM unnest($1::uuid[], $2::uuid[]) AS k (product_id, technology_id)
		CROSS JOIN LATERAL `+coveringEntries("k.product_id", "k.technology_id")+` c (id)
		JOIN `+tb.from()+` ON t.id = c.id
		WHERE `+published+`
		ORDER BY k.product_id, k.technology_id, t.regime, t.code, e.id`, products, techs)
	if err != nil {
		return nil, fmt.Errorf("control-list entries of supplies: %w", err)
	}
	out := make(map[Supply][]*registry.ControlListEntry, len(keys))
	var k Supply
	items, err := collectKeyed[registry.ControlListEntry](rows, []any{&k.ProductID, &k.TechnologyID}, func(it *registry.ControlListEntry) {
		out[k] = append(out[k], it)
	})
	if err != nil {
		return nil, fmt.Errorf("control-list entries of supplies: %w", err)
	}
	visible(ctx, items)
	return out, nil
}

// EvidenceAbuses lists, for each evidence row, the published abuses linked
// to its published deployments, latest start first.
func (c *Catalog) EvidenceAbuses(ctx context.Context, keys []EvidenceKey) (map[EvidenceKey][]*registry.Abuse, error) {
	cols := make([][]uuid.UUID, 4)
	for i := range cols {
		cols[i] = make([]uuid.UUID, len(keys))
	}
	for i, k := range keys {
		cols[0][i], cols[1][i], cols[2][i], cols[3][i] = k.VendorID, k.StateID, k.TechnologyID, k.ProductID
	}
	tb := abusesTable
	// Each key reaches its deployments through the vendor index (a vendor
	// has few), then their abuses through abuse_deployments' deployment
	// index: the work is proportional to the page, not to the registry. The
	// product test is spelt out, not coalesced, so that it stays a plain
	// comparison; uuid.Nil in a key stands for an unknown product.
	rows, err := c.db.Query(ctx, `
		SELECT k.vendor_id, k.state_id, k.technology_id, k.product_id, `+tb.selectList()+`
		FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) AS k (vendor_id, state_id, technology_id, product_id)
		CROSS JOIN LATERAL (
			SELECT DISTINCT ad.abuse_id FROM deployments d`+publishedDeployment+`
			JOIN abuse_deployments ad ON ad.deployment_id = d.id
			WHERE d.vendor_id = k.vendor_id AND d.state_id = k.state_id AND d.technology_id = k.technology_id
			  AND (d.product_id = k.product_id OR (d.product_id IS NULL AND k.product_id = '`+uuid.Nil.String()+`'::uuid))) x
		JOIN (`+tb.from()+`) ON t.id = x.abuse_id
		WHERE `+published+`
		ORDER BY k.vendor_id, k.state_id, k.technology_id, k.product_id, coalesce(t.start_date, '') DESC, t.id DESC`,
		cols[0], cols[1], cols[2], cols[3])
	if err != nil {
		return nil, fmt.Errorf("abuses of evidence rows: %w", err)
	}
	out := make(map[EvidenceKey][]*registry.Abuse, len(keys))
	var k EvidenceKey
	items, err := collectKeyed[registry.Abuse](rows, []any{&k.VendorID, &k.StateID, &k.TechnologyID, &k.ProductID}, func(it *registry.Abuse) {
		out[k] = append(out[k], it)
	})
	if err != nil {
		return nil, fmt.Errorf("abuses of evidence rows: %w", err)
	}
	visible(ctx, items)
	return out, nil
}

// collectKeyed scans rows whose first columns are a key (scanned into lead)
// and the rest T's columns, calling add for each item while lead holds its key.
func collectKeyed[T any](rows pgx.Rows, lead []any, add func(*T)) ([]*T, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*T, error) {
		it, err := pgx.RowToAddrOfStructByName[T](leadingRow{row, lead})
		if err == nil {
			add(it)
		}
		return it, err
	})
}
