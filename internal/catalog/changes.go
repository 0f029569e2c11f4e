package catalog

import (
	"context"
	"fmt"
	"time"

	"oversight/internal/registry"
)

// ChangeFilter narrows the change feed. The zero filter is every change.
type ChangeFilter struct {
	// Since keeps the changes made at or after this moment.
	Since *time.Time
	// Kinds keeps the changes of these kinds; CORRECTED and RETRACTED
	// together are the public corrections log.
	Kinds []registry.ChangeKind
}

// FeedEvent is a change event with a label for its entry, for feeds that
// show events without loading entries.
type FeedEvent struct {
	ChangeEvent
	// Label names the entry after its type's name, as the event's version
	// had it: "Hangzhou Hikvision" (a vendor), "of Facial recognition from
	// Hikvision in China" (a deployment, named by what it refers to, as those
	// entries are named now). Empty when there is nothing to name it by.
	Label string `db:"label"`
}

// changeSortLayout is the Go layout of changeSort's text.
const changeSortLayout = "2006-01-02T15:04:05.000000Z"

// The change feed is ordered by (at DESC, id DESC). pages[T] pages by a text
// sort key and a UUID, so the moment is written as fixed-width UTC text (to
// the microsecond, PostgreSQL's precision: text order is time order) and the
// bigint event ID as a zero-padded hex UUID (byte order is number order).
// Neither expression can use change_events_at_idx, so each page sorts the
// matching events (a top-N sort; cheap at the registry's size). A bound on
// the bare column from the cursor would let later pages scan an index range,
// but pages counts totalCount with the filter, which must not see the cursor.
const (
	changeSort = `to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
	changeID   = `lpad(to_hex(t.id), 32, '0')::uuid`
	// changeColumns are ChangeEvent's columns. The summary is the public
	// one written with the version (the submission's title, or the seed's
	// note); editors' identities live elsewhere and are never joined here.
	changeColumns = `t.id, t.entry_id, t.entry_type, t.version, t.kind, t.at, t.summary`
)

var (
	changesListing = listing{tb: table{name: "change_events", bare: true, idCol: changeID,
		fromSQL: `change_events t`, columns: changeColumns}, sort: changeSort, desc: true}
	// feedListing is changesListing with each entry's label (FeedEvent.Label)
	// read from the snapshot of the event's version and, for the entry types
	// without a name of their own, from the current names of the entries it
	// refers to: primary-key lookups inside the one statement.
	feedListing = listing{tb: table{name: "change_events", bare: true, idCol: changeID,
		fromSQL: `change_events t JOIN entry_versions v ON v.entry_id = t.entry_id AND v.version = t.version`,
		columns: changeColumns + `, coalesce(btrim(` + entryLabel + `), '') AS label`},
		sort: changeSort, desc: true}
)

// entryLabel is the SQL for FeedEvent.Label, from the snapshot v.snapshot.
const entryLabel = `CASE t.entry_type
	WHEN 'ABUSE' THEN v.snapshot->>'title'
	WHEN 'SOURCE' THEN v.snapshot->>'title'
	WHEN 'CONTROL_LIST_ENTRY' THEN concat_ws(' ', v.snapshot->>'code', v.snapshot->>'title')
	WHEN 'DEPLOYMENT' THEN concat_ws(' ',
		'of ' || (SELECT x.name FROM technologies x WHERE x.id = (v.snapshot->>'technologyId')::uuid),
		'from ' || (SELECT x.name FROM vendors x WHERE x.id = (v.snapshot->>'vendorId')::uuid),
		'in ' || (SELECT x.name FROM states x WHERE x.id = (v.snapshot->>'stateId')::uuid))
	WHEN 'DESIGNATION' THEN concat_ws(' ',
		'of ' || coalesce((SELECT x.name FROM vendors x WHERE x.id = (v.snapshot->>'vendorId')::uuid),
			(SELECT x.name FROM agencies x WHERE x.id = (v.snapshot->>'agencyId')::uuid),
			(SELECT x.name FROM states x WHERE x.id = (v.snapshot->>'stateId')::uuid)),
		'on ' || (SELECT x.name FROM designation_lists x WHERE x.id = (v.snapshot->>'listId')::uuid))
	WHEN 'VENDOR_RESPONSE' THEN 'from ' || (SELECT x.name FROM vendors x WHERE x.id = (v.snapshot->>'vendorId')::uuid)
	ELSE v.snapshot->>'name'
END`

func changeFilter(in ChangeFilter, after *Cursor) (filter, error) {
	var f filter
	if in.Since != nil {
		f.where(`t.at >= ` + f.args.add(*in.Since))
	}
	if len(in.Kinds) > 0 {
		f.where(`t.kind = ANY(` + f.args.add(strs(in.Kinds)) + `)`)
	}
	if after != nil {
		if _, err := time.Parse(changeSortLayout, after.Sort); err != nil {
			return f, registry.Invalid(fmt.Errorf("after: not a cursor of the change feed"))
		}
	}
	return f, nil
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

// ListChanges pages through published changes, newest first (at DESC, then
// event ID DESC). Every change is of a published or retracted entry, so
// every viewer sees them all. A cursor from another list is INVALID.
func (c *Catalog) ListChanges(ctx context.Context, in ChangeFilter, p Page) (*Conn[ChangeEvent], error) {
	f, err := changeFilter(in, p.After)
	if err != nil {
		return nil, err
	}
	m, err := pages[ChangeEvent](ctx, c.db, changesListing, f, nested{}, nil, p)
	return single(m), err
}

// ChangeFeed reads the latest n changes, newest first, each with its entry's
// display name: what an Atom feed shows, in one statement.
func (c *Catalog) ChangeFeed(ctx context.Context, in ChangeFilter, n int) ([]*FeedEvent, error) {
	f, err := changeFilter(in, nil)
	if err != nil {
		return nil, err
	}
	m, err := pages[FeedEvent](ctx, c.db, feedListing, f, nested{}, nil, Page{First: n})
	if err != nil {
		return nil, err
	}
	return single(m).Items, nil
}
