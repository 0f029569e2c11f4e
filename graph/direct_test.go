package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/registry"
	"oversight/internal/server"
)

// Every field the direct read path knows, on every type it knows, and the
// relations between them (direct_types.go); the tests below ask for all of
// them and compare the answer, byte for byte, with gqlgen's.
const (
	directMeta        = `id version status retractionReason publishedAt updatedAt __typename`
	directSource      = `source { ` + directMeta + ` title kind publisher authors url archiveUrl publishedOn accessedOn language confidential }`
	directCitations   = `citations { id locator quote field stance __typename ` + directSource + ` }`
	directTechnology  = directMeta + ` slug name description ` + directCitations + ` parent { id slug parent { id } }`
	directDesignation = directMeta + ` listedOn removedOn legalReference reason ` + directCitations +
		` list { ` + directMeta + ` code name authority jurisdiction url ` + directCitations + ` }`
	directVendor = directMeta + ` slug name aliases countryCode website wikidataId description ` + directCitations +
		` parent { id name } products { ` + directProduct + ` } designations { ` + directDesignation + ` }`
	directProduct = directMeta + ` name description ` + directCitations + ` vendor { id slug }`
	directAbuse   = directMeta + ` title summary categories startDate endDate location confidence ` + directCitations + ` state { id name }`
	directPage    = `totalCount __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } edges { cursor __typename node { id } }`
	directDeploy  = directMeta + ` startDate endDate location description confidence ` + directCitations +
		` state { id countryCode } technology { ` + directTechnology + ` } vendor { ` + directVendor + ` }
		  product { ` + directProduct + ` deployments(first: 3) { totalCount nodes { id } } } abuses { ` + directAbuse + ` }`
	directEvidence = `strongestConfidence citationCount __typename vendor { id name } state { id countryCode } technology { id slug }
		product { id name } deployments { id startDate } designations { id listedOn list { code } }
		controlListEntries { ` + directMeta + ` regime code title description ` + directCitations + ` }
		abuses { id title ` + directCitations + ` }`
	directState = directMeta + ` countryCode name summary ` + directCitations +
		` deployments(first: 30) { ` + directPage + ` nodes { ` + directDeploy + ` } }`
	directSearchPage = `totalCount __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor __typename node { score } }`
	directHit        = `entryType score snippet __typename entry { __typename ... on Entry { ` + directMeta + ` }
		... on Vendor { slug name products { id name } } ... on Source { title kind url confidential }
		... on Abuse { title state { id name } } ... on Deployment { startDate vendor { id slug } }
		... on Product { name } ... on State { name } ... on Technology { slug } ... on ControlListEntry { code }
		... on Designation { listedOn } ... on DesignationList { code }
		... on Agency { name agencyKind: kind description state { id name } ` + directCitations + ` }
		... on ReligiousCommunity { name religion description ` + directCitations + ` }
		... on VendorResponse { requestedOn replyStatus respondedOn summary responder: vendor { id slug } ` + directCitations + ` } }`
	// directEveryType is a search that finds entries of every type.
	directEveryType = `"hikcam OR pegasus OR spyware OR camera OR surveillance OR intrusion OR entity OR about OR police OR muslims OR buddhists OR china OR deployment OR reason OR witness"`
)

// directQueries are answered by the direct path: wantDirect says so.
var directQueries = []struct {
	name  string
	query string
	vars  map[string]any
}{
	{"every field of every state", `{ __typename states(first: 30) { ` + directPage + ` nodes { ` + directState + ` } } }`, nil},
	{"a page after a cursor", `query($after: String) { states(first: 2, after: $after) { ` + directPage + ` nodes { name } } }`, map[string]any{"after": nil}},
	{"the benchmark's wide query", `query Wide($states: Int!, $deployments: Int!) { states(first: $states) { nodes { id countryCode name
		deployments(first: $deployments) { nodes { id startDate confidence technology { id slug name } vendor { id slug name }
		product { id name } citations { quote locator source { id title url confidential } } } } } } }`, map[string]any{"states": 50, "deployments": 20}},
	{"aliases, fragments and directives", `query($yes: Boolean!, $no: Boolean!) {
		first: states(first: 3) { all: nodes { ...S code: countryCode ... on State { again: name } } }
		states(first: 1) { nodes { name @include(if: $yes) summary @skip(if: $yes) id @include(if: $no) ... on Entry { version } ... on Node { id } } }
	}
	fragment S on State { name deployments { nodes { id vendor { ... on Vendor { slug } } } } }`, map[string]any{"yes": true, "no": false}},
	{"export-control evidence, every field", `{ exportControlEvidence(first: 50) { totalCount __typename pageInfo { hasNextPage endCursor }
		edges { cursor __typename node { citationCount } } nodes { ` + directEvidence + ` } } }`, nil},
	{"evidence for a technology and its narrower kinds", `query($t: String!) { exportControlEvidence(first: 50, filter: {technologySlugs: [$t], controlled: null}) {
		totalCount nodes { ` + directEvidence + ` } } }`, map[string]any{"t": "facial-recognition"}},
	{"evidence with the flags", `{ a: exportControlEvidence(filter: {controlled: true, withAbuses: true}) { totalCount nodes { vendor { name } } }
		b: exportControlEvidence(filter: {controlled: false}) { totalCount nodes { vendor { name } } }
		c: exportControlEvidence(filter: {technologySlugs: []}) { totalCount nodes { vendor { name } } } }`, nil},
	{"the benchmark's dossier, whose sources are brief", `query($slug: String!) { vendor(slug: $slug) { id slug name countryCode description
		citations { quote source { id title confidential } }
		products { id name citations { quote source { id title kind confidential __typename } } }
		designations { id listedOn removedOn legalReference list { id code } citations { quote source { id title confidential } } }
		deployments(first: 100) { nodes { id startDate confidence state { id countryCode }
			citations { quote source { id title confidential } }
			abuses { id title citations { quote source { id title confidential } } } } } } }`, map[string]any{"slug": "hikcam"}},
	{"search, every field, every type", `{ search(query: ` + directEveryType + `, first: 100) { ` +
		directSearchPage + ` nodes { ` + directHit + ` } } }`, nil},
	{"search, the benchmark's", `query($q: String!) { search(query: $q, first: 20) { totalCount nodes { entryType score snippet entry { id } } } }`,
		map[string]any{"q": "hikcam"}},
	{"search of some types, a page after a cursor", `query($after: String) { search(query: "spyware OR camera", types: [PRODUCT, TECHNOLOGY], first: 2, after: $after) {
		` + directSearchPage + ` nodes { entryType entry { id } } } }`, map[string]any{"after": nil}},
	{"search, approximate names when nothing matches", `{ search(query: "Hikcm") { ` + directSearchPage + ` nodes { entryType score snippet entry { id ... on Vendor { name } } } } }`, nil},
	{"search with no hit", `{ search(query: "nothing-matches-this", first: 5) { ` + directSearchPage + ` nodes { score } } }`, nil},
	{"an empty page", `{ states(first: 0) { ` + directPage + ` nodes { id } } }`, nil},
	{"a missing vendor", `{ vendor(slug: "no-such-vendor") { id } }`, nil},

	// One response key selected more than once: its fields merge into one
	// key, at the place of the first, with their selections together.
	{"one field through two interfaces", `{ vendor(slug: "hikcam") { ... on Node { id } ... on Entry { id } } }`, nil},
	{"__typename through every abstract type", `{ __typename ... on Query { __typename } vendor(slug: "hikcam") { __typename
		... on Node { __typename id } ... on Entry { __typename id } ... on DesignationSubject { __typename } ... on Vendor { __typename } } }`, nil},
	{"one field through named fragments", `{ vendor(slug: "hikcam") { ...OnNode ...OnEntry ...OnNode name ...OnEntry } }
		fragment OnNode on Node { id } fragment OnEntry on Entry { id __typename ...OnNode }`, nil},
	{"a search hit's entry through two interfaces", `{ search(query: ` + directEveryType + `, first: 100) { nodes { entry { __typename
		... on Node { id } ... on Entry { id __typename citations { quote } } ... on Vendor { id citations { id } } ...EntryMeta } } } }
		fragment EntryMeta on Entry { id version ... on Node { id } }`, nil},
	{"a citation's source through two interfaces", `{ vendor(slug: "hikcam") { citations { source { ... on Node { id } ... on Entry { id } ... on Source { id title } }
		... on Citation { source { __typename ... on Entry { id } } } } products { citations { source { title } source { url } } } } }`, nil},
	{"aliases that are field names", `{ vendor(slug: "hikcam") { name: name slug id: id ... on Vendor { slug: slug name } slugAgain: slug
		products { id } products: products { name } ... on Entry { id: id } } swapped: vendor(slug: "hikcam") { slug: name name: slug } }`, nil},
	{"a connection's fields, aliased and repeated", `{ states(first: 2) { nodes: nodes { id } nodes { name } totalCount: totalCount
		edges: edges { cursor } edges { node { id } } pageInfo { hasNextPage } pageInfo: pageInfo { endCursor } } }`, nil},
	{"one field with different selections", `{ vendor(slug: "hikcam") { products { id } ... on Vendor { products { name citations { quote } } } ...Products
		deployments(first: 5) { totalCount } deployments(first: 5) { nodes { id state { id } } }
		... on Vendor { deployments(first: 5) { nodes { state { name } } pageInfo { hasNextPage } } } } }
		fragment Products on Vendor { products { id vendor { id } citations { id source { title } } } }`, nil},
	{"a root field with different selections", `{ states(first: 3) { nodes { id } } ... on Query { states(first: 3) { totalCount nodes { name deployments { totalCount } } } } }`, nil},
	{"nested fragments", `{ vendor(slug: "hikcam") { ... on Entry { ... on Node { id ... on Vendor { name ...V } } } ... { ... on Vendor { ...V } } } }
		fragment V on Vendor { slug ... on Entry { id version ...W } } fragment W on Node { id }`, nil},
	{"@skip and @include on one of two selections", directSkipInclude, map[string]any{"yes": true, "no": false}},
	{"@skip and @include on one of two selections, the other way", directSkipInclude, map[string]any{"yes": false, "no": true}},
}

// directSkipInclude selects fields twice, once under @skip or @include.
const directSkipInclude = `query($yes: Boolean!, $no: Boolean!) { vendor(slug: "hikcam") {
	name @skip(if: $yes) slug name
	id @skip(if: $yes) ... on Node { id @include(if: $yes) }
	products @skip(if: $yes) { name } products { id }
	citations @include(if: $no) { quote } ... on Entry { citations { id } }
	...F @skip(if: $yes) ... on Node @include(if: $no) { __typename } ...F
	aliases @include(if: $yes) @skip(if: $no) countryCode @include(if: $yes) @skip(if: $yes)
} }
fragment F on Vendor { description website }`

// The dossier of every vendor, by slug.
func vendorDossier(slug string) (string, map[string]any) {
	return `query($slug: String!) { vendor(slug: $slug) { ` + directVendor + ` deployments(first: 100) { ` + directPage + ` nodes { ` + directDeploy + ` } } } }`,
		map[string]any{"slug": slug}
}

// gqlgenQueries are the direct path's to hand to gqlgen, unanswered: fields
// it does not know, arguments it does not take, errors.
var gqlgenQueries = []struct {
	name  string
	query string
	vars  map[string]any
	fails bool // an error is the answer
}{
	{"a field it does not know", `{ states(first: 2) { nodes { name history { totalCount } } } }`, nil, false},
	{"an abstract type", `{ states(first: 2) { nodes { citations { entry { __typename id ... on State { name } } } } } }`, nil, false},
	{"a filter", `{ states(first: 2, filter: {countryCodes: ["CN"]}) { nodes { name } } }`, nil, false},
	{"a page too large", `{ states(first: 1000) { nodes { name } } }`, nil, true},
	{"a cursor it did not make", `{ states(first: 2, after: "bogus") { nodes { name } } }`, nil, true},
	{"a root field it does not know", `{ technologies { slug } states(first: 1) { nodes { name } } }`, nil, false},
	{"an evidence filter it does not read", `{ exportControlEvidence(filter: {minConfidence: CONFIRMED}) { totalCount } }`, nil, false},
	{"an evidence filter with country codes", `{ exportControlEvidence(filter: {stateCountryCodes: ["CN"], technologySlugs: ["spyware"]}) { totalCount } }`, nil, false},
	{"introspection", `{ __schema { queryType { name } } }`, nil, false},
	{"a search hit asking what it does not answer", `{ search(query: "hikcam") { nodes { entryType entry { id ... on VendorResponse { about { id } } } } } }`, nil, false},
	{"a search query that is invalid", `{ search(query: "   ") { totalCount } }`, nil, true},
	{"a search cursor of another list", `{ search(query: "hikcam", after: "bogus") { totalCount } }`, nil, true},
	{"a deferred fragment", `{ vendor(slug: "hikcam") { id ... @defer { name } } }`, nil, false},
}

// TestDirectReadsAnswerAsGQLGen checks the direct read path against gqlgen's
// executor over the same database: the same bytes for the anonymous reader
// and for an editor, with confidential sources among the citations; and
// that the direct path did answer what it should and left the rest alone.
func TestDirectReadsAnswerAsGQLGen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := func(gqlgenOnly bool) http.Handler {
		return newServer(graph.Config{
			Catalog:    catalog.New(f.pool),
			Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			GQLGenOnly: gqlgenOnly,
		}, server.Config{})
	}
	direct, gqlgen := cfg(false), cfg(true)
	viewers := []struct {
		name string
		v    registry.Viewer
	}{
		{"anonymous", registry.Anonymous},
		{"editor", registry.Viewer{UserID: uuid.New(), Role: registry.RoleEditor}},
	}

	type query struct {
		name, query string
		vars        map[string]any
		wantDirect  bool
		fails       bool
	}
	var queries []query
	for _, q := range directQueries {
		queries = append(queries, query{q.name, q.query, q.vars, true, false})
	}
	for _, slug := range []string{"hikcam", "nsoft", "retracto"} {
		q, vars := vendorDossier(slug)
		queries = append(queries, query{"dossier of " + slug, q, vars, true, false})
	}
	for _, q := range gqlgenQueries {
		queries = append(queries, query{q.name, q.query, q.vars, false, q.fails})
	}

	for _, v := range viewers {
		for _, q := range queries {
			t.Run(v.name+"/"+q.name, func(t *testing.T) {
				want, _ := serve(t, gqlgen, v.v, q.query, q.vars)
				got, answered := serve(t, direct, v.v, q.query, q.vars)
				if answered != q.wantDirect {
					t.Errorf("direct path answered = %t, want %t; %.600s", answered, q.wantDirect, want)
				}
				if got != want {
					t.Errorf("answers differ\n direct: %s\n gqlgen: %s", clip(got, want), clip(want, got))
				}
				// A key twice in an object is invalid GraphQL, and most JSON
				// decoders keep only one of them: equal answers are not
				// enough when both paths could write one.
				if err := uniqueKeys(got); err != nil {
					t.Errorf("direct answer: %v\n%.600s", err, got)
				}
				if err := uniqueKeys(want); err != nil {
					t.Errorf("gqlgen answer: %v\n%.600s", err, want)
				}
				if hasErrors := strings.Contains(want, `"errors"`); hasErrors != q.fails {
					t.Errorf("errors in the answer = %t, want %t: %s", hasErrors, q.fails, want)
				}
				if !q.fails && !strings.Contains(want, `"data":{`) {
					t.Errorf("want data, got %s", want)
				}
			})
		}
	}

	t.Run("a citation's entry, of a list that leaves its type out", func(t *testing.T) {
		got, _ := serve(t, direct, registry.Anonymous, `{ states(first: 30) { nodes { citations { entry { __typename id ... on State { name } } } } } }`, nil)
		if !strings.Contains(got, `"entry":{"__typename":"State","id":"`) || strings.Contains(got, `"errors"`) {
			t.Errorf("want the states' citations to lead back to their states, got %s", got)
		}
	})

	t.Run("search answers hits of every entry type", func(t *testing.T) {
		q := directQueries[slices.IndexFunc(directQueries, func(q struct {
			name  string
			query string
			vars  map[string]any
		}) bool {
			return q.name == "search, every field, every type"
		})]
		got, answered := serve(t, direct, registry.Anonymous, q.query, q.vars)
		if !answered {
			t.Fatalf("the direct path did not answer: %s", got)
		}
		for _, typ := range registry.EntryTypes {
			if !strings.Contains(got, `"entryType":"`+string(typ)+`"`) {
				t.Errorf("no hit of type %s: the query no longer tests it", typ)
			}
		}
	})

	t.Run("search falls back to approximate names", func(t *testing.T) {
		got, answered := serve(t, direct, registry.Anonymous, `{ search(query: "Hikcm") { nodes { entry { ... on Vendor { name } } } } }`, nil)
		if !answered || !strings.Contains(got, `"name":"HikCam Digital"`) {
			t.Errorf("want HikCam Digital found for a misspelling, answered directly; got %t, %s", answered, got)
		}
	})

	t.Run("confidential details stay hidden", func(t *testing.T) {
		q, vars := vendorDossier("hikcam")
		got, answered := serve(t, direct, registry.Anonymous, q, vars)
		if !answered || !strings.Contains(got, "Confidential witness statement") {
			t.Fatalf("want the dossier to cite the confidential source, answered directly; got %t, %s", answered, got)
		}
		if i := strings.Index(got, markerStem); i >= 0 {
			t.Errorf("an anonymous dossier shows a confidential detail: ...%s...", got[max(0, i-80):min(len(got), i+80)])
		}
	})
}

// sqlLog records the SQL text of each statement a pool runs.
type sqlLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *sqlLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, d.SQL)
	return ctx
}

func (l *sqlLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements run since the last take.
func (l *sqlLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.sql
	l.sql = nil
	return out
}

// TestBriefSourcesSkipTheirMetadata checks that the direct path reads a
// list of citations without their sources' entry rows when the query asks
// nothing of the sources that those rows hold, and with them otherwise.
func TestBriefSourcesSkipTheirMetadata(t *testing.T) {
	t.Parallel()
	log := &sqlLog{}
	f := newFixtureWith(t, log)
	h := newServer(graph.Config{
		Catalog: catalog.New(f.pool),
		Logger:  slog.New(slog.DiscardHandler),
	}, server.Config{})
	for _, tc := range []struct {
		name, source string
		joins        bool
	}{
		{"brief", "id title kind confidential", false},
		{"with a URL", "id title url", true},
		{"with publication metadata", "id title publishedAt", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.take()
			got, answered := serve(t, h, registry.Anonymous, `query($slug: String!) { vendor(slug: $slug) {
				citations { quote source { `+tc.source+` } } } }`, map[string]any{"slug": "hikcam"})
			if !answered || strings.Contains(got, `"errors"`) || !strings.Contains(got, `"source":{"id":`) {
				t.Fatalf("want the vendor's cited sources, answered directly; got %t, %s", answered, got)
			}
			var citations []string
			for _, sql := range log.take() {
				if strings.Contains(sql, "FROM citations c") {
					citations = append(citations, sql)
				}
			}
			if len(citations) != 1 {
				t.Fatalf("read citations with %d statements, want 1: %q", len(citations), citations)
			}
			if joins := strings.Contains(citations[0], "JOIN entries se"); joins != tc.joins {
				t.Errorf("the citations statement joins the sources' entry rows: %t, want %t\n%s", joins, tc.joins, citations[0])
			}
		})
	}
}

// serve posts one query to h as viewer v, and reports whether the direct
// path answered it.
func serve(t *testing.T, h http.Handler, v registry.Viewer, query string, vars map[string]any) (string, bool) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	var answered atomic.Bool
	ctx := graph.WithDirectProbe(registry.WithViewer(t.Context(), v), &answered)
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.String(), answered.Load()
}

// clip shows a where it starts to differ from b.
func clip(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return "..." + a[max(0, i-120):min(len(a), i+120)] + "..."
}

// uniqueKeys walks a JSON document token by token and fails on an object
// that holds a key twice, which encoding/json's Unmarshal would let through.
func uniqueKeys(doc string) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := uniqueKeysIn(dec, "$"); err != nil {
		return err
	}
	if tok, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("after the document: %v, %v", tok, err)
	}
	return nil
}

// uniqueKeysIn reads the value that starts at the decoder's next token,
// found at path.
func uniqueKeysIn(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			key, ok := tok.(string)
			if !ok {
				return fmt.Errorf("%s: key %v is not a string", path, tok)
			}
			if seen[key] {
				return fmt.Errorf("%s: key %q twice", path, key)
			}
			seen[key] = true
			if err := uniqueKeysIn(dec, path+"."+key); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := uniqueKeysIn(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return nil // a scalar
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// TestDirectUniqueKeys checks the check the differential test relies on.
func TestDirectUniqueKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc     string
		wantErr string // "" for none
	}{
		{`{"data":{"vendor":{"id":"a","name":"b"}}}`, ""},
		{`{"a":{"id":1},"b":{"id":1},"c":[{"id":1},{"id":2}],"d":[],"e":{},"f":null}`, ""},
		{`{"data":{"vendor":{"id":"a","id":"a"}}}`, `$.data.vendor: key "id" twice`},
		{`{"data":{"search":{"nodes":[{"entry":{"id":"a"}},{"entry":{"__typename":"V","id":"b","__typename":"V"}}]}}}`,
			`$.data.search.nodes[1].entry: key "__typename" twice`},
		{`{"data":{"a":[[{"x":{"y":1},"x":2}]]}}`, `$.data.a[0][0]: key "x" twice`},
		{`{"data":{}}{"data":{}}`, "after the document"},
		{`{"data":{"a":}`, "$.data.a"},
	}
	for _, tt := range tests {
		err := uniqueKeys(tt.doc)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("uniqueKeys(%s) = %v, want nil", tt.doc, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("uniqueKeys(%s) = %v, want an error with %q", tt.doc, err, tt.wantErr)
		}
	}
}
