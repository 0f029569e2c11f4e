package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/server"
)

// newLoggedHandler is newHandler with its log kept, to check what a request
// costs the server's log.
func newLoggedHandler(t *testing.T) (http.Handler, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	return newServer(graph.Config{
		Catalog: catalog.New(pgtest.New(t)),
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	}, server.Config{}), logs
}

// fragmentChain is n fragments, each spreading the next twice, ending in
// body: a short document whose expansion has 2^n copies of body.
func fragmentChain(n int, typ, body string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d }\n", i, typ, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s }\n", n, typ, body)
	return b.String()
}

// TestGuardRefusesCostlyDocumentsBeforeValidation sends the documents an
// outside probe found costly (seconds to minutes of CPU for a kilobyte or a
// hundred of text) and checks each is refused with its code, while the same
// shapes at an ordinary size are answered.
func TestGuardRefusesCostlyDocumentsBeforeValidation(t *testing.T) {
	t.Parallel()
	h, logs := newLoggedHandler(t)
	nested := "query { vendor(slug: \"hikvision\") { ...F0 } }\n" +
		fragmentChain(30, "Vendor", "products { name } deployments { totalCount }")
	for _, tc := range []struct {
		name, query, code string
	}{
		{"26 fragments each spreading the next twice", "query { ...F0 }\n" + fragmentChain(26, "Query", "__typename"), "QUERY_TOO_COMPLEX"},
		{"40 fragments each spreading the next twice", "query { ...F0 }\n" + fragmentChain(40, "Query", "__typename"), "QUERY_TOO_COMPLEX"},
		{"a chain under a field", nested, "QUERY_TOO_COMPLEX"},
		{"__typename 14,000 times", "{" + strings.Repeat(" __typename", 14000) + " }", "QUERY_TOO_COMPLEX"},
		{"name 14,000 times inside vendor", `{ vendor(slug: "hikvision") {` + strings.Repeat(" name", 14000) + " } }", "QUERY_TOO_COMPLEX"},
		{"vendor 200 times, each with name 40 times", "{" + strings.Repeat(` vendor(slug: "hikvision") {`+strings.Repeat(" name", 40)+" }", 200) + " }", "QUERY_TOO_COMPLEX"},
		{"one field through 60 fragments", "{ vendor(slug: \"hikvision\") {" + spreads(60) + " } }\n" + fragments(60, "Vendor", "name"), "TOO_MANY_FRAGMENTS"},
		{"a short chain", "query { ...F0 }\n" + fragmentChain(4, "Query", "__typename"), ""},
		{"name 50 times", `{ vendor(slug: "hikvision") {` + strings.Repeat(" name", 50) + " } }", ""},
		{"one field through 20 fragments", "{ vendor(slug: \"hikvision\") {" + spreads(20) + " } }\n" + fragments(20, "Vendor", "name"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, h, tc.query, nil)
			if got := firstCode(r); got != tc.code {
				t.Fatalf("code %q, want %q; body %.300s", got, tc.code, r.body)
			}
			if tc.code == "" && len(r.Data) == 0 {
				t.Fatalf("no data; body %.300s", r.body)
			}
		})
	}
	t.Run("still answers", func(t *testing.T) {
		if r := post(t, h, "{ __typename }", nil); firstCode(r) != "" {
			t.Fatalf("{ __typename } after the refusals: %s", r.body)
		}
	})
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("refusals logged errors:\n%s", logs.String())
	}
}

func spreads(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " ...G%d", i)
	}
	return b.String()
}

func fragments(n int, typ, body string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment G%d on %s { %s }\n", i, typ, body)
	}
	return b.String()
}

func firstCode(r response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].code()
}

// TestGuardRefusesTextPostgreSQLCannotHold sends a NUL in every kind of
// string argument and variable the probe found reaching PostgreSQL (which
// answered with an error, logged as the server's fault): each is now the
// client's mistake, and logs nothing.
func TestGuardRefusesTextPostgreSQLCannotHold(t *testing.T) {
	t.Parallel()
	h, logs := newLoggedHandler(t)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"slug literal", `{ vendor(slug: "hik\u0000vision") { name } }`, nil},
		{"slug variable", `query($s: String!) { vendor(slug: $s) { name } }`, map[string]any{"s": "hik\x00vision"}},
		{"search literal", `{ search(query: "surveil\u0000lance") { totalCount } }`, nil},
		{"search variable", `query($q: String!) { search(query: $q) { totalCount } }`, map[string]any{"q": "\x00"}},
		{"filter slug in a list", `query($f: VendorFilter) { vendors(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"technologySlugs": []any{"facial-recognition", "spy\x00ware"}}}},
		{"filter code literal", `{ vendors(filter: { designationListCodes: ["US-ENTITY\u0000LIST"] }) { totalCount } }`, nil},
		{"country code scalar", `query($f: VendorFilter) { vendors(filter: $f) { totalCount } }`,
			map[string]any{"f": map[string]any{"countryCodes": []any{"C\x00"}}}},
		{"cursor", `query($a: String) { vendors(after: $a) { totalCount } }`, map[string]any{"a": "abc\x00"}},
		{"node ID", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "VmVu\x00"}},
		{"directive argument", `{ vendors @include(if: true) { totalCount } technologies { slug } }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, h, tc.query, tc.vars)
			if tc.name == "directive argument" {
				// A control: no text at all, so it must be answered.
				if code := firstCode(r); code != "" || len(r.Data) == 0 {
					t.Fatalf("got %s, want data and no error", r.body)
				}
				return
			}
			if got := firstCode(r); got != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "NUL") {
				t.Fatalf("got %s, want BAD_USER_INPUT naming the NUL", r.body)
			}
		})
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("refused input logged errors:\n%s", logs.String())
	}
}

// TestGuardCoercesAsTheSpecification checks integer literals and variables
// are held to the specification's input coercion: 32-bit Ints, no strings
// or fractions for numbers, exact enum names. Variables are sent as raw JSON,
// so 5.0 stays 5.0.
func TestGuardCoercesAsTheSpecification(t *testing.T) {
	t.Parallel()
	h := newHandler(pgtest.New(t), 0)
	const firstVar = `query($n: Int) { vendors(first: $n) { totalCount } }`
	const kindsVar = `query($k: [ChangeKind!]) { changes(kinds: $k) { totalCount } }`
	for _, tc := range []struct {
		name, query, vars string
		code, msg         string // msg: part of the first error's message
	}{
		{"Int literal over 2^31-1", `{ vendors(first: 2147483648) { totalCount } }`, ``, "GRAPHQL_VALIDATION_FAILED", "non 32-bit signed integer value: 2147483648"},
		{"Int literal far over", `{ vendors(first: 99999999999999999999) { totalCount } }`, ``, "GRAPHQL_VALIDATION_FAILED", "non 32-bit"},
		{"Int literal under -2^31", `{ vendors(first: -2147483649) { totalCount } }`, ``, "GRAPHQL_VALIDATION_FAILED", "non 32-bit"},
		{"Int variable over 2^31-1", firstVar, `{"n": 2147483648}`, "GRAPHQL_VALIDATION_FAILED", `Variable "$n" got invalid value 2147483648; Int cannot represent non 32-bit signed integer value`},
		{"string for an Int", firstVar, `{"n": "10"}`, "GRAPHQL_VALIDATION_FAILED", `Variable "$n" got invalid value "10"; Int cannot represent non-integer value: "10"`},
		{"fraction for an Int", firstVar, `{"n": 1.5}`, "GRAPHQL_VALIDATION_FAILED", "Int cannot represent non-integer value: 1.5"},
		{"boolean for an Int", firstVar, `{"n": true}`, "GRAPHQL_VALIDATION_FAILED", "Int cannot represent non-integer value: true"},
		{"lower-case enum", kindsVar, `{"k": ["created"]}`, "GRAPHQL_VALIDATION_FAILED", `Value "created" does not exist in "ChangeKind" enum`},
		{"number for a String", `query($s: String!) { vendor(slug: $s) { name } }`, `{"s": 12}`, "GRAPHQL_VALIDATION_FAILED", "String cannot represent a non string value: 12"},
		{"Int variable", firstVar, `{"n": 5}`, "", ""},
		{"whole float for an Int", firstVar, `{"n": 5.0}`, "", ""},
		{"exponent for an Int", firstVar, `{"n": 1e1}`, "", ""},
		{"Int literal at the edge reaches the resolver", `{ vendors(first: 2147483647) { totalCount } }`, ``, "BAD_USER_INPUT", "first"},
		{"enum", kindsVar, `{"k": ["CREATED"]}`, "", ""},
		{"one enum for a list", kindsVar, `{"k": "CREATED"}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"query": ` + strconv.Quote(tc.query)
			if tc.vars != "" {
				body += `, "variables": ` + tc.vars
			}
			r := postBody(t, h, body+"}")
			if got := firstCode(r); got != tc.code {
				t.Fatalf("code %q, want %q; body %s", got, tc.code, r.body)
			}
			if tc.code != "" && !strings.Contains(r.Errors[0].Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", r.Errors[0].Message, tc.msg)
			}
		})
	}
}

// postBody posts a raw JSON request body.
func postBody(t *testing.T, h http.Handler, body string) response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{body: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("POST %s: status %d, body %q is not a GraphQL response: %v", body, rec.Code, rec.Body.String(), err)
	}
	return r
}

// BenchmarkGuard times the probe's costly documents, now refused, next to
// the costliest documents the limits still let through to validation: a
// field repeated MaxRepeats times under each of many aliases, and a chain of
// fragments as long as MaxSelections allows. Every document is sent once
// per iteration with a distinct comment, so no iteration finds it in the
// query cache.
func BenchmarkGuard(b *testing.B) {
	h := newHandler(pgtest.New(b), 0)
	repeated := func(aliases int) string {
		var q strings.Builder
		q.WriteString(`{ vendor(slug: "hikvision") {`)
		for i := range aliases {
			fmt.Fprintf(&q, "%s", strings.Repeat(fmt.Sprintf(" a%d: name", i), graph.DefaultLimits.MaxRepeats))
		}
		q.WriteString(" } }")
		return q.String()
	}
	for _, bc := range []struct {
		name, query, code string
	}{
		{"refused/40-fragment chain", "query { ...F0 }\n" + fragmentChain(40, "Query", "__typename"), "QUERY_TOO_COMPLEX"},
		{"refused/__typename x14000", "{" + strings.Repeat(" __typename", 14000) + " }", "QUERY_TOO_COMPLEX"},
		{"refused/name x14000 in vendor", `{ vendor(slug: "hikvision") {` + strings.Repeat(" name", 14000) + " } }", "QUERY_TOO_COMPLEX"},
		{"validated/4-fragment chain", "query { ...F0 }\n" + fragmentChain(4, "Query", "__typename"), ""},
		// 80 aliases x 50 repeats: about 12,000 tokens, under the parser's
		// 15,000; answered with TOO_MANY_ALIASES once validated.
		{"validated/80 aliases x 50 repeats", repeated(80), "TOO_MANY_ALIASES"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				r := postBench(b, h, fmt.Sprintf("# %d\n%s", i, bc.query))
				if got := firstCode(r); got != bc.code {
					b.Fatalf("code %q, want %q: %.300s", got, bc.code, r.body)
				}
			}
		})
	}
}

// postBench posts a query outside a test.
func postBench(b *testing.B, h http.Handler, query string) response {
	body, _ := json.Marshal(map[string]string{"query": query})
	req := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		b.Fatalf("status %d, body %q: %v", rec.Code, rec.Body.String(), err)
	}
	r.body = rec.Body.String()
	return r
}
