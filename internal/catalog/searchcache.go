package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"oversight/internal/registry"
)

// A search for a common word ranks a large part of the registry before it
// can return its best hits: "surveillance" matches about 150,000 entries at
// scale 1 and takes about 4 s, however small the page, since an exact
// ranking and an exact total need every match scored. Such a page is
// therefore kept, in the server's memory, for as long as the registry it
// was computed from: each search first reads the registry's version
// (migration 0012), one row, and a page computed at that version is
// answered again without being recomputed. Any committed write to what
// search reads moves the version on, so a kept page is never older than the
// data; the first search for the word after a publication pays the full
// cost again. Concurrent identical searches that miss share one
// computation.
//
// Only pages that were expensive to compute are kept: a rare word's page
// costs milliseconds and would only take memory.
const (
	searchCacheMin  = 20 * time.Millisecond // a page computed faster than this is not kept
	searchCacheSize = 256                   // pages kept at most; the least recently used go first
)

type searchCache struct {
	pool *pgxpool.Pool
	min  time.Duration
	size int

	mu    sync.Mutex
	pages map[string]*keptPage
	tick  uint64

	group singleflight.Group
}

type keptPage struct {
	version int64
	conn    *Conn[SearchHit]
	used    uint64
}

// newSearchCache returns a cache for a catalog reading from db, or nil when
// db may be a transaction: a transaction's own uncommitted writes would be
// in its pages without having moved the version, and another reader could
// then be answered with data that is later rolled back.
func newSearchCache(db DB) *searchCache {
	pool, ok := db.(*pgxpool.Pool)
	if !ok {
		return nil
	}
	return &searchCache{pool: pool, min: searchCacheMin, size: searchCacheSize, pages: map[string]*keptPage{}}
}

// get returns the page kept under key at version, if any. A page kept at
// another version is left for put to replace: a reader on a replica that
// lags may read an older version than the page's.
func (sc *searchCache) get(key string, version int64) *Conn[SearchHit] {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.pages[key]
	if !ok || e.version != version {
		return nil
	}
	sc.tick++
	e.used = sc.tick
	return e.conn
}

// put keeps conn under key at version, unless a page of a later version is
// kept there, making room by dropping the least recently used page.
func (sc *searchCache) put(key string, version int64, conn *Conn[SearchHit]) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.pages[key]
	switch {
	case ok && e.version > version:
		return
	case !ok && len(sc.pages) >= sc.size:
		var oldest string
		var at uint64
		for k, e := range sc.pages {
			if oldest == "" || e.used < at {
				oldest, at = k, e.used
			}
		}
		delete(sc.pages, oldest)
	}
	sc.tick++
	sc.pages[key] = &keptPage{version: version, conn: conn, used: sc.tick}
}

// searchKey is what a search's page depends on: the parsed query, the
// types, whether the viewer may match confidential quotes (the only way the
// viewer changes a search), and the page asked for.
func searchKey(q SearchQuery, types []registry.EntryType, v registry.Viewer, p Page) string {
	var b strings.Builder
	for i, g := range q.groups {
		if i > 0 {
			b.WriteString(" OR ")
		}
		for _, t := range g {
			if t.exclude {
				b.WriteByte('-')
			}
			fmt.Fprintf(&b, "%q ", t.text)
		}
	}
	ts := make([]string, len(types))
	for i, t := range types {
		ts[i] = string(t)
	}
	slices.Sort(ts)
	fmt.Fprintf(&b, "|%s|%t|%d|%t", strings.Join(slices.Compact(ts), ","), v.SeesConfidential(), p.First, p.WantTotal)
	if p.After != nil {
		fmt.Fprintf(&b, "|%q|%s", p.After.Sort, p.After.ID)
	}
	return b.String()
}

// registryVersion is the statement that reads the registry's version.
const registryVersion = `SELECT version FROM registry_version`

// cachedSearch answers from the cache, or computes the page with compute
// and keeps it if it was expensive.
func (c *Catalog) cachedSearch(ctx context.Context, key string, compute func(context.Context, *Catalog) (*Conn[SearchHit], error)) (*Conn[SearchHit], error) {
	sc := c.searches
	if sc == nil {
		return compute(ctx, c)
	}
	var version int64
	if err := c.db.QueryRow(ctx, registryVersion).Scan(&version); err != nil {
		return nil, fmt.Errorf("search: registry version: %w", err)
	}
	if conn := sc.get(key, version); conn != nil {
		return conn.clone(), nil
	}
	// Searches that miss at the same version share one computation. One
	// that read a later version computes its own: it must see the write
	// that moved the version, which a computation already under way may
	// not. Each waits only as long as its own client does.
	flight := fmt.Sprintf("%d|%s", version, key)
	for range 3 {
		ch := sc.group.DoChan(flight, func() (any, error) { return c.computeKept(ctx, key, compute) })
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-ch:
			if r.Err != nil && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				// The computation this one waited on was given up by its
				// own client; this one's is still waiting: go again,
				// leading or behind another that is.
				continue
			}
			if r.Err != nil {
				return nil, r.Err
			}
			return r.Val.(*Conn[SearchHit]).clone(), nil
		}
	}
	return c.computeKept(ctx, key, compute)
}

// computeKept computes a page in a read-only repeatable-read transaction,
// with the registry's version it reads first, and keeps the page under that
// version if it was expensive. One snapshot for both: with a pool of
// replicas behind the connection string, two statements could otherwise
// be answered by two servers, and a page computed from a replica that lags
// be kept under the version read from one that does not.
func (c *Catalog) computeKept(ctx context.Context, key string, compute func(context.Context, *Catalog) (*Conn[SearchHit], error)) (*Conn[SearchHit], error) {
	sc := c.searches
	tx, err := sc.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var version int64
	if err := tx.QueryRow(ctx, registryVersion).Scan(&version); err != nil {
		return nil, fmt.Errorf("search: registry version: %w", err)
	}
	start := time.Now()
	conn, err := compute(ctx, New(tx))
	if err != nil {
		return nil, err
	}
	if time.Since(start) >= sc.min {
		sc.put(key, version, conn)
	}
	return conn, nil
}

// clone copies the page and its items, so that a kept page is never
// changed by a request it is handed to.
func (c *Conn[T]) clone() *Conn[T] {
	out := *c
	out.Items = make([]*T, len(c.Items))
	for i, it := range c.Items {
		v := *it
		out.Items[i] = &v
	}
	out.Cursors = slices.Clone(c.Cursors)
	return &out
}
