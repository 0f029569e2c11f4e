package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"oversight/internal/catalog"
	"oversight/internal/registry"
	"oversight/internal/request"
)

// Direct reads: the hot read shapes without gqlgen's executor.
//
// gqlgen resolves every field of every object on its own: a field context,
// a middleware call, a marshaler and often a goroutine each. For a wide
// nested query (8,775 objects at scale 1) that is about a million
// allocations and most of the request's CPU, more than PostgreSQL spends
// answering its statements (BENCHMARKS.md, "The gaps, in numbers").
//
// directSchema answers a query operation itself when every field the
// operation selects is one it knows (directTypes): it fetches level by level,
// one catalog call per selected relation for all the parents at that level
// (the same calls, with the same arguments, as the resolvers' loaders make),
// then writes the JSON straight from the rows. Anything else (an unknown
// field, an abstract type, an argument it does not take, a directive other
// than @skip and @include) goes to gqlgen before any SQL is sent. So does any
// error, or a null where the schema promises a value: gqlgen runs the
// operation again and answers it with its errors, partial data and paths,
// exactly as it would have. Reads have no side effects, so running one twice
// costs time, never correctness.
//
// The two paths must answer alike, byte for byte: direct_test.go checks
// every field directTypes knows against gqlgen's answer, for an anonymous
// reader and an editor, with confidential sources among the citations.
type directSchema struct {
	graphql.ExecutableSchema
	cat    *catalog.Catalog
	logger *slog.Logger
	types  map[string]*dtype
	// lastSize is the length of the last answer written, a first guess at
	// the next one's.
	lastSize *atomic.Int64
	// implementors is, for each object type, the names fragments may use to
	// select it: itself, its interfaces and the unions it belongs to.
	implementors map[string][]string
}

func newDirectSchema(inner graphql.ExecutableSchema, cat *catalog.Catalog, logger *slog.Logger) directSchema {
	s := directSchema{ExecutableSchema: inner, cat: cat, logger: logger, types: directTypes(), implementors: map[string][]string{}, lastSize: new(atomic.Int64)}
	schema := inner.Schema()
	for name, def := range schema.Types {
		if def.Kind != ast.Object {
			continue
		}
		impl := append([]string{name}, def.Interfaces...)
		for _, u := range schema.Types {
			if u.Kind == ast.Union && slices.Contains(u.Types, name) {
				impl = append(impl, u.Name)
			}
		}
		s.implementors[name] = impl
	}
	return s
}

// Exec implements graphql.ExecutableSchema.
func (s directSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	if !graphql.HasOperationContext(ctx) {
		return s.ExecutableSchema.Exec(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return s.ExecutableSchema.Exec(ctx)
	}
	p := planner{s: s, oc: oc}
	root, ok := p.selection(oc.Operation.SelectionSet, s.types["Query"])
	if !ok {
		return s.ExecutableSchema.Exec(ctx)
	}
	inner := s.ExecutableSchema.Exec(ctx)
	done := false
	return func(ctx context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		data, err := s.run(ctx, root)
		if err != nil {
			if p, ok := err.(directPanic); ok && s.logger != nil {
				s.logger.ErrorContext(ctx, "panic in a direct read; gqlgen answers instead", "request_id", request.ID(ctx), "panic", p.v)
			}
			// gqlgen's answer, with its errors where they belong.
			return inner(ctx)
		}
		if answered, ok := ctx.Value(directProbeKey{}).(*atomic.Bool); ok {
			answered.Store(true)
		}
		return &graphql.Response{Data: data}
	}
}

// directPanic is a panic in the direct path, recovered: a bug to log, and
// a query for gqlgen to answer.
type directPanic struct{ v any }

func (p directPanic) Error() string { return fmt.Sprintf("direct read: panic: %v", p.v) }

// directProbeKey marks a request whose context holds an *atomic.Bool that
// the direct path sets when it answers: the tests that compare the two
// paths check with it that the direct one really answered.
type directProbeKey struct{}

func (s directSchema) run(ctx context.Context, root []*pnode) (data []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			data, err = nil, directPanic{v}
		}
	}()
	if err := s.fetch(ctx, root, []any{nil}); err != nil {
		return nil, err
	}
	w := &jw{}
	// Start at the size of the last answer (the hot shapes repeat), to
	// save most of the buffer's doublings on a large one.
	w.Grow(int(min(s.lastSize.Load(), maxSizeHint)))
	w.object(root, value{})
	s.lastSize.Store(int64(w.Len()))
	return w.Bytes(), nil
}

// maxSizeHint bounds the buffer a direct read starts with.
const maxSizeHint = 4 << 20

// dtype is an object type the direct path can answer: its scalar fields,
// written from the Go value, and its relations, fetched for many parents at
// once.
type dtype struct {
	name    string
	scalars map[string]func(w *jw, obj any)
	links   map[string]*dlink
	// goType is the Go type of the type's values, for the entry types: an
	// abstract relation (dlink.abstract) picks the selection to write by it.
	goType reflect.Type
}

type linkKind int

const (
	linkOne  linkKind = iota // a single object, or null
	linkList                 // a non-null list of non-null objects
	linkConn                 // a connection (edges, nodes, pageInfo, totalCount)
)

// dlink is a relation: fetch returns one value per parent, in the parents'
// order: an object or nil (linkOne), a []any (linkList) or a *dconn.
type dlink struct {
	kind linkKind
	typ  string // the element type's name
	// abstract: typ is an interface (Entry), and each value is written
	// with the selection planned for its own type (linkOne only).
	abstract bool
	conn     string // linkConn: the connection's name, before "Connection"; typ if empty
	nonNull  bool   // linkOne only: null is an error
	// args are the arguments the relation takes; paged relations take first
	// and after. Others send the query to gqlgen.
	args []string
	// filter reads the filter argument, when the relation takes one and
	// the direct path can read what was given; ok false sends the query to
	// gqlgen. Without it, only a null or absent filter is taken.
	filter func(in map[string]any, a *dargs) (ok bool)
	// narrow, when set, sees what is asked of the relation's elements and
	// may tell fetch to read less (dargs.sourceBrief).
	narrow func(sel []*pnode, a *dargs)
	fetch  func(ctx context.Context, cat *catalog.Catalog, parents []any, a dargs) ([]any, error)
}

// dargs are a relation's arguments, checked as the resolvers check them.
type dargs struct {
	page     catalog.Page
	slug     string
	evidence catalog.EvidenceFilter
	search   catalog.SearchQuery
	types    []registry.EntryType
	// sourceBrief: the citations' sources are asked for no more than
	// briefSource.
	sourceBrief bool
}

// dconn is one page of a connection.
type dconn struct {
	items   []any
	cursors []catalog.Cursor
	hasNext bool
	hasPrev bool
	total   int
}

func toConn[T any](c *catalog.Conn[T], p catalog.Page) *dconn {
	out := &dconn{hasPrev: p.After != nil}
	if c == nil {
		return out
	}
	out.items = make([]any, len(c.Items))
	for i, x := range c.Items {
		out.items[i] = x
	}
	out.cursors, out.hasNext, out.total = c.Cursors, c.HasNext, c.Total
	return out
}

type nodeKind int

const (
	kScalar   nodeKind = iota
	kTypename          // __typename, anywhere
	kLink              // a relation (dlink)
	// Inside a connection:
	kTotal
	kNodes // nodes: sel is on the element type
	kEdges // edges: sel holds kCursor, kNode and kTypename
	kPageInfo
	kCursor
	kNode
	kHasNext
	kHasPrev
	kStartCursor
	kEndCursor
)

// pnode is one selected field, planned: what to write under which key, and
// for a relation, the values fetched for its parents (vals, in the order the
// writer meets the parents; cur is the writer's place).
type pnode struct {
	key      string
	name     string // the field's name
	kind     nodeKind
	scalar   func(w *jw, obj any)
	typename string
	link     *dlink
	args     dargs
	sel      []*pnode
	// alts replace sel under an abstract relation: the selection planned
	// for each concrete type, by its values' Go type.
	alts map[reflect.Type][]*pnode
	vals []any
	cur  int
}

// planner turns an operation's selections into pnodes, or says it cannot.
type planner struct {
	s  directSchema
	oc *graphql.OperationContext
}

// fields collects a selection set on an object of type typeName as the
// GraphQL specification's CollectFields does: the fields with one response
// key become one, at the place of the first, their selections concatenated;
// fragments whose type condition the type does not satisfy are left out;
// @skip and @include are honoured. Every selection the direct path plans
// goes through it, so a key is written once whatever the fragments that
// select it. ok is false for what the direct path does not do: any other
// directive (@defer), or a fragment it cannot find.
//
// It is not gqlgen's graphql.CollectFields, which merges two fields only
// when the types that select them are related (Vendor and Entry, not Node
// and Entry) and leaves the rest to its writer, which writes the first of
// them and drops the others with their selections. In this schema the only
// fields two unrelated abstract types share are id and __typename, which
// have no selections, so the two answers agree; direct_test.go checks it.
func (p planner) fields(sel ast.SelectionSet, typeName string) ([]graphql.CollectedField, bool) {
	impl, ok := p.s.implementors[typeName]
	if !ok {
		return nil, false
	}
	c := collector{oc: p.oc, impl: impl}
	if !c.collect(sel) {
		return nil, false
	}
	return c.out, true
}

// collector is one run of CollectFields on an object type.
type collector struct {
	oc   *graphql.OperationContext
	impl []string // the names fragments may select the type by
	// visited are the named fragments spread so far: the specification
	// collects each once per selection set, however often it is spread.
	visited map[string]bool
	out     []graphql.CollectedField
}

func (c *collector) collect(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			include, ok := c.included(s.Directives)
			if !ok {
				return false
			}
			if !include {
				continue
			}
			// A selection holds a few dozen fields at most: a scan costs
			// less than a map.
			i := slices.IndexFunc(c.out, func(f graphql.CollectedField) bool { return f.Alias == s.Alias })
			if i < 0 {
				c.out = append(c.out, graphql.CollectedField{Field: s})
				i = len(c.out) - 1
			}
			// Appending to a slice of our own, never to the document's.
			c.out[i].Selections = append(c.out[i].Selections, s.SelectionSet...)
		case *ast.InlineFragment:
			include, ok := c.included(s.Directives)
			if !ok {
				return false
			}
			if !include || (s.TypeCondition != "" && !slices.Contains(c.impl, s.TypeCondition)) {
				continue
			}
			if !c.collect(s.SelectionSet) {
				return false
			}
		case *ast.FragmentSpread:
			include, ok := c.included(s.Directives)
			if !ok {
				return false
			}
			if !include || c.visited[s.Name] {
				continue
			}
			if c.visited == nil {
				c.visited = map[string]bool{}
			}
			c.visited[s.Name] = true
			f := c.oc.Doc.Fragments.ForName(s.Name)
			if f == nil {
				return false
			}
			if !slices.Contains(c.impl, f.TypeCondition) {
				continue
			}
			if !c.collect(f.SelectionSet) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// included reads a selection's @skip and @include; ok is false for any
// other directive, or an if that is not a boolean (gqlgen's to report).
func (c *collector) included(dirs ast.DirectiveList) (include, ok bool) {
	include = true
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			return false, false
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			return false, false
		}
		v, err := arg.Value.Value(c.oc.Variables)
		if err != nil {
			return false, false
		}
		b, isBool := v.(bool)
		if !isBool {
			return false, false
		}
		if b == (d.Name == "skip") {
			include = false
		}
	}
	return include, true
}

func (p planner) selection(sel ast.SelectionSet, t *dtype) ([]*pnode, bool) {
	if t == nil {
		return nil, false
	}
	fs, ok := p.fields(sel, t.name)
	if !ok {
		return nil, false
	}
	out := make([]*pnode, 0, len(fs))
	for _, f := range fs {
		n := &pnode{key: f.Alias, name: f.Name}
		if f.Name == "__typename" {
			n.kind, n.typename = kTypename, t.name
			out = append(out, n)
			continue
		}
		if w, ok := t.scalars[f.Name]; ok {
			if len(f.Arguments) > 0 {
				return nil, false
			}
			n.kind, n.scalar = kScalar, w
			out = append(out, n)
			continue
		}
		l, ok := t.links[f.Name]
		if !ok {
			return nil, false
		}
		n.kind, n.link = kLink, l
		if n.args, ok = p.arguments(f, l); !ok {
			return nil, false
		}
		if l.kind == linkConn {
			name := l.conn
			if name == "" {
				name = l.typ
			}
			n.sel, ok = p.connection(f.Selections, name, l.typ, &n.args.page)
		} else if l.abstract {
			n.alts, ok = p.alternatives(f.Selections, l.typ)
		} else {
			n.sel, ok = p.selection(f.Selections, p.s.types[l.typ])
		}
		if !ok {
			return nil, false
		}
		if l.narrow != nil {
			l.narrow(n.sel, &n.args)
		}
		out = append(out, n)
	}
	return out, true
}

// alternatives plans a selection on an interface once for each type the
// direct path knows that implements it. A value of another type makes the
// fetch fail, and gqlgen answer.
func (p planner) alternatives(sel ast.SelectionSet, iface string) (map[reflect.Type][]*pnode, bool) {
	alts := map[reflect.Type][]*pnode{}
	for _, t := range p.s.types {
		if t.goType == nil || !slices.Contains(p.s.implementors[t.name], iface) {
			continue
		}
		s, ok := p.selection(sel, t)
		if !ok {
			return nil, false
		}
		alts[t.goType] = s
	}
	return alts, len(alts) > 0
}

// arguments reads a relation's arguments: only those it takes, with valid
// values (an invalid one is gqlgen's to report).
func (p planner) arguments(f graphql.CollectedField, l *dlink) (dargs, bool) {
	var a dargs
	args := f.ArgumentMap(p.oc.Variables)
	for name, v := range args {
		if v == nil {
			continue
		}
		if !slices.Contains(l.args, name) {
			return a, false
		}
		if name == "filter" {
			in, ok := v.(map[string]any)
			if !ok || l.filter == nil || !l.filter(in, &a) {
				return a, false
			}
		}
	}
	if l.kind == linkConn {
		var first *int
		var after *string
		if v := args["first"]; v != nil {
			n, err := graphql.UnmarshalInt(v)
			if err != nil {
				return a, false
			}
			first = &n
		}
		if v := args["after"]; v != nil {
			s, ok := v.(string)
			if !ok {
				return a, false
			}
			after = &s
		}
		page, err := newPage(first, after)
		if err != nil {
			return a, false
		}
		a.page = page
	}
	if v, ok := args["slug"]; ok {
		s, ok := v.(string)
		if !ok {
			return a, false
		}
		a.slug = s
	}
	if v, ok := args["query"]; ok {
		// An invalid query is gqlgen's to report.
		s, ok := v.(string)
		if !ok {
			return a, false
		}
		q, err := catalog.ParseSearch(s)
		if err != nil {
			return a, false
		}
		a.search = q
	}
	if v := args["types"]; v != nil {
		vs, ok := v.([]any)
		if !ok {
			return a, false
		}
		for _, x := range vs {
			var t registry.EntryType
			if err := t.UnmarshalGQL(x); err != nil {
				return a, false
			}
			a.types = append(a.types, t)
		}
	}
	return a, true
}

// The fields of the types every connection shares, and how each is written.
var (
	connectionFields = map[string]nodeKind{"totalCount": kTotal, "nodes": kNodes, "edges": kEdges, "pageInfo": kPageInfo}
	edgeFields       = map[string]nodeKind{"cursor": kCursor, "node": kNode}
	pageInfoFields   = map[string]nodeKind{"hasNextPage": kHasNext, "hasPreviousPage": kHasPrev, "startCursor": kStartCursor, "endCursor": kEndCursor}
)

// connection plans the selection on a connection of typ (the type
// name+"Connection"), its edges and its pageInfo, and notes whether it asks
// for totalCount (which costs a count).
func (p planner) connection(sel ast.SelectionSet, name, typ string, page *catalog.Page) ([]*pnode, bool) {
	nodes := func(f graphql.CollectedField, n *pnode) (ok bool) {
		n.sel, ok = p.selection(f.Selections, p.s.types[typ])
		return ok
	}
	return p.fixed(sel, name+"Connection", connectionFields, func(f graphql.CollectedField, n *pnode) (ok bool) {
		switch n.kind {
		case kTotal:
			page.WantTotal = true
		case kNodes:
			return nodes(f, n)
		case kEdges:
			n.sel, ok = p.fixed(f.Selections, name+"Edge", edgeFields, func(f graphql.CollectedField, n *pnode) bool {
				return n.kind != kNode || nodes(f, n)
			})
			return ok
		case kPageInfo:
			n.sel, ok = p.fixed(f.Selections, "PageInfo", pageInfoFields, nil)
			return ok
		}
		return true
	})
}

// fixed plans a selection on a type whose fields are kinds (and
// __typename); sub, when set, plans what a field selects in turn.
func (p planner) fixed(sel ast.SelectionSet, typeName string, kinds map[string]nodeKind, sub func(graphql.CollectedField, *pnode) bool) ([]*pnode, bool) {
	fs, ok := p.fields(sel, typeName)
	if !ok {
		return nil, false
	}
	out := make([]*pnode, 0, len(fs))
	for _, f := range fs {
		n := &pnode{key: f.Alias, name: f.Name}
		switch kind, known := kinds[f.Name]; {
		case f.Name == "__typename":
			n.kind, n.typename = kTypename, typeName
		case !known:
			return nil, false
		default:
			n.kind = kind
			if sub != nil && !sub(f, n) {
				return nil, false
			}
		}
		out = append(out, n)
	}
	return out, true
}

// errNull is a null where the schema promises a value: gqlgen reports it.
var errNull = errors.New("direct read: null in a non-null field")

// fetch reads every relation selected under sel for all of parents at once,
// then the level below; sibling relations are read concurrently, each with
// one catalog call, so the statements follow the query's depth.
func (s directSchema) fetch(ctx context.Context, sel []*pnode, parents []any) error {
	var links []*pnode
	for _, n := range sel {
		if n.kind == kLink {
			links = append(links, n)
		}
	}
	switch len(links) {
	case 0:
		return nil
	case 1:
		return s.fetchLink(ctx, links[0], parents)
	}
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for i, n := range links {
		wg.Go(func() {
			// A panic here would end the process: nothing above this
			// goroutine recovers it. As an error, gqlgen answers instead.
			defer func() {
				if v := recover(); v != nil {
					errs[i] = directPanic{v}
				}
			}()
			errs[i] = s.fetchLink(ctx, n, parents)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s directSchema) fetchLink(ctx context.Context, n *pnode, parents []any) error {
	if len(parents) == 0 {
		return nil
	}
	vals, err := n.link.fetch(ctx, s.cat, parents, n.args)
	if err != nil {
		return err
	}
	if len(vals) != len(parents) {
		return fmt.Errorf("direct read: %d values for %d parents", len(vals), len(parents))
	}
	n.vals = vals
	var children []any
	switch n.link.kind {
	case linkOne:
		children = make([]any, 0, len(vals))
		for _, v := range vals {
			if v == nil {
				if n.link.nonNull {
					return errNull
				}
				continue
			}
			children = append(children, v)
		}
		if n.alts != nil {
			return s.fetchAlternatives(ctx, n.alts, children)
		}
		return s.fetch(ctx, n.sel, children)
	case linkList:
		for _, v := range vals {
			children = append(children, v.([]any)...)
		}
		return s.fetch(ctx, n.sel, children)
	}
	// A connection: its nodes, under nodes and under edges { node }, are the
	// parents of the level below.
	for _, v := range vals {
		children = append(children, v.(*dconn).items...)
	}
	for _, c := range n.sel {
		switch c.kind {
		case kNodes:
			if err := s.fetch(ctx, c.sel, children); err != nil {
				return err
			}
		case kEdges:
			for _, e := range c.sel {
				if e.kind == kNode {
					if err := s.fetch(ctx, e.sel, children); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// fetchAlternatives reads the level below an abstract relation: for the
// values of each type, in their order, what that type's selection asks.
func (s directSchema) fetchAlternatives(ctx context.Context, alts map[reflect.Type][]*pnode, children []any) error {
	var types []reflect.Type
	byType := map[reflect.Type][]any{}
	for _, c := range children {
		t := reflect.TypeOf(c)
		if _, ok := alts[t]; !ok {
			return fmt.Errorf("direct read: no selection planned for %s", t)
		}
		if _, seen := byType[t]; !seen {
			types = append(types, t)
		}
		byType[t] = append(byType[t], c)
	}
	for _, t := range types {
		if err := s.fetch(ctx, alts[t], byType[t]); err != nil {
			return err
		}
	}
	return nil
}

// jw writes JSON as gqlgen's marshalers do.
type jw struct{ bytes.Buffer }

func (w *jw) null() { w.WriteString("null") }

func (w *jw) boolean(b bool) {
	if b {
		w.WriteString("true")
	} else {
		w.WriteString("false")
	}
}

// str writes s quoted, escaped exactly as gqlgen's String marshaler does.
func (w *jw) str(s string) {
	const hex = "0123456789ABCDEF" // gqlgen writes \u001F, not \u001f
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		w.WriteString(s[start:i])
		switch c {
		case '\t':
			w.WriteString(`\t`)
		case '\r':
			w.WriteString(`\r`)
		case '\n':
			w.WriteString(`\n`)
		case '\\':
			w.WriteString(`\\`)
		case '"':
			w.WriteString(`\"`)
		default:
			w.WriteString(`\u00`)
			w.WriteByte(hex[c>>4])
			w.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}

func (w *jw) strp(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

func (w *jw) key(k string) {
	w.WriteByte('"')
	w.WriteString(k) // a GraphQL name: nothing to escape
	w.WriteString(`":`)
}

// value is what a selection is written from: an entry (obj), a page of a
// connection (conn, for the connection and its pageInfo), or an edge (obj
// and its cursor).
type value struct {
	obj    any
	conn   *dconn
	cursor catalog.Cursor
}

func (w *jw) object(sel []*pnode, v value) {
	w.WriteByte('{')
	for i, n := range sel {
		if i > 0 {
			w.WriteByte(',')
		}
		w.key(n.key)
		switch n.kind {
		case kScalar:
			n.scalar(w, v.obj)
		case kTypename:
			w.str(n.typename)
		case kLink:
			x := n.vals[n.cur]
			n.cur++
			switch n.link.kind {
			case linkOne:
				switch {
				case x == nil:
					w.null()
				case n.alts != nil:
					w.object(n.alts[reflect.TypeOf(x)], value{obj: x})
				default:
					w.object(n.sel, value{obj: x})
				}
			case linkList:
				w.list(n.sel, x.([]any))
			case linkConn:
				w.object(n.sel, value{conn: x.(*dconn)})
			}
		case kTotal:
			w.WriteString(strconv.Itoa(v.conn.total))
		case kNodes:
			w.list(n.sel, v.conn.items)
		case kEdges:
			w.WriteByte('[')
			for j, x := range v.conn.items {
				if j > 0 {
					w.WriteByte(',')
				}
				w.object(n.sel, value{obj: x, cursor: v.conn.cursors[j]})
			}
			w.WriteByte(']')
		case kPageInfo:
			w.object(n.sel, value{conn: v.conn})
		case kCursor:
			w.str(encodeCursor(v.cursor))
		case kNode:
			w.object(n.sel, value{obj: v.obj})
		case kHasNext:
			w.boolean(v.conn.hasNext)
		case kHasPrev:
			w.boolean(v.conn.hasPrev)
		case kStartCursor:
			w.cursorAt(v.conn, 0)
		case kEndCursor:
			w.cursorAt(v.conn, len(v.conn.items)-1)
		}
	}
	w.WriteByte('}')
}

func (w *jw) list(sel []*pnode, items []any) {
	w.WriteByte('[')
	for i, x := range items {
		if i > 0 {
			w.WriteByte(',')
		}
		w.object(sel, value{obj: x})
	}
	w.WriteByte(']')
}

// cursorAt writes the cursor of item i of a page, or null for an empty page.
func (w *jw) cursorAt(c *dconn, i int) {
	if len(c.items) == 0 {
		w.null()
		return
	}
	w.str(encodeCursor(c.cursors[i]))
}
