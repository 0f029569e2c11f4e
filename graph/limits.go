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
	// MaxFragments bounds fragment definitions and inline fragments.
	MaxFragments int
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

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Limits{}

// ExtensionName implements graphql.HandlerExtension.
func (Limits) ExtensionName() string { return "OversightLimits" }

// Validate implements graphql.HandlerExtension.
func (l Limits) Validate(graphql.ExecutableSchema) error {
	if l.MaxNodes <= 0 || l.MaxDepth <= 0 || l.MaxAliases < 0 || l.MaxRootFields <= 0 || l.MaxFragments < 0 || l.ListEstimate <= 0 {
		return fmt.Errorf("query limits must be positive: %+v", l)
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator: it
// measures the operation and refuses it when it is over a limit.
func (l Limits) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	m := measure{limits: l, doc: rc.Doc, vars: rc.Variables, seen: map[string]bool{}}
	m.fragments = len(rc.Doc.Fragments)
	roots := m.walk(rc.Operation.SelectionSet, 1, 1, false)
	refuse := func(code, format string, args ...any) *gqlerror.Error {
		return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
	}
	switch {
	case roots > l.MaxRootFields:
		return refuse(CodeTooManyFields, "the operation has %d top-level fields; at most %d are allowed", roots, l.MaxRootFields)
	case m.aliases > l.MaxAliases:
		return refuse(CodeTooManyAliases, "the operation has %d aliased fields; at most %d are allowed", m.aliases, l.MaxAliases)
	case m.fragments > l.MaxFragments:
		return refuse(CodeTooManyFrags, "the operation has %d fragments; at most %d are allowed", m.fragments, l.MaxFragments)
	case m.depth > l.MaxDepth:
		return refuse(CodeQueryTooDeep, "the operation is nested %d fields deep; at most %d are allowed", m.depth, l.MaxDepth)
	case m.nodes > int64(l.MaxNodes):
		return refuse(CodeQueryTooComplex, "the operation could return about %d objects; at most %d are allowed: ask for smaller pages (first) or fewer nested lists, or use the bulk exports",
			m.nodes, l.MaxNodes)
	}
	return nil
}

type measure struct {
	limits    Limits
	doc       *ast.QueryDocument
	vars      map[string]any
	seen      map[string]bool // fragment spreads on the current path, against cycles
	nodes     int64
	depth     int
	aliases   int
	fragments int
}

// walk counts a selection set reached at the given depth by `multiplier`
// parents, and returns the number of fields it has directly (root fields,
// for the top level). inConnection says the set belongs to a connection
// whose page size is already in the multiplier, so its edges and nodes
// lists do not multiply again.
func (m *measure) walk(set ast.SelectionSet, depth int, multiplier int64, inConnection bool) int {
	fields := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			fields++
			m.field(s, depth, multiplier, inConnection)
		case *ast.InlineFragment:
			m.fragments++
			fields += m.walk(s.SelectionSet, depth, multiplier, inConnection)
		case *ast.FragmentSpread:
			if m.seen[s.Name] {
				continue
			}
			f := m.doc.Fragments.ForName(s.Name)
			if f == nil {
				continue
			}
			m.seen[s.Name] = true
			fields += m.walk(f.SelectionSet, depth, multiplier, inConnection)
			delete(m.seen, s.Name)
		}
	}
	return fields
}

func (m *measure) field(f *ast.Field, depth int, multiplier int64, inConnection bool) {
	if f.Alias != "" && f.Alias != f.Name {
		m.aliases++
	}
	if f.Name == "__schema" || f.Name == "__type" {
		// Introspection reads the schema, not the registry: its cost is
		// bounded by the schema, and the standard introspection query
		// (ofType within ofType) is deeper than any registry query needs.
		return
	}
	if depth > m.depth {
		m.depth = depth
	}
	if len(f.SelectionSet) == 0 {
		return // a scalar costs nothing beyond its object
	}
	const cap = 1 << 40 // saturate rather than overflow on absurd queries
	factor := int64(1)
	connection := false
	if first, ok := m.firstArg(f); ok {
		// Out-of-range sizes are refused by the resolver with a clearer
		// message; here they count as the largest page allowed.
		factor, connection = min(max(first, 0), maxFirst), true
	} else if f.Definition != nil && f.Definition.Type.Elem != nil && !inConnection {
		factor = int64(m.limits.ListEstimate)
	}
	next := multiplier * factor
	if next > cap || next < 0 {
		next = cap
	}
	m.nodes += next
	if m.nodes > cap {
		m.nodes = cap
	}
	m.walk(f.SelectionSet, depth+1, next, connection)
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
