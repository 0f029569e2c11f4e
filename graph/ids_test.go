package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"oversight/graph"
	"oversight/internal/registry"
	"oversight/seed"
)

// One entry of every type, with its GraphQL type name and a field that only
// that type has, to see that the right record came back.
var nodeOfEveryType = []struct {
	key, typename, field, want string
}{
	{"CN", "State", "name", "China"},
	{"ag-cn-psb", "Agency", "name", "Xinjiang Public Security Bureau"},
	{"hikcam", "Vendor", "slug", "hikcam"},
	{"p-pegasus", "Product", "name", "Pegasus"},
	{"spyware", "Technology", "slug", "spyware"},
	{"d-ns-02", "Deployment", "location", "Location of d-ns-02"},
	{"ab-ae-01", "Abuse", "title", "Abuse ab-ae-01"},
	{"com-bahai", "ReligiousCommunity", "name", "Bahai"},
	{"dl-watch", "DesignationList", "code", "TEST-WATCH"},
	{"g-ns", "Designation", "legalReference", "Ref g-ns"},
	{"cle-4a005", "ControlListEntry", "code", "4A005"},
	{"src-07", "Source", "title", "delta report 07"},
	{"vr-hik", "VendorResponse", "summary", "HikCam declined to comment"},
}

// nodeSelection asks for the type name, the ID, the entry fields and each type's own field.
func nodeSelection() string {
	var b strings.Builder
	b.WriteString(`__typename id ... on Entry { version status }`)
	for _, n := range nodeOfEveryType {
		b.WriteString(` ... on ` + n.typename + ` { ` + n.typename + `_` + n.field + `: ` + n.field + ` }`)
	}
	return b.String()
}

func TestNodeFetchesEveryType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	q := `query($id: ID!) { node(id: $id) { ` + nodeSelection() + ` } }`
	for _, n := range nodeOfEveryType {
		t.Run(n.typename, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Node map[string]any `json:"node"`
			}
			id := f.id(n.key)
			f.query(t, q, map[string]any{"id": id}, &out)
			want := map[string]any{"__typename": n.typename, "id": id, "version": float64(1), "status": "PUBLISHED", n.typename + "_" + n.field: n.want}
			if n.key == "hikcam" {
				want["version"] = float64(3)
			}
			if !mapsEqual(out.Node, want) {
				t.Errorf("node(%s %s) = %v, want %v", n.typename, n.key, out.Node, want)
			}
		})
	}
}

func mapsEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestNodesKeepsOrderAndNullsTheUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids, want []string
	for i := len(nodeOfEveryType) - 1; i >= 0; i-- { // reverse order, to see order kept
		n := nodeOfEveryType[i]
		ids = append(ids, f.id(n.key))
		want = append(want, n.typename+":"+f.id(n.key))
	}
	// Well-formed but unknown: a random UUID, and a real UUID under the wrong type.
	unknown := graph.EntryIDForTest(registry.TypeVendor, uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	wrongType := graph.EntryIDForTest(registry.TypeVendor, seed.ID(registry.TypeState, "CN"))
	ids = slices.Insert(ids, 3, unknown)
	want = slices.Insert(want, 3, "null")
	ids = append(ids, wrongType, f.id("hikcam"), f.id("hikcam"))
	want = append(want, "null", "Vendor:"+f.id("hikcam"), "Vendor:"+f.id("hikcam"))

	var out struct {
		Nodes []*struct {
			Typename string `json:"__typename"`
			ID       string `json:"id"`
		} `json:"nodes"`
	}
	f.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids}, &out)
	var got []string
	for _, n := range out.Nodes {
		if n == nil {
			got = append(got, "null")
			continue
		}
		got = append(got, n.Typename+":"+n.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("nodes(%v)\n= %v\nwant %v", ids, got, want)
	}

	var one struct {
		Node *struct{ ID string } `json:"node"`
	}
	for _, id := range []string{unknown, wrongType} {
		r := f.query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &one)
		if one.Node != nil {
			t.Errorf("node(%q) = %s, want null", id, r.Data)
		}
	}

	r := f.query(t, `{ nodes(ids: []) { id } }`, nil, &out)
	if len(out.Nodes) != 0 {
		t.Errorf("nodes(ids: []) = %s, want an empty list", r.Data)
	}
}

func TestMalformedIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cnUUID := seed.ID(registry.TypeState, "CN").String()
	for _, id := range []string{
		"",
		"garbage",
		"!!!",
		cnUUID,                        // a raw UUID is not an ID
		b64("State"),                  // no UUID
		b64("State:" + "not-a-uuid"),  // not a UUID
		b64("Nope:" + cnUUID),         // unknown type
		b64("state:" + cnUUID),        // types are case-sensitive
		b64(strings.Repeat("x", 200)), // too long
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			wantBadInput(t, f.post(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}), "is not an Oversight ID")
			// In nodes, the error names the position of the bad ID.
			wantBadInput(t, f.post(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{f.id("CN"), id}}),
				"ids[1]", "is not an Oversight ID")
		})
	}
	t.Run("more than 100 IDs", func(t *testing.T) {
		t.Parallel()
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = f.id("CN")
		}
		wantBadInput(t, f.post(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}), "100", "101")
	})
}

// IDs are opaque: a client sees neither the UUID nor the type in plain text,
// and every ID is unique; references in history snapshots too.
func TestIDsAreOpaque(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var out struct {
		Vendors     struct{ Nodes idNodes }                       `json:"vendors"`
		Deployments struct{ Nodes idNodes }                       `json:"deployments"`
		Sources     struct{ Nodes idNodes }                       `json:"sources"`
		States      struct{ Nodes idNodes }                       `json:"states"`
		Abuses      struct{ Nodes idNodes }                       `json:"abuses"`
		Citations   struct{ Nodes []struct{ Citations idNodes } } `json:"designations"`
	}
	r := f.query(t, `{
		vendors(first: 100) { nodes { id } } deployments(first: 100) { nodes { id } } sources(first: 100) { nodes { id } }
		states(first: 100) { nodes { id } } abuses(first: 100) { nodes { id } }
		designations(first: 100) { nodes { citations { id } } }
		products(first: 100) { nodes { history { nodes { snapshot changes { field before after } } } } }
		more: deployments(first: 100) { nodes { history { nodes { snapshot changes { field before after } } } } }
		moreAbuses: abuses(first: 100) { nodes { history { nodes { snapshot changes { field before after } } } } } }`, nil, &out)
	all := slices.Concat(out.Vendors.Nodes.ids(), out.Deployments.Nodes.ids(), out.Sources.Nodes.ids(), out.States.Nodes.ids(), out.Abuses.Nodes.ids())
	for _, d := range out.Citations.Nodes {
		all = append(all, d.Citations.ids()...)
	}
	if len(all) < 150 {
		t.Fatalf("query returned %d IDs, want at least 150 to check", len(all))
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Errorf("ID %q appears twice, want every ID unique", id)
		}
		seen[id] = true
		if _, err := uuid.Parse(id); err == nil {
			t.Errorf("ID %q is a bare UUID, want an opaque ID", id)
		}
	}
	w := f.world
	w.eachEntry(func(typ registry.EntryType, key string, _ []seed.Citation) {
		u := seed.ID(typ, key)
		for _, plain := range []string{u.String(), strings.ReplaceAll(u.String(), "-", "")} {
			if strings.Contains(r.body, plain) {
				t.Errorf("response contains the UUID %s of %s %s in plain text, want IDs opaque", plain, typ, key)
			}
		}
	})
	for _, typ := range []string{"Vendor:", "Deployment:", "Source:", "State:", "Abuse:", "Citation:"} {
		if strings.Contains(r.body, typ) {
			t.Errorf("response contains %q in plain text, want IDs opaque", typ)
		}
	}
}

// A citation's ID is not a Node's: node() finds nothing for it.
func TestNodeWithACitationID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var out struct {
		Node struct {
			Citations []struct{ ID string } `json:"citations"`
		} `json:"node"`
	}
	f.query(t, `query($id: ID!) { node(id: $id) { ... on Deployment { citations { id } } } }`, map[string]any{"id": f.id("d-ns-02")}, &out)
	if len(out.Node.Citations) != 1 {
		t.Fatalf("d-ns-02 citations = %d, want 1", len(out.Node.Citations))
	}
	var n struct {
		Node *struct{ ID string } `json:"node"`
	}
	r := f.query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": out.Node.Citations[0].ID}, &n)
	if n.Node != nil {
		t.Errorf("node(citation ID) = %s, want null", r.Data)
	}
}

// References in history snapshots are global IDs that node() resolves.
func TestSnapshotReferencesResolve(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var out struct {
		Dep struct {
			History struct {
				Nodes []struct {
					Snapshot struct {
						StateID   string `json:"stateId"`
						VendorID  string `json:"vendorId"`
						ProductID string `json:"productId"`
						Citations []struct {
							SourceID string `json:"sourceId"`
						} `json:"citations"`
					} `json:"snapshot"`
				} `json:"nodes"`
			} `json:"history"`
		} `json:"dep"`
		Prod struct {
			History struct {
				Nodes []struct {
					Snapshot struct {
						TechnologyIDs       []string `json:"technologyIds"`
						ControlListEntryIDs []string `json:"controlListEntryIds"`
					} `json:"snapshot"`
				} `json:"nodes"`
			} `json:"history"`
		} `json:"prod"`
	}
	res := f.query(t, `query($d: ID!, $p: ID!) { dep: node(id: $d) { ... on Deployment { history { nodes { snapshot } } } }
		prod: node(id: $p) { ... on Product { history { nodes { snapshot } } } } }`,
		map[string]any{"d": f.id("d-ns-02"), "p": f.id("p-rcs")}, &out)
	if len(out.Dep.History.Nodes) != 1 || len(out.Prod.History.Nodes) != 1 {
		t.Fatalf("history of d-ns-02 and p-rcs = %s, want one version each", res.Data)
	}
	snap := out.Dep.History.Nodes[0].Snapshot
	prod := out.Prod.History.Nodes[0].Snapshot
	got := []string{snap.StateID, snap.VendorID, snap.ProductID}
	for _, c := range snap.Citations {
		got = append(got, c.SourceID)
	}
	got = append(got, prod.TechnologyIDs...)
	got = append(got, prod.ControlListEntryIDs...)
	want := f.ids("SA", "nsoft", "p-pegasus", "src-01", "spyware", "cle-4a005", "cle-5a001j")
	if !slices.Equal(got, want) {
		t.Fatalf("references in the snapshots of d-ns-02 and p-rcs = %v, want the global IDs %v", got, want)
	}
	var nodes struct {
		Nodes []*struct {
			ID string `json:"id"`
		} `json:"nodes"`
	}
	f.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": got}, &nodes)
	for i, n := range nodes.Nodes {
		if n == nil || n.ID != got[i] {
			t.Errorf("nodes(snapshot reference %s) = %v, want that entry", got[i], n)
		}
	}
}
