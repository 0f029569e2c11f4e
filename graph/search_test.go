package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

// searchHit is a hit as the tests read it: the entry's ID and its name or
// title, whichever its type has.
type searchHit struct {
	EntryType string  `json:"entryType"`
	Score     float64 `json:"score"`
	Snippet   *string `json:"snippet"`
	Entry     struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Title string `json:"title"`
	} `json:"entry"`
}

func (h searchHit) label() string { return h.EntryType + " " + h.Entry.Name + h.Entry.Title }

type searchPage struct {
	Search struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Cursor string    `json:"cursor"`
			Node   searchHit `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"search"`
}

func (p searchPage) hits() []searchHit {
	out := make([]searchHit, len(p.Search.Edges))
	for i, e := range p.Search.Edges {
		out[i] = e.Node
	}
	return out
}

const searchQuery = `query($q: String!, $types: [EntryType!], $first: Int, $after: String) {
	search(query: $q, types: $types, first: $first, after: $after) {
		totalCount
		edges { cursor node { entryType score snippet entry { id
			... on State { name } ... on Agency { name } ... on Vendor { name } ... on Technology { name }
			... on Product { name } ... on ReligiousCommunity { name } ... on DesignationList { name }
			... on ControlListEntry { title } ... on Abuse { title } ... on Source { title } } } }
		pageInfo { hasNextPage endCursor }
	} }`

func searchVars(q string, first int, types ...string) map[string]any {
	v := map[string]any{"q": q, "first": first}
	if len(types) > 0 {
		v["types"] = types
	}
	return v
}

func hitLabels(hits []searchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.label()
	}
	return out
}

// seededRegistry is the real seed data behind the API.
func seededRegistry(t *testing.T) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	d, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() error = %v", err)
	}
	if _, err := seed.Load(t.Context(), pool, d); err != nil {
		t.Fatalf("seed.Load(registry) error = %v", err)
	}
	return &fixture{pool: pool, h: newHandler(pool, 0)}
}

func (f *fixture) search(t *testing.T, vars map[string]any) searchPage {
	t.Helper()
	var out searchPage
	f.query(t, searchQuery, vars, &out)
	return out
}

// The seed registry's own data: each query finds the entry a researcher
// would look for at the top.
func TestSearchRelevance(t *testing.T) {
	t.Parallel()
	f := seededRegistry(t)
	tests := []struct {
		query string
		top   int    // the wanted entry is among the first top hits
		want  string // entry type and name or title
	}{
		{"Hikvision", 1, "VENDOR Hangzhou Hikvision Digital Technology Co., Ltd."},
		{"hikvision", 1, "VENDOR Hangzhou Hikvision Digital Technology Co., Ltd."},
		{"Hikvison", 1, "VENDOR Hangzhou Hikvision Digital Technology Co., Ltd."}, // misspelt: trigram fallback
		{"Sense Time", 1, "VENDOR SenseTime Group Limited"},                       // an alias
		{"SenseTime", 1, "VENDOR SenseTime Group Limited"},
		{"Dahau", 1, "VENDOR Zhejiang Dahua Technology Co., Ltd."},
		{"facial recognition", 1, "TECHNOLOGY Facial recognition systems"},
		{"Uyghur", 3, "COMMUNITY Uyghur Muslims"},
		{"Bahai", 1, "COMMUNITY Bahá'ís"},   // accents folded, through the trigram fallback
		{"Baha'is", 3, "COMMUNITY Bahá'ís"}, // accents folded in full-text search
		{"NSO", 1, "VENDOR NSO Group"},
		{`"cameras be set up at the entrance of every single mosque"`, 3, "VENDOR Hangzhou Hikvision Digital Technology Co., Ltd."}, // a quote
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			hits := f.search(t, searchVars(tt.query, 10)).hits()
			got := hitLabels(hits)
			if !slices.Contains(got[:min(tt.top, len(got))], strings.Replace(tt.want, "COMMUNITY", "RELIGIOUS_COMMUNITY", 1)) &&
				!slices.Contains(got[:min(tt.top, len(got))], tt.want) {
				t.Errorf("search(%q) = %q\nwant %q among the first %d", tt.query, got, tt.want, tt.top)
			}
			for _, h := range hits {
				if h.Snippet == nil || *h.Snippet == "" {
					t.Errorf("search(%q) hit %s has no snippet", tt.query, h.label())
				}
			}
		})
	}

	t.Run("snippet marks the match in the field that matched", func(t *testing.T) {
		t.Parallel()
		hits := f.search(t, searchVars(`"cameras be set up at the entrance of every single mosque"`, 10)).hits()
		if len(hits) == 0 {
			t.Fatal("search for a quote found nothing")
		}
		for _, h := range hits {
			// The words come from the quote (IPVM on Hikvision's mosque tender), marked.
			if h.Snippet == nil || !strings.Contains(*h.Snippet, "«entrance» of «every» «single» «mosque»") {
				t.Errorf("hit %s snippet = %v, want the quote with the phrase marked «…»", h.label(), deref(h.Snippet))
			}
		}
		hits = f.search(t, searchVars("Megvii", 10)).hits()
		if len(hits) == 0 || hits[0].label() != "VENDOR Megvii Technology Limited" || !strings.Contains(deref(hits[0].Snippet), "«Megvii»") {
			t.Errorf("search(Megvii) first hit = %+v, want Megvii with «Megvii» marked", hits[:min(1, len(hits))])
		}
	})

	t.Run("scores", func(t *testing.T) {
		t.Parallel()
		hits := f.search(t, searchVars("Xinjiang", 50)).hits()
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Errorf("search(Xinjiang) hit %d score %v > hit %d score %v: want best first", i, hits[i].Score, i-1, hits[i-1].Score)
			}
		}
	})
}

func TestSearchTypesAndOperators(t *testing.T) {
	t.Parallel()
	f := seededRegistry(t)
	total := func(q string, types ...string) int {
		return f.search(t, searchVars(q, 0, types...)).Search.TotalCount
	}
	has := func(q, want string) bool {
		return slices.Contains(hitLabels(f.search(t, searchVars(q, 100)).hits()), want)
	}
	const hik = "VENDOR Hangzhou Hikvision Digital Technology Co., Ltd."

	t.Run("types", func(t *testing.T) {
		t.Parallel()
		all := total("Hikvision")
		hits := f.search(t, searchVars("Hikvision", 100, "SOURCE", "ABUSE")).hits()
		if len(hits) == 0 || len(hits) >= all {
			t.Errorf("search(Hikvision, types [SOURCE ABUSE]) = %d hits, want some but fewer than the %d of all types", len(hits), all)
		}
		for _, h := range hits {
			if h.EntryType != "SOURCE" && h.EntryType != "ABUSE" {
				t.Errorf("search(Hikvision, types [SOURCE ABUSE]) has %s", h.label())
			}
		}
		byType := 0
		for _, typ := range registry.EntryTypes {
			byType += total("Hikvision", string(typ))
		}
		if byType != all {
			t.Errorf("search(Hikvision) totals per type add up to %d, want the %d of all types", byType, all)
		}
		if n := total("Hikvison", "SOURCE"); n != 0 { // the trigram fallback covers names only
			t.Errorf("search(Hikvison, types [SOURCE]) totalCount = %d, want 0", n)
		}
	})

	t.Run("OR", func(t *testing.T) {
		t.Parallel()
		d, m, both := total("Dahua"), total("Megvii"), total("Dahua OR Megvii")
		if both < max(d, m) || both > d+m || both == max(d, m) {
			t.Errorf("totalCount: Dahua %d, Megvii %d, Dahua OR Megvii %d; want more than either, at most their sum", d, m, both)
		}
		hits := hitLabels(f.search(t, searchVars("Dahua OR Megvii", 2)).hits())
		slices.Sort(hits)
		if want := []string{"VENDOR Megvii Technology Limited", "VENDOR Zhejiang Dahua Technology Co., Ltd."}; !slices.Equal(hits, want) {
			t.Errorf("search(Dahua OR Megvii) first two = %q, want %q", hits, want)
		}
	})

	t.Run("exclusion", func(t *testing.T) {
		t.Parallel()
		// Hikvision's own description mentions mosques.
		if !has("Hikvision", hik) || has("Hikvision -mosque", hik) || has("Hikvision -mosques", hik) {
			t.Errorf("Hikvision found by Hikvision %v, by Hikvision -mosque %v, by Hikvision -mosques %v; want true, false, false",
				has("Hikvision", hik), has("Hikvision -mosque", hik), has("Hikvision -mosques", hik))
		}
		for _, h := range f.search(t, searchVars("Hikvision -mosque", 100)).hits() {
			if strings.Contains(strings.ToLower(deref(h.Snippet)), "mosque") {
				t.Errorf("search(Hikvision -mosque) has %s, snippet %q", h.label(), deref(h.Snippet))
			}
		}
		if a, b := total("Hikvision"), total("Hikvision -mosque"); b == 0 || b >= a {
			t.Errorf("totalCount: Hikvision %d, Hikvision -mosque %d; want fewer, but some", a, b)
		}
		// Exclusions hold in the trigram fallback too.
		if !has("Hikvison", hik) || has("Hikvison -mosque", hik) || !has("Hikvison -spyware", hik) {
			t.Errorf("Hikvision found by Hikvison %v, Hikvison -mosque %v, Hikvison -spyware %v; want true, false, true",
				has("Hikvison", hik), has("Hikvison -mosque", hik), has("Hikvison -spyware", hik))
		}
		// A phrase excluded.
		if has(`Hikvision -"entrance of every mosque"`, hik) {
			t.Errorf(`search(Hikvision -"entrance of every mosque") has Hikvision, whose description has that phrase`)
		}
	})
}

// walkSearch pages through a search first hits at a time.
func walkSearch(t *testing.T, f *fixture, q string, first int) (hits []searchHit, total int) {
	t.Helper()
	vars := searchVars(q, first)
	for page := 0; ; page++ {
		if page > 200 {
			t.Fatalf("search(%q) pages never end", q)
		}
		p := f.search(t, vars)
		if page == 0 {
			total = p.Search.TotalCount
		} else if p.Search.TotalCount != total {
			t.Errorf("search(%q) page %d totalCount = %d, want %d as on page 1", q, page, p.Search.TotalCount, total)
		}
		hits = append(hits, p.hits()...)
		if len(p.Search.Edges) > first {
			t.Fatalf("search(%q, first %d) page %d has %d hits", q, first, page, len(p.Search.Edges))
		}
		if !p.Search.PageInfo.HasNextPage {
			return hits, total
		}
		if len(p.Search.Edges) != first || p.Search.PageInfo.EndCursor == nil {
			t.Fatalf("search(%q) page %d: %d hits and hasNextPage, want a full page with an end cursor", q, page, len(p.Search.Edges))
		}
		vars["after"] = *p.Search.PageInfo.EndCursor
	}
}

func TestSearchPagination(t *testing.T) {
	t.Parallel()
	f := seededRegistry(t)
	for _, tt := range []struct {
		query string
		first int
	}{
		{"Xinjiang", 7},      // full-text, many equal scores
		{"surveillance", 13}, // full-text
		{"Technolgy", 2},     // trigram fallback, many vendors
		{"Technolgy -xinjiang", 1},
	} {
		t.Run(fmt.Sprintf("%s by %d", tt.query, tt.first), func(t *testing.T) {
			t.Parallel()
			hits, total := walkSearch(t, f, tt.query, tt.first)
			all, _ := walkSearch(t, f, tt.query, 100)
			if total < 2*tt.first || total > 300 {
				t.Fatalf("search(%q) totalCount = %d, want a few pages' worth (test data changed?)", tt.query, total)
			}
			if len(hits) != total {
				t.Errorf("walking search(%q) by %d: %d hits, want totalCount %d", tt.query, tt.first, len(hits), total)
			}
			seen := map[string]bool{}
			for _, h := range hits {
				if seen[h.Entry.ID] {
					t.Errorf("walking search(%q): %s twice", tt.query, h.label())
				}
				seen[h.Entry.ID] = true
			}
			if got, want := hitIDs(hits), hitIDs(all); !slices.Equal(got, want) {
				t.Errorf("walking search(%q) by %d gives another order than by 100:\n%q\n%q", tt.query, tt.first, got, want)
			}
		})
	}
}

func hitIDs(hits []searchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Entry.ID
	}
	return out
}

func TestSearchBadInput(t *testing.T) {
	t.Parallel()
	f := seededRegistry(t)
	vendorsCursor := func() string {
		var out struct {
			Vendors struct {
				PageInfo struct{ EndCursor string } `json:"pageInfo"`
			} `json:"vendors"`
		}
		f.query(t, `{ vendors(first: 1) { pageInfo { endCursor } } }`, nil, &out)
		return out.Vendors.PageInfo.EndCursor
	}()
	tests := []struct {
		name  string
		vars  map[string]any
		parts []string
	}{
		{"empty", searchVars("", 10), []string{"query", "empty"}},
		{"blank", searchVars(" \t\n ", 10), []string{"query", "empty"}},
		{"too long", searchVars(strings.Repeat("surveillance ", 17), 10), []string{"query", "at most 200 characters"}},
		{"too many terms", searchVars(strings.Repeat("a ", 21), 10), []string{"query", "at most 20 terms"}},
		{"punctuation only", searchVars("!!! ... --", 10), []string{"query", "no words"}},
		{"exclusions only", searchVars("-camera -mosque", 10), []string{"query", "exclusions"}},
		{"exclusion alone beside OR", searchVars("camera OR -mosque", 10), []string{"query", "exclusions"}},
		{"first too large", searchVars("camera", 101), []string{"first"}},
		{"cursor of another list", map[string]any{"q": "camera", "after": vendorsCursor}, []string{"after"}},
		{"not a cursor", map[string]any{"q": "camera", "after": "nope"}, []string{"after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantBadInput(t, f.post(t, searchQuery, tt.vars), tt.parts...)
		})
	}
	// At the limits is fine.
	f.search(t, searchVars(strings.Repeat("x", 200), 10))
	f.search(t, searchVars(strings.TrimSpace(strings.Repeat("a ", 20)), 10))
}

// A confidential source's details and the quotes citing it are never
// matched for an anonymous reader, though an editor finds them.
func TestSearchConfidential(t *testing.T) {
	t.Parallel()
	e := newEditorialAPI(t)
	editor := e.addAccount(t, "Eddie", "eddie@example.org", registry.RoleEditor)
	queries := []string{
		"MARKER-QUOTE-7f3a",
		`"the witness saw the cameras installed"`,
		"witness saw cameras installed",
		"MARKER-AUTHOR-7f3a",
		"7f3a",
		"secret.example.org",
		"MARKER-URL-7f3a",
		"MARKR",
	}
	for _, q := range queries {
		r := e.post(t, searchQuery, searchVars(q, 100))
		var out searchPage
		if len(r.Errors) > 0 {
			t.Fatalf("search(%q) errors %s", q, r.body)
		}
		if strings.Contains(r.body, markerStem) {
			t.Errorf("anonymous search(%q) response contains a confidential detail: %s", q, r.body)
		}
		_ = out
	}
	for _, q := range queries[:2] {
		var anon, ed searchPage
		mustData(t, e.api, searchQuery, searchVars(q, 100), &anon)
		e.mustQueryAs(t, editor, searchQuery, searchVars(q, 100), &ed)
		if anon.Search.TotalCount != 0 {
			t.Errorf("anonymous search(%q) totalCount = %d, want 0", q, anon.Search.TotalCount)
		}
		got := e.keys(t, hitIDs(ed.hits()))
		slices.Sort(got)
		if want := []string{"ab-cn-01", "d-hik-01"}; !slices.Equal(got, want) {
			t.Errorf("editor's search(%q) = %q, want the entries citing the confidential quote %q", q, got, want)
		}
		for _, h := range ed.hits() {
			if sn := deref(h.Snippet); !strings.Contains(sn, "witness") || !strings.Contains(sn, "cameras") || !strings.Contains(sn, "«") {
				t.Errorf("editor's search(%q) hit %s snippet = %q, want the confidential quote marked", q, h.label(), deref(h.Snippet))
			}
		}
	}
	// The confidential source itself is findable by its public title.
	var out searchPage
	mustData(t, e.api, searchQuery, searchVars("confidential witness statement", 10), &out)
	if got := e.keys(t, hitIDs(out.hits())); len(got) == 0 || got[0] != "src-secret" {
		t.Errorf("search(confidential witness statement) = %q, want src-secret first", got)
	}
}

func TestSearchLeavesOutRetracted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tt := range []struct {
		query string
		want  []string // published entries it finds
		gone  []string // retracted entries it must not
	}{
		{"Retracto", []string{"p-retracto-box"}, []string{"retracto"}},
		{"Retrakto", []string{"p-retracto-box"}, []string{"retracto"}}, // trigram fallback
		{"withdrawn", nil, []string{"src-withdrawn", "p-withdrawn", "cle-old"}},
		{"Uganda", nil, []string{"UG"}},
		{"Entity List", []string{"dl-entity"}, nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var out searchPage
			f.query(t, searchQuery, searchVars(tt.query, 100), &out)
			got := f.keys(t, hitIDs(out.hits()))
			for _, k := range tt.want {
				if !slices.Contains(got, k) {
					t.Errorf("search(%q) = %q, want %s", tt.query, got, k)
				}
			}
			for _, k := range tt.gone {
				if slices.Contains(got, k) {
					t.Errorf("search(%q) = %q, has retracted %s", tt.query, got, k)
				}
			}
			if out.Search.TotalCount != len(got) {
				t.Errorf("search(%q) totalCount = %d, want %d", tt.query, out.Search.TotalCount, len(got))
			}
		})
	}
}

// A page of hits costs the same statements whatever its size: the hits'
// entries come through the per-type loaders.
func TestSearchNoNPlusOne(t *testing.T) {
	t.Parallel()
	counter := &statementCounter{}
	f := newFixtureWith(t, counter)
	count := func(first int) (int64, int) {
		counter.N.Store(0)
		var out searchPage
		f.query(t, searchQuery, searchVars("location OR report OR vendor", first), &out)
		return counter.N.Load(), len(out.Search.Edges)
	}
	small, n1 := count(3)
	large, n2 := count(100)
	if n2 < 50 {
		t.Fatalf("search found %d hits, want at least 50 to tell", n2)
	}
	if large > small+8 { // at most one more loader per entry type the larger page reaches
		t.Errorf("search of %d hits took %d statements, of %d hits %d: want about the same", n1, small, n2, large)
	}
}
