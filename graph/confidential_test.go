package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/registry"
	"oversight/internal/server"
)

// Markers of the details confide gives the confidential source and the
// citations to it. The hash, dates and language tag have formats of their
// own, so they cannot carry markerStem: they are markers themselves.
var (
	markerHash        = strings.Repeat("7f3a", 16)
	markerPublisher   = "MARKER-PUBLISHER-7f3a Witness Network"
	markerLocator     = "MARKER-LOCATOR-7f3a, p. 47"
	markerPublishedOn = "1901-02-03"
	markerAccessedOn  = "1902-03-04"
	markerLanguage    = "qaa-MARKER"
	// withheldMarkers are what no reader who may not see confidential
	// details may find in any answer.
	withheldMarkers = []string{markerStem, markerHash, markerPublishedOn, markerAccessedOn, markerLanguage}
)

// confide gives src-secret every detail a source can have and the
// citations to it a locator, in the tables and as a new published version
// of src-secret and of each entry citing it (a version that changes only
// the locator of a citation to src-secret).
func confide(t *testing.T, f *fixture) {
	t.Helper()
	ctx := t.Context()
	secret := f.uuidText("src-secret")
	if _, err := f.pool.Exec(ctx, `UPDATE sources SET content_sha256 = $2, publisher = $3, published_on = $4, accessed_on = $5, language = $6
		WHERE id = $1`, secret, markerHash, markerPublisher, markerPublishedOn, markerAccessedOn, markerLanguage); err != nil {
		t.Fatalf("confide src-secret: %v", err)
	}
	tag, err := f.pool.Exec(ctx, `UPDATE citations SET locator = $2 WHERE source_id = $1`, secret, markerLocator)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("locate the citations of src-secret: %v (%d rows, want 2)", err, tag.RowsAffected())
	}
	publishVersion(t, f, "src-secret", "Add the statement's details", func(s map[string]json.RawMessage) {
		for k, v := range map[string]string{"contentSha256": markerHash, "publisher": markerPublisher,
			"publishedOn": markerPublishedOn, "accessedOn": markerAccessedOn, "language": markerLanguage} {
			s[k], _ = json.Marshal(v)
		}
	})
	for _, key := range []string{"d-hik-01", "ab-cn-01"} {
		publishVersion(t, f, key, "Say where the statement says so", func(s map[string]json.RawMessage) {
			var cs []map[string]json.RawMessage
			if err := json.Unmarshal(s["citations"], &cs); err != nil {
				t.Fatalf("%s citations: %v", key, err)
			}
			for _, c := range cs {
				if string(c["sourceId"]) == `"`+secret+`"` {
					c["locator"], _ = json.Marshal(markerLocator)
				}
			}
			s["citations"], _ = json.Marshal(cs)
		})
	}
}

// publishVersion publishes the next version of an entry, an hour after its
// latest: its snapshot edited by edit, its changes the diff, with a change
// event, as a merge would.
func publishVersion(t *testing.T, f *fixture, key, summary string, edit func(map[string]json.RawMessage)) {
	t.Helper()
	ctx := t.Context()
	id := f.uuidText(key)
	var (
		n    int
		at   time.Time
		prev json.RawMessage
	)
	if err := f.pool.QueryRow(ctx, `SELECT version, created_at, snapshot FROM entry_versions WHERE entry_id = $1 ORDER BY version DESC LIMIT 1`, id).
		Scan(&n, &at, &prev); err != nil {
		t.Fatalf("read the latest version of %s: %v", key, err)
	}
	var snap map[string]json.RawMessage
	if err := json.Unmarshal(prev, &snap); err != nil {
		t.Fatal(err)
	}
	edit(snap)
	next, _ := json.Marshal(snap)
	changes, err := registry.Diff(prev, next)
	if err != nil {
		t.Fatal(err)
	}
	diff, _ := json.Marshal(changes)
	at = at.Add(time.Hour)
	err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO entry_versions (entry_id, version, created_at, summary, snapshot, changes) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, n+1, at, summary, string(next), string(diff)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO change_events (entry_id, entry_type, version, kind, at, summary) VALUES ($1, $2, $3, 'UPDATED', $4, $5)`,
			id, string(f.typeOf[key]), n+1, at, summary); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE entries SET version = $2, updated_at = $3 WHERE id = $1`, id, n+1, at)
		return err
	})
	if err != nil {
		t.Fatalf("publish version %d of %s: %v", n+1, key, err)
	}
}

// leaked returns the first withheld marker in body, with some context; "" if none.
func leaked(body string) string {
	for _, m := range withheldMarkers {
		if i := strings.Index(body, m); i >= 0 {
			return body[max(0, i-80):min(len(body), i+80)]
		}
	}
	return ""
}

// Readers who may not see confidential details (the anonymous reader and
// contributors) never see any detail of a confidential source (its
// publisher, authors, URLs, dates, language, content hash) nor the locator
// and quote of a citation to it, whichever way they ask: through gqlgen or
// the direct read path, in entries, history, search, the change feed and
// filters. Editors see them all.
func TestConfidentialSourceIsRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	confide(t, f)
	const sourceFields = `title confidential url archiveUrl authors publisher publishedOn accessedOn language contentSha256`
	const citationFields = `locator quote source { ` + sourceFields + ` }`
	const versionFields = `history { nodes { snapshot changes { field before after } } }`
	const versionAt = `versionAt(at: "2999-01-01T00:00:00Z") { snapshot changes { field before after } }`
	// The direct read path answers what it knows (no contentSha256, no history).
	const directSource = `source { id title kind confidential url archiveUrl authors publisher publishedOn accessedOn language }`
	queries := []struct {
		name, query string
		vars        map[string]any
		direct      bool // the direct read path answers it
	}{
		{"the source", `query($id: ID!) { node(id: $id) { ... on Source { ` + sourceFields + `
			citedBy(first: 100) { nodes { ` + citationFields + ` } }
			` + versionFields + ` ` + versionAt + ` } } }`,
			map[string]any{"id": f.id("src-secret")}, false},
		{"the sources list", `{ sources(first: 100) { nodes { ` + sourceFields + ` citedBy(first: 100) { nodes { locator quote } } ` + versionFields + ` } } }`, nil, false},
		{"sources filtered", `{ sources(filter: {kinds: [TESTIMONY], includeRetracted: true}) { nodes { ` + sourceFields + ` } } }`, nil, false},
		{"sources by publisher", `{ sources(filter: {publisher: "MARKER-PUBLISHER"}) { totalCount nodes { ` + sourceFields + ` } } }`, nil, false},
		{"a citing deployment", `query($id: ID!) { node(id: $id) { ... on Deployment { citations { ` + citationFields + ` } ` + versionFields + `
			` + versionAt + ` } } }`,
			map[string]any{"id": f.id("d-hik-01")}, false},
		{"a citing abuse", `query($id: ID!) { node(id: $id) { ... on Abuse { citations { ` + citationFields + ` } ` + versionFields + ` } } }`,
			map[string]any{"id": f.id("ab-cn-01")}, false},
		{"every deployment's citations", `{ deployments(first: 100, filter: {includeRetracted: true}) { nodes { citations { ` + citationFields + ` } ` + versionFields + ` } } }`, nil, false},
		{"every abuse's citations", `{ abuses(first: 100) { nodes { citations { locator quote source { ` + sourceFields + ` } } } } }`, nil, false},
		{"through the vendor", `{ vendor(slug: "hikcam") { deployments(first: 100) { nodes { citations { ` + citationFields + ` } abuses { citations { locator quote } } } } } }`, nil, false},
		{"through the vendor, directly", `{ vendor(slug: "hikcam") { deployments(first: 100) { nodes { citations { id locator quote field stance ` + directSource + ` }
			abuses { citations { locator quote source { id title confidential } } } } } } }`, nil, true},
		{"the sources' titles only, directly", `{ states(first: 30) { nodes { deployments(first: 30) { nodes { citations { locator quote source { id title kind confidential } } } } } } }`, nil, true},
		{"citation entry back to source", `query($id: ID!) { node(id: $id) { ... on Source { citedBy { nodes { entry {
			... on Deployment { citations { locator quote source { url contentSha256 } } } ... on Abuse { citations { locator quote } } } } } } } }`,
			map[string]any{"id": f.id("src-secret")}, false},
		{"nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Source { ` + sourceFields + ` } } }`,
			map[string]any{"ids": f.ids("src-secret", "src-01")}, false},
		{"the change feed", `{ changes(first: 100) { nodes { entryType version summary entry {
			... on Source { ` + sourceFields + ` ` + versionAt + ` }
			... on Deployment { citations { locator quote } ` + versionAt + ` }
			... on Abuse { citations { locator quote } ` + versionAt + ` } } } } }`, nil, false},
	}
	// Search: by the source's title, and by each withheld detail (only the
	// publisher is indexed; no snippet may be cut from it).
	const hitFields = `{ totalCount nodes { entryType snippet entry {
		... on Source { ` + sourceFields + ` citedBy { nodes { locator quote } } }
		... on Deployment { citations { locator quote } } ... on Abuse { citations { locator quote } } } } }`
	for _, q := range []string{"confidential witness statement", "witness", markerPublisher, "Network", markerHash, markerLocator, "p. 47",
		markerPublishedOn, markerLanguage, "MARKER"} {
		queries = append(queries, struct {
			name, query string
			vars        map[string]any
			direct      bool
		}{"search " + q, `query($q: String!) { search(query: $q, first: 100) ` + hitFields + ` }`, map[string]any{"q": q}, false})
	}

	viewers := []struct {
		name string
		v    registry.Viewer
	}{
		{"anonymous", registry.Anonymous},
		{"contributor", registry.Viewer{UserID: uuid.New(), Role: registry.RoleContributor}},
	}
	for _, v := range viewers {
		for _, q := range queries {
			t.Run(v.name+"/"+q.name, func(t *testing.T) {
				t.Parallel()
				body, answered := serve(t, f.h, v.v, q.query, q.vars)
				var r response
				if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Errors) > 0 || len(r.Data) == 0 {
					t.Fatalf("query %s\ngot %s, want data and no errors", q.query, body)
				}
				if l := leaked(body); l != "" {
					t.Errorf("query %s\nresponse contains a confidential detail: ...%s...", q.query, l)
				}
				if q.direct && !answered {
					t.Errorf("query %s: the direct read path did not answer it; the test no longer covers that path", q.query)
				}
			})
		}
	}

	// The markers are there, for those who may see them: their absence
	// above is redaction.
	t.Run("an editor sees every detail", func(t *testing.T) {
		t.Parallel()
		q := queries[0] // the source, its citations and its history
		body, _ := serve(t, f.h, registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}, q.query, q.vars)
		for _, m := range append([]string{markerURL, markerArchive, markerAuthor, markerQuote, markerLocator, markerPublisher}, withheldMarkers[1:]...) {
			if !strings.Contains(body, m) {
				t.Errorf("editor's query %s\nresponse lacks %q: %s", q.query, m, body)
			}
		}
	})

	// The Atom feed names entries by their title and carries each change's
	// public summary: a guard, since it reads nothing else of a source.
	t.Run("the Atom feed", func(t *testing.T) {
		t.Parallel()
		h := newServer(graph.Config{
			Catalog: catalog.New(f.pool),
		}, server.Config{})
		got := getFeed(t, h, "/changes.atom", nil).Body.String()
		if !strings.Contains(got, "Confidential witness statement") {
			t.Errorf("GET /changes.atom does not list src-secret's version 2: %s", got)
		}
		if l := leaked(got); l != "" {
			t.Errorf("GET /changes.atom contains a confidential detail: ...%s...", l)
		}
	})

	// Filtering by a withheld detail would tell it as surely as showing it.
	t.Run("a filter by publisher finds a confidential source only for editors", func(t *testing.T) {
		t.Parallel()
		const q = `{ sources(filter: {publisher: "Witness Network"}) { totalCount nodes { title } } }`
		for _, tt := range []struct {
			v    registry.Viewer
			want int
		}{
			{registry.Anonymous, 0},
			{registry.Viewer{UserID: uuid.New(), Role: registry.RoleContributor}, 0},
			{registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}, 1},
		} {
			body, _ := serve(t, f.h, tt.v, q, nil)
			var out struct {
				Data struct {
					Sources struct{ TotalCount int } `json:"sources"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil || out.Data.Sources.TotalCount != tt.want {
				t.Errorf("as %q: %s = %s, want totalCount %d", tt.v.Role, q, body, tt.want)
			}
		}
	})

	// A search hit on the source for its publisher's words would confirm its
	// publisher. The index is one for every viewer, so it leaves a
	// confidential source's publisher out for all (migration 0014); editors
	// find such sources by publisher with the sources filter above.
	t.Run("a search by publisher finds a confidential source for no one", func(t *testing.T) {
		t.Parallel()
		const q = `query($q: String!) { search(query: $q, first: 100) { nodes { entry { ... on Source { id } } } } }`
		secret := f.id("src-secret")
		for _, words := range []string{"Network", markerPublisher} {
			for _, tt := range []struct {
				v    registry.Viewer
				want bool
			}{
				{registry.Anonymous, false},
				{registry.Viewer{UserID: uuid.New(), Role: registry.RoleContributor}, false},
				{registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}, false},
			} {
				body, _ := serve(t, f.h, tt.v, q, map[string]any{"q": words})
				if got := strings.Contains(body, secret); got != tt.want {
					t.Errorf("as %q, search %q: found the confidential source = %t, want %t: %s", tt.v.Role, words, got, tt.want, body)
				}
			}
		}
	})

	t.Run("fields are blank, not missing", func(t *testing.T) {
		t.Parallel()
		type change struct {
			Field  string          `json:"field"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
		}
		var out struct {
			Secret struct {
				Title         string   `json:"title"`
				Kind          string   `json:"kind"`
				Confidential  bool     `json:"confidential"`
				URL           *string  `json:"url"`
				ArchiveURL    *string  `json:"archiveUrl"`
				Authors       []string `json:"authors"`
				Publisher     *string  `json:"publisher"`
				PublishedOn   *string  `json:"publishedOn"`
				AccessedOn    *string  `json:"accessedOn"`
				Language      *string  `json:"language"`
				ContentSha256 *string  `json:"contentSha256"`
				CitedBy       struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Locator *string `json:"locator"`
						Quote   *string `json:"quote"`
					} `json:"nodes"`
				} `json:"citedBy"`
				History struct {
					Nodes []struct {
						Snapshot map[string]json.RawMessage `json:"snapshot"`
						Changes  []change                   `json:"changes"`
					} `json:"nodes"`
				} `json:"history"`
			} `json:"secret"`
			Public struct {
				URL     *string  `json:"url"`
				Authors []string `json:"authors"`
			} `json:"public"`
			Dep struct {
				Citations []struct {
					Locator *string `json:"locator"`
					Quote   *string `json:"quote"`
				} `json:"citations"`
				History struct {
					Nodes []struct {
						Snapshot struct {
							Citations []map[string]json.RawMessage `json:"citations"`
						} `json:"snapshot"`
						Changes []change `json:"changes"`
					} `json:"nodes"`
				} `json:"history"`
			} `json:"dep"`
		}
		res := f.query(t, `query($s: ID!, $p: ID!, $d: ID!) {
			secret: node(id: $s) { ... on Source { title kind confidential url archiveUrl authors publisher publishedOn accessedOn language contentSha256
				citedBy { totalCount nodes { locator quote } } history { nodes { snapshot changes { field before after } } } } }
			public: node(id: $p) { ... on Source { url authors } }
			dep: node(id: $d) { ... on Deployment { citations { locator quote } history { nodes { snapshot changes { field before after } } } } } }`,
			map[string]any{"s": f.id("src-secret"), "p": f.id("src-01"), "d": f.id("d-hik-01")}, &out)

		s := out.Secret
		if s.Title != "Confidential witness statement" || s.Kind != "TESTIMONY" || !s.Confidential || s.URL != nil || s.ArchiveURL != nil ||
			s.Authors == nil || len(s.Authors) != 0 || s.Publisher != nil || s.PublishedOn != nil || s.AccessedOn != nil || s.Language != nil || s.ContentSha256 != nil {
			t.Errorf("src-secret = %s\nwant its title, kind, confidential true, authors [] and every other detail null", res.Data)
		}
		if s.CitedBy.TotalCount != 2 || len(s.CitedBy.Nodes) != 2 {
			t.Errorf("src-secret citedBy = %+v, want the 2 citations of d-hik-01 and ab-cn-01", s.CitedBy)
		}
		for i, c := range s.CitedBy.Nodes {
			if c.Locator != nil || c.Quote != nil {
				t.Errorf("src-secret citedBy %d = locator %q, quote %q; want both null", i, deref(c.Locator), deref(c.Quote))
			}
		}
		if len(s.History.Nodes) != 2 {
			t.Fatalf("src-secret history = %d versions, want 2", len(s.History.Nodes))
		}
		withheld := registry.ConfidentialSourceFields()
		for i, v := range s.History.Nodes {
			if string(v.Snapshot["title"]) != `"Confidential witness statement"` {
				t.Errorf("src-secret version %d snapshot title = %s, want it kept", i+1, v.Snapshot["title"])
			}
			for _, k := range withheld {
				if x := string(v.Snapshot[k]); x != "null" && x != "[]" {
					t.Errorf("src-secret version %d snapshot %s = %s, want it blank", i+1, k, x)
				}
			}
			for _, c := range v.Changes {
				if slices.Contains(withheld, c.Field) {
					t.Errorf("src-secret version %d shows a change of %s (%s to %s), want none: it tells a withheld detail was set", i+1, c.Field, c.Before, c.After)
				}
			}
		}
		if deref(out.Public.URL) != "https://example.org/src-01" || len(out.Public.Authors) != 1 {
			t.Errorf("src-01 (public) url and authors = %v, %v; want them shown", deref(out.Public.URL), out.Public.Authors)
		}

		// d-hik-01 cites src-01, then src-secret, then src-02: only the
		// second citation's locator and quote are hidden.
		want := []struct{ locator, quote *string }{
			{sp("DEPLOYMENT/d-hik-01#1"), sp("Quote from src-01")}, {nil, nil}, {sp("DEPLOYMENT/d-hik-01#3"), sp("Quote from src-02")},
		}
		if len(out.Dep.Citations) != len(want) {
			t.Fatalf("d-hik-01 citations = %d, want %d", len(out.Dep.Citations), len(want))
		}
		for i, c := range out.Dep.Citations {
			if deref(c.Locator) != deref(want[i].locator) || deref(c.Quote) != deref(want[i].quote) || (c.Quote == nil) != (want[i].quote == nil) {
				t.Errorf("d-hik-01 citation %d = locator %s, quote %s; want %s, %s", i, deref(c.Locator), deref(c.Quote), deref(want[i].locator), deref(want[i].quote))
			}
		}
		if n := len(out.Dep.History.Nodes); n != 2 {
			t.Fatalf("d-hik-01 history = %d versions, want 2", n)
		}
		for i, v := range out.Dep.History.Nodes {
			cs := v.Snapshot.Citations
			if len(cs) != 3 || string(cs[0]["quote"]) != `"Quote from src-01"` || string(cs[1]["quote"]) != "null" || string(cs[1]["locator"]) != "null" ||
				string(cs[2]["locator"]) != `"DEPLOYMENT/d-hik-01#3"` {
				t.Errorf("d-hik-01 version %d snapshot citations = %v, want the second (src-secret) with locator and quote null, the others kept", i+1, cs)
			}
		}
		// Version 2 changed only the locator of the citation to src-secret.
		if cs := out.Dep.History.Nodes[1].Changes; len(cs) != 0 {
			t.Errorf("d-hik-01 version 2 changes = %+v, want none: it changed only a withheld locator", cs)
		}
	})
}
