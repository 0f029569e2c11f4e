package graph_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"oversight/internal/pgtest"
)

// TestLimits refuses each kind of oversized operation before it runs, with
// its own code, and lets the standard introspection query through.
func TestLimits(t *testing.T) {
	t.Parallel()
	h := newHandler(pgtest.New(t), 2*time.Millisecond)
	deep := "{ vendors { nodes { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } } }"
	aliases := "{ vendors(first: 1) { nodes { "
	for i := 1; i <= 60; i++ {
		aliases += "a" + itoa(i) + ": name "
	}
	aliases += "} } }"
	roots := "{ stats { states } "
	for i := 0; i < 25; i++ {
		roots += "r" + itoa(i) + ": technologies { slug } "
	}
	roots += "}"
	wide := "{ states(first: 100) { nodes { deployments(first: 100) { nodes { abuses { deployments { citations { source { title } } } } } } } } }"
	for _, tc := range []struct {
		name, query, code string
	}{
		{"depth", deep, "QUERY_TOO_DEEP"},
		{"aliases", aliases, "TOO_MANY_ALIASES"},
		{"root fields", roots, "TOO_MANY_ROOT_FIELDS"},
		{"nodes", wide, "QUERY_TOO_COMPLEX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := errorCode(t, h, tc.query)
			if code != tc.code {
				t.Errorf("%s query gave error code %q, want %q", tc.name, code, tc.code)
			}
		})
	}
	t.Run("introspection", func(t *testing.T) {
		if code := errorCode(t, h, introspectionQuery); code != "" {
			t.Errorf("the standard introspection query gave error code %q, want none", code)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// errorCode posts a query and returns the code of its first error, "" if none.
func errorCode(t *testing.T, h http.Handler, query string) string {
	t.Helper()
	r := post(t, h, query, nil)
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].code()
}

// introspectionQuery is the query GraphiQL and schema tools send.
const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name } types { ...FullType } directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`
