package graph

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"oversight/graph/generated"
)

// TestBriefSources checks when a list of citations may be read with brief
// sources: only when no selection of their source asks for more than
// briefSource.
func TestBriefSources(t *testing.T) {
	t.Parallel()
	field := func(name string) *pnode { return &pnode{key: name, name: name, kind: kScalar} }
	source := func(fields ...*pnode) *pnode { return &pnode{key: "source", name: "source", kind: kLink, sel: fields} }
	typename := &pnode{key: "__typename", name: "__typename", kind: kTypename}
	tests := []struct {
		name string
		sel  []*pnode
		want bool
	}{
		{"no source", []*pnode{field("quote")}, true},
		{"title and confidentiality", []*pnode{field("quote"), source(field("id"), field("title"), field("confidential"))}, true},
		{"kind and typename", []*pnode{source(field("kind"), typename)}, true},
		{"a URL", []*pnode{source(field("title"), field("url"))}, false},
		{"publication metadata", []*pnode{source(field("status"))}, false},
		{"two selections, one wide", []*pnode{source(field("title")), {key: "s2", name: "source", kind: kLink, sel: []*pnode{field("authors")}}}, false},
	}
	for _, tt := range tests {
		var a dargs
		briefSources(tt.sel, &a)
		if a.sourceBrief != tt.want {
			t.Errorf("%s: sourceBrief = %t, want %t", tt.name, a.sourceBrief, tt.want)
		}
	}
}

// TestDirectCollectFields checks the direct path's field collection against
// the GraphQL specification's CollectFields: one entry per response key, at
// the place of its first field, with every selection of that key; fragments
// only where their type condition applies; @skip and @include honoured; any
// other directive refused.
func TestDirectCollectFields(t *testing.T) {
	t.Parallel()
	es := generated.NewExecutableSchema(generated.Config{})
	schema, s := es.Schema(), newDirectSchema(es, nil, nil)
	yes := map[string]any{"yes": true, "no": false}
	tests := []struct {
		name  string
		query string // what its first root field selects is collected on typ
		typ   string
		vars  map[string]any
		want  string // the response keys, with what each selects in {}; "refused" for !ok
	}{
		{"a field through two interfaces", `{ vendor(slug: "v") { ... on Node { id } ... on Entry { id } } }`, "Vendor", nil, "id"},
		{"__typename through every abstract type", `{ vendor(slug: "v") { __typename ... on Node { __typename } ... on Entry { __typename }
			... on DesignationSubject { __typename } } }`, "Vendor", nil, "__typename"},
		{"named fragments, spread twice", `query { vendor(slug: "v") { ...N name ...E ...N } } fragment N on Node { id } fragment E on Entry { version id ...N }`,
			"Vendor", nil, "id name version"},
		{"at the place of the first", `{ vendor(slug: "v") { name ... on Entry { id } slug id name ... on Vendor { slug } } }`, "Vendor", nil, "name id slug"},
		{"aliases are response keys", `{ vendor(slug: "v") { slug: name name: slug name: slug id: id ... on Entry { id } } }`, "Vendor", nil, "slug name id"},
		{"selections together", `query { vendor(slug: "v") { products { id } ... on Vendor { products { name id } } ...P citations { quote } ... on Entry { citations { id quote } } } }
			fragment P on Vendor { products { vendor { id } citations { source { title } } } citations { source { ... on Node { id } ... on Entry { id } } } }`,
			"Vendor", nil, "products{id name vendor{id} citations{source{title}}} citations{source{id} quote id}"},
		{"nested fragments", `query { vendor(slug: "v") { ... on Entry { ... on Node { id ... on Vendor { name ...V } } } ... { ... on Vendor { ...V } } } }
			fragment V on Vendor { slug ... on Entry { id version ...W } } fragment W on Node { id }`, "Vendor", nil, "id name slug version"},
		{"type conditions that do not apply", `{ node(id: "x") { ... on Vendor { slug } ... on Source { title } ... on Node { id } ... on Entry { version } } }`,
			"Source", nil, "title id version"},
		{"type conditions that do not apply, another type", `{ node(id: "x") { ... on Vendor { slug } ... on Source { title } ... on Node { id } ... on Entry { version } } }`,
			"Vendor", nil, "slug id version"},
		{"@skip on one of two", `query($yes: Boolean!) { vendor(slug: "v") { name @skip(if: $yes) slug name id @skip(if: $yes) ... on Node { id } } }`,
			"Vendor", yes, "slug name id"},
		{"@include on one of two", `query($no: Boolean!) { vendor(slug: "v") { name @include(if: $no) slug ... on Entry @include(if: $no) { id } ... on Node { id } } }`,
			"Vendor", yes, "slug id"},
		{"@skip and @include together", `query($yes: Boolean!, $no: Boolean!) { vendor(slug: "v") { name @include(if: $yes) @skip(if: $no) slug @include(if: $yes) @skip(if: $yes) } }`,
			"Vendor", yes, "name"},
		{"a skipped fragment spread again", `query($yes: Boolean!) { vendor(slug: "v") { ...F @skip(if: $yes) name ...F } } fragment F on Vendor { slug }`,
			"Vendor", yes, "name slug"},
		{"a skipped field's selection left out", `query($yes: Boolean!) { vendor(slug: "v") { products { id } products @skip(if: $yes) { name } } }`,
			"Vendor", yes, "products{id}"},
		{"a deferred fragment", `{ vendor(slug: "v") { id ... @defer { name } } }`, "Vendor", nil, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, errs := gqlparser.LoadQuery(schema, tt.query)
			if len(errs) > 0 {
				t.Fatalf("LoadQuery(%s): %v", tt.query, errs)
			}
			p := planner{s: s, oc: &graphql.OperationContext{Doc: doc, Variables: tt.vars}}
			root, ok := p.fields(doc.Operations[0].SelectionSet, "Query")
			if !ok || len(root) != 1 {
				t.Fatalf("fields(root) = %d fields, %t; want the one", len(root), ok)
			}
			got, ok := collected(p, root[0].Selections, tt.typ)
			if !ok {
				got = "refused"
			}
			if got != tt.want {
				t.Errorf("fields on %s of %s\n = %s\nwant %s", tt.typ, tt.query, got, tt.want)
			}
		})
	}
}

// collected shows what planner.fields collects of sel on typ: the response
// keys in order, each with what it collects in turn on its field's type.
func collected(p planner, sel ast.SelectionSet, typ string) (string, bool) {
	fs, ok := p.fields(sel, typ)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Alias)
		if len(f.Selections) > 0 {
			sub, ok := collected(p, f.Selections, f.Definition.Type.Name())
			if !ok {
				return "", false
			}
			b.WriteString("{" + sub + "}")
		}
	}
	return b.String(), true
}
