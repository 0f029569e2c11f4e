package graph

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// graphiQLMux mounts the handler as server.New does.
func graphiQLMux() http.Handler {
	mux := http.NewServeMux()
	h := NewGraphiQL("/graphql")
	mux.Handle("GET /graphiql", h)
	mux.Handle("GET /graphiql/", h)
	return mux
}

func get(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	linkTag   = regexp.MustCompile(`(?is)<link\b([^>]*)>`)
	attr      = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attr.FindAllStringSubmatch(s, -1) {
		m[a[1]] = a[2]
	}
	return m
}

// policy parses a Content-Security-Policy into its directives' sources.
func policy(csp string) map[string][]string {
	m := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			m[f[0]] = f[1:]
		}
	}
	return m
}

// allows reports whether sources let the page at pageURL load u.
func allows(sources []string, pageURL, u string) bool {
	page, _ := url.Parse(pageURL)
	ref, err := page.Parse(u)
	if err != nil {
		return false
	}
	if ref.Scheme == page.Scheme && ref.Host == page.Host {
		return slices.Contains(sources, "'self'")
	}
	ref.RawQuery, ref.Fragment = "", ""
	return slices.Contains(sources, ref.String()) || slices.Contains(sources, ref.Scheme+"://"+ref.Host)
}

// TestGraphiQLPage checks the page's headers and its policy, and that the
// policy lets the page load what it loads and nothing inline.
func TestGraphiQLPage(t *testing.T) {
	t.Parallel()
	const pageURL = "http://example.com/graphiql"
	rec := get(graphiQLMux(), http.MethodGet, pageURL, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /graphiql = %d, want 200", rec.Code)
	}
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "text/html; charset=utf-8"},
		{"X-Content-Type-Options", "nosniff"},
		{"X-Frame-Options", "DENY"},
		{"Referrer-Policy", "no-referrer"},
		{"Cache-Control", "no-cache"},
	} {
		if got := rec.Header().Get(h.name); got != h.want {
			t.Errorf("GET /graphiql: %s = %q, want %q", h.name, got, h.want)
		}
	}

	csp := rec.Header().Get("Content-Security-Policy")
	p := policy(csp)
	for _, d := range []struct {
		name string
		want []string
	}{
		{"default-src", []string{"'none'"}},
		{"frame-ancestors", []string{"'none'"}},
		{"base-uri", []string{"'none'"}},
		{"form-action", []string{"'none'"}},
		{"connect-src", []string{"'self'"}},
	} {
		if got := p[d.name]; !slices.Equal(got, d.want) {
			t.Errorf("Content-Security-Policy %s = %q, want %q (policy %q)", d.name, got, d.want, csp)
		}
	}
	for _, name := range []string{"script-src", "style-src"} {
		if len(p[name]) == 0 {
			t.Errorf("Content-Security-Policy has no %s: %q", name, csp)
		}
		for _, s := range p[name] {
			if s == "'unsafe-inline'" || s == "'unsafe-eval'" || s == "*" || strings.HasSuffix(s, ":") {
				t.Errorf("Content-Security-Policy %s allows %s: %q", name, s, csp)
			}
		}
	}

	body := rec.Body.String()
	scripts := scriptTag.FindAllStringSubmatch(body, -1)
	if len(scripts) < 2 {
		t.Fatalf("the page loads %d scripts, want GraphiQL's and ours:\n%s", len(scripts), body)
	}
	for _, s := range scripts {
		a := attrs(s[1])
		if strings.TrimSpace(s[2]) != "" || a["src"] == "" {
			t.Errorf("inline script on the page: %s", s[0])
			continue
		}
		if !allows(p["script-src"], pageURL, a["src"]) {
			t.Errorf("script-src %q refuses the page's script %s", p["script-src"], a["src"])
		}
		checkIntegrity(t, pageURL, s[0], a["src"], a)
	}
	var styles int
	for _, l := range linkTag.FindAllStringSubmatch(body, -1) {
		a := attrs(l[1])
		if a["rel"] != "stylesheet" {
			continue
		}
		styles++
		if !allows(p["style-src"], pageURL, a["href"]) {
			t.Errorf("style-src %q refuses the page's stylesheet %s", p["style-src"], a["href"])
		}
		checkIntegrity(t, pageURL, l[0], a["href"], a)
	}
	if styles < 2 {
		t.Errorf("the page loads %d stylesheets, want GraphiQL's and ours", styles)
	}
	// What a policy without 'unsafe-inline' would refuse, and the page
	// would then miss.
	for _, inline := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle=`),
		regexp.MustCompile(`(?i)\son[a-z]+=`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := inline.FindString(body); m != "" {
			t.Errorf("the page has inline code or style (%q):\n%s", m, body)
		}
	}
	if !strings.Contains(body, `data-endpoint="/graphql"`) {
		t.Errorf("the page does not name the endpoint /graphql:\n%s", body)
	}
}

// checkIntegrity checks that a file from another origin is loaded with its
// integrity hash, and without credentials.
func checkIntegrity(t *testing.T, pageURL, tag, u string, a map[string]string) {
	t.Helper()
	if strings.HasPrefix(u, "/") || strings.HasPrefix(u, pageURL) {
		return
	}
	if !strings.HasPrefix(a["integrity"], "sha256-") && !strings.HasPrefix(a["integrity"], "sha384-") {
		t.Errorf("%s loads from another origin without an integrity hash", tag)
	}
	if a["crossorigin"] != "anonymous" {
		t.Errorf("%s: crossorigin = %q, want anonymous", tag, a["crossorigin"])
	}
}

// ownAssets returns the URLs of the script and stylesheet that the page
// loads from its own origin.
func ownAssets(t *testing.T, h http.Handler) (script, style string) {
	t.Helper()
	body := get(h, http.MethodGet, "/graphiql", nil).Body.String()
	for _, s := range scriptTag.FindAllStringSubmatch(body, -1) {
		if src := attrs(s[1])["src"]; strings.HasPrefix(src, "/") {
			script = src
		}
	}
	for _, l := range linkTag.FindAllStringSubmatch(body, -1) {
		if href := attrs(l[1])["href"]; strings.HasPrefix(href, "/") {
			style = href
		}
	}
	if script == "" || style == "" {
		t.Fatalf("the page loads no script or no stylesheet from its origin:\n%s", body)
	}
	return script, style
}

// TestGraphiQLAssets checks the page's own script and stylesheet: their
// types, nosniff, and caching.
func TestGraphiQLAssets(t *testing.T) {
	t.Parallel()
	h := graphiQLMux()
	script, style := ownAssets(t, h)
	for _, a := range []struct {
		name, url, contentType string
	}{
		{"script", script, "application/javascript; charset=utf-8"},
		{"stylesheet", style, "text/css; charset=utf-8"},
	} {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			rec := get(h, http.MethodGet, a.url, nil)
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Fatalf("GET %s = %d with %d bytes, want 200 and the file", a.url, rec.Code, rec.Body.Len())
			}
			for _, hd := range []struct{ name, want string }{
				{"Content-Type", a.contentType},
				{"X-Content-Type-Options", "nosniff"},
				{"Cache-Control", "public, max-age=31536000, immutable"},
			} {
				if got := rec.Header().Get(hd.name); got != hd.want {
					t.Errorf("GET %s: %s = %q, want %q", a.url, hd.name, got, hd.want)
				}
			}
			unversioned, _, _ := strings.Cut(a.url, "?")
			if got := get(h, http.MethodGet, unversioned, nil).Header().Get("Cache-Control"); got != "no-cache" {
				t.Errorf("GET %s: Cache-Control = %q, want no-cache (no version in the URL)", unversioned, got)
			}
			etag := rec.Header().Get("ETag")
			if again := get(h, http.MethodGet, a.url, http.Header{"If-None-Match": {etag}}); again.Code != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match %s = %d, want 304", a.url, etag, again.Code)
			}
		})
	}

	t.Run("the script starts GraphiQL without persisting headers", func(t *testing.T) {
		t.Parallel()
		body := get(h, http.MethodGet, script, nil).Body.String()
		if !strings.Contains(body, "shouldPersistHeaders: false") || strings.Contains(body, "shouldPersistHeaders: true") {
			t.Errorf("GET %s: want shouldPersistHeaders: false, got\n%s", script, body)
		}
	})
}

// TestGraphiQLRoutes checks what the handler answers besides its files.
func TestGraphiQLRoutes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		h      http.Handler
		method string
		target string
		want   int
	}{
		{"the page", graphiQLMux(), http.MethodGet, "/graphiql", http.StatusOK},
		{"the page, HEAD", graphiQLMux(), http.MethodHead, "/graphiql", http.StatusOK},
		{"an unknown file", graphiQLMux(), http.MethodGet, "/graphiql/other.js", http.StatusNotFound},
		{"the directory", graphiQLMux(), http.MethodGet, "/graphiql/", http.StatusNotFound},
		{"a POST, mounted", graphiQLMux(), http.MethodPost, "/graphiql", http.StatusMethodNotAllowed},
		{"a POST, unmounted", NewGraphiQL("/graphql"), http.MethodPost, "/graphiql", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		if rec := get(tt.h, tt.method, tt.target, nil); rec.Code != tt.want {
			t.Errorf("%s: %s %s = %d, want %d", tt.name, tt.method, tt.target, rec.Code, tt.want)
		}
	}
}

// graphiQLHarness runs the page's script in Node with just enough of a
// browser: React, ReactDOM and GraphiQL record what the script gives them,
// and localStorage holds what the gqlgen page left (a token in the headers
// pane, the tabs and the history). It then stores through the script's
// storage what GraphiQL 4 stores, headers included, and prints what
// localStorage holds.
const graphiQLHarness = `
const fs = require('fs');
const vm = require('vm');
const token = 'Bearer ovs_SECRET_TOKEN';
const headers = JSON.stringify({ Authorization: token });
const tab = (query) => ({ id: 't', hash: 'h', title: 'q', query, variables: null, headers, operationName: null, response: null });
const store = new Map([
  ['graphiql:headers', headers],
  ['graphiql:shouldPersistHeaders', 'true'],
  ['graphiql:tabState', JSON.stringify({ activeTabIndex: 0, tabs: [tab('{ old }')] })],
  ['graphiql:queries', JSON.stringify({ queries: [{ query: '{ old }', variables: null, headers, operationName: null }] })],
  ['graphiql:query', '{ old }'],
  ['elsewhere:headers', 'not ours'],
]);
const localStorage = {
  getItem: (k) => (store.has(k) ? store.get(k) : null),
  setItem: (k, v) => { store.set(k, String(v)); },
  removeItem: (k) => { store.delete(k); },
  key: (i) => Array.from(store.keys())[i] ?? null,
  get length() { return store.size; },
};
const root = { dataset: { endpoint: '/graphql' } };
const got = {};
function GraphiQL() {}
GraphiQL.createFetcher = (opts) => { got.fetcher = opts; return () => {}; };
const sandbox = {
  window: { localStorage },
  location: { href: 'https://oversight.example/graphiql' },
  document: { getElementById: (id) => (id === 'graphiql' ? root : null) },
  URL,
  React: { createElement: (type, props) => { got.props = props; return {}; } },
  ReactDOM: { createRoot: (el) => ({ render: () => { got.rendered = el === root; } }) },
  GraphiQL,
};
vm.runInNewContext(fs.readFileSync(process.argv[2], 'utf8'), sandbox);
const afterLoad = Object.fromEntries(store);
const s = got.props.storage;
s.setItem('graphiql:headers', headers);
s.setItem('graphiql:shouldPersistHeaders', 'true');
s.setItem('graphiql:tabState', JSON.stringify({ activeTabIndex: 0, tabs: [tab('{ vendors { totalCount } }')] }));
s.setItem('graphiql:queries', JSON.stringify({ queries: [{ query: '{ a }', variables: '{}', headers, operationName: null }] }));
s.setItem('graphiql:favorites', JSON.stringify({ favorites: [{ query: '{ b }', variables: null, headers, operationName: null, label: 'b', favorite: true }] }));
s.setItem('graphiql:query', '{ vendors { totalCount } }');
console.log(JSON.stringify({
  url: got.fetcher && got.fetcher.url,
  rendered: !!got.rendered,
  shouldPersistHeaders: got.props.shouldPersistHeaders,
  isHeadersEditorEnabled: got.props.isHeadersEditorEnabled,
  readHeaders: s.getItem('graphiql:headers'),
  afterLoad,
  afterUse: Object.fromEntries(store),
}));
`

// TestGraphiQLKeepsNoHeaders runs the page's script and checks that no
// header typed into GraphiQL reaches localStorage: neither from the headers
// pane, nor through the tabs, the history or the favourites; and that what
// the gqlgen page left there is wiped at the first visit. It needs Node,
// which CI has (for the GraphQL-over-HTTP audit).
func TestGraphiQLKeepsNoHeaders(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no node to run the GraphiQL script, and CI=true forbids skipping: %v", err)
		}
		t.Skipf("no node to run the GraphiQL script: %v", err)
	}
	h := graphiQLMux()
	script, _ := ownAssets(t, h)
	dir := t.TempDir()
	scriptFile, harnessFile := filepath.Join(dir, "graphiql.js"), filepath.Join(dir, "harness.js")
	if err := os.WriteFile(scriptFile, get(h, http.MethodGet, script, nil).Body.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(harnessFile, []byte(graphiQLHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), node, harnessFile, scriptFile).Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
	var got struct {
		URL                    string
		Rendered               bool
		ShouldPersistHeaders   *bool
		IsHeadersEditorEnabled bool
		ReadHeaders            *string
		AfterLoad, AfterUse    map[string]string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node's output: %v\n%s", err, out)
	}
	if got.URL != "https://oversight.example/graphql" || !got.Rendered || !got.IsHeadersEditorEnabled ||
		got.ShouldPersistHeaders == nil || *got.ShouldPersistHeaders {
		t.Errorf("GraphiQL started with fetcher URL %q, rendered %t, headers editor %t, shouldPersistHeaders %v; "+
			"want https://oversight.example/graphql, true, true, false", got.URL, got.Rendered, got.IsHeadersEditorEnabled, got.ShouldPersistHeaders)
	}
	if got.ReadHeaders != nil {
		t.Errorf("storage.getItem(graphiql:headers) = %q, want null", *got.ReadHeaders)
	}
	for _, stage := range []struct {
		name  string
		store map[string]string
		want  map[string]string // entries that must stay, unchanged
	}{
		{"after the first visit", got.AfterLoad, map[string]string{"graphiql:query": "{ old }", "elsewhere:headers": "not ours"}},
		{"after use", got.AfterUse, map[string]string{"graphiql:query": "{ vendors { totalCount } }", "elsewhere:headers": "not ours"}},
	} {
		for k, v := range stage.store {
			if strings.Contains(v, "SECRET_TOKEN") {
				t.Errorf("%s, localStorage[%q] holds the token: %s", stage.name, k, v)
			}
		}
		for k, v := range stage.want {
			if stage.store[k] != v {
				t.Errorf("%s, localStorage[%q] = %q, want %q", stage.name, k, stage.store[k], v)
			}
		}
		// Scrubbing keeps the rest of a tab: its query.
		if !strings.Contains(stage.store["graphiql:tabState"], `"query":"{ `) {
			t.Errorf("%s, the tabs lost their queries: %q", stage.name, stage.store["graphiql:tabState"])
		}
	}
	for _, k := range []string{"graphiql:queries", "graphiql:favorites"} {
		if !strings.Contains(got.AfterUse[k], `"headers":null`) {
			t.Errorf("after use, localStorage[%q] = %q, want its entries kept with null headers", k, got.AfterUse[k])
		}
	}
}
