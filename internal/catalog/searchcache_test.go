package catalog

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

// statementLog records the SQL a pool runs, batched statements included.
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) add(sql string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, sql)
}

// take returns the statements run since the last take.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sql
	l.sql = nil
	return out
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.add(d.SQL)
	return ctx
}
func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (l *statementLog) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (l *statementLog) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	l.add(d.SQL)
}
func (l *statementLog) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// seededPool is a fresh database holding the seed registry, its statements
// traced by tracer if not nil.
func seededPool(t *testing.T, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewWithTracer(t, tracer)
	d, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(t.Context(), pool, d); err != nil {
		t.Fatal(err)
	}
	return pool
}

// TestSearchCacheFollowsTheRegistry checks that a kept search page is
// answered again only while the registry is unchanged: the second identical
// search runs nothing but the version read, a page asked for differently is
// computed, and after a committed retraction the retracted hit is gone.
func TestSearchCacheFollowsTheRegistry(t *testing.T) {
	t.Parallel()
	log := &statementLog{}
	pool := seededPool(t, log)
	ctx := t.Context()
	c := New(pool)
	if c.searches == nil {
		t.Fatal("a catalog over a pool has no search cache")
	}
	if tx, err := pool.Begin(ctx); err != nil {
		t.Fatal(err)
	} else {
		if New(tx).searches != nil {
			t.Error("a catalog over a transaction has a search cache: it would keep uncommitted data")
		}
		_ = tx.Rollback(ctx)
	}
	c.searches.min = 0 // keep every page: the seed is too small for any search to be slow
	q, err := ParseSearch("surveillance")
	if err != nil {
		t.Fatal(err)
	}
	page := Page{First: 3, WantTotal: true}
	search := func(ctx context.Context, p Page) (*Conn[SearchHit], []string) {
		t.Helper()
		log.take()
		conn, err := c.Search(ctx, q, nil, p)
		if err != nil {
			t.Fatalf("Search: %v", err)
		}
		return conn, log.take()
	}

	first, ran := search(ctx, page)
	if len(first.Items) < 2 || first.Total < 2 {
		t.Fatalf("the seed has %d hits (total %d) for %q; the test needs two", len(first.Items), first.Total, "surveillance")
	}
	if len(ran) < 2 {
		t.Errorf("the first search ran %d statements (%q), want the version read and the search", len(ran), ran)
	}
	again, ran := search(ctx, page)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("the kept page differs from the computed one (-computed +kept):\n%s", diff)
	}
	if len(ran) != 1 {
		t.Errorf("the second identical search ran %d statements (%q), want the version read only", len(ran), ran)
	}
	// What is handed out is a copy: changing it leaves the kept page alone.
	again.Items[0].Score = -1
	if kept, _ := search(ctx, page); kept.Items[0].Score == -1 {
		t.Error("a request's change to its page changed the kept page")
	}

	// Another page, another viewer: computed, not taken from the first.
	for _, tc := range []struct {
		name string
		ctx  context.Context
		p    Page
	}{
		{"other page size", ctx, Page{First: 2, WantTotal: true}},
		{"without total", ctx, Page{First: 3}},
		{"next page", ctx, Page{First: 3, WantTotal: true, After: &first.Cursors[0]}},
		{"editor", registry.WithViewer(ctx, registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}), page},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ran := search(tc.ctx, tc.p); len(ran) < 2 {
				t.Errorf("ran %d statements (%q), want the search computed", len(ran), ran)
			}
		})
	}

	// A committed retraction moves the version on: the page is computed
	// again, without the retracted entry.
	top := first.Items[0].EntryID
	if _, err := pool.Exec(ctx, `UPDATE entries SET status = 'RETRACTED', retraction_reason = 'test' WHERE id = $1`, top); err != nil {
		t.Fatal(err)
	}
	after, ran := search(ctx, page)
	if len(ran) < 2 {
		t.Errorf("after a retraction the search ran %d statements (%q), want it computed", len(ran), ran)
	}
	for _, h := range after.Items {
		if h.EntryID == top {
			t.Errorf("after its retraction, %s is still a hit", top)
		}
	}
	if after.Total != first.Total-1 {
		t.Errorf("after a retraction the total is %d, want %d", after.Total, first.Total-1)
	}
}

// TestRegistryVersionMovesAtCommit checks migration 0012's counter: a
// transaction's writes move it once, and only when they commit, so that no
// reader sees the new version before the data.
func TestRegistryVersionMovesAtCommit(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	version := func() int64 {
		t.Helper()
		var v int64
		if err := pool.QueryRow(ctx, `SELECT version FROM registry_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	write := func(tx pgx.Tx, name string) {
		t.Helper()
		id := uuid.New()
		if _, err := tx.Exec(ctx, `INSERT INTO entries (id, entry_type, version) VALUES ($1, 'TECHNOLOGY', 1)`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO technologies (id, slug, name) VALUES ($1, $2, $2)`, id, name); err != nil {
			t.Fatal(err)
		}
	}

	v0 := version()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write(tx, "one")
	write(tx, "two")
	if got := version(); got != v0 {
		t.Errorf("before commit another connection reads version %d, want %d", got, v0)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := version(); got != v0+1 {
		t.Errorf("after a committed transaction of four writes the version is %d, want %d", got, v0+1)
	}

	tx, err = pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write(tx, "three")
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := version(); got != v0+1 {
		t.Errorf("after a rolled-back transaction the version is %d, want %d", got, v0+1)
	}

	if _, err := pool.Exec(ctx, `UPDATE technologies SET name = 'One' WHERE slug = 'one'`); err != nil {
		t.Fatal(err)
	}
	if got := version(); got != v0+2 {
		t.Errorf("after a single committed statement the version is %d, want %d", got, v0+2)
	}
	var pending int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM registry_version_pending`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("registry_version_pending holds %d rows after every transaction ended, want none", pending)
	}
}

func TestSearchKey(t *testing.T) {
	t.Parallel()
	parse := func(s string) SearchQuery {
		q, err := ParseSearch(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	anon := registry.Viewer{}
	editor := registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}
	cursor := &Cursor{Sort: "0.5", ID: uuid.New()}
	base := searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20})
	same := []string{
		searchKey(parse("  camera   -mosque "), []registry.EntryType{registry.TypeState, registry.TypeVendor}, anon, Page{First: 20}),
		searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeState, registry.TypeVendor, registry.TypeState}, anon, Page{First: 20}),
	}
	for _, k := range same {
		if k != base {
			t.Errorf("searchKey = %q, want %q: the same search", k, base)
		}
	}
	different := map[string]string{
		"query":     searchKey(parse("camera mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20}),
		"phrase":    searchKey(parse(`"camera -mosque"`), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20}),
		"or":        searchKey(parse("camera OR -mosque x"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20}),
		"types":     searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor}, anon, Page{First: 20}),
		"all types": searchKey(parse("camera -mosque"), nil, anon, Page{First: 20}),
		"viewer":    searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, editor, Page{First: 20}),
		"first":     searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 21}),
		"total":     searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20, WantTotal: true}),
		"after":     searchKey(parse("camera -mosque"), []registry.EntryType{registry.TypeVendor, registry.TypeState}, anon, Page{First: 20, After: cursor}),
	}
	for name, k := range different {
		if k == base {
			t.Errorf("%s: searchKey = %q, the same as another search's", name, k)
		}
	}
}

// TestSearchCacheDropsTheLeastRecentlyUsed checks the cache's bound.
func TestSearchCacheDropsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	sc := &searchCache{size: 2, pages: map[string]*keptPage{}}
	page := func(n int) *Conn[SearchHit] { return &Conn[SearchHit]{Total: n} }
	sc.put("a", 1, page(1))
	sc.put("b", 1, page(2))
	if sc.get("a", 1) == nil { // a is now more recent than b
		t.Fatal("a was not kept")
	}
	sc.put("c", 1, page(3))
	if sc.get("b", 1) != nil {
		t.Error("b, the least recently used, was kept beyond the bound")
	}
	if got := sc.get("a", 1); got == nil || got.Total != 1 {
		t.Errorf("a = %+v, want the page kept", got)
	}
	if sc.get("c", 2) != nil {
		t.Error("a page kept at version 1 was answered at version 2")
	}
	// A page computed at an older version (on a replica that lags) does
	// not replace a newer one.
	sc.put("a", 5, page(5))
	sc.put("a", 4, page(4))
	if got := sc.get("a", 5); got == nil || got.Total != 5 {
		t.Errorf("a at version 5 = %+v, want the page kept at version 5", got)
	}
	if sc.get("a", 4) != nil {
		t.Error("a page of an older version replaced a newer one")
	}
}

// TestKeptSearchesKeepViewersApart checks, end to end, that a page kept for
// an editor (who may match confidential quotes) is never an anonymous
// reader's: a word found only in a quote of a confidential source finds
// its entry for the editor, and nothing for the anonymous reader, before
// and after both pages are kept.
func TestKeptSearchesKeepViewersApart(t *testing.T) {
	t.Parallel()
	pool := seededPool(t, nil)
	ctx := t.Context()
	// A citation with a word found nowhere else in the registry; its
	// source made confidential.
	var entryID uuid.UUID
	var sourceID, word string
	err := pool.QueryRow(ctx, `
		SELECT c.entry_id, c.source_id::text, w.word
		FROM citations c, LATERAL ts_stat(format('SELECT %L::tsvector', c.search)) w
		WHERE w.nentry = 1 AND length(w.word) > 6 AND w.word ~ '^[a-z]+$'
		  AND NOT EXISTS (SELECT 1 FROM citations o WHERE o.id <> c.id AND o.search @@ to_tsquery('english_unaccent', quote_literal(w.word)))
		ORDER BY c.id, w.word LIMIT 1`).Scan(&entryID, &sourceID, &word)
	if err != nil {
		t.Fatalf("find a word of one quote: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE sources SET confidential = true WHERE id = $1::uuid`, sourceID); err != nil {
		t.Fatal(err)
	}
	q, err := ParseSearch(word)
	if err != nil {
		t.Fatal(err)
	}
	c := New(pool)
	c.searches.min = 0
	editor := registry.WithViewer(ctx, registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor})
	found := func(ctx context.Context) bool {
		t.Helper()
		conn, err := c.Search(ctx, q, nil, Page{First: 20, WantTotal: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range conn.Items {
			if h.EntryID == entryID {
				return true
			}
		}
		return false
	}
	for round := range 2 { // computed, then kept
		if !found(editor) {
			t.Errorf("round %d: an editor's search for %q, quoted from a confidential source, does not find %s", round, word, entryID)
		}
		if found(ctx) {
			t.Errorf("round %d: an anonymous search for %q finds %s through a confidential quote", round, word, entryID)
		}
	}
}

// TestSearchesThatMissShareOneComputation checks the waits of concurrent
// misses: they share the computation; one that stops waiting returns at
// once with its own context's error; and when the client of the
// computation gives up, a search still waiting computes the page itself.
func TestSearchesThatMissShareOneComputation(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	type result struct {
		conn *Conn[SearchHit]
		err  error
	}
	// blocking is a computation that starts, then waits for release (or
	// for its client to give up).
	type blocking struct {
		computed         atomic.Int32
		started, release chan struct{}
	}
	newBlocking := func() *blocking { return &blocking{started: make(chan struct{}, 4), release: make(chan struct{})} }
	compute := func(b *blocking) func(context.Context, *Catalog) (*Conn[SearchHit], error) {
		return func(ctx context.Context, _ *Catalog) (*Conn[SearchHit], error) {
			b.computed.Add(1)
			b.started <- struct{}{}
			select {
			case <-b.release:
				return &Conn[SearchHit]{Total: 7}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	run := func(c *Catalog, ctx context.Context, b *blocking) <-chan result {
		out := make(chan result, 1)
		go func() {
			conn, err := c.cachedSearch(ctx, "key", compute(b))
			out <- result{conn, err}
		}()
		return out
	}
	wait := func(ch <-chan result) result {
		t.Helper()
		select {
		case r := <-ch:
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("a search is still waiting")
			return result{}
		}
	}

	t.Run("shared", func(t *testing.T) {
		c := New(pool)
		c.searches.min = 0 // a search that comes too late to join finds the page kept
		b := newBlocking()
		leader := run(c, ctx, b)
		<-b.started
		waiter := run(c, ctx, b)
		close(b.release)
		for _, r := range []result{wait(leader), wait(waiter)} {
			if r.err != nil || r.conn.Total != 7 {
				t.Errorf("search = %+v, %v; want the computed page", r.conn, r.err)
			}
		}
		if n := b.computed.Load(); n != 1 {
			t.Errorf("computed %d times, want once", n)
		}
	})

	t.Run("a waiter gives up", func(t *testing.T) {
		c := New(pool)
		b := newBlocking()
		leader := run(c, ctx, b)
		<-b.started
		short, cancel := context.WithCancel(ctx)
		waiter := run(c, short, b)
		cancel()
		if r := wait(waiter); !errors.Is(r.err, context.Canceled) {
			t.Errorf("the waiter that gave up got %+v, %v; want its own context's error, before the computation ends", r.conn, r.err)
		}
		close(b.release)
		if r := wait(leader); r.err != nil {
			t.Errorf("the leader got %v", r.err)
		}
	})

	t.Run("the leader gives up", func(t *testing.T) {
		c := New(pool)
		b := newBlocking()
		short, cancel := context.WithCancel(ctx)
		leader := run(c, short, b)
		<-b.started
		waiter := run(c, ctx, b)
		cancel()
		if r := wait(leader); !errors.Is(r.err, context.Canceled) {
			t.Errorf("the leader that gave up got %v, want context.Canceled", r.err)
		}
		close(b.release)
		if r := wait(waiter); r.err != nil || r.conn.Total != 7 {
			t.Errorf("the waiter got %+v, %v; want the page", r.conn, r.err)
		}
	})
}

// TestEveryTableSearchReadsMovesTheVersion checks that each table a search
// reads has migration 0012's trigger, so that a new entry type cannot be
// left out of the registry's version.
func TestEveryTableSearchReadsMovesTheVersion(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	tables := []string{"entries", "citations", "sources", "entry_quotes"}
	for _, st := range searchTables {
		tables = append(tables, st.table)
	}
	for _, table := range tables {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_trigger
			WHERE tgrelid = $1::regclass AND tgname = $1 || '_registry_version'`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s has no %s_registry_version trigger: its writes would not move the registry's version", table, table)
		}
	}
}
