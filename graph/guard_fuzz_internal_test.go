package graph

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"oversight/graph/generated"
)

// fuzzVariableTypes are the declared types a fuzzed variable is checked
// against: the built-in scalars, lists of them, an enum and an input object
// of the registry's filters (with its own scalars inside).
var fuzzVariableTypes = []string{"Int", "Int!", "[Int!]", "Float", "String", "ID", "Boolean", "[ChangeKind!]", "VendorFilter", "[String]"}

// FuzzVariableCoercion sends any JSON value for a variable of each type
// through the guard: it must refuse the value with a coded error, or accept
// it, in which case gqlgen's own coercion accepts it too, every Int in it is
// a 32-bit integer and no string in it holds a NUL or invalid UTF-8.
func FuzzVariableCoercion(f *testing.F) {
	for _, v := range []string{
		`10`, `"10"`, `1.5`, `1.0`, `1e1`, `1e400`, `-0`, `2147483647`, `2147483648`, `-2147483649`, `99999999999999999999`,
		`true`, `null`, `"CREATED"`, `"created"`, `["CREATED", "RETRACTED"]`, `[1, 2.5]`, `[null]`, `"\u0000"`, `"a\u0000b"`,
		`{"technologySlugs": ["spy\u0000ware"]}`, `{"countryCodes": ["CN"], "designated": true}`, `{"countryCodes": "CN"}`,
		`{"nope": 1}`, `{}`, `[]`, `[[1]]`, `"\ud800"`, `{"technologySlugs": [1]}`,
	} {
		for i := range fuzzVariableTypes {
			f.Add(uint8(i), v)
		}
	}
	g := newGuard(DefaultLimits, nil, parserTokenLimit)
	if err := g.Validate(generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typeIndex uint8, raw string) {
		typ := fuzzVariableTypes[int(typeIndex)%len(fuzzVariableTypes)]
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber() // as the transport decodes variables
		var v any
		if dec.Decode(&v) != nil || dec.More() {
			return
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: "query($v: " + typ + ") { __typename }"})
		if err != nil {
			t.Fatal(err)
		}
		op := doc.Operations[0]
		vars := map[string]any{"v": v}
		if e := g.coerceVariables(op, vars); e != nil {
			if code, _ := e.Extensions["code"].(string); code != CodeBadUserInput && code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("%s %s: refused with code %q: %v", typ, raw, code, e)
			}
			if !strings.HasPrefix(e.Message, `Variable "$v" got invalid value `) {
				t.Fatalf("%s %s: message %q does not name the variable", typ, raw, e.Message)
			}
			return
		}
		// Validation would fill in the variable's definition, which gqlgen's
		// coercion reads.
		op.VariableDefinitions[0].Definition = g.schema.Types[op.VariableDefinitions[0].Type.Name()]
		coerced, err := validator.VariableValues(g.schema, op, vars)
		if err != nil {
			if !refusedByGQLGen(err) {
				t.Fatalf("%s %s: the guard accepted it, gqlgen refused it: %v", typ, raw, err)
			}
			return
		}
		checkAccepted(t, typ+" "+raw, strings.Trim(typ, "[]!") == "Int", coerced["v"])
	})
}

// refusedByGQLGen reports refusals the guard leaves to gqlgen on purpose:
// nulls where a value is required, unknown input fields.
func refusedByGQLGen(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "cannot be null") || strings.Contains(msg, "must be defined") || strings.Contains(msg, "unknown field")
}

// checkAccepted fails when an accepted value holds text PostgreSQL cannot
// hold, or, for an Int variable, a number that is not a 32-bit integer.
func checkAccepted(t *testing.T, what string, isInt bool, v any) {
	t.Helper()
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); isInt && (err != nil || i > math.MaxInt32 || i < math.MinInt32) {
			t.Fatalf("%s: accepted Int %s", what, x)
		}
	case string:
		if strings.ContainsRune(x, 0) || !utf8.ValidString(x) {
			t.Fatalf("%s: accepted text %q", what, x)
		}
	case []any:
		for _, e := range x {
			checkAccepted(t, what, isInt, e)
		}
	case map[string]any:
		for _, e := range x {
			checkAccepted(t, what, isInt, e)
		}
	}
}
