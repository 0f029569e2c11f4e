package catalog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Stats are the counts and breakdowns of the published registry. Each count
// is the totalCount of the matching list with no filter, and each breakdown
// sums to its count.
type Stats struct {
	States, Vendors, Products, Deployments, Abuses, Sources int
	// Citations counts the citations carried by published entries.
	Citations int
	// DeploymentsByTechnology buckets deployments by their own technology
	// (not rolled up into broader ones): key slug, label name.
	DeploymentsByTechnology []Count
	// AbusesByCountry buckets abuses by their state: key country code, label
	// the state's name.
	AbusesByCountry []Count
	// AbusesByYear buckets abuses by the year of their start date; abuses
	// with no start date fall in the bucket "unknown", labelled "Undated".
	AbusesByYear []Count
	// VendorsByCountry buckets vendors by their country: key country code,
	// label the name of the registry's state with that code (the code when
	// there is none); vendors with no country fall in "unknown", "Unknown".
	VendorsByCountry []Count
}

// Count is one bucket of a breakdown.
type Count struct {
	Key   string
	Label string
	Count int
}

// Unknown is the key of the bucket for entries with no value to break down by.
const Unknown = "unknown"

// countOf counts the published entries of a table as its list does.
func countOf(tb table) string {
	return `(SELECT count(*) FROM ` + tb.from() + ` WHERE ` + published + `)`
}

// The breakdowns, each bucket a row of (breakdown, key, label, count).
const breakdownsSQL = `SELECT kind, key, label, n FROM (
	SELECT 'technology' AS kind, tc.slug AS key, tc.name AS label, count(*) AS n
	FROM deployments t JOIN entries e ON e.id = t.id JOIN technologies tc ON tc.id = t.technology_id
	WHERE ` + published + ` GROUP BY tc.slug, tc.name
	UNION ALL
	SELECT 'abuseCountry', s.country_code, s.name, count(*)
	FROM abuses t JOIN entries e ON e.id = t.id JOIN states s ON s.id = t.state_id
	WHERE ` + published + ` GROUP BY s.country_code, s.name
	UNION ALL
	SELECT 'abuseYear', coalesce(left(t.start_date, 4), '` + Unknown + `'), coalesce(left(t.start_date, 4), 'Undated'), count(*)
	FROM abuses t JOIN entries e ON e.id = t.id
	WHERE ` + published + ` GROUP BY 2, 3
	UNION ALL
	SELECT 'vendorCountry', coalesce(t.country_code, '` + Unknown + `'), coalesce(s.name, t.country_code, 'Unknown'), count(*)
	FROM vendors t JOIN entries e ON e.id = t.id LEFT JOIN states s ON s.country_code = t.country_code
	WHERE ` + published + ` GROUP BY 2, 3
	) b ORDER BY kind, n DESC, key COLLATE "C"`

// Stats counts the published registry in two statements sent together.
// Anyone may call it.
func (c *Catalog) Stats(ctx context.Context) (*Stats, error) {
	citations := `(SELECT count(*) FROM citations c JOIN entries e ON e.id = c.entry_id WHERE ` + published + `)`
	batch := &pgx.Batch{}
	batch.Queue(`SELECT ` + countOf(statesTable) + `, ` + countOf(vendorsTable) + `, ` + countOf(productsTable) + `, ` +
		countOf(deploymentsTable) + `, ` + countOf(abusesTable) + `, ` + countOf(sourcesTable) + `, ` + citations)
	batch.Queue(breakdownsSQL)
	br := c.db.SendBatch(ctx, batch)
	defer br.Close()

	var s Stats
	if err := br.QueryRow().Scan(&s.States, &s.Vendors, &s.Products, &s.Deployments, &s.Abuses, &s.Sources, &s.Citations); err != nil {
		return nil, fmt.Errorf("stats: counts: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("stats: breakdowns: %w", err)
	}
	buckets := map[string]*[]Count{
		"technology":    &s.DeploymentsByTechnology,
		"abuseCountry":  &s.AbusesByCountry,
		"abuseYear":     &s.AbusesByYear,
		"vendorCountry": &s.VendorsByCountry,
	}
	var kind string
	var b Count
	if _, err := pgx.ForEachRow(rows, []any{&kind, &b.Key, &b.Label, &b.Count}, func() error {
		*buckets[kind] = append(*buckets[kind], b)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("stats: breakdowns: %w", err)
	}
	for _, l := range buckets {
		if *l == nil {
			*l = []Count{}
		}
	}
	return &s, nil
}
