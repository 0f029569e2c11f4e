package catalog

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what the catalog reads through: a pool, a connection or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var _ DB = (*pgxpool.Pool)(nil)

// Catalog reads published entries.
type Catalog struct {
	db       DB
	searches *searchCache // nil: every search is computed
}

// New returns a catalog reading from db.
func New(db DB) *Catalog { return &Catalog{db: db, searches: newSearchCache(db)} }

// args collects positional parameters while a statement is written, so that
// conditions read in order and the $n never drift from their values.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// leadingRow hides a statement's first columns from pgx's struct scanning and
// scans them into dest instead, so a row of "group key, entry columns..." maps
// onto the plain domain struct.
type leadingRow struct {
	pgx.CollectableRow
	dest []any
}

func (r leadingRow) FieldDescriptions() []pgconn.FieldDescription {
	return r.CollectableRow.FieldDescriptions()[len(r.dest):]
}

func (r leadingRow) Scan(dest ...any) error {
	return r.CollectableRow.Scan(append(append([]any{}, r.dest...), dest...)...)
}

// grouped is a row of a batched statement: the parent it belongs to, its
// keyset sort value (for pages) and the entry.
type grouped[T any] struct {
	group uuid.UUID
	sort  string
	id    uuid.UUID
	item  *T
}

// rowShape says which bookkeeping columns lead a batched statement's rows.
type rowShape int

const (
	groupOnly   rowShape = iota // _group
	groupSortID                 // _group, _sort, _id
)

// collectGrouped scans rows that start with the bookkeeping columns of shape,
// followed by T's columns.
func collectGrouped[T any](rows pgx.Rows, shape rowShape) ([]grouped[T], error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (grouped[T], error) {
		var g grouped[T]
		lead := map[rowShape][]any{
			groupOnly:   {&g.group},
			groupSortID: {&g.group, &g.sort, &g.id},
		}[shape]
		item, err := pgx.RowToAddrOfStructByName[T](leadingRow{row, lead})
		g.item = item
		return g, err
	})
}

// byGroup regroups batched rows by their parent, keeping their order.
func byGroup[T any](rows []grouped[T]) map[uuid.UUID][]*T {
	out := make(map[uuid.UUID][]*T)
	for _, r := range rows {
		out[r.group] = append(out[r.group], r.item)
	}
	return out
}

func pgxCollectAddr[T any](rows pgx.Rows) ([]*T, error) {
	return pgx.CollectRows(rows, pgx.RowToAddrOfStructByName[T])
}
