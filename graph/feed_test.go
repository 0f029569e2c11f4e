package graph_test

import (
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/internal/server"
)

// atomDoc is what a reader takes from the feed.
type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links   []atomDocLink `xml:"link"`
	Entries []struct {
		ID         string        `xml:"id"`
		Title      string        `xml:"title"`
		Updated    string        `xml:"updated"`
		Summary    string        `xml:"summary"`
		Content    string        `xml:"content"`
		Links      []atomDocLink `xml:"link"`
		Categories []struct {
			Scheme string `xml:"scheme,attr"`
			Term   string `xml:"term,attr"`
		} `xml:"category"`
	} `xml:"entry"`
}

type atomDocLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

func (d atomDoc) link(rel string) string {
	for _, l := range d.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

// getFeed requests the feed at target from host, with extra headers.
func getFeed(t *testing.T, h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	req.Host = "registry.test:8080"
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func parseFeed(t *testing.T, target string, rec *httptest.ResponseRecorder) atomDoc {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d %q, want 200", target, rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("GET %s Content-Type = %q, want application/atom+xml; charset=utf-8", target, ct)
	}
	var d atomDoc
	if err := xml.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("GET %s: body does not parse as an Atom feed: %v\n%s", target, err, rec.Body.String())
	}
	return d
}

func TestChangesFeed(t *testing.T) {
	t.Parallel()
	w := newChangesWorld(t, nil)
	cfg := w.cfg
	cfg.PublicURL = &url.URL{Scheme: "https", Host: "registry.test", Path: "/oversight/"}
	h := newServer(cfg, server.Config{})
	var latest time.Time
	if err := w.pool.QueryRow(t.Context(), `SELECT max(at) FROM change_events`).Scan(&latest); err != nil {
		t.Fatalf("latest change: %v", err)
	}

	rec := getFeed(t, h, "/changes.atom", nil)
	d := parseFeed(t, "/changes.atom", rec)

	t.Run("the latest 50 changes", func(t *testing.T) {
		if d.ID != "urn:oversight:changes" || d.Title != "Oversight: changes" {
			t.Errorf("feed id, title = %q, %q; want urn:oversight:changes, Oversight: changes", d.ID, d.Title)
		}
		if got := d.link("self"); got != "https://registry.test/oversight/changes.atom" {
			t.Errorf("feed self link = %q, want https://registry.test/oversight/changes.atom", got)
		}
		if want := latest.UTC().Format(time.RFC3339); d.Updated != want {
			t.Errorf("feed updated = %q, want the latest change, %s", d.Updated, want)
		}
		if len(d.Author) != 1 || d.Author[0].Name != "Oversight" {
			t.Errorf("feed authors = %+v, want Oversight alone (no editor is named)", d.Author)
		}
		if len(d.Entries) != 50 {
			t.Fatalf("feed has %d entries, want 50", len(d.Entries))
		}
		if got := d.Entries[0].Title; !strings.HasPrefix(got, "Abuse ") || !strings.HasSuffix(got, " retracted (version 2)") || len(got) < 40 {
			t.Errorf("feed entry 0 title = %q, want Abuse <its title> retracted (version 2)", got)
		}
		ids := map[string]bool{}
		idPattern := regexp.MustCompile(`^urn:oversight:change:[0-9]+$`)
		for i, e := range d.Entries {
			if i >= 3 && !strings.HasSuffix(e.Title, " created (version 1)") {
				t.Errorf("feed entry %d title = %q, want a seeded entry created (version 1)", i, e.Title)
			}
			if !idPattern.MatchString(e.ID) || ids[e.ID] {
				t.Errorf("feed entry %d id = %q: want a distinct urn:oversight:change:<n>", i, e.ID)
			}
			ids[e.ID] = true
			if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
				t.Errorf("feed entry %d updated = %q: %v", i, e.Updated, err)
			}
			if len(e.Links) != 1 || e.Links[0].Rel != "alternate" || !strings.HasPrefix(e.Links[0].Href, "https://registry.test/oversight/graphql?") {
				t.Errorf("feed entry %d links = %+v, want one alternate link to the API", i, e.Links)
			}
		}
		if got, want := d.Entries[1].Title, "State China corrected (version 2)"; got != want {
			t.Errorf("feed entry 1 title = %q, want %q", got, want)
		}
		if got, want := d.Entries[2].Title, "Vendor "+w.hikvisionName+" updated (version 2)"; got != want {
			t.Errorf("feed entry 2 title = %q, want %q", got, want)
		}
		if got := d.Entries[2].Summary; got != w.updateTitle {
			t.Errorf("feed entry 2 summary = %q, want the submission's title %q, unescaped", got, w.updateTitle)
		}
		if !strings.Contains(rec.Body.String(), "&lt;Moyu&gt; &amp;") {
			t.Errorf("feed body does not escape the summary %q", w.updateTitle)
		}
		if gid := graph.EntryIDForTest(registry.TypeVendor, w.hikvision); !strings.Contains(d.Entries[2].Content, gid) {
			t.Errorf("feed entry 2 content = %q, want it to give the entry's ID %s", d.Entries[2].Content, gid)
		}
		if strings.Contains(rec.Body.String(), w.editor) || strings.Contains(rec.Body.String(), "@example.org") {
			t.Errorf("feed names a user")
		}
	})

	t.Run("an entry's link answers with the entry and the version", func(t *testing.T) {
		for i, want := range []struct {
			typename string
			version  int
			status   string
		}{{"Abuse", 2, "RETRACTED"}, {"State", 2, "PUBLISHED"}, {"Vendor", 2, "PUBLISHED"}, {"", 1, "PUBLISHED"}} {
			href, err := url.Parse(d.Entries[i].Links[0].Href)
			if err != nil {
				t.Fatalf("feed entry %d link %q: %v", i, d.Entries[i].Links[0].Href, err)
			}
			// As the proxy in front of the server would, strip the public
			// URL's path prefix.
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, strings.TrimPrefix(href.RequestURI(), "/oversight"), nil)
			rec := httptest.NewRecorder()
			w.api.ServeHTTP(rec, req)
			var out struct {
				Data struct {
					Node struct {
						Typename  string `json:"__typename"`
						Status    string `json:"status"`
						VersionAt struct {
							Version int `json:"version"`
						} `json:"versionAt"`
					} `json:"node"`
				} `json:"data"`
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 {
				t.Fatalf("GET %s = %d %s (%v), want the entry", href, rec.Code, rec.Body.String(), err)
			}
			n := out.Data.Node
			if (want.typename != "" && n.Typename != want.typename) || n.Status != want.status || n.VersionAt.Version != want.version {
				t.Errorf("feed entry %d link answers %s %s at version %d, want %+v", i, n.Typename, n.Status, n.VersionAt.Version, want)
			}
		}
	})

	t.Run("conditional requests", func(t *testing.T) {
		etag, modified := rec.Header().Get("ETag"), rec.Header().Get("Last-Modified")
		if etag == "" || modified != latest.UTC().Format(http.TimeFormat) {
			t.Fatalf("feed ETag %q, Last-Modified %q; want a tag and the latest change, %s", etag, modified, latest.UTC().Format(http.TimeFormat))
		}
		for _, c := range []struct {
			name   string
			header map[string]string
			want   int
		}{
			{"matching If-None-Match", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
			{"one of several tags", map[string]string{"If-None-Match": `"other", ` + etag}, http.StatusNotModified},
			{"another tag", map[string]string{"If-None-Match": `"other"`}, http.StatusOK},
			{"If-Modified-Since the latest change", map[string]string{"If-Modified-Since": modified}, http.StatusNotModified},
			{"If-Modified-Since before it", map[string]string{"If-Modified-Since": latest.Add(-time.Hour).UTC().Format(http.TimeFormat)}, http.StatusOK},
			{"If-None-Match wins over If-Modified-Since", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": modified}, http.StatusOK},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := getFeed(t, h, "/changes.atom", c.header)
				if got.Code != c.want {
					t.Errorf("GET /changes.atom with %v = %d, want %d", c.header, got.Code, c.want)
				}
				if c.want == http.StatusNotModified && (got.Body.Len() != 0 || got.Header().Get("ETag") != etag) {
					t.Errorf("GET /changes.atom with %v = 304 with body %q, ETag %q; want no body and ETag %s", c.header, got.Body.String(), got.Header().Get("ETag"), etag)
				}
			})
		}
	})

	t.Run("the corrections log", func(t *testing.T) {
		target := "/changes.atom?kinds=CORRECTED,RETRACTED"
		c := parseFeed(t, target, getFeed(t, h, target, nil))
		if c.ID != "urn:oversight:corrections" || c.Title != "Oversight: corrections" {
			t.Errorf("corrections feed id, title = %q, %q; want urn:oversight:corrections, Oversight: corrections", c.ID, c.Title)
		}
		if got, want := c.link("self"), "https://registry.test/oversight/changes.atom?kinds=CORRECTED,RETRACTED"; got != want {
			t.Errorf("corrections feed self link = %q, want %q", got, want)
		}
		var titles []string
		for _, e := range c.Entries {
			titles = append(titles, e.Title)
		}
		if len(titles) != 2 || titles[1] != "State China corrected (version 2)" || !strings.HasSuffix(titles[0], " retracted (version 2)") {
			t.Errorf("corrections feed titles = %q, want the retraction then the correction", titles)
		}
		if c.Entries[0].ID != d.Entries[0].ID {
			t.Errorf("the retraction's id is %q in the corrections feed and %q in the changes feed; want one stable id", c.Entries[0].ID, d.Entries[0].ID)
		}
		// Kinds in any order, repeated or in lower case, are the same feed.
		same := parseFeed(t, "?kinds=retracted&kinds=corrected", getFeed(t, h, "/changes.atom?kinds=retracted&kinds=corrected", nil))
		if same.ID != c.ID || len(same.Entries) != 2 {
			t.Errorf("?kinds=retracted&kinds=corrected = %q with %d entries, want the corrections log", same.ID, len(same.Entries))
		}
		// Another selection has its own id.
		none := parseFeed(t, "?kinds=UPDATED", getFeed(t, h, "/changes.atom?kinds=UPDATED", nil))
		if len(none.Entries) != 1 || none.ID != "urn:oversight:changes:UPDATED" {
			t.Errorf("?kinds=UPDATED = %q with %d entries, want urn:oversight:changes:UPDATED with 1", none.ID, len(none.Entries))
		}
	})

	// The feed is cached publicly, by URL: what a client's headers say of
	// the host or the scheme must not reach the links every reader gets.
	t.Run("links ignore the request's headers", func(t *testing.T) {
		for _, header := range []map[string]string{
			{"Host": "evil.example"},
			{"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example;proto=http"},
		} {
			got := getFeed(t, h, "/changes.atom", header)
			if got.Code != http.StatusOK || got.Body.String() != rec.Body.String() {
				t.Errorf("GET /changes.atom with %v = %d, a different feed (links %q); want the same feed as without them", header, got.Code, parseFeed(t, "/changes.atom", got).link("self"))
			}
		}
	})

	t.Run("an unknown kind", func(t *testing.T) {
		got := getFeed(t, h, "/changes.atom?kinds=DELETED", nil)
		if got.Code != http.StatusBadRequest || !strings.Contains(got.Body.String(), "DELETED") {
			t.Errorf("GET /changes.atom?kinds=DELETED = %d %q, want 400 naming the kind", got.Code, got.Body.String())
		}
	})
}

// With no change of the kinds asked for, the feed is empty and valid.
func TestChangesFeedEmpty(t *testing.T) {
	t.Parallel()
	h := newServer(graph.Config{
		Catalog: catalog.New(pgtest.New(t)),
		Logger:  slog.New(slog.DiscardHandler),
	}, server.Config{})
	target := "/changes.atom?kinds=CORRECTED,RETRACTED"
	rec := getFeed(t, h, target, nil)
	d := parseFeed(t, target, rec)
	if len(d.Entries) != 0 || d.Title != "Oversight: corrections" || d.Updated != "1970-01-01T00:00:00Z" || len(d.Author) != 1 {
		t.Errorf("GET %s on an empty registry = %+v, want the corrections feed, no entries, updated 1970-01-01T00:00:00Z, an author", target, d)
	}
	if lm := rec.Header().Get("Last-Modified"); lm != "" {
		t.Errorf("GET %s on an empty registry: Last-Modified %q, want none", target, lm)
	}
	if got := getFeed(t, h, target, map[string]string{"If-None-Match": rec.Header().Get("ETag")}); got.Code != http.StatusNotModified {
		t.Errorf("GET %s with its ETag = %d, want 304", target, got.Code)
	}
}

// The feed's links come from the configured public URL (by default the
// listen address's), whatever Host and forwarded headers a client sends: the
// feed is cached publicly, so one client's headers would reach every reader.
func TestFeedLinksComeFromConfiguration(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	hostile := map[string]string{"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
	for _, tt := range []struct {
		name      string
		publicURL *url.URL
		header    map[string]string
		wantSelf  string
	}{
		{"default", nil, nil, "http://localhost:8080/changes.atom"},
		{"default, hostile headers", nil, hostile, "http://localhost:8080/changes.atom"},
		{"configured", &url.URL{Scheme: "https", Host: "oversight.example.org"}, hostile, "https://oversight.example.org/changes.atom"},
		{"configured with a path prefix", &url.URL{Scheme: "https", Host: "example.org", Path: "/oversight"}, hostile, "https://example.org/oversight/changes.atom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newServer(graph.Config{
				Catalog:   catalog.New(pool),
				Logger:    slog.New(slog.DiscardHandler),
				PublicURL: tt.publicURL,
			}, server.Config{})
			rec := getFeed(t, h, "/changes.atom", tt.header)
			d := parseFeed(t, "/changes.atom", rec)
			if got := d.link("self"); got != tt.wantSelf || strings.Contains(rec.Body.String(), "evil.example") {
				t.Errorf("GET /changes.atom with %v: self link %q, want %q and no trace of the headers", tt.header, got, tt.wantSelf)
			}
			if cc := rec.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
				t.Errorf("GET /changes.atom: Cache-Control %q, want public caching (the feed no longer depends on who asks)", cc)
			}
		})
	}
}
