package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Page asks for the First entries after the cursor After (nil: from the start).
type Page struct {
	First     int
	After     *Cursor
	WantTotal bool // count the whole list too (a second statement, so only when asked)
}

// Cursor is a position in a list: the sort value and ID of the last entry
// seen. Keyset positions stay right when entries are added or retracted
// between two pages, where offsets would skip or repeat entries.
type Cursor struct {
	Sort string
	ID   uuid.UUID
}

// Conn is one page of a list.
type Conn[T any] struct {
	Items   []*T
	Cursors []Cursor
	HasNext bool
	Total   int // set when the page asked for it
}

// listing is how a list is ordered: a text sort key, then the entry ID.
type listing struct {
	tb   table
	sort string // SQL text expression; never NULL
	desc bool
	// alternatives, when set, replace tb.from() for a top-level list: FROM
	// items, each aliased t, of which one holds the rows at any time (such
	// as stored rows, and the same rows computed while the stored ones are
	// stale). Each is paged by its own ORDER BY ... LIMIT, so that
	// PostgreSQL reads the top rows from an index instead of sorting all of
	// them: through a UNION of the two it does not, because the cost it
	// estimates for the branch that will not run dwarfs the difference.
	alternatives []string
}

func (l listing) dir() string {
	if l.desc {
		return "DESC"
	}
	return "ASC"
}

func (l listing) after() string {
	if l.desc {
		return "<"
	}
	return ">"
}

// filter is the WHERE of a list: conditions over t and e, and their parameters.
type filter struct {
	conds []string
	args  args
}

func (f *filter) where(cond string) { f.conds = append(f.conds, cond) }

func (f *filter) sql() string {
	if len(f.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(f.conds, " AND ")
}

// nested says how a connection hangs off its parents: the SQL giving each
// row's parent ID, and the joins needed to reach it. The zero nested is a
// top-level list.
type nested struct {
	group string
	join  string
}

var topLevel = uuid.Nil

// pages reads one page of a list for each parent (or the one top-level page)
// in a single statement, plus one more for the totals when asked: nested
// connections cost two statements per level whatever the number of parents.
func pages[T any](ctx context.Context, db DB, l listing, f filter, n nested, parents []uuid.UUID, p Page) (map[uuid.UUID]*Conn[T], error) {
	a := f.args
	from := l.tb.from() + n.join
	where := f.sql()
	group := n.group
	parentsArg := ""
	if group == "" {
		group = `'` + topLevel.String() + `'::uuid`
	} else {
		parentsArg = a.add(parents)
	}
	countArgs := append(args(nil), a...)
	countWhere := where
	if parentsArg != "" {
		countWhere += ` AND ` + group + ` = ANY(` + parentsArg + `)`
	}
	countSQL := `SELECT ` + group + ` AS _group, count(*) FROM ` + from + ` WHERE ` + countWhere + ` GROUP BY 1`

	if p.After != nil {
		where += fmt.Sprintf(` AND (%s, %s) %s (%s, %s)`, l.sort, l.tb.id(), l.after(), a.add(p.After.Sort), a.add(p.After.ID))
	}
	limit := a.add(p.First + 1) // one more tells whether there is a next page
	order := l.sort + ` ` + l.dir() + `, ` + l.tb.id() + ` ` + l.dir()
	var pageSQL string
	if len(l.alternatives) > 0 {
		if n.group != "" {
			return nil, fmt.Errorf("page of %s: alternatives are for top-level lists", l.tb.name)
		}
		legs := make([]string, len(l.alternatives))
		counted := make([]string, len(l.alternatives))
		for i, alt := range l.alternatives {
			legs[i] = `(SELECT ` + l.sort + ` AS _sort, ` + l.tb.id() + ` AS _id, ` + l.tb.selectList() +
				` FROM ` + alt + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ` + limit + `)`
			counted[i] = `SELECT FROM ` + alt + ` WHERE ` + countWhere
		}
		pageSQL = `SELECT ` + group + ` AS _group, x.* FROM (` + strings.Join(legs, ` UNION ALL `) + `) x` +
			` ORDER BY x._sort ` + l.dir() + `, x._id ` + l.dir() + ` LIMIT ` + limit
		countSQL = `SELECT ` + group + ` AS _group, count(*) FROM (` + strings.Join(counted, ` UNION ALL `) + `) x`
	} else if n.group == "" {
		pageSQL = `SELECT ` + group + ` AS _group, ` + l.sort + ` AS _sort, ` + l.tb.id() + ` AS _id, ` + l.tb.selectList() +
			` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ` + limit
	} else {
		// One page per parent, each read with its own LIMIT (a lateral
		// join, as a compiled query would): a parent's page costs its top
		// rows, not a numbering of all its rows.
		pageSQL = `SELECT q.parent AS _group, x.* FROM unnest(` + parentsArg + `::uuid[]) AS q (parent)` +
			` CROSS JOIN LATERAL (SELECT ` + l.sort + ` AS _sort, ` + l.tb.id() + ` AS _id, ` + l.tb.selectList() +
			` FROM ` + from + ` WHERE ` + where + ` AND ` + group + ` = q.parent ORDER BY ` + order + ` LIMIT ` + limit + `) x` +
			` ORDER BY q.parent, x._sort ` + l.dir() + `, x._id ` + l.dir()
	}

	batch := &pgx.Batch{}
	batch.Queue(pageSQL, a...)
	if p.WantTotal {
		batch.Queue(countSQL, countArgs...)
	}
	br := db.SendBatch(ctx, batch)
	defer br.Close()

	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("page of %s: %w", l.tb.name, err)
	}
	got, err := collectGrouped[T](rows, groupSortID)
	if err != nil {
		return nil, fmt.Errorf("page of %s: %w", l.tb.name, err)
	}
	out := make(map[uuid.UUID]*Conn[T])
	conn := func(g uuid.UUID) *Conn[T] {
		c := out[g]
		if c == nil {
			c = &Conn[T]{Items: []*T{}, Cursors: []Cursor{}}
			out[g] = c
		}
		return c
	}
	items := make([]*T, 0, len(got))
	for _, r := range got {
		c := conn(r.group)
		if len(c.Items) == p.First {
			c.HasNext = true
			continue
		}
		c.Items = append(c.Items, r.item)
		c.Cursors = append(c.Cursors, Cursor{Sort: r.sort, ID: r.id})
		items = append(items, r.item)
	}
	visible(ctx, items)
	if p.WantTotal {
		rows, err := br.Query()
		if err != nil {
			return nil, fmt.Errorf("count of %s: %w", l.tb.name, err)
		}
		var g uuid.UUID
		var total int
		if _, err := pgx.ForEachRow(rows, []any{&g, &total}, func() error {
			conn(g).Total = total
			return nil
		}); err != nil {
			return nil, fmt.Errorf("count of %s: %w", l.tb.name, err)
		}
	}
	if n.group == "" {
		conn(topLevel)
	} else {
		for _, id := range parents {
			conn(id)
		}
	}
	return out, nil
}
