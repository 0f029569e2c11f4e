package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// The guard checks a request before gqlgen parses and validates it. Parsing
// is linear in the document, which the parser's token limit bounds, but
// validation is not: the rule that overlapping fields can be merged compares
// every pair of fields selected under one response name, so a few thousand
// repeats of one field (`{ __typename __typename … }`) cost seconds of CPU,
// and fragments spreading each other twice over make the selection
// exponential in the document's length. The guard parses the document
// itself, measures what validation and execution would face, and refuses
// what is over a limit before either runs; a document gqlgen has already
// validated (it is in the query cache) was measured when it was first seen.
//
// It also coerces variables the way the specification does (gqlgen takes
// "10" for an Int, 2^40 for an Int, and answers 1.5 with "cannot use value 0
// as Int"), and refuses text that PostgreSQL cannot hold (NUL, invalid
// UTF-8) in one place for every argument and variable, as the client's
// mistake rather than a database error.
type guard struct {
	limits     Limits
	tokenLimit int
	cache      graphql.Cache[*ast.QueryDocument]
	schema     *ast.Schema // set by Validate
}

// newGuard returns the request guard for a server whose query cache is
// cache (nil when it keeps none) and whose parser stops at tokenLimit.
func newGuard(limits Limits, cache graphql.Cache[*ast.QueryDocument], tokenLimit int) *guard {
	return &guard{limits: limits, cache: cache, tokenLimit: tokenLimit}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = (*guard)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*guard) ExtensionName() string { return "OversightGuard" }

// Validate implements graphql.HandlerExtension; it keeps the schema, which
// variable coercion needs before gqlgen has validated anything.
func (g *guard) Validate(es graphql.ExecutableSchema) error {
	g.schema = es.Schema()
	return g.limits.Validate(es)
}

// MutateOperationContext implements graphql.OperationContextMutator: the
// cost limits, once the document is validated and its fields know their
// definitions.
func (g *guard) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	return g.limits.MutateOperationContext(ctx, rc)
}

// Codes of the guard's refusals, in extensions.code.
const (
	// CodeBadUserInput is a value the registry cannot take.
	CodeBadUserInput = "BAD_USER_INPUT"
	// CodeTimeout is a request whose deadline passed.
	CodeTimeout = "TIMEOUT"
)

// MutateOperationParameters implements graphql.OperationParameterMutator. It
// runs after the persisted-query extension has put the query's text in
// params, and before gqlgen parses and validates it.
func (g *guard) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if err := ctx.Err(); err != nil {
		return timeoutError()
	}
	doc, cached := g.cachedDocument(ctx, params.Query)
	if !cached {
		if !utf8.ValidString(params.Query) {
			return refusal(CodeBadUserInput, "the query is not valid UTF-8")
		}
		var err error
		doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, g.tokenLimit)
		if err != nil {
			return nil // gqlgen parses it again and reports the error as it always has
		}
		if e := checkLiterals(doc); e != nil {
			return e
		}
		if e := g.limits.measureDocument(ctx, doc); e != nil {
			return e
		}
	}
	op := doc.Operations.ForName(params.OperationName)
	if op == nil {
		return nil // gqlgen reports the missing operation
	}
	return g.coerceVariables(op, params.Variables)
}

// cachedDocument returns the document gqlgen validated for query, if its
// cache still holds it.
func (g *guard) cachedDocument(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if g.cache == nil {
		return nil, false
	}
	return g.cache.Get(ctx, query)
}

func refusal(code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

func timeoutError() *gqlerror.Error {
	return refusal(CodeTimeout, "the request's deadline passed before it ran; try again")
}

// textError explains why s cannot be stored, or is "" when it can.
// PostgreSQL's text holds neither NUL nor invalid UTF-8, and answers either
// with an error; refusing them here makes them the client's mistake, not a
// server error logged at the client's will.
func textError(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL character (\\u0000), which no text in the registry can hold"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	}
	return ""
}

// checkLiterals refuses a document whose string literals (arguments,
// directives' arguments, variables' defaults) the registry cannot hold.
func checkLiterals(doc *ast.QueryDocument) *gqlerror.Error {
	var bad *gqlerror.Error
	var value func(where string, v *ast.Value)
	value = func(where string, v *ast.Value) {
		if v == nil || bad != nil {
			return
		}
		switch v.Kind {
		case ast.StringValue, ast.BlockValue:
			if msg := textError(v.Raw); msg != "" {
				bad = refusal(CodeBadUserInput, "%s %s", where, msg)
				bad.Locations = []gqlerror.Location{{Line: v.Position.Line, Column: v.Position.Column}}
			}
		case ast.ListValue, ast.ObjectValue:
			for _, c := range v.Children {
				value(where, c.Value)
			}
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				value(fmt.Sprintf("argument %q of @%s", a.Name, d.Name), a.Value)
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(s ast.SelectionSet) {
		for _, sel := range s {
			if bad != nil {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				for _, a := range sel.Arguments {
					value(fmt.Sprintf("argument %q of %s", a.Name, sel.Name), a.Value)
				}
				directives(sel.Directives)
				set(sel.SelectionSet)
			case *ast.InlineFragment:
				directives(sel.Directives)
				set(sel.SelectionSet)
			case *ast.FragmentSpread:
				directives(sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			value(fmt.Sprintf("the default of $%s", v.Variable), v.DefaultValue)
			directives(v.Directives)
		}
		directives(op.Directives)
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		set(f.SelectionSet)
	}
	return bad
}

// coerceVariables checks each variable the operation declares against its
// type as the specification's input coercion does, and refuses text the
// registry cannot hold. Integers written as whole floats (1.0, 1e2) are
// rewritten as integers in vars, as JSON does not tell them apart. Nulls
// and unknown input fields are left to gqlgen, which refuses them already.
func (g *guard) coerceVariables(op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	for _, def := range op.VariableDefinitions {
		v, ok := vars[def.Variable]
		if !ok {
			continue
		}
		c := coercion{schema: g.schema, variable: def.Variable, value: v}
		coerced, e := c.coerce(def.Type, v, nil)
		if e != nil {
			return e
		}
		vars[def.Variable] = coerced
	}
	return nil
}

// coercion checks one variable's value.
type coercion struct {
	schema   *ast.Schema
	variable string
	value    any // the whole variable, for the message
}

// fail is the specification's wording of a variable coercion error
// (graphql-js's, so clients see familiar messages).
func (c coercion) fail(code string, at []string, format string, args ...any) *gqlerror.Error {
	whole, _ := json.Marshal(c.value)
	msg := fmt.Sprintf("Variable \"$%s\" got invalid value %s", c.variable, whole)
	if len(at) > 0 {
		msg += fmt.Sprintf(" at \"%s%s\"", c.variable, strings.Join(at, ""))
	}
	return refusal(code, "%s; %s", msg, fmt.Sprintf(format, args...))
}

func (c coercion) coerce(typ *ast.Type, v any, at []string) (any, *gqlerror.Error) {
	if v == nil {
		return v, nil
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value stands for a list of one
			return c.coerce(typ.Elem, v, at)
		}
		for i, e := range list {
			x, err := c.coerce(typ.Elem, e, append(at, fmt.Sprintf("[%d]", i)))
			if err != nil {
				return nil, err
			}
			list[i] = x
		}
		return list, nil
	}
	def := c.schema.Types[typ.NamedType]
	if def == nil {
		return v, nil // an unknown type: validation reports it
	}
	if s, ok := v.(string); ok {
		if msg := textError(s); msg != "" {
			return nil, c.fail(CodeBadUserInput, at, "the text %s.", msg)
		}
	}
	show := func() string { b, _ := json.Marshal(v); return string(b) }
	invalid := errcode.ValidationFailed
	switch def.Kind {
	case ast.Scalar:
		switch def.Name {
		case "Int":
			n, ok := v.(json.Number)
			if !ok {
				return nil, c.fail(invalid, at, "Int cannot represent non-integer value: %s", show())
			}
			i, ok := wholeNumber(n)
			if !ok {
				return nil, c.fail(invalid, at, "Int cannot represent non-integer value: %s", n)
			}
			if i > math.MaxInt32 || i < math.MinInt32 {
				return nil, c.fail(invalid, at, "Int cannot represent non 32-bit signed integer value: %s", n)
			}
			return json.Number(strconv.FormatInt(i, 10)), nil
		case "Float":
			if n, ok := v.(json.Number); !ok {
				return nil, c.fail(invalid, at, "Float cannot represent non numeric value: %s", show())
			} else if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
				return nil, c.fail(invalid, at, "Float cannot represent value: %s", n)
			}
		case "String":
			if _, ok := v.(string); !ok {
				return nil, c.fail(invalid, at, "String cannot represent a non string value: %s", show())
			}
		case "Boolean":
			if _, ok := v.(bool); !ok {
				return nil, c.fail(invalid, at, "Boolean cannot represent a non boolean value: %s", show())
			}
		case "ID":
			switch x := v.(type) {
			case string:
			case json.Number:
				if _, ok := wholeNumber(x); !ok {
					return nil, c.fail(invalid, at, "ID cannot represent value: %s", x)
				}
			default:
				return nil, c.fail(invalid, at, "ID cannot represent value: %s", show())
			}
		default:
			// The registry's own scalars parse their values themselves; only
			// text the database cannot hold is refused here, at any depth.
			if msg := deepTextError(v); msg != "" {
				return nil, c.fail(CodeBadUserInput, at, "the text %s.", msg)
			}
		}
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return nil, c.fail(invalid, at, "Value %s does not exist in \"%s\" enum.", show(), def.Name)
		}
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, c.fail(invalid, at, "Expected type \"%s\" to be an object.", def.Name)
		}
		for _, f := range def.Fields {
			x, present := m[f.Name]
			if !present {
				continue
			}
			y, err := c.coerce(f.Type, x, append(at, "."+f.Name))
			if err != nil {
				return nil, err
			}
			m[f.Name] = y
		}
	}
	return v, nil
}

// wholeNumber reads a JSON number that is an integer, written as one (10)
// or not (10.0, 1e1).
func wholeNumber(n json.Number) (int64, bool) {
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// deepTextError is textError for any JSON value: its strings and keys.
func deepTextError(v any) string {
	switch x := v.(type) {
	case string:
		return textError(x)
	case []any:
		for _, e := range x {
			if msg := deepTextError(e); msg != "" {
				return msg
			}
		}
	case map[string]any:
		for k, e := range x {
			if msg := textError(k); msg != "" {
				return msg
			}
			if msg := deepTextError(e); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// validationRules are gqlparser's rules with Int literals held to 32 bits, as
// the specification's Int is: gqlparser takes any integer literal for an
// Int, and a resolver would then see 2^40 as an int. Run once per document;
// gqlgen caches what passes.
func validationRules() *rules.Rules {
	r := rules.NewDefaultRules()
	r.AddRule("OversightIntRange", func(observers *core.Events, addError core.AddErrFunc) {
		observers.OnValue(func(_ *core.Walker, v *ast.Value) {
			if v.Kind != ast.IntValue || v.Definition == nil || v.Definition.Name != "Int" {
				return
			}
			if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
				addError(core.Message("Int cannot represent non 32-bit signed integer value: %s", v.Raw), core.At(v.Position))
			}
		})
	})
	return r
}
