package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"oversight/seed"
)

// pageFields is what every page of a connection is asked for; %s is the
// selection of a node (its ID, or what identifies it when it has none).
const pageFields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { %[1]s } } nodes { %[1]s }`

// pageNode identifies a node of any connection: an entry by its ID, a
// citation by its locator, a version by its number.
type pageNode struct {
	ID      string  `json:"id"`
	Locator *string `json:"locator"`
	Version *int    `json:"version"`
}

type page struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage     bool    `json:"hasNextPage"`
		HasPreviousPage bool    `json:"hasPreviousPage"`
		StartCursor     *string `json:"startCursor"`
		EndCursor       *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string   `json:"cursor"`
		Node   pageNode `json:"node"`
	} `json:"edges"`
	Nodes []pageNode `json:"nodes"`
}

// connCase is one connection of the API: a query taking $first and $after
// (and $id for nested ones), where its page sits in the data, and every
// node it must list, in order.
type connCase struct {
	name  string
	query string // with %s for pageFields
	path  []string
	vars  map[string]any
	sel   string // node selection
	want  []string
}

func (w *world) nodeKey(t *testing.T, n pageNode) string {
	t.Helper()
	switch {
	case n.Locator != nil:
		return *n.Locator
	case n.Version != nil:
		return fmt.Sprintf("v%d", *n.Version)
	}
	return w.keys(t, []string{n.ID})[0]
}

// dig follows path through nested JSON objects.
func dig(t *testing.T, data json.RawMessage, path []string) json.RawMessage {
	t.Helper()
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("response data %s: no object at %q: %v", data, p, err)
		}
		data = m[p]
	}
	return data
}

func (f *fixture) connCases() []connCase {
	w := f.world
	entry := func(typ, field string) string {
		return `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on ` + typ + ` { conn: ` + field + `(first: $first, after: $after) { %s } } } }`
	}
	top := func(field string) string {
		return `query($first: Int, $after: String) { conn: ` + field + `(first: $first, after: $after) { %s } }`
	}
	citedByCIDs := w.citedBy("src-01")
	return []connCase{
		{name: "states", query: top("states"), path: []string{"conn"}, sel: "id",
			want: w.states(func(s seed.State) bool { return w.published(s.Key) })},
		{name: "vendors", query: top("vendors"), path: []string{"conn"}, sel: "id",
			want: w.vendors(func(v seed.Vendor) bool { return w.published(v.Key) })},
		{name: "products", query: top("products"), path: []string{"conn"}, sel: "id",
			want: w.products(func(p seed.Product) bool { return w.published(p.Key) })},
		{name: "deployments", query: top("deployments"), path: []string{"conn"}, sel: "id",
			want: w.deployments(func(d seed.Deployment) bool { return w.published(d.Key) })},
		{name: "abuses", query: top("abuses"), path: []string{"conn"}, sel: "id",
			want: w.abuses(func(a seed.Abuse) bool { return w.published(a.Key) })},
		{name: "designations", query: top("designations"), path: []string{"conn"}, sel: "id",
			want: w.designations(func(d seed.Designation) bool { return w.published(d.Key) })},
		{name: "sources", query: top("sources"), path: []string{"conn"}, sel: "id",
			want: w.sources(func(s seed.Source) bool { return w.published(s.Key) })},
		{name: "vendor.deployments", query: entry("Vendor", "deployments"), path: []string{"node", "conn"}, sel: "id",
			vars: map[string]any{"id": w.id("hikcam")},
			want: w.deployments(func(d seed.Deployment) bool { return deref(d.Vendor) == "hikcam" && w.published(d.Key) })},
		{name: "state.abuses", query: entry("State", "abuses"), path: []string{"node", "conn"}, sel: "id",
			vars: map[string]any{"id": w.id("CN")},
			want: w.abuses(func(a seed.Abuse) bool { return a.State == "CN" && w.published(a.Key) })},
		{name: "state.deployments", query: entry("State", "deployments"), path: []string{"node", "conn"}, sel: "id",
			vars: map[string]any{"id": w.id("CN")},
			want: w.deployments(func(d seed.Deployment) bool { return d.State == "CN" && w.published(d.Key) })},
		{name: "designationList.designations", query: entry("DesignationList", "designations"), path: []string{"node", "conn"}, sel: "id",
			vars: map[string]any{"id": w.id("dl-entity")},
			want: w.designations(func(d seed.Designation) bool { return d.List == "dl-entity" && w.published(d.Key) })},
		{name: "source.citedBy", query: entry("Source", "citedBy"), path: []string{"node", "conn"}, sel: "id locator",
			vars: map[string]any{"id": w.id("src-01")}, want: citedByCIDs},
		{name: "vendor.history", query: entry("Vendor", "history"), path: []string{"node", "conn"}, sel: "version",
			vars: map[string]any{"id": w.id("hikcam")}, want: []string{"v1", "v2", "v3"}},
	}
}

// walk pages through c with first, following endCursor, checking every page,
// and returns the nodes seen.
func (f *fixture) walk(t *testing.T, c connCase, first int) []string {
	t.Helper()
	var seen []string
	var after any
	maxPages := len(c.want)/max(first, 1) + 2
	for n := 0; ; n++ {
		if n > maxPages {
			t.Fatalf("%s(first: %d): still hasNextPage after %d pages, want %d nodes in all", c.name, first, n, len(c.want))
		}
		vars := map[string]any{"first": first, "after": after}
		for k, v := range c.vars {
			vars[k] = v
		}
		var p page
		r := f.query(t, fmt.Sprintf(c.query, fmt.Sprintf(pageFields, c.sel)), vars, nil)
		if err := json.Unmarshal(dig(t, r.Data, c.path), &p); err != nil {
			t.Fatalf("%s page %d: decode %s: %v", c.name, n+1, r.Data, err)
		}
		where := fmt.Sprintf("%s(first: %d, after: %v) page %d", c.name, first, after, n+1)
		if p.TotalCount != len(c.want) {
			t.Errorf("%s: totalCount = %d, want %d", where, p.TotalCount, len(c.want))
		}
		if len(p.Edges) > first || len(p.Edges) != len(p.Nodes) {
			t.Fatalf("%s: %d edges and %d nodes, want as many of each and at most %d", where, len(p.Edges), len(p.Nodes), first)
		}
		if got, want := p.PageInfo.HasPreviousPage, n > 0; got != want {
			t.Errorf("%s: hasPreviousPage = %v, want %v", where, got, want)
		}
		for i, e := range p.Edges {
			k := f.nodeKey(t, e.Node)
			if nk := f.nodeKey(t, p.Nodes[i]); k != nk {
				t.Errorf("%s: edges[%d].node is %s but nodes[%d] is %s, want the same", where, i, k, i, nk)
			}
			seen = append(seen, k)
		}
		if len(p.Edges) == 0 {
			if p.PageInfo.StartCursor != nil || p.PageInfo.EndCursor != nil {
				t.Errorf("%s: empty page has cursors %v, %v; want null", where, p.PageInfo.StartCursor, p.PageInfo.EndCursor)
			}
		} else if deref(p.PageInfo.StartCursor) != p.Edges[0].Cursor || deref(p.PageInfo.EndCursor) != p.Edges[len(p.Edges)-1].Cursor {
			t.Errorf("%s: startCursor/endCursor = %v/%v, want the first and last edges' cursors %q/%q", where,
				deref(p.PageInfo.StartCursor), deref(p.PageInfo.EndCursor), p.Edges[0].Cursor, p.Edges[len(p.Edges)-1].Cursor)
		}
		if !p.PageInfo.HasNextPage {
			if len(p.Edges) == 0 && len(c.want) > 0 {
				t.Errorf("%s: last page is empty; a page before it should have said hasNextPage false", where)
			}
			return seen
		}
		if len(p.Edges) != first {
			t.Errorf("%s: hasNextPage true on a page of %d nodes, want full pages of %d before the last", where, len(p.Edges), first)
		}
		after = *p.PageInfo.EndCursor
	}
}

func TestPaginationWalksEveryConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range f.connCases() {
		for _, first := range []int{1, 7, 100} {
			t.Run(fmt.Sprintf("%s/first=%d", c.name, first), func(t *testing.T) {
				t.Parallel()
				got := f.walk(t, c, first)
				if !slices.Equal(got, c.want) {
					t.Errorf("walking %s with first: %d listed\n%v\nwant (no duplicates, none missing, in the documented order)\n%v", c.name, first, got, c.want)
				}
			})
		}
	}
}

func TestPaginationArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range f.connCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			q := fmt.Sprintf(c.query, fmt.Sprintf(pageFields, c.sel))
			with := func(first, after any) map[string]any {
				vars := map[string]any{"first": first, "after": after}
				for k, v := range c.vars {
					vars[k] = v
				}
				return vars
			}
			// first defaults to 20.
			var p page
			r := f.query(t, q, with(nil, nil), nil)
			if err := json.Unmarshal(dig(t, r.Data, c.path), &p); err != nil {
				t.Fatal(err)
			}
			n := min(20, len(c.want))
			var got []string
			for _, node := range p.Nodes {
				got = append(got, f.nodeKey(t, node))
			}
			if !slices.Equal(got, c.want[:n]) || p.PageInfo.HasNextPage != (len(c.want) > 20) || p.TotalCount != len(c.want) {
				t.Errorf("%s without first: nodes %v, hasNextPage %v, totalCount %d; want the first %d of %v, hasNextPage %v, totalCount %d",
					c.name, got, p.PageInfo.HasNextPage, p.TotalCount, n, c.want, len(c.want) > 20, len(c.want))
			}

			// first: 0 gives no nodes but the right total.
			p = page{}
			r = f.query(t, q, with(0, nil), nil)
			if err := json.Unmarshal(dig(t, r.Data, c.path), &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Nodes) != 0 || len(p.Edges) != 0 || p.TotalCount != len(c.want) || p.PageInfo.HasNextPage != (len(c.want) > 0) {
				t.Errorf("%s(first: 0) = %d nodes, %d edges, totalCount %d, hasNextPage %v; want 0, 0, %d, %v",
					c.name, len(p.Nodes), len(p.Edges), p.TotalCount, p.PageInfo.HasNextPage, len(c.want), len(c.want) > 0)
			}

			// Out of range sizes are refused, naming the bound.
			for _, first := range []int{101, -1, 1000} {
				wantBadInput(t, f.post(t, q, with(first, nil)), "first", "100", fmt.Sprint(first))
			}
			// Cursors this API did not make are refused.
			for _, after := range []string{
				"garbage",
				"",
				base64.RawURLEncoding.EncodeToString([]byte(`["x"]`)),
				base64.RawURLEncoding.EncodeToString([]byte(`["x","not-a-uuid"]`)),
				base64.RawURLEncoding.EncodeToString([]byte(`{"sort":"x"}`)),
				strings.Repeat("A", 2000),
			} {
				wantBadInput(t, f.post(t, q, with(5, after)), "after")
			}
		})
	}
}

// Two parents asked for in one query get a page and a total each, from the
// batched statement that serves them both.
func TestNestedPaginationPerParent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.world

	type sub struct {
		TotalCount int     `json:"totalCount"`
		Nodes      idNodes `json:"nodes"`
		PageInfo   struct {
			HasNextPage bool   `json:"hasNextPage"`
			EndCursor   string `json:"endCursor"`
		} `json:"pageInfo"`
	}
	hik := w.deployments(func(d seed.Deployment) bool { return deref(d.Vendor) == "hikcam" && w.published(d.Key) })
	ns := w.deployments(func(d seed.Deployment) bool { return deref(d.Vendor) == "nsoft" && w.published(d.Key) })

	t.Run("vendor.deployments by alias", func(t *testing.T) {
		t.Parallel()
		q := `query($a: ID!, $b: ID!, $ca: String, $cb: String) {
			a: node(id: $a) { ... on Vendor { deployments(first: 5, after: $ca) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } }
			b: node(id: $b) { ... on Vendor { deployments(first: 5, after: $cb) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }`
		var out struct {
			A struct{ Deployments sub } `json:"a"`
			B struct{ Deployments sub } `json:"b"`
		}
		f.query(t, q, map[string]any{"a": w.id("hikcam"), "b": w.id("nsoft")}, &out)
		check := func(name string, s sub, want []string, total int, next bool) {
			t.Helper()
			if got := w.keys(t, s.Nodes.ids()); !slices.Equal(got, want) || s.TotalCount != total || s.PageInfo.HasNextPage != next {
				t.Errorf("%s.deployments(first: 5) = %v, totalCount %d, hasNextPage %v; want %v, %d, %v", name, got, s.TotalCount, s.PageInfo.HasNextPage, want, total, next)
			}
		}
		check("hikcam", out.A.Deployments, hik[:5], len(hik), true)
		check("nsoft", out.B.Deployments, ns, len(ns), false)

		// The second page of each, each after its own cursor, in one query.
		cur := out.A.Deployments.PageInfo.EndCursor
		f.query(t, q, map[string]any{"a": w.id("hikcam"), "b": w.id("dahview"), "ca": cur, "cb": nil}, &out)
		check("hikcam (page 2)", out.A.Deployments, hik[5:10], len(hik), true)
		dah := w.deployments(func(d seed.Deployment) bool { return deref(d.Vendor) == "dahview" && w.published(d.Key) })
		check("dahview", out.B.Deployments, dah, len(dah), false)
	})

	t.Run("nodes(ids) vendor.deployments", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Nodes []struct{ Deployments sub } `json:"nodes"`
		}
		f.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Vendor { deployments(first: 3) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }`,
			map[string]any{"ids": w.ids("nsoft", "hikcam", "aardvark")}, &out)
		wants := [][]string{ns[:3], hik[:3], nil}
		totals := []int{len(ns), len(hik), 0}
		for i, n := range out.Nodes {
			if got := w.keys(t, n.Deployments.Nodes.ids()); !slices.Equal(got, wants[i]) || n.Deployments.TotalCount != totals[i] {
				t.Errorf("nodes[%d].deployments(first: 3) = %v, totalCount %d; want %v, %d", i, got, n.Deployments.TotalCount, wants[i], totals[i])
			}
		}
		if len(out.Nodes) != 3 {
			t.Errorf("nodes(3 vendor IDs) returned %d nodes, want 3", len(out.Nodes))
		}
	})

	t.Run("state.abuses in a list", func(t *testing.T) {
		t.Parallel()
		var out struct {
			States struct {
				Nodes []struct {
					CountryCode string `json:"countryCode"`
					Abuses      sub    `json:"abuses"`
				} `json:"nodes"`
			} `json:"states"`
		}
		f.query(t, `{ states(filter: {countryCodes: [CN, IR, US]}) { nodes { countryCode abuses(first: 2) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }`, nil, &out)
		want := map[string][]string{}
		for _, cc := range []string{"CN", "IR", "US"} {
			want[cc] = w.abuses(func(a seed.Abuse) bool { return a.State == cc && w.published(a.Key) })
		}
		if len(out.States.Nodes) != 3 {
			t.Fatalf("states(countryCodes: [CN, IR, US]) = %d states, want 3", len(out.States.Nodes))
		}
		for _, s := range out.States.Nodes {
			all := want[s.CountryCode]
			first := all[:min(2, len(all))]
			if got := w.keys(t, s.Abuses.Nodes.ids()); !slices.Equal(got, first) || s.Abuses.TotalCount != len(all) || s.Abuses.PageInfo.HasNextPage != (len(all) > 2) {
				t.Errorf("state %s abuses(first: 2) = %v, totalCount %d, hasNextPage %v; want %v, %d, %v",
					s.CountryCode, got, s.Abuses.TotalCount, s.Abuses.PageInfo.HasNextPage, first, len(all), len(all) > 2)
			}
		}
	})

	t.Run("designationLists.designations", func(t *testing.T) {
		t.Parallel()
		var out struct {
			DesignationLists []struct {
				Code         string `json:"code"`
				Designations sub    `json:"designations"`
			} `json:"designationLists"`
		}
		f.query(t, `{ designationLists { code designations(first: 4) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } }`, nil, &out)
		lists := map[string]string{"TEST-ENTITY": "dl-entity", "TEST-SANCTIONS": "dl-sanctions", "TEST-WATCH": "dl-watch"}
		var codes []string
		for _, l := range out.DesignationLists {
			codes = append(codes, l.Code)
			all := w.designations(func(d seed.Designation) bool { return d.List == lists[l.Code] && w.published(d.Key) })
			first := all[:min(4, len(all))]
			if got := w.keys(t, l.Designations.Nodes.ids()); !slices.Equal(got, first) || l.Designations.TotalCount != len(all) {
				t.Errorf("designationList %s designations(first: 4) = %v, totalCount %d; want %v, %d", l.Code, got, l.Designations.TotalCount, first, len(all))
			}
		}
		if want := []string{"TEST-ENTITY", "TEST-SANCTIONS", "TEST-WATCH"}; !slices.Equal(codes, want) {
			t.Errorf("designationLists codes = %v, want %v (by code)", codes, want)
		}
	})

	t.Run("source.citedBy and history side by side", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Nodes []struct {
				CitedBy struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Locator string `json:"locator"`
					} `json:"nodes"`
				} `json:"citedBy"`
				History struct {
					TotalCount int `json:"totalCount"`
				} `json:"history"`
			} `json:"nodes"`
		}
		f.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Source { citedBy(first: 2) { totalCount nodes { locator } } history { totalCount } } } }`,
			map[string]any{"ids": w.ids("src-01", "src-06", "src-24")}, &out)
		for i, src := range []string{"src-01", "src-06", "src-24"} {
			all := w.citedBy(src)
			var got []string
			for _, n := range out.Nodes[i].CitedBy.Nodes {
				got = append(got, n.Locator)
			}
			if first := all[:min(2, len(all))]; !slices.Equal(got, first) || out.Nodes[i].CitedBy.TotalCount != len(all) {
				t.Errorf("%s citedBy(first: 2) = %v, totalCount %d; want %v, %d", src, got, out.Nodes[i].CitedBy.TotalCount, first, len(all))
			}
			if out.Nodes[i].History.TotalCount != 1 {
				t.Errorf("%s history totalCount = %d, want 1", src, out.Nodes[i].History.TotalCount)
			}
		}
	})
}
