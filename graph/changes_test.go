package graph_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/internal/server"
	"oversight/seed"
)

// changesWorld is the real seed data (a CREATED event per entry) plus three
// merges through the editorial service, one after the other: an update of
// hikvision, a correction of China, and the retraction of an abuse.
type changesWorld struct {
	pool    *pgxpool.Pool
	api     http.Handler
	cfg     graph.Config
	entries int // entries seeded, each with its CREATED event
	editor  string
	// The merged changes, in the order they were merged.
	hikvision, china, retracted uuid.UUID
	hikvisionName               string
	updateTitle, correction     string
	retraction                  string
}

func newChangesWorld(t *testing.T, tracer pgx.QueryTracer) *changesWorld {
	t.Helper()
	ctx := t.Context()
	pool := pgtest.NewWithTracer(t, tracer)
	ds, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() error = %v", err)
	}
	res, err := seed.Load(ctx, pool, ds)
	if err != nil {
		t.Fatalf("seed.Load(seed.Registry()) error = %v", err)
	}
	w := &changesWorld{
		pool:      pool,
		entries:   res.Inserted,
		editor:    "Editor Whose Name Stays Private",
		hikvision: seed.ID(registry.TypeVendor, "hikvision"),
		china:     seed.ID(registry.TypeState, "CN"),
		retracted: seed.ID(registry.TypeAbuse, "huawei-megvii-uyghur-alarm"),
		// Characters XML must escape, to see the feed escape them.
		updateTitle: `Hikvision: describe the <Moyu> & "Pishan" contracts`,
		correction:  "Correct China's summary",
		retraction:  "Retract an abuse the sources do not support",
	}
	if err := pool.QueryRow(ctx, `SELECT name FROM vendors WHERE id = $1`, w.hikvision).Scan(&w.hikvisionName); err != nil {
		t.Fatalf("read hikvision's name: %v", err)
	}
	users := auth.NewStore(pool)
	svc := editorial.New(pool)
	viewer := func(name, email string, role registry.Role) registry.Viewer {
		id, err := users.AddUser(ctx, name, email, role)
		if err != nil {
			t.Fatalf("AddUser(%s) error = %v", role, err)
		}
		return registry.Viewer{UserID: id, Role: role}
	}
	author := viewer("Contributor", "contributor@example.org", registry.RoleContributor)
	editor := viewer(w.editor, "editor@example.org", registry.RoleEditor)
	text := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	check := func(call string, errs editorial.Errors, err error) {
		t.Helper()
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s = errs %v, err %v; want success", call, errs, err)
		}
	}
	merge := func(title string, correction bool, propose func(sub uuid.UUID)) {
		t.Helper()
		sub, errs, err := svc.CreateSubmission(ctx, author, title, nil, correction)
		check("CreateSubmission("+title+")", errs, err)
		propose(sub.ID)
		_, errs, err = svc.Submit(ctx, author, sub.ID)
		check("Submit("+title+")", errs, err)
		_, errs, err = svc.Review(ctx, editor, sub.ID, registry.DecisionApprove, nil)
		check("Review("+title+", APPROVE)", errs, err)
	}
	merge(w.updateTitle, false, func(sub uuid.UUID) {
		_, errs, err := svc.Propose(ctx, author, sub, registry.TypeVendor, &w.hikvision, editorial.Fields{"description": text("Won the Moyu and Pishan contracts.")})
		check("Propose(update hikvision)", errs, err)
	})
	merge(w.correction, true, func(sub uuid.UUID) {
		_, errs, err := svc.Propose(ctx, author, sub, registry.TypeState, &w.china, editorial.Fields{"summary": text("A corrected summary.")})
		check("Propose(correct China)", errs, err)
	})
	merge(w.retraction, false, func(sub uuid.UUID) {
		_, errs, err := svc.ProposeRetraction(ctx, author, sub, w.retracted, "The sources do not support it.")
		check("ProposeRetraction(abuse)", errs, err)
	})
	w.cfg = graph.Config{Catalog: catalog.New(pool), Logger: slog.New(slog.DiscardHandler)}
	w.api = newServer(w.cfg, server.Config{})
	return w
}

// changeNode is a ChangeEvent as the tests ask for it.
type changeNode struct {
	EntryType string  `json:"entryType"`
	Version   int     `json:"version"`
	Kind      string  `json:"kind"`
	At        string  `json:"at"`
	Summary   *string `json:"summary"`
	Entry     struct {
		Typename string `json:"__typename"`
		ID       string `json:"id"`
		Version  int    `json:"version"`
		Status   string `json:"status"`
	} `json:"entry"`
}

func (n changeNode) key() string { return fmt.Sprintf("%s@%d", n.Entry.ID, n.Version) }

func (n changeNode) at(t *testing.T) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, n.At)
	if err != nil {
		t.Fatalf("ChangeEvent.at = %q: %v", n.At, err)
	}
	return at
}

type changesPage struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string     `json:"cursor"`
		Node   changeNode `json:"node"`
	} `json:"edges"`
}

const changesQuery = `query($since: DateTime, $kinds: [ChangeKind!], $first: Int, $after: String) {
	changes(since: $since, kinds: $kinds, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor }
		edges { cursor node { entryType version kind at summary entry { __typename ... on Entry { id version status } } } }
	}
}`

func (w *changesWorld) page(t *testing.T, vars map[string]any) changesPage {
	t.Helper()
	var out struct {
		Changes changesPage `json:"changes"`
	}
	mustData(t, w.api, changesQuery, vars, &out)
	return out.Changes
}

// walk reads every page of changes, first at a time, and checks that each
// page reports the same total and that the pages repeat no event.
func (w *changesWorld) walk(t *testing.T, vars map[string]any, first int) ([]changeNode, int) {
	t.Helper()
	var all []changeNode
	seen := map[string]bool{}
	total := -1
	var after *string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("changes(%v) walk did not end after 1000 pages", vars)
		}
		v := map[string]any{"first": first}
		for k, x := range vars {
			v[k] = x
		}
		if after != nil {
			v["after"] = *after
		}
		p := w.page(t, v)
		if total >= 0 && p.TotalCount != total {
			t.Errorf("changes(%v) totalCount = %d, want %d as on the first page", v, p.TotalCount, total)
		}
		total = p.TotalCount
		if len(p.Edges) > first {
			t.Fatalf("changes(%v) = %d edges, want at most %d", v, len(p.Edges), first)
		}
		for _, e := range p.Edges {
			if seen[e.Node.key()] {
				t.Errorf("changes(%v) repeats %s", v, e.Node.key())
			}
			seen[e.Node.key()] = true
			all = append(all, e.Node)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		if p.PageInfo.EndCursor == nil {
			t.Fatalf("changes(%v) hasNextPage with no endCursor", v)
		}
		after = p.PageInfo.EndCursor
	}
	return all, total
}

// typenames are the GraphQL types of the entry types.
var typenames = map[string]string{
	"STATE": "State", "AGENCY": "Agency", "VENDOR": "Vendor", "PRODUCT": "Product", "TECHNOLOGY": "Technology",
	"DEPLOYMENT": "Deployment", "ABUSE": "Abuse", "COMMUNITY": "ReligiousCommunity", "DESIGNATION_LIST": "DesignationList",
	"DESIGNATION": "Designation", "CONTROL_LIST_ENTRY": "ControlListEntry", "SOURCE": "Source", "VENDOR_RESPONSE": "VendorResponse",
}

func TestChanges(t *testing.T) {
	t.Parallel()
	w := newChangesWorld(t, nil)
	all, total := w.walk(t, nil, 100)

	t.Run("every event, newest first", func(t *testing.T) {
		if want := w.entries + 3; total != want || len(all) != want {
			t.Fatalf("changes: totalCount %d, walked %d events; want %d (a CREATED per seeded entry, and 3 merges)", total, len(all), want)
		}
		for i := 1; i < len(all); i++ {
			if all[i].at(t).After(all[i-1].at(t)) {
				t.Errorf("changes[%d].at = %s is after changes[%d].at = %s, want newest first", i, all[i].At, i-1, all[i-1].At)
			}
		}
		type head struct {
			ID, Kind string
			Version  int
			Summary  string
			Status   string
		}
		var got []head
		for _, n := range all[:3] {
			got = append(got, head{n.Entry.ID, n.Kind, n.Version, deref(n.Summary), n.Entry.Status})
		}
		want := []head{
			{graph.EntryIDForTest(registry.TypeAbuse, w.retracted), "RETRACTED", 2, w.retraction, "RETRACTED"},
			{graph.EntryIDForTest(registry.TypeState, w.china), "CORRECTED", 2, w.correction, "PUBLISHED"},
			{graph.EntryIDForTest(registry.TypeVendor, w.hikvision), "UPDATED", 2, w.updateTitle, "PUBLISHED"},
		}
		if !slices.Equal(got, want) {
			t.Errorf("changes(first: 3) = %+v\nwant %+v", got, want)
		}
		created := 0
		for _, n := range all[3:] {
			if n.Kind != "CREATED" || n.Version != 1 || deref(n.Summary) != seed.Summary {
				t.Errorf("seeded event %s = %s version %d, summary %q; want CREATED version 1, %q", n.key(), n.Kind, n.Version, deref(n.Summary), seed.Summary)
			}
			created++
		}
		if created != w.entries {
			t.Errorf("changes has %d seeded CREATED events, want one per entry (%d)", created, w.entries)
		}
	})

	t.Run("entry resolves to its type", func(t *testing.T) {
		types := map[string]bool{}
		for _, n := range all {
			if want := typenames[n.EntryType]; n.Entry.Typename != want || n.Entry.ID == "" {
				t.Errorf("change of a %s: entry = %s %q, want a %s", n.EntryType, n.Entry.Typename, n.Entry.ID, want)
			}
			types[n.EntryType] = true
		}
		if len(types) < 10 {
			t.Errorf("changes cover %d entry types (%v), want the seed's variety", len(types), types)
		}
	})

	t.Run("no identity in summaries", func(t *testing.T) {
		for _, n := range all {
			if s := deref(n.Summary); strings.Contains(s, w.editor) || strings.Contains(s, "@example.org") {
				t.Errorf("change %s summary %q names a user", n.key(), s)
			}
		}
	})

	t.Run("pages of 7 walk the same list", func(t *testing.T) {
		paged, pagedTotal := w.walk(t, nil, 7)
		keys := func(ns []changeNode) []string {
			out := make([]string, len(ns))
			for i, n := range ns {
				out[i] = n.key()
			}
			return out
		}
		if pagedTotal != total || !slices.Equal(keys(paged), keys(all)) {
			t.Errorf("changes walked 7 at a time = %d events (totalCount %d), want the %d of the walk 100 at a time, in the same order", len(paged), pagedTotal, len(all))
		}
	})

	t.Run("since", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			since string
			want  []string
		}{
			{"the update's moment includes it", all[2].At, []string{"RETRACTED", "CORRECTED", "UPDATED"}},
			{"the correction's moment", all[1].At, []string{"RETRACTED", "CORRECTED"}},
			{"just after the retraction", all[0].at(t).Add(time.Microsecond).Format(time.RFC3339Nano), nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, n := w.walk(t, map[string]any{"since": c.since}, 2)
				var kinds []string
				for _, x := range got {
					kinds = append(kinds, x.Kind)
				}
				if !slices.Equal(kinds, c.want) || n != len(c.want) {
					t.Errorf("changes(since: %s) = %v (totalCount %d), want %v", c.since, kinds, n, c.want)
				}
			})
		}
		got, n := w.walk(t, map[string]any{"since": all[len(all)-1].At}, 100)
		if n != total || len(got) != total {
			t.Errorf("changes(since: the seed's moment) = %d events (totalCount %d), want all %d", len(got), n, total)
		}
	})

	t.Run("kinds: the corrections log", func(t *testing.T) {
		got, n := w.walk(t, map[string]any{"kinds": []string{"CORRECTED", "RETRACTED"}}, 1)
		var summaries []string
		for _, x := range got {
			summaries = append(summaries, x.Kind+": "+deref(x.Summary))
		}
		want := []string{"RETRACTED: " + w.retraction, "CORRECTED: " + w.correction}
		if !slices.Equal(summaries, want) || n != 2 {
			t.Errorf("changes(kinds: [CORRECTED, RETRACTED]) = %v (totalCount %d), want %v", summaries, n, want)
		}
		created, n := w.walk(t, map[string]any{"kinds": []string{"CREATED"}, "since": all[len(all)-1].At}, 100)
		if n != w.entries || len(created) != w.entries {
			t.Errorf("changes(kinds: [CREATED]) = %d events (totalCount %d), want %d", len(created), n, w.entries)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		vendorsCursor := func() string {
			var out struct {
				Vendors struct {
					PageInfo struct{ EndCursor string } `json:"pageInfo"`
				} `json:"vendors"`
			}
			mustData(t, w.api, `{ vendors(first: 1) { pageInfo { endCursor } } }`, nil, &out)
			return out.Vendors.PageInfo.EndCursor
		}()
		for _, c := range []struct {
			name string
			vars map[string]any
			want string
		}{
			{"a cursor of another list", map[string]any{"after": vendorsCursor}, "not a cursor of the change feed"},
			{"not a cursor", map[string]any{"after": "nonsense"}, "not a cursor"},
			{"too many", map[string]any{"first": 101}, "first must be between"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := post(t, w.api, changesQuery, c.vars)
				wantBadInput(t, r, c.want)
			})
		}
		// gqlgen refuses an unknown enum value in the variables itself.
		if r := post(t, w.api, changesQuery, map[string]any{"kinds": []string{"DELETED"}}); len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "DELETED") {
			t.Errorf("changes(kinds: [DELETED]) = %s, want an error naming DELETED", r.body)
		}
	})
}

// The entries of a page of changes load through the loaders: one statement
// per entry type, not one per event.
func TestChangesNoNPlusOne(t *testing.T) {
	t.Parallel()
	counter := &statementCounter{}
	w := newChangesWorld(t, counter)
	// A generous loader wait, so that a slow run (-race) still gathers each
	// type's entries into one batch.
	cfg := w.cfg
	cfg.LoaderWait = 50 * time.Millisecond
	api := newServer(cfg, server.Config{})
	counter.N.Store(0)
	var out struct {
		Changes struct {
			Nodes []struct {
				Entry struct {
					Typename string `json:"__typename"`
				} `json:"entry"`
			} `json:"nodes"`
		} `json:"changes"`
	}
	mustData(t, api, `{ changes(first: 100) { totalCount nodes { entry { __typename ... on Entry { id version } } } } }`, nil, &out)
	types := map[string]bool{}
	for _, n := range out.Changes.Nodes {
		types[n.Entry.Typename] = true
	}
	// The page and its count, then one statement per entry type.
	if got, want := counter.N.Load(), int64(2+len(types)); got > want || len(out.Changes.Nodes) != 100 {
		t.Errorf("changes(first: 100) with entries of %d types = %d nodes in %d statements, want 100 in at most %d", len(types), len(out.Changes.Nodes), got, want)
	}
}
