package graph_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scalarCase is one value of a scalar given to an argument, once as a literal
// in the query and once as a variable.
type scalarCase struct {
	value string
	ok    bool
}

// runScalarCases checks every value through literal and variable queries.
// literal has %s where the quoted value goes; variable declares $v.
// A refused value must give BAD_USER_INPUT naming arg and the value.
func runScalarCases(t *testing.T, f *fixture, name, literal, variable, arg string, vars map[string]any, cases []scalarCase) {
	t.Helper()
	for _, c := range cases {
		for _, how := range []string{"literal", "variable"} {
			t.Run(name+"/"+how+"/"+c.value, func(t *testing.T) {
				t.Parallel()
				var r response
				if how == "literal" {
					r = f.post(t, fmt.Sprintf(literal, strconv.Quote(c.value)), vars)
				} else {
					v := map[string]any{"v": c.value}
					for k, x := range vars {
						v[k] = x
					}
					r = f.post(t, variable, v)
				}
				if c.ok {
					if len(r.Errors) > 0 {
						t.Errorf("query %s\nvariables %v\ngot errors %s, want %q accepted", r.query, r.vars, r.body, c.value)
					}
					return
				}
				wantBadInput(t, r, arg+": ", strconv.Quote(c.value))
			})
		}
	}
}

func TestPartialDateArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []scalarCase{
		{"2019", true}, {"2019-10", true}, {"2019-10-09", true}, {"2020-02-29", true},
		{"2019-13", false}, {"2019-02-30", false}, {"19", false}, {"2019-1", false}, {"2019-10-9", false}, {"", false}, {"yesterday", false},
	}
	runScalarCases(t, f, "deployments.from",
		`{ deployments(filter: {from: %s}) { totalCount } }`,
		`query($v: PartialDate) { deployments(filter: {from: $v}) { totalCount } }`, "from", nil, cases)
	runScalarCases(t, f, "abuses.to",
		`{ abuses(filter: {to: %s}) { totalCount } }`,
		`query($v: PartialDate) { abuses(filter: {to: $v}) { totalCount } }`, "to", nil, cases)
	runScalarCases(t, f, "designations.activeOn",
		`{ designations(filter: {activeOn: %s}) { totalCount } }`,
		`query($v: PartialDate) { designations(filter: {activeOn: $v}) { totalCount } }`, "activeOn", nil, cases)
	runScalarCases(t, f, "nested state.deployments.to",
		`query($id: ID!) { node(id: $id) { ... on State { deployments(filter: {to: %s}) { totalCount } } } }`,
		`query($id: ID!, $v: PartialDate) { node(id: $id) { ... on State { deployments(filter: {to: $v}) { totalCount } } } }`,
		"to", map[string]any{"id": f.id("IR")}, cases)
}

func TestCountryCodeArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	runScalarCases(t, f, "state",
		`{ state(countryCode: %s) { name } }`,
		`query($v: CountryCode!) { state(countryCode: $v) { name } }`, "countryCode", nil,
		[]scalarCase{{"CN", true}, {"XK", true}, {"FR", true}, {"ZZ", false}, {"cn", false}, {"CHN", false}, {"", false}, {"UK", false}})

	// A valid code returns its state, or null when there is none.
	for code, want := range map[string]any{"CN": "China", "XK": "Kosovo", "UG": "Uganda", "FR": nil} {
		var out struct {
			State *struct{ Name string } `json:"state"`
		}
		r := f.query(t, `query($c: CountryCode!) { state(countryCode: $c) { name } }`, map[string]any{"c": code}, &out)
		if (want == nil) != (out.State == nil) || out.State != nil && out.State.Name != want {
			t.Errorf("state(countryCode: %q) = %s, want name %v", code, r.Data, want)
		}
	}

	// Not a string at all.
	wantBadInput(t, f.post(t, `{ state(countryCode: 12) { name } }`, nil), "countryCode")
	wantBadInput(t, f.post(t, `query($v: CountryCode!) { state(countryCode: $v) { name } }`, map[string]any{"v": 12}), "countryCode")
}

// A bad code in a list argument must name the argument, not only its index.
func TestCountryCodeListArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, c := range []struct{ name, query string }{
		{"states", `query($v: [CountryCode!]) { states(filter: {countryCodes: $v}) { totalCount } }`},
		{"vendors", `query($v: [CountryCode!]) { vendors(filter: {suppliesCountryCodes: $v}) { totalCount } }`},
		{"deployments", `query($v: [CountryCode!]) { deployments(filter: {countryCodes: $v}) { totalCount } }`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ok := f.post(t, c.query, map[string]any{"v": []string{"CN", "XK"}})
			if len(ok.Errors) > 0 {
				t.Errorf("query %s with [CN, XK]: errors %s, want none", c.query, ok.body)
			}
			r := f.post(t, c.query, map[string]any{"v": []string{"CN", "cn"}})
			wantBadInput(t, r, `"cn"`)
			if len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, "ountryCodes") {
				t.Errorf("query %s with [CN, cn]: error message %q names only the list index, want it to name the argument (countryCodes)",
					c.query, r.Errors[0].Message)
			}
		})
	}
}

func TestDateTimeArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []scalarCase{
		{"2024-01-31T12:00:00Z", true},
		{"2024-01-31T12:00:00.123456Z", true},
		{"2024-01-31T14:00:00+02:00", true},
		{f.v1At.Format(time.RFC3339Nano), true},
		{"yesterday", false},
		{"2024-01-31", false},
		{"2024-01-31 12:00:00", false},
		{"2024-13-01T00:00:00Z", false},
		{"", false},
	}
	runScalarCases(t, f, "versionAt",
		`query($id: ID!) { node(id: $id) { ... on Vendor { versionAt(at: %s) { version } } } }`,
		`query($id: ID!, $v: DateTime!) { node(id: $id) { ... on Vendor { versionAt(at: $v) { version } } } }`,
		"at", map[string]any{"id": f.id("hikcam")}, cases)
}
