package graph

import "testing"

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
