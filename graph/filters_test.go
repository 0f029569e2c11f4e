package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"oversight/seed"
)

// filterCase asks one list for one filter, given as variables, and wants
// exactly these entries, in the list's documented order.
type filterCase struct {
	name   string
	filter map[string]any
	want   []string // keys; nil means none
}

// listFilter runs cases against a top-level list whose filter input is of type input.
func listFilter(t *testing.T, f *fixture, field, input string, cases []filterCase) {
	t.Helper()
	q := fmt.Sprintf(`query($f: %s) { conn: %s(first: 100, filter: $f) { totalCount nodes { id } } }`, input, field)
	for _, c := range cases {
		t.Run(field+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Conn struct {
					TotalCount int     `json:"totalCount"`
					Nodes      idNodes `json:"nodes"`
				} `json:"conn"`
			}
			f.query(t, q, map[string]any{"f": c.filter}, &out)
			got := f.keys(t, out.Conn.Nodes.ids())
			want := f.sortLike(slices.Clone(c.want))
			if !slices.Equal(got, want) || out.Conn.TotalCount != len(want) {
				t.Errorf("%s(filter: %v) = %v (totalCount %d)\nwant %v (totalCount %d)", field, c.filter, got, out.Conn.TotalCount, want, len(want))
			}
		})
	}
}

func TestStateFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	withAbuses := []string{"CN", "IR", "AE", "IN", "ET", "MM"} // EG's only abuse is retracted
	published := f.states(func(s seed.State) bool { return f.published(s.Key) })
	without := slices.DeleteFunc(slices.Clone(published), func(k string) bool { return slices.Contains(withAbuses, k) })
	listFilter(t, f, "states", "StateFilter", []filterCase{
		{"none", nil, published},
		{"empty", map[string]any{}, published},
		{"countryCodes", map[string]any{"countryCodes": []string{"CN", "IR", "UG"}}, []string{"CN", "IR"}},
		{"countryCodes empty list constrains nothing", map[string]any{"countryCodes": []string{}}, published},
		{"countryCodes with retracted", map[string]any{"countryCodes": []string{"CN", "IR", "UG"}, "includeRetracted": true}, []string{"CN", "IR", "UG"}},
		{"countryCodes XK", map[string]any{"countryCodes": []string{"XK"}}, []string{"XK"}},
		{"countryCodes no state", map[string]any{"countryCodes": []string{"FR"}}, nil},
		{"hasAbuses true", map[string]any{"hasAbuses": true}, withAbuses},
		{"hasAbuses false", map[string]any{"hasAbuses": false}, without},
		{"hasAbuses false with retracted", map[string]any{"hasAbuses": false, "includeRetracted": true}, append(slices.Clone(without), "UG")},
		{"hasAbuses null", map[string]any{"hasAbuses": nil}, published},
		{"includeRetracted false", map[string]any{"includeRetracted": false}, published},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "UG")},
		{"countryCodes and hasAbuses", map[string]any{"countryCodes": []string{"CN", "EG", "US"}, "hasAbuses": true}, []string{"CN"}},
		{"countryCodes and not hasAbuses", map[string]any{"countryCodes": []string{"CN", "EG", "US"}, "hasAbuses": false}, []string{"EG", "US"}},
	})
}

func TestVendorFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.vendors(func(v seed.Vendor) bool { return f.published(v.Key) })
	designated := []string{"hikcam", "nsoft", "hackteam", "filler-01", "filler-02", "filler-03", "filler-04", "filler-05",
		"filler-09", "filler-10", "filler-11", "filler-12"}
	notDesignated := slices.DeleteFunc(slices.Clone(published), func(k string) bool { return slices.Contains(designated, k) })
	japanese := f.vendors(func(v seed.Vendor) bool { return deref(v.CountryCode) == "JP" })
	listFilter(t, f, "vendors", "VendorFilter", []filterCase{
		{"none", nil, published},
		{"countryCodes IL", map[string]any{"countryCodes": []string{"IL"}}, []string{"nsoft", "candor"}},
		{"countryCodes CN RU", map[string]any{"countryCodes": []string{"CN", "RU"}}, []string{"hikcam", "dahview"}},
		{"countryCodes CN RU with retracted", map[string]any{"countryCodes": []string{"CN", "RU"}, "includeRetracted": true}, []string{"hikcam", "dahview", "retracto"}},
		{"countryCodes JP (fillers)", map[string]any{"countryCodes": []string{"JP"}}, japanese},
		{"suppliesCountryCodes EG", map[string]any{"suppliesCountryCodes": []string{"EG"}}, []string{"candor", "hackteam", "gammagrp"}},
		// dahview's only deployment in India is retracted.
		{"suppliesCountryCodes IN", map[string]any{"suppliesCountryCodes": []string{"IN"}}, []string{"nsoft"}},
		// retracto deploys in China but is itself retracted.
		{"suppliesCountryCodes CN", map[string]any{"suppliesCountryCodes": []string{"CN"}}, []string{"hikcam", "dahview"}},
		{"suppliesCountryCodes CN with retracted", map[string]any{"suppliesCountryCodes": []string{"CN"}, "includeRetracted": true}, []string{"hikcam", "dahview", "retracto"}},
		// A parent technology matches its whole subtree.
		{"technologySlugs parent", map[string]any{"technologySlugs": []string{"facial-recognition"}}, []string{"hikcam", "dahview"}},
		{"technologySlugs spyware tree", map[string]any{"technologySlugs": []string{"spyware"}}, []string{"nsoft", "candor", "hackteam", "gammagrp"}},
		{"technologySlugs leaf", map[string]any{"technologySlugs": []string{"zero-click-spyware"}}, []string{"nsoft"}},
		{"technologySlugs child", map[string]any{"technologySlugs": []string{"retrospective-facial-recognition"}}, []string{"dahview"}},
		{"technologySlugs grandchild", map[string]any{"technologySlugs": []string{"ethnicity-detection"}}, []string{"hikcam"}},
		{"technologySlugs two", map[string]any{"technologySlugs": []string{"zero-click-spyware", "imsi-catcher"}}, []string{"nsoft", "cellex"}},
		{"technologySlugs unknown", map[string]any{"technologySlugs": []string{"no-such-technology"}}, nil},
		{"designated", map[string]any{"designated": true}, designated},
		{"designated with retracted", map[string]any{"designated": true, "includeRetracted": true}, append(slices.Clone(designated), "retracto")},
		{"not designated", map[string]any{"designated": false}, notDesignated},
		{"designationListCodes", map[string]any{"designationListCodes": []string{"TEST-SANCTIONS"}}, []string{"nsoft", "candor", "hackteam"}},
		{"designationListCodes with retracted", map[string]any{"designationListCodes": []string{"TEST-SANCTIONS"}, "includeRetracted": true}, []string{"nsoft", "candor", "hackteam", "retracto"}},
		// gammagrp's listing is retracted; dahview's was removed but stays a designation.
		{"designationListCodes entity", map[string]any{"designationListCodes": []string{"TEST-ENTITY"}},
			[]string{"hikcam", "dahview", "filler-01", "filler-02", "filler-03", "filler-04", "filler-05", "filler-06", "filler-07", "filler-08", "filler-09", "filler-10"}},
		{"countryCodes and designated", map[string]any{"countryCodes": []string{"IL"}, "designated": true}, []string{"nsoft"}},
		{"suppliesCountryCodes and technologySlugs", map[string]any{"suppliesCountryCodes": []string{"AE"}, "technologySlugs": []string{"spyware"}}, []string{"nsoft", "candor"}},
		{"designationListCodes and designated", map[string]any{"designationListCodes": []string{"TEST-WATCH"}, "designated": true}, []string{"hikcam", "filler-11", "filler-12"}},
		{"designationListCodes and not designated", map[string]any{"designationListCodes": []string{"TEST-WATCH"}, "designated": false}, []string{"cellex"}},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "retracto")},
	})
}

func TestProductFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.products(func(p seed.Product) bool { return f.published(p.Key) })
	listFilter(t, f, "products", "ProductFilter", []filterCase{
		{"none", nil, published},
		{"vendorIds", map[string]any{"vendorIds": f.ids("cellex")}, []string{"p-stingray", "p-sniffer"}},
		{"vendorIds two", map[string]any{"vendorIds": f.ids("cellex", "nsoft")}, []string{"p-stingray", "p-sniffer", "p-pegasus"}},
		{"vendorIds hikcam", map[string]any{"vendorIds": f.ids("hikcam")}, []string{"p-dome", "p-ethnic"}},
		{"vendorIds hikcam with retracted", map[string]any{"vendorIds": f.ids("hikcam"), "includeRetracted": true}, []string{"p-dome", "p-ethnic", "p-withdrawn"}},
		// A product of a retracted vendor is itself published.
		{"vendorIds retracted vendor", map[string]any{"vendorIds": f.ids("retracto")}, []string{"p-retracto-box"}},
		{"technologySlugs parent", map[string]any{"technologySlugs": []string{"facial-recognition"}}, []string{"p-dome", "p-ethnic", "p-face-search"}},
		{"technologySlugs spyware", map[string]any{"technologySlugs": []string{"spyware"}}, []string{"p-pegasus", "p-devil", "p-rcs", "p-finspy"}},
		{"technologySlugs live", map[string]any{"technologySlugs": []string{"live-facial-recognition"}}, []string{"p-dome", "p-ethnic"}},
		{"controlled", map[string]any{"controlled": true}, []string{"p-pegasus", "p-devil", "p-rcs", "p-stingray"}},
		// p-sniffer's only control entry is retracted.
		{"not controlled", map[string]any{"controlled": false}, []string{"p-dome", "p-ethnic", "p-face-search", "p-finspy", "p-sniffer", "p-retracto-box"}},
		{"technologySlugs and not controlled", map[string]any{"technologySlugs": []string{"spyware"}, "controlled": false}, []string{"p-finspy"}},
		{"vendorIds and controlled", map[string]any{"vendorIds": f.ids("cellex"), "controlled": true}, []string{"p-stingray"}},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "p-withdrawn")},
	})
}

func TestDeploymentFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.deployments(func(d seed.Deployment) bool { return f.published(d.Key) })
	byConf := func(cs ...string) []string {
		return f.deployments(func(d seed.Deployment) bool { return f.published(d.Key) && slices.Contains(cs, d.Confidence) })
	}
	hik := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, fmt.Sprintf("d-hik-%02d", i))
		}
		return out
	}
	ir := map[string]any{"countryCodes": []string{"IR"}}
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	allIR := []string{"d-ir-nodate", "d-ir-2015", "d-ir-2018open", "d-ir-endonly", "d-ir-2020day", "d-ir-2010"}
	listFilter(t, f, "deployments", "DeploymentFilter", []filterCase{
		{"none", nil, published},
		{"countryCodes", map[string]any{"countryCodes": []string{"EG"}}, []string{"d-can-01", "d-ht-02", "d-gg-01"}},
		{"countryCodes IN", map[string]any{"countryCodes": []string{"IN"}}, []string{"d-ns-03"}},
		{"countryCodes IN with retracted", map[string]any{"countryCodes": []string{"IN"}, "includeRetracted": true}, []string{"d-ns-03", "d-dah-02"}},
		// A deployment in a retracted state is published and listed.
		{"countryCodes retracted state", map[string]any{"countryCodes": []string{"UG"}}, []string{"d-hik-12"}},
		{"vendorIds", map[string]any{"vendorIds": f.ids("nsoft")}, []string{"d-ns-01", "d-ns-02", "d-ns-03", "d-ns-04", "d-ns-05"}},
		{"vendorIds retracted vendor", map[string]any{"vendorIds": f.ids("retracto")}, []string{"d-ret-01"}},
		{"technologySlugs parent", map[string]any{"technologySlugs": []string{"facial-recognition"}},
			append(hik(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), "d-dah-01", "d-dah-03", "d-novendor")},
		{"technologySlugs grandchild", map[string]any{"technologySlugs": []string{"ethnicity-detection"}}, hik(2, 4, 6, 8, 10, 12)},
		{"technologySlugs spyware", map[string]any{"technologySlugs": []string{"spyware"}},
			[]string{"d-ns-01", "d-ns-02", "d-ns-03", "d-ns-04", "d-ns-05", "d-can-01", "d-can-02", "d-ht-01", "d-ht-02", "d-gg-01"}},
		{"confidence", map[string]any{"confidence": []string{"DISPUTED"}}, byConf("DISPUTED")},
		{"confidence two", map[string]any{"confidence": []string{"CONFIRMED", "ALLEGED"}}, byConf("CONFIRMED", "ALLEGED")},
		// The period filters: entries with no date at all are left out; an
		// open side is open.
		{"IR no period", ir, allIR},
		{"IR from", with(ir, "from", "2017"), []string{"d-ir-2018open", "d-ir-endonly", "d-ir-2020day"}},
		{"IR to", with(ir, "to", "2016-06"), []string{"d-ir-2015", "d-ir-endonly", "d-ir-2010"}},
		{"IR from to, boundaries inclusive", with(ir, "from", "2016-12-31", "to", "2018-06-01"), []string{"d-ir-2015", "d-ir-2018open", "d-ir-endonly"}},
		{"IR one month", with(ir, "from", "2020-02", "to", "2020-02"), []string{"d-ir-2018open", "d-ir-2020day"}},
		{"IR from end of month precision", with(ir, "from", "2012-12-31"), []string{"d-ir-2010", "d-ir-2015", "d-ir-2018open", "d-ir-endonly", "d-ir-2020day"}},
		{"IR from after month end", with(ir, "from", "2013"), []string{"d-ir-2015", "d-ir-2018open", "d-ir-endonly", "d-ir-2020day"}},
		{"IR to before everything", with(ir, "to", "2009"), []string{"d-ir-endonly"}},
		{"IR from to, nothing", with(ir, "from", "2013", "to", "2014"), []string{"d-ir-endonly"}},
		{"countryCodes and technologySlugs", map[string]any{"countryCodes": []string{"CN"}, "technologySlugs": []string{"ethnicity-detection"}}, hik(2, 4, 6, 8)},
		{"vendorIds and confidence and period", map[string]any{"vendorIds": f.ids("nsoft"), "confidence": []string{"CONFIRMED", "CREDIBLE"}, "from": "2018"},
			[]string{"d-ns-01", "d-ns-02", "d-ns-03"}},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "d-dah-02")},
	})
}

func TestAbuseFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.abuses(func(a seed.Abuse) bool { return f.published(a.Key) })
	cat := func(c string) []string {
		return f.abuses(func(a seed.Abuse) bool { return f.published(a.Key) && slices.Contains(a.Categories, c) })
	}
	conf := func(c string) []string {
		return f.abuses(func(a seed.Abuse) bool { return f.published(a.Key) && a.Confidence == c })
	}
	ir := []string{"IR"}
	listFilter(t, f, "abuses", "AbuseFilter", []filterCase{
		{"none", nil, published},
		{"countryCodes", map[string]any{"countryCodes": ir}, []string{"ab-ir-nodate", "ab-ir-2015", "ab-ir-open"}},
		{"countryCodes EG", map[string]any{"countryCodes": []string{"EG"}}, nil},
		{"countryCodes EG with retracted", map[string]any{"countryCodes": []string{"EG"}, "includeRetracted": true}, []string{"ab-eg-01"}},
		{"communityIds", map[string]any{"communityIds": f.ids("com-bahai")}, []string{"ab-ir-nodate", "ab-ir-2015", "ab-ae-01"}},
		{"communityIds falun", map[string]any{"communityIds": f.ids("com-falun")}, []string{"ab-cn-03", "ab-cn-06", "ab-cn-09"}},
		{"categories", map[string]any{"categories": []string{"TARGETED_SPYWARE"}}, cat("TARGETED_SPYWARE")},
		{"categories two", map[string]any{"categories": []string{"CENSORSHIP", "TRANSNATIONAL_REPRESSION"}}, []string{"ab-ir-open", "ab-et-01"}},
		{"technologySlugs spyware", map[string]any{"technologySlugs": []string{"spyware"}}, []string{"ab-ae-01", "ab-in-01", "ab-et-01", "ab-mm-01"}},
		// ab-in-01's retrospective deployment is retracted.
		{"technologySlugs retrospective", map[string]any{"technologySlugs": []string{"retrospective-facial-recognition"}}, []string{"ab-cn-03"}},
		{"technologySlugs parent", map[string]any{"technologySlugs": []string{"facial-recognition"}},
			[]string{"ab-cn-01", "ab-cn-02", "ab-cn-03", "ab-cn-04", "ab-cn-05", "ab-cn-06", "ab-cn-07", "ab-cn-08", "ab-cn-09"}},
		{"vendorIds", map[string]any{"vendorIds": f.ids("dahview")}, []string{"ab-cn-03"}},
		{"vendorIds retracted vendor", map[string]any{"vendorIds": f.ids("retracto")}, []string{"ab-cn-01"}},
		{"vendorIds two", map[string]any{"vendorIds": f.ids("candor", "hackteam")}, []string{"ab-ae-01", "ab-et-01"}},
		{"confidence", map[string]any{"confidence": []string{"CONFIRMED"}}, conf("CONFIRMED")},
		{"IR from", map[string]any{"countryCodes": ir, "from": "2017"}, []string{"ab-ir-open"}},
		{"IR to", map[string]any{"countryCodes": ir, "to": "2015-06"}, []string{"ab-ir-2015"}},
		{"IR from to", map[string]any{"countryCodes": ir, "from": "2016-12", "to": "2018-06-01"}, []string{"ab-ir-2015", "ab-ir-open"}},
		{"IR to before", map[string]any{"countryCodes": ir, "to": "2014-12-31"}, nil},
		{"countryCodes communityIds categories", map[string]any{"countryCodes": []string{"CN"}, "communityIds": f.ids("com-uyghur"),
			"categories": []string{"MASS_SURVEILLANCE", "SURVEILLANCE_OF_WORSHIP"}}, []string{"ab-cn-03", "ab-cn-05", "ab-cn-09"}},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "ab-cn-10", "ab-eg-01")},
	})
}

func TestDesignationFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.designations(func(d seed.Designation) bool { return f.published(d.Key) })
	entity := f.designations(func(d seed.Designation) bool { return d.List == "dl-entity" })
	listFilter(t, f, "designations", "DesignationFilter", []filterCase{
		{"none", nil, published},
		{"listCodes", map[string]any{"listCodes": []string{"TEST-SANCTIONS"}}, []string{"g-ns", "g-can", "g-ht", "g-ir", "g-ru", "g-ret"}},
		{"listCodes two", map[string]any{"listCodes": []string{"TEST-SANCTIONS", "TEST-WATCH"}},
			[]string{"g-ns", "g-can", "g-ht", "g-ir", "g-ru", "g-ret", "g-w-cel", "g-w-hik", "g-w-f11", "g-w-f12"}},
		{"listCodes unknown", map[string]any{"listCodes": []string{"NOPE"}}, nil},
		{"listCodes with retracted", map[string]any{"listCodes": []string{"TEST-ENTITY"}, "includeRetracted": true}, entity},
		{"activeOn day", map[string]any{"listCodes": []string{"TEST-ENTITY"}, "activeOn": "2020-06-15"},
			[]string{"g-hik", "g-dah", "g-f01", "g-f02", "g-f03", "g-f04", "g-f06", "g-psb"}},
		{"activeOn removal day", map[string]any{"listCodes": []string{"TEST-ENTITY"}, "activeOn": "2019-12-31"},
			[]string{"g-hik", "g-dah", "g-f01", "g-f04", "g-f06", "g-f07", "g-psb"}},
		{"activeOn year", map[string]any{"activeOn": "2020"},
			[]string{"g-hik", "g-dah", "g-f01", "g-f02", "g-f03", "g-f04", "g-f06", "g-psb", "g-cn", "g-ht", "g-ir", "g-ru", "g-ret", "g-w-f11", "g-w-f12"}},
		{"activeOn leap day", map[string]any{"listCodes": []string{"TEST-WATCH"}, "activeOn": "2020-02-29"}, []string{"g-w-f11", "g-w-f12"}},
		{"activeOn before everything", map[string]any{"activeOn": "1999"}, nil},
		{"activeOn last month of removal year", map[string]any{"listCodes": []string{"TEST-WATCH"}, "activeOn": "2011-12"}, []string{"g-w-cel"}},
		{"activeOn after removal", map[string]any{"listCodes": []string{"TEST-WATCH"}, "activeOn": "2012-01"}, nil},
		{"activeOn in removal year", map[string]any{"listCodes": []string{"TEST-WATCH"}, "activeOn": "2011-01"}, []string{"g-w-cel"}},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "g-gg")},
	})
}

func TestSourceFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	published := f.sources(func(s seed.Source) bool { return f.published(s.Key) })
	byPublisher := func(sub string) []string {
		return f.sources(func(s seed.Source) bool {
			return f.published(s.Key) && strings.Contains(strings.ToLower(deref(s.Publisher)), strings.ToLower(sub))
		})
	}
	byKind := func(ks ...string) []string {
		return f.sources(func(s seed.Source) bool { return f.published(s.Key) && slices.Contains(ks, s.Kind) })
	}
	research := byPublisher("100% Research_Lab")
	if len(research) != 5 {
		t.Fatalf("fixture: %d sources published by 100%% Research_Lab, want 5", len(research))
	}
	listFilter(t, f, "sources", "SourceFilter", []filterCase{
		{"none", nil, published},
		{"kinds", map[string]any{"kinds": []string{"TESTIMONY"}}, []string{"src-secret"}},
		{"kinds two", map[string]any{"kinds": []string{"NEWS", "ACADEMIC"}}, byKind("NEWS", "ACADEMIC")},
		{"publisher case-insensitive substring", map[string]any{"publisher": "citizen"}, byPublisher("Citizen Lab")},
		{"publisher Reuters", map[string]any{"publisher": "Reuters"}, byPublisher("Reuters")},
		{"publisher Reuters with retracted", map[string]any{"publisher": "Reuters", "includeRetracted": true}, append(byPublisher("Reuters"), "src-withdrawn")},
		// LIKE's wildcards are taken literally.
		{"publisher percent", map[string]any{"publisher": "%"}, research},
		{"publisher underscore", map[string]any{"publisher": "h_L"}, research},
		{"publisher underscore no match", map[string]any{"publisher": "n_L"}, nil},
		{"publisher empty constrains nothing", map[string]any{"publisher": ""}, published},
		{"kinds and publisher", map[string]any{"kinds": []string{"NEWS"}, "publisher": "Citizen"},
			f.sources(func(s seed.Source) bool { return s.Kind == "NEWS" && deref(s.Publisher) == "Citizen Lab" })},
		{"includeRetracted", map[string]any{"includeRetracted": true}, append(slices.Clone(published), "src-withdrawn")},
	})
}

// Filters also apply to nested connections.
func TestNestedFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name, query string
		vars        map[string]any
		path        []string
		want        []string
	}{
		{"vendor.deployments countryCodes", `query($id: ID!) { node(id: $id) { ... on Vendor { conn: deployments(first: 100, filter: {countryCodes: [AE, SA]}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("hikcam")}, []string{"node", "conn"}, []string{"d-hik-09", "d-hik-10", "d-hik-11"}},
		{"vendor.deployments with retracted", `query($id: ID!) { node(id: $id) { ... on Vendor { conn: deployments(first: 100, filter: {includeRetracted: true}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("dahview")}, []string{"node", "conn"}, []string{"d-dah-01", "d-dah-02", "d-dah-03"}},
		{"state.deployments period", `query($id: ID!) { node(id: $id) { ... on State { conn: deployments(first: 100, filter: {from: "2017"}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("IR")}, []string{"node", "conn"}, []string{"d-ir-2018open", "d-ir-endonly", "d-ir-2020day"}},
		{"state.abuses communityIds", `query($id: ID!, $c: [ID!]) { node(id: $id) { ... on State { conn: abuses(first: 100, filter: {communityIds: $c}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("CN"), "c": f.ids("com-falun")}, []string{"node", "conn"}, []string{"ab-cn-03", "ab-cn-06", "ab-cn-09"}},
		{"designationList.designations activeOn", `query($id: ID!) { node(id: $id) { ... on DesignationList { conn: designations(first: 100, filter: {activeOn: "2020-02-29"}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("dl-watch")}, []string{"node", "conn"}, []string{"g-w-f11", "g-w-f12"}},
		{"community.abuses", `query($id: ID!) { node(id: $id) { ... on ReligiousCommunity { conn: abuses(first: 100, filter: {countryCodes: [IR]}) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("com-bahai")}, []string{"node", "conn"}, []string{"ab-ir-nodate", "ab-ir-2015"}},
		{"product.deployments", `query($id: ID!) { node(id: $id) { ... on Product { conn: deployments(first: 100) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("p-stingray")}, []string{"node", "conn"}, []string{"d-ir-2015", "d-cel-us"}},
		{"agency.deployments", `query($id: ID!) { node(id: $id) { ... on Agency { conn: deployments(first: 100) { totalCount nodes { id } } } } }`,
			map[string]any{"id": f.id("ag-ir-police")}, []string{"node", "conn"}, []string{"d-ir-nodate", "d-ir-2015"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var p struct {
				TotalCount int     `json:"totalCount"`
				Nodes      idNodes `json:"nodes"`
			}
			r := f.query(t, c.query, c.vars, nil)
			if err := json.Unmarshal(dig(t, r.Data, c.path), &p); err != nil {
				t.Fatal(err)
			}
			got := f.keys(t, p.Nodes.ids())
			want := f.sortLike(slices.Clone(c.want))
			if !slices.Equal(got, want) || p.TotalCount != len(want) {
				t.Errorf("%s\n= %v (totalCount %d)\nwant %v (totalCount %d)", c.query, got, p.TotalCount, want, len(want))
			}
		})
	}
}

// IDs in filters must be of the type the filter names.
func TestFilterIDsOfTheWrongType(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name, query string
		vars        map[string]any
		parts       []string
	}{
		{"products vendorIds with a State ID", `query($ids: [ID!]) { products(filter: {vendorIds: $ids}) { totalCount } }`,
			map[string]any{"ids": f.ids("CN")}, []string{"vendorIds", f.id("CN"), "State", "Vendor"}},
		{"deployments vendorIds with a Product ID", `query($ids: [ID!]) { deployments(filter: {vendorIds: $ids}) { totalCount } }`,
			map[string]any{"ids": f.ids("hikcam", "p-dome")}, []string{"vendorIds", f.id("p-dome"), "Product"}},
		{"abuses vendorIds with a Deployment ID", `query($ids: [ID!]) { abuses(filter: {vendorIds: $ids}) { totalCount } }`,
			map[string]any{"ids": f.ids("d-hik-01")}, []string{"vendorIds", "Deployment"}},
		{"abuses communityIds with a Vendor ID", `query($ids: [ID!]) { abuses(filter: {communityIds: $ids}) { totalCount } }`,
			map[string]any{"ids": f.ids("hikcam")}, []string{"communityIds", "Vendor"}},
		{"nested vendorIds with a State ID", `query($id: ID!, $ids: [ID!]) { node(id: $id) { ... on State { deployments(filter: {vendorIds: $ids}) { totalCount } } } }`,
			map[string]any{"id": f.id("CN"), "ids": f.ids("IR")}, []string{"vendorIds", "State"}},
		{"vendorIds malformed", `query($ids: [ID!]) { products(filter: {vendorIds: $ids}) { totalCount } }`,
			map[string]any{"ids": []string{"not-an-id"}}, []string{"vendorIds", "not-an-id"}},
		{"communityIds malformed", `{ abuses(filter: {communityIds: ["Q29tbXVuaXR5Om5vcGU"]}) { totalCount } }`,
			nil, []string{"communityIds", "Q29tbXVuaXR5Om5vcGU"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wantBadInput(t, f.post(t, c.query, c.vars), c.parts...)
		})
	}
}
