package graph_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// An anonymous reader never sees a confidential source's URL, archive URL or
// authors, nor the quotes of citations to it, whichever way they ask.
func TestConfidentialSourceIsRedacted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const citationFields = `locator quote source { title confidential url archiveUrl authors }`
	const versionFields = `history { nodes { snapshot changes { field before after } } }`
	queries := []struct {
		name, query string
		vars        map[string]any
	}{
		{"the source", `query($id: ID!) { node(id: $id) { ... on Source { title confidential url archiveUrl authors publisher
			citedBy(first: 100) { nodes { ` + citationFields + ` } }
			` + versionFields + ` versionAt(at: "2999-01-01T00:00:00Z") { snapshot changes { field before after } } } } }`,
			map[string]any{"id": f.id("src-secret")}},
		{"the sources list", `{ sources(first: 100) { nodes { title url archiveUrl authors citedBy(first: 100) { nodes { quote } } ` + versionFields + ` } } }`, nil},
		{"sources filtered", `{ sources(filter: {kinds: [TESTIMONY], includeRetracted: true}) { nodes { url archiveUrl authors } } }`, nil},
		{"a citing deployment", `query($id: ID!) { node(id: $id) { ... on Deployment { citations { ` + citationFields + ` } ` + versionFields + `
			versionAt(at: "2999-01-01T00:00:00Z") { snapshot changes { field before after } } } } }`,
			map[string]any{"id": f.id("d-hik-01")}},
		{"a citing abuse", `query($id: ID!) { node(id: $id) { ... on Abuse { citations { ` + citationFields + ` } ` + versionFields + ` } } }`,
			map[string]any{"id": f.id("ab-cn-01")}},
		{"every deployment's citations", `{ deployments(first: 100, filter: {includeRetracted: true}) { nodes { citations { ` + citationFields + ` } ` + versionFields + ` } } }`, nil},
		{"every abuse's citations", `{ abuses(first: 100) { nodes { citations { quote source { url authors archiveUrl } } } } }`, nil},
		{"through the vendor", `{ vendor(slug: "hikcam") { deployments(first: 100) { nodes { citations { ` + citationFields + ` } abuses { citations { quote } } } } } }`, nil},
		{"citation entry back to source", `query($id: ID!) { node(id: $id) { ... on Source { citedBy { nodes { entry { ... on Deployment { citations { quote source { url } } } ... on Abuse { citations { quote } } } } } } } }`,
			map[string]any{"id": f.id("src-secret")}},
		{"nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Source { url archiveUrl authors } } }`,
			map[string]any{"ids": f.ids("src-secret", "src-01")}},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			r := f.query(t, q.query, q.vars, nil)
			if strings.Contains(r.body, markerStem) {
				i := strings.Index(r.body, markerStem)
				t.Errorf("query %s\nresponse contains a confidential detail: ...%s...", q.query, r.body[max(0, i-80):min(len(r.body), i+80)])
			}
		})
	}

	t.Run("fields are blank, not missing", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Secret struct {
				Title        string   `json:"title"`
				Confidential bool     `json:"confidential"`
				URL          *string  `json:"url"`
				ArchiveURL   *string  `json:"archiveUrl"`
				Authors      []string `json:"authors"`
				CitedBy      struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Locator string  `json:"locator"`
						Quote   *string `json:"quote"`
					} `json:"nodes"`
				} `json:"citedBy"`
				History struct {
					Nodes []struct {
						Snapshot map[string]json.RawMessage `json:"snapshot"`
						Changes  []struct {
							Field string          `json:"field"`
							After json.RawMessage `json:"after"`
						} `json:"changes"`
					} `json:"nodes"`
				} `json:"history"`
			} `json:"secret"`
			Public struct {
				URL     *string  `json:"url"`
				Authors []string `json:"authors"`
			} `json:"public"`
			Dep struct {
				Citations []struct {
					Locator string  `json:"locator"`
					Quote   *string `json:"quote"`
				} `json:"citations"`
				History struct {
					Nodes []struct {
						Snapshot struct {
							Citations []map[string]json.RawMessage `json:"citations"`
						} `json:"snapshot"`
					} `json:"nodes"`
				} `json:"history"`
			} `json:"dep"`
		}
		res := f.query(t, `query($s: ID!, $p: ID!, $d: ID!) {
			secret: node(id: $s) { ... on Source { title confidential url archiveUrl authors citedBy { totalCount nodes { locator quote } }
				history { nodes { snapshot changes { field after } } } } }
			public: node(id: $p) { ... on Source { url authors } }
			dep: node(id: $d) { ... on Deployment { citations { locator quote } history { nodes { snapshot } } } } }`,
			map[string]any{"s": f.id("src-secret"), "p": f.id("src-01"), "d": f.id("d-hik-01")}, &out)

		s := out.Secret
		if s.Title != "Confidential witness statement" || !s.Confidential || s.URL != nil || s.ArchiveURL != nil || s.Authors == nil || len(s.Authors) != 0 {
			t.Errorf("src-secret = %s\nwant its title, confidential true, url and archiveUrl null, authors []", res.Data)
		}
		if s.CitedBy.TotalCount != 2 || len(s.CitedBy.Nodes) != 2 {
			t.Errorf("src-secret citedBy = %+v, want the 2 citations of d-hik-01 and ab-cn-01", s.CitedBy)
		}
		for _, c := range s.CitedBy.Nodes {
			if c.Quote != nil {
				t.Errorf("src-secret citedBy %s quote = %q, want null", c.Locator, *c.Quote)
			}
		}
		if len(s.History.Nodes) != 1 {
			t.Fatalf("src-secret history = %d versions, want 1", len(s.History.Nodes))
		}
		snap := s.History.Nodes[0].Snapshot
		if string(snap["url"]) != "null" || string(snap["archiveUrl"]) != "null" || string(snap["authors"]) != "[]" || string(snap["title"]) != `"Confidential witness statement"` {
			t.Errorf("src-secret version 1 snapshot = %v, want url and archiveUrl null, authors [] and the title kept", snap)
		}
		for _, c := range s.History.Nodes[0].Changes {
			switch c.Field {
			case "url", "archiveUrl":
				if string(c.After) != "null" {
					t.Errorf("src-secret version 1 change of %s = %s, want null", c.Field, c.After)
				}
			case "authors":
				if string(c.After) != "[]" {
					t.Errorf("src-secret version 1 change of authors = %s, want []", c.After)
				}
			}
		}
		if deref(out.Public.URL) != "https://example.org/src-01" || len(out.Public.Authors) != 1 {
			t.Errorf("src-01 (public) url and authors = %v, %v; want them shown", deref(out.Public.URL), out.Public.Authors)
		}

		// d-hik-01 cites src-01, then src-secret, then src-02: only the second quote is hidden.
		want := []*string{sp("Quote from src-01"), nil, sp("Quote from src-02")}
		if len(out.Dep.Citations) != len(want) {
			t.Fatalf("d-hik-01 citations = %d, want %d", len(out.Dep.Citations), len(want))
		}
		for i, c := range out.Dep.Citations {
			if deref(c.Quote) != deref(want[i]) || (c.Quote == nil) != (want[i] == nil) {
				t.Errorf("d-hik-01 citation %s quote = %v, want %v", c.Locator, deref(c.Quote), deref(want[i]))
			}
		}
		cs := out.Dep.History.Nodes[0].Snapshot.Citations
		if len(cs) != 3 || string(cs[0]["quote"]) != `"Quote from src-01"` || string(cs[1]["quote"]) != "null" || string(cs[2]["quote"]) != `"Quote from src-02"` {
			t.Errorf("d-hik-01 version 1 snapshot citations = %v, want the second quote (src-secret) null and the others kept", cs)
		}
	})
}
