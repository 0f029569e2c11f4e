package graph_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"oversight/internal/editorial"
	"oversight/internal/registry"
	"oversight/seed"
)

type versionJSON struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	Summary   *string   `json:"summary"`
	Changes   []struct {
		Field  string          `json:"field"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	} `json:"changes"`
	Snapshot map[string]json.RawMessage `json:"snapshot"`
}

const versionFields = `version createdAt summary changes { field before after } snapshot`

// Seeded entries have one version: every field of the snapshot that has a
// value is a change from null.
func TestSeededVersionOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, key := range []string{"cellex", "d-ns-02", "ab-ae-01", "g-ns", "src-07", "CN", "p-rcs"} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Node struct {
					Version int `json:"version"`
					History struct {
						TotalCount int           `json:"totalCount"`
						Nodes      []versionJSON `json:"nodes"`
					} `json:"history"`
				} `json:"node"`
			}
			res := f.query(t, `query($id: ID!) { node(id: $id) { ... on Entry { version history { totalCount nodes { `+versionFields+` } } } } }`,
				map[string]any{"id": f.id(key)}, &out)
			h := out.Node.History
			if out.Node.Version != 1 || h.TotalCount != 1 || len(h.Nodes) != 1 {
				t.Fatalf("node(%s) version and history = %s, want version 1 and one history entry", key, res.Data)
			}
			v := h.Nodes[0]
			if v.Version != 1 || deref(v.Summary) != seed.Summary || !v.CreatedAt.Equal(f.v1At) {
				t.Errorf("%s version 1 = version %d, summary %q, createdAt %s; want 1, %q, %s", key, v.Version, deref(v.Summary), v.CreatedAt, seed.Summary, f.v1At)
			}
			// Diff reports neither null nor [] (both say "none") as a value.
			var nonNull []string
			for k, x := range v.Snapshot {
				if s := string(x); s != "null" && s != "[]" {
					nonNull = append(nonNull, k)
				}
			}
			slices.Sort(nonNull)
			var fields []string
			for _, c := range v.Changes {
				fields = append(fields, c.Field)
				if string(c.Before) != "null" {
					t.Errorf("%s version 1 change of %s: before = %s, want null", key, c.Field, c.Before)
				}
				if string(c.After) != string(v.Snapshot[c.Field]) {
					t.Errorf("%s version 1 change of %s: after = %s, want the snapshot's %s", key, c.Field, c.After, v.Snapshot[c.Field])
				}
			}
			if !slices.Equal(fields, nonNull) {
				t.Errorf("%s version 1 changes fields = %v, want every snapshot field with a value %v", key, fields, nonNull)
			}
			if _, ok := v.Snapshot["citations"]; !ok {
				t.Errorf("%s version 1 snapshot %v has no citations", key, v.Snapshot)
			}
		})
	}
}

// With a second version merged through the editorial service, history
// lists both in order and versionAt picks the one current at each moment.
func TestHistoryAndVersionAt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t1 := f.v1At
	t2 := f.pub.update(t, "Describe Cellex", registry.TypeVendor, seed.ID(registry.TypeVendor, "cellex"),
		editorial.Fields{"description": jsonText("Cellex makes IMSI catchers")})
	if !t2.After(t1) {
		t.Fatalf("cellex version 2 published at %s, want after version 1 at %s", t2, t1)
	}
	// Halfway between the versions: the merge may follow the seed load by
	// well under a second, so a fixed offset could land after version 2.
	between := t1.Add(t2.Sub(t1) / 2).Truncate(time.Microsecond)

	var out struct {
		Node struct {
			Version   int       `json:"version"`
			UpdatedAt time.Time `json:"updatedAt"`
			History   struct {
				TotalCount int           `json:"totalCount"`
				Nodes      []versionJSON `json:"nodes"`
			} `json:"history"`
		} `json:"node"`
	}
	res := f.query(t, `query($id: ID!) { node(id: $id) { ... on Vendor { version updatedAt history { totalCount nodes { `+versionFields+` } } } } }`,
		map[string]any{"id": f.id("cellex")}, &out)
	h := out.Node.History
	if out.Node.Version != 2 || h.TotalCount != 2 || len(h.Nodes) != 2 || h.Nodes[0].Version != 1 || h.Nodes[1].Version != 2 {
		t.Fatalf("cellex version and history = %s, want version 2 and versions 1, 2 with totalCount 2", res.Data)
	}
	if !out.Node.UpdatedAt.Equal(t2) {
		t.Errorf("cellex updatedAt = %s, want %s", out.Node.UpdatedAt, t2)
	}
	v1, v2 := h.Nodes[0], h.Nodes[1]
	if !v1.CreatedAt.Equal(t1) || !v2.CreatedAt.Equal(t2) {
		t.Errorf("cellex history createdAt = %s, %s; want %s, %s", v1.CreatedAt, v2.CreatedAt, t1, t2)
	}
	if string(v1.Snapshot["name"]) != `"Cellex Corp"` || v1.Snapshot["description"] != nil && string(v1.Snapshot["description"]) != "null" {
		t.Errorf("cellex version 1 snapshot = %v, want name Cellex Corp and no description", v1.Snapshot)
	}
	if deref(v2.Summary) != "Describe Cellex" || string(v2.Snapshot["description"]) != `"Cellex makes IMSI catchers"` || string(v2.Snapshot["name"]) != `"Cellex Corp"` {
		t.Errorf("cellex version 2 = summary %q, snapshot %v; want the description added", deref(v2.Summary), v2.Snapshot)
	}
	if len(v2.Changes) != 1 || v2.Changes[0].Field != "description" || string(v2.Changes[0].Before) != "null" || string(v2.Changes[0].After) != `"Cellex makes IMSI catchers"` {
		t.Errorf("cellex version 2 changes = %+v, want description from null to the new text", v2.Changes)
	}

	// versionAt, every moment in one query (one batched statement).
	moments := []struct {
		alias string
		at    time.Time
		want  int // 0: null
	}{
		{"beforeV1", t1.Add(-time.Second), 0},
		{"longBefore", t1.AddDate(-5, 0, 0), 0},
		{"atV1", t1, 1},
		{"betweenUTC", between, 1},
		{"betweenOffset", between.In(time.FixedZone("", 2*3600)), 1},
		{"justBeforeV2", t2.Add(-time.Microsecond), 1},
		{"atV2", t2, 2},
		{"afterV2", t2.Add(24 * time.Hour), 2},
	}
	q := `query($id: ID!`
	sel := ``
	vars := map[string]any{"id": f.id("cellex")}
	for _, m := range moments {
		q += `, $` + m.alias + `: DateTime!`
		sel += ` ` + m.alias + `: versionAt(at: $` + m.alias + `) { version createdAt snapshot }`
		vars[m.alias] = m.at.Format(time.RFC3339Nano)
	}
	q += `) { node(id: $id) { ... on Vendor {` + sel + ` } } }`
	var at struct {
		Node map[string]*versionJSON `json:"node"`
	}
	res = f.query(t, q, vars, &at)
	for _, m := range moments {
		got := at.Node[m.alias]
		switch {
		case m.want == 0 && got != nil:
			t.Errorf("cellex versionAt(%s) = version %d, want null (before version 1 at %s)", vars[m.alias], got.Version, t1)
		case m.want != 0 && (got == nil || got.Version != m.want):
			t.Errorf("cellex versionAt(%s) = %s, want version %d (v1 at %s, v2 at %s)", vars[m.alias], res.Data, m.want, t1, t2)
		}
	}
	if v := at.Node["betweenUTC"]; v != nil && string(v.Snapshot["name"]) != `"Cellex Corp"` {
		t.Errorf("cellex versionAt(between) snapshot = %v, want version 1's", v.Snapshot)
	}
}

// The fixture's later versions come from merges: each has the merge's time
// and submission title, the snapshot the merge wrote and the field-level
// changes it computed, and the entry's updatedAt is its latest version's time.
func TestMergedVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reason := string(jsonText(f.retracted[ref{registry.TypeVendor, "retracto"}]))
	type change struct{ before, after string }
	type want struct {
		at      time.Time
		summary string
		changes map[string]change // every field changed; nil for version 1, which the seed wrote
	}
	for _, tt := range []struct {
		key      string
		versions []want
	}{
		{"hikcam", []want{
			{f.v1At, seed.Summary, nil},
			{f.v2At, "Second version of hikcam", map[string]change{"description": {"null", `"HikCam v2"`}}},
			{f.v3At, "Third version of hikcam", map[string]change{"description": {`"HikCam v2"`, `"HikCam v3"`}}},
		}},
		{"retracto", []want{
			{f.v1At, seed.Summary, nil},
			{f.retractedAt, "Retract what the fixture retracts", map[string]change{
				"status": {`"PUBLISHED"`, `"RETRACTED"`}, "retractionReason": {"null", reason}}},
		}},
	} {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Node struct {
					UpdatedAt time.Time `json:"updatedAt"`
					History   struct {
						Nodes []versionJSON `json:"nodes"`
					} `json:"history"`
				} `json:"node"`
			}
			res := f.query(t, `query($id: ID!) { node(id: $id) { ... on Entry { updatedAt history { nodes { `+versionFields+` } } } } }`,
				map[string]any{"id": f.id(tt.key)}, &out)
			h := out.Node.History.Nodes
			if len(h) != len(tt.versions) {
				t.Fatalf("%s history = %s, want %d versions", tt.key, res.Data, len(tt.versions))
			}
			for i, w := range tt.versions {
				v := h[i]
				if v.Version != i+1 || !v.CreatedAt.Equal(w.at) || deref(v.Summary) != w.summary {
					t.Errorf("%s history[%d] = version %d at %s, summary %q; want version %d at %s, summary %q",
						tt.key, i, v.Version, v.CreatedAt, deref(v.Summary), i+1, w.at, w.summary)
				}
				if w.changes == nil {
					continue // TestSeededVersionOne checks what the seed wrote
				}
				got := map[string]change{}
				for _, c := range v.Changes {
					got[c.Field] = change{string(c.Before), string(c.After)}
				}
				if !maps.Equal(got, w.changes) {
					t.Errorf("%s version %d changes = %v, want %v", tt.key, i+1, got, w.changes)
				}
				for field, c := range w.changes {
					if string(v.Snapshot[field]) != c.after {
						t.Errorf("%s version %d snapshot %s = %s, want %s", tt.key, i+1, field, v.Snapshot[field], c.after)
					}
				}
			}
			if last := h[len(h)-1]; !out.Node.UpdatedAt.Equal(last.CreatedAt) {
				t.Errorf("%s updatedAt = %s, want its latest version's %s", tt.key, out.Node.UpdatedAt, last.CreatedAt)
			}
		})
	}
}
