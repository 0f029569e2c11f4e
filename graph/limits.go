package graph

import (
	"context"
	"fmt"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for. They are checked after the
// query is parsed and validated and before any resolver runs, so a query
// refused for its cost costs no SQL.
type Limits struct {
	// MaxNodes bounds the number of objects a query can return, estimated
	// the way GitHub does: a connection's page size multiplies everything
	// under it, and a plain list counts as ListEstimate objects.
	MaxNodes int
	// MaxDepth bounds the nesting of fields.
	MaxDepth int
	// MaxAliases bounds the aliased fields of an operation (alias floods
	// multiply the work of one field without nesting).
	MaxAliases int
	// MaxRootFields bounds the top-level fields of an operation.
	MaxRootFields int
	// MaxFragments bounds the fragment definitions and inline fragments
	// written in the document.
	MaxFragments int
	// MaxSelections bounds the fields a document selects once its
	// fragments are expanded, every operation and fragment counted (as
	// validation sees them). A fragment spread twice counts twice, so a
	// chain of fragments each spreading the next twice is refused here,
	// before validation or execution, however short its text.
	MaxSelections int
	// MaxRepeats bounds how often one response name is selected at one
	// place of the result (repeats, and the same field through several
	// fragments): validation compares such fields pairwise, so its work
	// grows with the square of this.
	MaxRepeats int
	// ListEstimate is how many items an unpaged list is assumed to hold.
	ListEstimate int
}

// DefaultLimits allow every README example several times over; a query
// beyond them is almost certainly a scraper asking for everything at once,
// which the bulk exports serve better.
var DefaultLimits = Limits{
	MaxNodes:      500_000, // GitHub's node limit
	MaxDepth:      12,
	MaxAliases:    50,
	MaxRootFields: 20,
	MaxFragments:  50,
	MaxSelections: 10_000,
	MaxRepeats:    50,
	ListEstimate:  5,
}

// LimitError codes, in extensions.code.
const (
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
	CodeQueryTooDeep    = "QUERY_TOO_DEEP"
	CodeTooManyAliases  = "TOO_MANY_ALIASES"
	CodeTooManyFields   = "TOO_MANY_ROOT_FIELDS"
	CodeTooManyFrags    = "TOO_MANY_FRAGMENTS"
)

// Validate checks the limits are usable.
func (l Limits) Validate(graphql.ExecutableSchema) error {
	if l.MaxNodes <= 0 || l.MaxDepth <= 0 || l.MaxAliases < 0 || l.MaxRootFields <= 0 || l.MaxFragments < 0 ||
		l.MaxSelections <= 0 || l.MaxRepeats <= 0 || l.ListEstimate <= 0 {
		return fmt.Errorf("query limits must be positive: %+v", l)
	}
	return nil
}

// measureDocument refuses a parsed document, before it is validated, whose
// validation or expansion would cost more than the limits allow: too many
// fragments, too many fields once fragments are expanded, or one field
// repeated too often at one place. Its work is linear in the document's
// length until the expanded size is known to be under MaxSelections: each
// fragment's size is counted once and remembered.
func (l Limits) measureDocument(ctx context.Context, doc *ast.QueryDocument) *gqlerror.Error {
	fragments := len(doc.Fragments)
	var inline func(ast.SelectionSet)
	inline = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				inline(s.SelectionSet)
			case *ast.InlineFragment:
				fragments++
				inline(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		inline(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		inline(f.SelectionSet)
	}
	if fragments > l.MaxFragments {
		return refusal(CodeTooManyFrags, "the document has %d fragments; at most %d are allowed", fragments, l.MaxFragments)
	}

	// The number of fields each set selects once expanded, remembered per
	// fragment and saturating past the limit, so a chain of fragments that
	// doubles at each link costs one step per link.
	limit := int64(l.MaxSelections)
	sizes := map[string]int64{}
	var size func(ast.SelectionSet) int64
	size = func(set ast.SelectionSet) int64 {
		var n int64
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				n += 1 + size(s.SelectionSet)
			case *ast.InlineFragment:
				n += size(s.SelectionSet)
			case *ast.FragmentSpread:
				k, done := sizes[s.Name]
				if !done {
					sizes[s.Name] = 0 // a cycle counts nothing; validation refuses it
					if f := doc.Fragments.ForName(s.Name); f != nil {
						k = size(f.SelectionSet)
					}
					sizes[s.Name] = k
				}
				n += k
			}
			n = min(n, limit+1)
		}
		return n
	}
	var total int64
	for _, op := range doc.Operations {
		total = min(total+size(op.SelectionSet), limit+1)
	}
	for _, f := range doc.Fragments {
		total = min(total+size(f.SelectionSet), limit+1)
	}
	if total > limit {
		return refusal(CodeQueryTooComplex, "the document selects more than %d fields once its fragments are expanded; "+
			"select each field once, spread each fragment once, or split the query", l.MaxSelections)
	}
	if ctx.Err() != nil {
		return timeoutError()
	}

	// Now that the expanded document is known to be small, count how often
	// each response name is selected at each place of the result, where
	// validation will compare the selections pairwise.
	type place struct {
		parent int // the place of the field's parent, or of its root
		key    string
	}
	places := map[place]int{}
	var paths []string
	var counts []int
	var repeated *gqlerror.Error
	onPath := map[string]bool{}
	var walk func(set ast.SelectionSet, parent int)
	walk = func(set ast.SelectionSet, parent int) {
		for _, sel := range set {
			if repeated != nil {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				p := place{parent, key}
				id, ok := places[p]
				if !ok {
					id = len(counts)
					places[p] = id
					path := key
					if paths[parent] != "" {
						path = paths[parent] + "." + key
					}
					paths, counts = append(paths, path), append(counts, 0)
				}
				if counts[id]++; counts[id] > l.MaxRepeats {
					repeated = refusal(CodeQueryTooComplex, "%s is selected more than %d times (repeated, or through several fragments); "+
						"select each field once", paths[id], l.MaxRepeats)
					return
				}
				walk(s.SelectionSet, id)
			case *ast.InlineFragment:
				walk(s.SelectionSet, parent)
			case *ast.FragmentSpread:
				f := doc.Fragments.ForName(s.Name)
				if f == nil || onPath[s.Name] {
					continue
				}
				onPath[s.Name] = true
				walk(f.SelectionSet, parent)
				delete(onPath, s.Name)
			}
		}
	}
	// Each operation and each fragment is a root of its own: validation
	// checks a fragment's fields among themselves as well as where it is
	// spread.
	root := func(path string) int {
		paths, counts = append(paths, path), append(counts, 0)
		return len(counts) - 1
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet, root(""))
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet, root("(fragment "+f.Name+")"))
	}
	return repeated
}

// MutateOperationContext measures a validated operation's cost and refuses
// it when it is over a limit.
func (l Limits) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	m := measure{limits: l, doc: rc.Doc, vars: rc.Variables, memo: map[memoKey]cost{}}
	c := m.walk(rc.Operation.SelectionSet, false)
	if ctx.Err() != nil {
		return timeoutError()
	}
	switch {
	case c.fields > l.MaxRootFields:
		return refusal(CodeTooManyFields, "the operation has %d top-level fields; at most %d are allowed", c.fields, l.MaxRootFields)
	case c.aliases > int64(l.MaxAliases):
		return refusal(CodeTooManyAliases, "the operation has %d aliased fields; at most %d are allowed", c.aliases, l.MaxAliases)
	case c.depth > l.MaxDepth:
		return refusal(CodeQueryTooDeep, "the operation is nested %d fields deep; at most %d are allowed", c.depth, l.MaxDepth)
	case c.nodes > int64(l.MaxNodes):
		return refusal(CodeQueryTooComplex, "the operation could return about %d objects; at most %d are allowed: ask for smaller pages (first) or fewer nested lists, or use the bulk exports",
			c.nodes, l.MaxNodes)
	}
	return nil
}

// saturation is where counts stop growing, rather than overflow, on absurd
// queries.
const saturation = 1 << 40

// cost is what a selection set asks for when one parent reaches it.
type cost struct {
	nodes   int64 // objects it may return
	depth   int   // its deepest field, 1 for a field of the set itself
	aliases int64 // aliased fields, each expansion of a fragment counted
	fields  int   // fields directly in the set (root fields, at the top)
}

// memoKey is a fragment as it is costed: its cost depends only on whether
// it sits in a connection (whose page size is already counted).
type memoKey struct {
	fragment     string
	inConnection bool
}

type measure struct {
	limits Limits
	doc    *ast.QueryDocument
	vars   map[string]any
	memo   map[memoKey]cost // each fragment costed once, however often it is spread
	// visited counts the fields costed: the walk's own work, which stays
	// linear in the document.
	visited int
}

// walk costs a selection set. inConnection says the set belongs to a
// connection whose page size is already in its parent's count, so its
// edges and nodes lists do not multiply again. A set reached by n parents
// at depth d costs n times its nodes, down to d plus its depth: that is why
// a fragment's cost can be computed once, which keeps the walk linear in
// the document however often fragments spread each other.
func (m *measure) walk(set ast.SelectionSet, inConnection bool) cost {
	var c cost
	add := func(sub cost) {
		c.nodes = min(c.nodes+sub.nodes, saturation)
		c.depth = max(c.depth, sub.depth)
		c.aliases = min(c.aliases+sub.aliases, saturation)
		c.fields += sub.fields
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			add(m.field(s, inConnection))
		case *ast.InlineFragment:
			add(m.walk(s.SelectionSet, inConnection))
		case *ast.FragmentSpread:
			key := memoKey{s.Name, inConnection}
			sub, done := m.memo[key]
			if !done {
				m.memo[key] = cost{} // a cycle costs nothing; validation refused it already
				if f := m.doc.Fragments.ForName(s.Name); f != nil {
					sub = m.walk(f.SelectionSet, inConnection)
				}
				m.memo[key] = sub
			}
			add(sub)
		}
	}
	return c
}

// field costs one field of a set.
func (m *measure) field(f *ast.Field, inConnection bool) cost {
	m.visited++
	c := cost{fields: 1}
	if f.Alias != "" && f.Alias != f.Name {
		c.aliases = 1
	}
	if f.Name == "__schema" || f.Name == "__type" {
		// Introspection reads the schema, not the registry: its cost is
		// bounded by the schema, and the standard introspection query
		// (ofType within ofType) is deeper than any registry query needs.
		return c
	}
	c.depth = 1
	if len(f.SelectionSet) == 0 {
		return c // a scalar costs nothing beyond its object
	}
	factor := int64(1)
	connection := false
	if first, ok := m.firstArg(f); ok {
		// Out-of-range sizes are refused by the resolver with a clearer
		// message; here they count as the largest page allowed.
		factor, connection = min(max(first, 0), maxFirst), true
	} else if f.Definition != nil && f.Definition.Type.Elem != nil && !inConnection {
		factor = int64(m.limits.ListEstimate)
	}
	sub := m.walk(f.SelectionSet, connection)
	// The field's own objects, then everything under each of them.
	c.nodes = min(factor+mulSaturating(factor, sub.nodes), saturation)
	c.depth = max(1, 1+sub.depth)
	c.aliases = min(c.aliases+sub.aliases, saturation)
	return c
}

// mulSaturating multiplies two counts, stopping at saturation.
func mulSaturating(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > saturation/b {
		return saturation
	}
	return min(a*b, saturation)
}

// firstArg is a connection's page size: the first argument's value, its
// default when left out, or the largest allowed when it comes from a
// variable that is not set.
func (m *measure) firstArg(f *ast.Field) (int64, bool) {
	if f.Definition == nil || f.Definition.Arguments.ForName("first") == nil {
		return 0, false
	}
	a := f.Arguments.ForName("first")
	if a == nil || a.Value == nil {
		return defaultFirst, true
	}
	switch a.Value.Kind {
	case ast.IntValue:
		if n, err := strconv.ParseInt(a.Value.Raw, 10, 64); err == nil && n >= 0 {
			return n, true
		}
	case ast.Variable:
		if v, ok := m.vars[a.Value.Raw]; ok {
			switch n := v.(type) {
			case int64:
				return n, true
			case int:
				return int64(n), true
			case float64:
				return int64(n), true
			case interface{ Int64() (int64, error) }:
				if x, err := n.Int64(); err == nil {
					return x, true
				}
			}
		}
		return defaultFirst, true
	}
	return maxFirst, true
}
