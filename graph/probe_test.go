package graph_test

// The probe: the classes of bad request an outside review sent to the
// running server, sent again on every test run, each checked for its status
// and code, with the server checked healthy after them (it answers, and
// nothing a client sent was logged as the server's fault).

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/internal/server"
	"oversight/seed"
)

// probe is one request and the answer it must get.
type probe struct {
	name        string
	method      string // GET when empty and body is empty, else POST
	path        string // /graphql when empty
	contentType string // application/json when empty, for a body
	body        string // raw; when empty and query is set, query and vars as JSON
	query       string
	vars        string // raw JSON
	signedIn    bool
	header      map[string]string
	status      int    // wanted
	code        string // wanted extensions.code of the first error; "" for none
}

func TestProbe(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ds, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatal(err)
	}
	store := auth.NewStore(pool)
	if _, err := store.AddUser(t.Context(), "Probe Contributor", "probe@example.org", registry.RoleContributor); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateToken(t.Context(), "probe@example.org", 0)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	srv := httptest.NewServer(newServer(graph.Config{
		Catalog:   catalog.New(pool),
		Editorial: editorial.New(pool),
		Logger:    logger,
	}, server.Config{
		Auth:   store,
		Export: bulk.Handler(bulk.NewExporter(pool), logger, server.RouteFailure(logger)),
	}))
	t.Cleanup(srv.Close)

	var probes []probe
	add := func(p ...probe) { probes = append(probes, p...) }
	gql := func(name, query string, code string) probe {
		return probe{name: name, query: query, status: http.StatusOK, code: code}
	}
	withVars := func(name, query, vars, code string) probe {
		return probe{name: name, query: query, vars: vars, status: http.StatusOK, code: code}
	}

	// Costly documents: refused before validation or execution.
	aliases := `{ vendors(first: 1) { nodes {`
	for i := range 200 {
		aliases += fmt.Sprintf(" a%d: name", i)
	}
	aliases += " } } }"
	add(
		gql("fragment chain of 26", "query { ...F0 }\n"+fragmentChain(26, "Query", "__typename"), "QUERY_TOO_COMPLEX"),
		gql("fragment chain of 40", "query { ...F0 }\n"+fragmentChain(40, "Query", "__typename"), "QUERY_TOO_COMPLEX"),
		gql("fragment chain under vendor", `{ vendor(slug: "hikvision") { ...F0 } }`+"\n"+fragmentChain(30, "Vendor", "name"), "QUERY_TOO_COMPLEX"),
		gql("alias bomb", aliases, "TOO_MANY_ALIASES"),
		gql("__typename x14000", "{"+strings.Repeat(" __typename", 14000)+" }", "QUERY_TOO_COMPLEX"),
		gql("name x14000 in vendor", `{ vendor(slug: "hikvision") {`+strings.Repeat(" name", 14000)+" } }", "QUERY_TOO_COMPLEX"),
		gql("deep nesting", "{ vendors { nodes {"+strings.Repeat(" parent {", 20)+" name"+strings.Repeat(" }", 20)+" } } }", "QUERY_TOO_DEEP"),
		gql("wide pages", "{ states(first: 100) { nodes { deployments(first: 100) { nodes { abuses { deployments { citations { source { title } } } } } } } } }", "QUERY_TOO_COMPLEX"),
		gql("too many root fields", "{"+strings.Repeat(" technologies { slug }", 25)+" }", "TOO_MANY_ROOT_FIELDS"),
		gql("too many tokens", "{"+strings.Repeat(" __typename", 16000)+" }", "GRAPHQL_PARSE_FAILED"),
		gql("fragment cycle", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", "GRAPHQL_VALIDATION_FAILED"),
	)

	// Text PostgreSQL cannot hold.
	add(
		gql("NUL in a slug", `{ vendor(slug: "hik\u0000vision") { name } }`, "BAD_USER_INPUT"),
		gql("NUL in a search", `{ search(query: "surveil\u0000lance") { totalCount } }`, "BAD_USER_INPUT"),
		gql("NUL in a filter", `{ vendors(filter: { technologySlugs: ["facial\u0000recognition"] }) { totalCount } }`, "BAD_USER_INPUT"),
		gql("NUL in a state code", `{ state(code: "C\u0000") { name } }`, "BAD_USER_INPUT"),
		withVars("NUL in a variable", `query($q: String!) { search(query: $q) { totalCount } }`, `{"q": "a\u0000"}`, "BAD_USER_INPUT"),
		withVars("NUL in a nested variable", `query($f: DeploymentFilter) { deployments(filter: $f) { totalCount } }`, `{"f": {"vendorIds": ["VmVuZG9y\u0000"]}}`, "BAD_USER_INPUT"),
		probe{name: "invalid UTF-8 in a GET query", path: "/graphql?query=" + url.QueryEscape("{ vendor(slug: \"\xff\") { name } }"), status: http.StatusOK, code: "BAD_USER_INPUT"},
	)

	// Numbers: huge, negative, fractional, of the wrong type.
	add(
		gql("first over 2^31", `{ vendors(first: 2147483648) { totalCount } }`, "GRAPHQL_VALIDATION_FAILED"),
		gql("first far over", `{ vendors(first: 1000000000000000000000) { totalCount } }`, "GRAPHQL_VALIDATION_FAILED"),
		gql("first negative", `{ vendors(first: -1) { totalCount } }`, "BAD_USER_INPUT"),
		gql("first over the page size", `{ vendors(first: 101) { totalCount } }`, "BAD_USER_INPUT"),
		gql("first at Int's edge", `{ vendors(first: -2147483648) { totalCount } }`, "BAD_USER_INPUT"),
		withVars("first as a string", `query($n: Int) { vendors(first: $n) { totalCount } }`, `{"n": "10"}`, "GRAPHQL_VALIDATION_FAILED"),
		withVars("first as a fraction", `query($n: Int) { vendors(first: $n) { totalCount } }`, `{"n": 1.5}`, "GRAPHQL_VALIDATION_FAILED"),
		withVars("first as 1e400", `query($n: Int) { vendors(first: $n) { totalCount } }`, `{"n": 1e400}`, "GRAPHQL_VALIDATION_FAILED"),
		withVars("first over 2^31 as a variable", `query($n: Int) { vendors(first: $n) { totalCount } }`, `{"n": 2147483648}`, "GRAPHQL_VALIDATION_FAILED"),
		gql("a date out of range", `{ changes(since: "99999-01-01T00:00:00Z") { totalCount } }`, "BAD_USER_INPUT"),
	)

	// Cursors that were never handed out.
	b64 := base64.RawURLEncoding.EncodeToString
	for _, c := range []string{"!!!", "abc", b64([]byte(`["a"]`)), b64([]byte(`["a","not-a-uuid"]`)), b64([]byte(`{"x":1}`)), strings.Repeat("A", 5000)} {
		add(gql("cursor "+c[:min(len(c), 12)], fmt.Sprintf(`{ vendors(after: %q) { totalCount } }`, c), "BAD_USER_INPUT"))
	}

	// IDs: malformed, of every type, of a missing record, of the wrong type.
	add(
		gql("ID not base64", `{ node(id: "!!!") { id } }`, "BAD_USER_INPUT"),
		gql("ID without a type", fmt.Sprintf(`{ node(id: %q) { id } }`, b64([]byte(uuid.NewString()))), "BAD_USER_INPUT"),
		gql("ID of an unknown type", fmt.Sprintf(`{ node(id: %q) { id } }`, registry.GlobalID("Spaceship", uuid.New())), "BAD_USER_INPUT"),
		gql("ID with a bad UUID", fmt.Sprintf(`{ node(id: %q) { id } }`, b64([]byte("Vendor:xyz"))), "BAD_USER_INPUT"),
		gql("nodes with one bad ID", fmt.Sprintf(`{ nodes(ids: [%q, "@"]) { id } }`, registry.GlobalID("Vendor", uuid.New())), "BAD_USER_INPUT"),
	)
	names := slices.Sorted(func(yield func(string) bool) {
		for _, n := range registry.TypeNames {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range append(names, "Citation", "Submission", "Change", "Review", "User") {
		add(gql("missing "+n, fmt.Sprintf(`{ node(id: %q) { id } }`, registry.GlobalID(n, uuid.New())), ""))
	}
	add(
		probe{name: "a vendor's ID as a submission's", signedIn: true, status: http.StatusOK, code: "",
			query: fmt.Sprintf(`mutation { submitSubmission(id: %q) { userErrors { code field } } }`, registry.GlobalID("Vendor", seed.ID(registry.TypeVendor, "hikvision")))},
	)

	// Requests that are not GraphQL over HTTP.
	add(
		probe{name: "malformed JSON", body: `{"query": "{ __typename }"`, status: http.StatusBadRequest, code: "BAD_REQUEST"},
		probe{name: "JSON array", body: `[{"query": "{ __typename }"}]`, status: http.StatusBadRequest, code: "BAD_REQUEST"},
		probe{name: "query not a string", body: `{"query": 1}`, status: http.StatusBadRequest, code: "BAD_REQUEST"},
		probe{name: "variables not an object", body: `{"query": "{ __typename }", "variables": [1]}`, status: http.StatusBadRequest, code: "BAD_REQUEST"},
		probe{name: "no query", body: `{}`, status: http.StatusBadRequest, code: "BAD_REQUEST"},
		probe{name: "text/plain", contentType: "text/plain", body: `{"query": "{ __typename }"}`, status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		probe{name: "form", contentType: "application/x-www-form-urlencoded", body: `query=%7B__typename%7D`, status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		probe{name: "latin-1", contentType: "application/json; charset=latin1", body: `{"query": "{ __typename }"}`, status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE"},
		probe{name: "body over 1 MiB", body: `{"query": "{ __typename }", "x": "` + strings.Repeat("x", 1<<20) + `"}`, status: http.StatusRequestEntityTooLarge, code: "REQUEST_TOO_LARGE"},
		probe{name: "mutation by GET", path: "/graphql?query=" + url.QueryEscape(`mutation { createSubmission(input: {title: "x"}) { userErrors { code } } }`), status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED"},
		probe{name: "PUT", method: http.MethodPut, body: `{"query": "{ __typename }"}`, status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED"},
		probe{name: "Accept nothing served", query: "{ __typename }", header: map[string]string{"Accept": "text/html"}, status: http.StatusNotAcceptable, code: "NOT_ACCEPTABLE"},
		probe{name: "bad token", query: "{ __typename }", header: map[string]string{"Authorization": "Bearer nope"}, status: http.StatusUnauthorized, code: "UNAUTHENTICATED"},
		probe{name: "unknown persisted query", body: `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + strings.Repeat("0", 64) + `"}}}`, status: http.StatusOK, code: "PERSISTED_QUERY_NOT_FOUND"},
	)

	// The other public routes.
	add(
		probe{name: "feed", path: "/changes.atom", status: http.StatusOK},
		probe{name: "feed by POST", method: http.MethodPost, path: "/changes.atom", body: "x", status: http.StatusMethodNotAllowed},
		probe{name: "unknown export", path: "/export/nothing.zip", status: http.StatusNotFound},
		probe{name: "unknown route", path: "/wp-login.php", status: http.StatusNotFound},
	)

	// Each probe alone, then all of them at once, four times over, while an
	// ordinary query keeps being answered.
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) { sendProbe(t, srv.URL, token, p) })
	}
	t.Run("all at once", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 4 {
			for _, p := range probes {
				wg.Go(func() { sendProbe(t, srv.URL, token, p) })
			}
		}
		wg.Go(func() {
			for range 20 {
				sendProbe(t, srv.URL, token, gql("ordinary", `{ vendor(slug: "hikvision") { name } }`, ""))
			}
		})
		wg.Wait()
	})
	t.Run("healthy after", func(t *testing.T) {
		sendProbe(t, srv.URL, token, gql("typename", "{ __typename }", ""))
		sendProbe(t, srv.URL, token, probe{name: "healthz", path: "/healthz", status: http.StatusOK})
		sendProbe(t, srv.URL, token, probe{name: "readyz", path: "/readyz", status: http.StatusOK})
	})
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("a client's request was logged as the server's fault: %s", line)
		}
	}
}

// sendProbe sends p and checks its status and first error code.
func sendProbe(t *testing.T, base, token string, p probe) {
	t.Helper()
	body := p.body
	if body == "" && p.query != "" {
		body = `{"query": ` + jsonString(p.query)
		if p.vars != "" {
			body += `, "variables": ` + p.vars
		}
		body += "}"
	}
	method := p.method
	if method == "" {
		method = http.MethodGet
		if body != "" {
			method = http.MethodPost
		}
	}
	path := p.path
	if path == "" {
		path = "/graphql"
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		ct := p.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if p.signedIn {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range p.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s: %v", p.name, err)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != p.status {
		t.Errorf("%s: status %d, want %d; body %.300s", p.name, resp.StatusCode, p.status, raw)
		return
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return // the feed, the health checks, plain 404s: the status is the answer
	}
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Errorf("%s: body %.300q is not a GraphQL response: %v", p.name, raw, err)
		return
	}
	if got := firstCode(r); got != p.code {
		t.Errorf("%s: code %q, want %q; body %.300s", p.name, got, p.code, raw)
	}
	if p.code == "" && p.status == http.StatusOK && len(r.Data) == 0 {
		t.Errorf("%s: no data; body %.300s", p.name, raw)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
