package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"oversight/graph/generated"
)

// validated parses and validates a document against the served schema, as
// gqlgen does before the limits see it.
func validated(t *testing.T, query string) *graphql.OperationContext {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if errs := validator.ValidateWithRules(schema, doc, validationRules()); len(errs) > 0 {
		t.Fatalf("validate %q: %v", query, errs)
	}
	return &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
}

// TestLimitsCostFragmentsAsTheirExpansion checks the memoised walk: a
// document with fragments costs exactly what the same document written out
// without them costs, fragments spread in connections and lists included.
func TestLimitsCostFragmentsAsTheirExpansion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, fragments, inlined string
	}{
		{
			"spread twice at two depths",
			`{ vendors(first: 10) { nodes { ...V } } vendor(slug: "x") { ...V } }
			fragment V on Vendor { name products { name technologies { slug } } a: parent { ...P } }
			fragment P on Vendor { name history(first: 3) { totalCount nodes { version } } }`,
			`{ vendors(first: 10) { nodes { name products { name technologies { slug } } a: parent { name history(first: 3) { totalCount nodes { version } } } } }
			vendor(slug: "x") { name products { name technologies { slug } } a: parent { name history(first: 3) { totalCount nodes { version } } } } }`,
		},
		{
			"in a connection and outside it",
			`{ states(first: 7) { nodes { ...S } edges { node { ...S } } } }
			fragment S on State { name agencies { name } }`,
			`{ states(first: 7) { nodes { name agencies { name } } edges { node { name agencies { name } } } } }`,
		},
		{
			"nested fragments and inline fragments",
			`{ vendors(first: 4) { ...C } }
			fragment C on VendorConnection { nodes { ... on Vendor { ...N } } }
			fragment N on Vendor { x: name y: name products { ... on Product { name } } }`,
			`{ vendors(first: 4) { nodes { x: name y: name products { name } } } }`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			costOf := func(q string) cost {
				rc := validated(t, q)
				m := measure{limits: DefaultLimits, doc: rc.Doc, vars: rc.Variables, memo: map[memoKey]cost{}}
				return m.walk(rc.Operation.SelectionSet, false)
			}
			got, want := costOf(tc.fragments), costOf(tc.inlined)
			if got != want || got.nodes == 0 {
				t.Errorf("with fragments %+v, written out %+v", got, want)
			}
		})
	}
}

// TestLimitsWalkEachFragmentOnce checks a validated chain of 40 fragments,
// each spreading the next twice (2^40 expansions), is costed in one step per
// fragment and refused: the walk used to expand every spread again.
func TestLimitsWalkEachFragmentOnce(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{ vendor(slug: \"x\") { ...F0 } }\n")
	for i := range 40 {
		fmt.Fprintf(&b, "fragment F%d on Vendor { parent { ...F%d } subsidiaries { ...F%d } }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F40 on Vendor { name }\n")
	rc := validated(t, b.String())
	m := measure{limits: DefaultLimits, doc: rc.Doc, vars: rc.Variables, memo: map[memoKey]cost{}}
	c := m.walk(rc.Operation.SelectionSet, false)
	if m.visited > 122 {
		t.Errorf("the walk costed %d fields for a document of 122", m.visited)
	}
	if c.nodes < int64(DefaultLimits.MaxNodes) || c.depth != 42 {
		t.Errorf("cost %+v, want more than %d objects at depth 42", c, DefaultLimits.MaxNodes)
	}
	if err := DefaultLimits.MutateOperationContext(context.Background(), rc); err == nil || err.Extensions["code"] != CodeQueryTooDeep {
		t.Errorf("refusal %v, want %s", err, CodeQueryTooDeep)
	}
}

// BenchmarkGuardWorkloads times what the guard adds to a request whose
// document gqlgen has not cached (a distinct query, or the first after a
// restart): its own parse, the document's measures and the variables'
// coercion, for each benchmark workload's query. A cached document skips
// all but the coercion.
func BenchmarkGuardWorkloads(b *testing.B) {
	g := newGuard(DefaultLimits, nil, parserTokenLimit)
	if err := g.Validate(generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})); err != nil {
		b.Fatal(err)
	}
	for _, w := range []struct {
		name string
		vars map[string]any
	}{
		{"wide", map[string]any{"states": json.Number("50"), "deployments": json.Number("20")}},
		{"dossier", map[string]any{"slug": "hikvision"}},
		{"evidence", map[string]any{"technology": "facial-recognition"}},
		{"search", map[string]any{"q": "surveillance"}},
	} {
		q, err := os.ReadFile("../bench/workloads/" + w.name + ".oversight.graphql")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(w.name, func(b *testing.B) {
			for b.Loop() {
				p := &graphql.RawParams{Query: string(q), Variables: maps.Clone(w.vars)}
				if e := g.MutateOperationParameters(b.Context(), p); e != nil {
					b.Fatal(e)
				}
			}
		})
	}
}
