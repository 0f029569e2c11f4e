package graph_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/catalog"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

// evRow is an evidence row as the tests ask for it.
type evRow struct {
	Vendor              struct{ Slug string }
	State               struct{ CountryCode string }
	Technology          struct{ Slug string }
	Product             *struct{ Name string }
	Deployments         []struct{ ID, Confidence string }
	ControlListEntries  []struct{ Code string }
	Designations        []struct{ List struct{ Code string } }
	Abuses              []struct{ ID, Title string }
	StrongestConfidence string
	CitationCount       int
}

// label names a row vendor/state/technology/product ("-" for no product).
func (r evRow) label() string {
	p := "-"
	if r.Product != nil {
		p = r.Product.Name
	}
	return r.Vendor.Slug + "/" + r.State.CountryCode + "/" + r.Technology.Slug + "/" + p
}

func (r evRow) codes() []string {
	out := []string{}
	for _, c := range r.ControlListEntries {
		out = append(out, c.Code)
	}
	return out
}

func (r evRow) abuseTitles() []string {
	out := []string{}
	for _, a := range r.Abuses {
		out = append(out, a.Title)
	}
	return out
}

func (r evRow) deploymentIDs() []string {
	out := []string{}
	for _, d := range r.Deployments {
		out = append(out, d.ID)
	}
	return out
}

func (r evRow) listCodes() []string {
	out := []string{}
	for _, d := range r.Designations {
		out = append(out, d.List.Code)
	}
	return out
}

func evLabels(rows []evRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.label())
	}
	return out
}

func evByLabel(rows []evRow) map[string]evRow {
	m := map[string]evRow{}
	for _, r := range rows {
		m[r.label()] = r
	}
	return m
}

const evidenceQuery = `query($first: Int, $after: String, $filter: EvidenceFilter) {
	exportControlEvidence(first: $first, after: $after, filter: $filter) {
		totalCount
		pageInfo { hasNextPage endCursor }
		edges { cursor }
		nodes {
			vendor { slug } state { countryCode } technology { slug } product { name }
			deployments { id confidence }
			controlListEntries { code }
			designations { list { code } }
			abuses { id title }
			strongestConfidence citationCount
		}
	}
}`

type evPage struct {
	ExportControlEvidence struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct{ Cursor string }
		Nodes []evRow
	}
}

// evidenceRows asks h for one page of up to 100 rows matching filter (nil:
// no filter) and returns them with the totalCount.
func evidenceRows(t *testing.T, h http.Handler, filter map[string]any) ([]evRow, int) {
	t.Helper()
	var out evPage
	vars := map[string]any{"first": 100}
	if filter != nil {
		vars["filter"] = filter
	}
	mustData(t, h, evidenceQuery, vars, &out)
	c := out.ExportControlEvidence
	if c.PageInfo.HasNextPage {
		t.Fatalf("exportControlEvidence(first: 100, filter: %v) has a next page; the test data should fit in one", filter)
	}
	return c.Nodes, c.TotalCount
}

// walkEvidence pages through every row matching filter, size rows at a time.
func walkEvidence(t *testing.T, h http.Handler, filter map[string]any, size int) []evRow {
	t.Helper()
	var all []evRow
	vars := map[string]any{"first": size, "filter": filter}
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("exportControlEvidence: more than 100 pages of %d, the cursors do not advance", size)
		}
		var out evPage
		mustData(t, h, evidenceQuery, vars, &out)
		c := out.ExportControlEvidence
		all = append(all, c.Nodes...)
		if len(c.Edges) != len(c.Nodes) {
			t.Fatalf("exportControlEvidence page %d: %d edges, %d nodes", page, len(c.Edges), len(c.Nodes))
		}
		if !c.PageInfo.HasNextPage {
			return all
		}
		vars["after"] = *c.PageInfo.EndCursor
	}
}

// rank is a confidence's strength, CONFIRMED strongest.
func evRank(c string) int { return registry.Confidence(c).Rank() }

// checkEvidenceOrder checks rows come strongest confidence first, then most abuses first.
func checkEvidenceOrder(t *testing.T, rows []evRow) {
	t.Helper()
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		ra, rb := evRank(a.StrongestConfidence), evRank(b.StrongestConfidence)
		if ra < rb || (ra == rb && len(a.Abuses) < len(b.Abuses)) {
			t.Errorf("exportControlEvidence: row %d %s (%s, %d abuses) comes before row %d %s (%s, %d abuses); want strongest confidence, then most abuses, first",
				i-1, a.label(), a.StrongestConfidence, len(a.Abuses), i, b.label(), b.StrongestConfidence, len(b.Abuses))
		}
	}
}

// On the real seed data: each seeded vendor's supply relationships, with the
// designations, control-list entries and abuses the seed records for them.
func TestEvidenceSeedData(t *testing.T) {
	t.Parallel()
	ds, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() error = %v", err)
	}
	pool := pgtest.New(t)
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatalf("seed.Load(seed.Registry()) error = %v", err)
	}
	h := newHandler(pool, time.Millisecond)

	// What registry.json says, read from the dataset rather than retyped.
	products := map[string]string{}
	for _, p := range ds.Products {
		products[p.Key] = p.Name
	}
	type group struct {
		deployments []string
		strongest   int
	}
	want := map[string]*group{} // label → the row's deployments
	depRow := map[string]string{}
	for _, d := range ds.Deployments {
		if d.Vendor == nil {
			continue // no vendor: not a supply relationship
		}
		p := "-"
		if d.Product != nil {
			p = products[*d.Product]
		}
		l := *d.Vendor + "/" + d.State + "/" + d.Technology + "/" + p
		if want[l] == nil {
			want[l] = &group{}
		}
		want[l].deployments = append(want[l].deployments, graph.EntryIDForTest(registry.TypeDeployment, seed.ID(registry.TypeDeployment, d.Key)))
		want[l].strongest = max(want[l].strongest, evRank(d.Confidence))
		depRow[d.Key] = l
	}
	abusesOf := map[string][]string{} // label → abuse titles
	for _, a := range ds.Abuses {
		seen := map[string]bool{}
		for _, d := range a.Deployments {
			if l, ok := depRow[d]; ok && !seen[l] {
				seen[l] = true
				abusesOf[l] = append(abusesOf[l], a.Title)
			}
		}
	}
	listsOf := map[string][]string{} // vendor key → designation list codes
	listCode := map[string]string{}
	for _, l := range ds.DesignationLists {
		listCode[l.Key] = l.Code
	}
	for _, g := range ds.Designations {
		if g.Subject.Vendor != nil {
			listsOf[*g.Subject.Vendor] = append(listsOf[*g.Subject.Vendor], listCode[g.List])
		}
	}
	codeOf := map[string]string{}
	for _, c := range ds.ControlListEntries {
		codeOf[c.Key] = c.Code
	}
	abuseTitle := map[string]string{}
	for _, a := range ds.Abuses {
		abuseTitle[a.Key] = a.Title
	}

	rows, total := evidenceRows(t, h, nil)
	got := evByLabel(rows)
	if total != len(want) || len(rows) != len(want) {
		t.Errorf("exportControlEvidence: totalCount %d, %d rows; want %d, one per vendor × state × technology × product of the seed's deployments with a vendor",
			total, len(rows), len(want))
	}
	for l, g := range want {
		r, ok := got[l]
		if !ok {
			t.Errorf("exportControlEvidence has no row %s; rows are %v", l, evLabels(rows))
			continue
		}
		sortedIDs := slices.Sorted(slices.Values(r.deploymentIDs()))
		if diff := evDiff(slices.Sorted(slices.Values(g.deployments)), sortedIDs); diff != "" {
			t.Errorf("row %s deployments (-want +got):\n%s", l, diff)
		}
		if evRank(r.StrongestConfidence) != g.strongest {
			t.Errorf("row %s strongestConfidence = %s, want rank %d", l, r.StrongestConfidence, g.strongest)
		}
		if diff := evDiff(slices.Sorted(slices.Values(abusesOf[l])), slices.Sorted(slices.Values(r.abuseTitles()))); diff != "" {
			t.Errorf("row %s abuses (-want +got):\n%s", l, diff)
		}
		if diff := evDiff(slices.Sorted(slices.Values(listsOf[r.Vendor.Slug])), slices.Sorted(slices.Values(r.listCodes()))); diff != "" {
			t.Errorf("row %s designations (-want +got):\n%s", l, diff)
		}
	}
	checkEvidenceOrder(t, rows)

	// Concrete facts of registry.json.
	hik := got["hikvision/CN/facial-recognition/-"]
	if len(hik.Deployments) != 2 || hik.StrongestConfidence != "CONFIRMED" ||
		!slices.Contains(hik.abuseTitles(), abuseTitle["moyu-mosque-facial-recognition"]) ||
		!slices.Contains(hik.abuseTitles(), abuseTitle["pishan-camp-surveillance"]) ||
		!slices.Contains(hik.listCodes(), "US-ENTITY-LIST") || !slices.Contains(hik.listCodes(), "US-FCC-COVERED-LIST") {
		t.Errorf("row hikvision × CN × facial recognition = %+v; want its 2 CONFIRMED deployments, the Moyu mosque and Pishan camp abuses, and its Entity List and FCC designations", hik)
	}
	camp := got["hikvision/CN/video-surveillance-cameras/DarkFighterX PTZ"]
	if !slices.Contains(camp.abuseTitles(), abuseTitle["xinjiang-camp-hikvision-cameras"]) {
		t.Errorf("row hikvision × CN × cameras × DarkFighterX PTZ abuses = %v, want the Hotan camp abuse %q", camp.abuseTitles(), abuseTitle["xinjiang-camp-hikvision-cameras"])
	}
	nso := got["nso-group/IN/mercenary-spyware/Pegasus"]
	if nso.StrongestConfidence != "CREDIBLE" || !slices.Equal(nso.abuseTitles(), []string{abuseTitle["pegasus-tibetan-religious-leaders"]}) ||
		!slices.Contains(nso.listCodes(), "US-ENTITY-LIST") {
		t.Errorf("row nso-group × IN × Pegasus = %+v; want CREDIBLE, the Tibetan religious leaders abuse and the Entity List designation", nso)
	}
	// The seed links no product to a control-list entry, but voice
	// biometrics is covered by ECCN 3A980 (us-eccn-3a980).
	ifly := got["iflytek/CN/voice-biometrics/-"]
	if !slices.Equal(ifly.codes(), []string{codeOf["us-eccn-3a980"]}) {
		t.Errorf("row iflytek × CN × voice biometrics controlListEntries = %v, want [%s]", ifly.codes(), codeOf["us-eccn-3a980"])
	}

	// controlled: exactly the rows with control-list entries.
	var wantControlled, wantFree []string
	for _, r := range rows {
		if len(r.ControlListEntries) > 0 {
			wantControlled = append(wantControlled, r.label())
		} else {
			wantFree = append(wantFree, r.label())
		}
	}
	if len(wantControlled) == 0 {
		t.Fatalf("no seed row has control-list entries; want at least the iflytek voice biometrics row")
	}
	checks := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"controlled", map[string]any{"controlled": true}, wantControlled},
		{"uncontrolled", map[string]any{"controlled": false}, wantFree},
	}
	var withAbuses, noAbuses, credible []string
	for _, r := range rows {
		if len(r.Abuses) > 0 {
			withAbuses = append(withAbuses, r.label())
		} else {
			noAbuses = append(noAbuses, r.label())
		}
		if evRank(r.StrongestConfidence) >= evRank("CREDIBLE") {
			credible = append(credible, r.label())
		}
	}
	checks = append(checks,
		struct {
			name   string
			filter map[string]any
			want   []string
		}{"withAbuses", map[string]any{"withAbuses": true}, withAbuses},
		struct {
			name   string
			filter map[string]any
			want   []string
		}{"withoutAbuses", map[string]any{"withAbuses": false}, noAbuses},
		struct {
			name   string
			filter map[string]any
			want   []string
		}{"minConfidence", map[string]any{"minConfidence": "CREDIBLE"}, credible},
	)
	if len(credible) == len(rows) {
		t.Errorf("every seed row is at least CREDIBLE; the minConfidence check needs the ALLEGED Predator rows")
	}
	for _, c := range checks {
		got, total := evidenceRows(t, h, c.filter)
		if diff := evDiff(c.want, evLabels(got)); diff != "" || total != len(c.want) {
			t.Errorf("exportControlEvidence(filter: %v): totalCount %d, rows (-want +got):\n%s", c.filter, total, diff)
		}
	}

	// Pagination: pages of 3 give the same rows in the same order, once each.
	walked := walkEvidence(t, h, nil, 3)
	if diff := evDiff(evLabels(rows), evLabels(walked)); diff != "" {
		t.Errorf("exportControlEvidence in pages of 3 (-one page +pages):\n%s", diff)
	}
}

// diffStrings describes how got differs from want ("" when equal; nil and
// empty are equal). go-cmp is not a dependency of this module.
func evDiff(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("-want %q\n+got  %q", want, got)
}

// The hand-made evidence dataset. Technologies: spyware > zero-click;
// cams > face > ethnic; imsi. Control-list entries: C-SPY covers spyware,
// C-FACE covers face, C-ETHNIC covers ethnic, C-PROD is the product cam's,
// C-GONE covers imsi and is retracted. Rows (vendor/state/technology/product):
//
//	il-one/AE/zero-click/Zero   d1 CONFIRMED, d2 ALLEGED; abuses a1 (d1, d2), a2 (d1)
//	cn-one/CN/face/Cam          d5 CONFIRMED; abuse a3
//	cn-one/CN/ethnic/-          d6 CREDIBLE; abuse a3 (a4 is retracted)
//	cn-two/CN/cams/-            d7 CREDIBLE
//	il-two/MX/zero-click/-      d4 CREDIBLE (d12 CONFIRMED is retracted, and so its abuse a5 is not the row's)
//	no-country/IN/imsi/-        d9 CREDIBLE
//	us-one/IN/imsi/-            d8 ALLEGED; abuse a6
//	il-one/SA/spyware/-         d3 DISPUTED
//
// Not rows: d10 (no vendor), d11 (retracted vendor), d13 (retracted, the
// only deployment of cn-two/AE/cams).
func evidenceDataset() (*seed.Dataset, []ref) {
	cite := []seed.Citation{{Source: "src-ev", Quote: sp("quoted")}}
	common := func(key string) seed.Common { return seed.Common{Key: key, Citations: cite} }
	d := &seed.Dataset{
		Sources: []seed.Source{{Key: "src-ev", Title: "Evidence source", Kind: "NGO_REPORT"}, {Key: "src-gone", Title: "Withdrawn source", Kind: "NEWS"}},
		Technologies: []seed.Technology{
			{Common: seed.Common{Key: "spyware"}, Slug: "spyware", Name: "Spyware", ControlListEntries: []string{"c-spy"}},
			{Common: seed.Common{Key: "zero-click"}, Slug: "zero-click", Name: "Zero-click spyware", Parent: sp("spyware")},
			{Common: seed.Common{Key: "cams"}, Slug: "cams", Name: "Cameras"},
			{Common: seed.Common{Key: "face"}, Slug: "face", Name: "Face recognition", Parent: sp("cams"), ControlListEntries: []string{"c-face"}},
			{Common: seed.Common{Key: "ethnic"}, Slug: "ethnic", Name: "Ethnicity detection", Parent: sp("face"), ControlListEntries: []string{"c-ethnic"}},
			{Common: seed.Common{Key: "imsi"}, Slug: "imsi", Name: "IMSI catchers", ControlListEntries: []string{"c-gone"}},
		},
		ControlListEntries: []seed.ControlListEntry{
			{Common: seed.Common{Key: "c-spy"}, Regime: "WASSENAAR", Code: "C-SPY", Title: "Intrusion software"},
			{Common: seed.Common{Key: "c-face"}, Regime: "EU_DUAL_USE", Code: "C-FACE", Title: "Face recognition"},
			{Common: seed.Common{Key: "c-ethnic"}, Regime: "EU_DUAL_USE", Code: "C-ETHNIC", Title: "Ethnicity detection"},
			{Common: seed.Common{Key: "c-prod"}, Regime: "US_CCL", Code: "C-PROD", Title: "The camera's entry"},
			{Common: seed.Common{Key: "c-gone"}, Regime: "OTHER", Code: "C-GONE", Title: "Withdrawn entry"},
		},
		Communities:      []seed.Community{{Common: seed.Common{Key: "com"}, Name: "Community"}},
		DesignationLists: []seed.DesignationList{{Common: seed.Common{Key: "l1"}, Code: "L1", Name: "List one", Authority: "A", Jurisdiction: "US"}, {Common: seed.Common{Key: "l2"}, Code: "L2", Name: "List two", Authority: "B", Jurisdiction: "EU"}},
	}
	for _, s := range [][2]string{{"AE", "United Arab Emirates"}, {"SA", "Saudi Arabia"}, {"CN", "China"}, {"IN", "India"}, {"MX", "Mexico"}} {
		d.States = append(d.States, seed.State{Common: seed.Common{Key: s[0]}, CountryCode: s[0], Name: s[1]})
	}
	for _, v := range [][2]string{{"il-one", "IL"}, {"il-two", "IL"}, {"cn-one", "CN"}, {"cn-two", "CN"}, {"us-one", "US"}, {"no-country", ""}, {"gone", "RU"}} {
		d.Vendors = append(d.Vendors, seed.Vendor{Common: seed.Common{Key: v[0]}, Slug: v[0], Name: "Vendor " + v[0], CountryCode: spn(v[1])})
	}
	d.Products = []seed.Product{
		{Common: seed.Common{Key: "zero"}, Vendor: "il-one", Name: "Zero", Technologies: []string{"zero-click"}},
		{Common: seed.Common{Key: "cam"}, Vendor: "cn-one", Name: "Cam", Technologies: []string{"face"}, ControlListEntries: []string{"c-prod"}},
	}
	dep := func(key, state, vendor, product, tech, start, conf string) seed.Deployment {
		return seed.Deployment{Common: common(key), State: state, Vendor: spn(vendor), Product: spn(product), Technology: tech, StartDate: spn(start), Confidence: conf}
	}
	d.Deployments = []seed.Deployment{
		dep("d1", "AE", "il-one", "zero", "zero-click", "2019", "CONFIRMED"),
		dep("d2", "AE", "il-one", "zero", "zero-click", "2020", "ALLEGED"),
		dep("d3", "SA", "il-one", "", "spyware", "", "DISPUTED"),
		dep("d4", "MX", "il-two", "", "zero-click", "2017", "CREDIBLE"),
		dep("d5", "CN", "cn-one", "cam", "face", "2018", "CONFIRMED"),
		dep("d6", "CN", "cn-one", "", "ethnic", "2019-04", "CREDIBLE"),
		dep("d7", "CN", "cn-two", "", "cams", "", "CREDIBLE"),
		dep("d8", "IN", "us-one", "", "imsi", "2015", "ALLEGED"),
		dep("d9", "IN", "no-country", "", "imsi", "2016", "CREDIBLE"),
		dep("d10", "CN", "", "", "face", "2018", "CONFIRMED"),
		dep("d11", "SA", "gone", "", "spyware", "2018", "CONFIRMED"),
		dep("d12", "MX", "il-two", "", "zero-click", "2021", "CONFIRMED"),
		dep("d13", "AE", "cn-two", "", "cams", "2021", "CONFIRMED"),
	}
	d.Deployments[0].Citations = append(slices.Clone(cite), seed.Citation{Source: "src-ev", Quote: sp("again")})
	abuse := func(key, state, start string, deps ...string) seed.Abuse {
		return seed.Abuse{Common: common(key), Title: "Abuse " + key, Summary: "Summary", State: state, Communities: []string{"com"},
			Categories: []string{"OTHER"}, StartDate: spn(start), Confidence: "CREDIBLE", Deployments: deps}
	}
	d.Abuses = []seed.Abuse{
		abuse("a1", "AE", "2019", "d1", "d2"),
		abuse("a2", "AE", "2020-05", "d1"),
		abuse("a3", "CN", "", "d5", "d6"),
		abuse("a4", "CN", "2018", "d6"),
		abuse("a5", "MX", "2021", "d12"),
		abuse("a6", "IN", "", "d8"),
		abuse("a7", "IN", "2015"),
	}
	desig := func(key, list, vendor string) seed.Designation {
		return seed.Designation{Common: common(key), List: list, Subject: seed.Subject{Vendor: sp(vendor)}, ListedOn: "2020"}
	}
	d.Designations = []seed.Designation{desig("g1", "l1", "il-one"), desig("g2", "l2", "il-one"), desig("g3", "l1", "cn-one"), desig("g4", "l2", "gone")}
	retracted := []ref{
		{registry.TypeVendor, "gone"}, {registry.TypeDeployment, "d12"}, {registry.TypeDeployment, "d13"},
		{registry.TypeAbuse, "a4"}, {registry.TypeControlListEntry, "c-gone"}, {registry.TypeDesignation, "g2"},
		{registry.TypeSource, "src-gone"},
	}
	return d, retracted
}

// newEvidenceAPI loads the evidence dataset, retracts what it retracts, and
// serves the API over it, computing the evidence rows from the tables.
func newEvidenceAPI(t *testing.T) http.Handler {
	t.Helper()
	h, _ := newEvidenceAPIOn(t, false)
	return h
}

// newEvidenceAPIOn is newEvidenceAPI reading the rows from evidence_summary
// when stored is set (refreshed after the data is loaded), else computing
// them (the summary is stale after any write).
func newEvidenceAPIOn(t *testing.T, stored bool) (http.Handler, *pgxpool.Pool) {
	t.Helper()
	ds, retracted := evidenceDataset()
	pool := pgtest.New(t)
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatalf("seed.Load(evidence dataset) error = %v", err)
	}
	reasons := map[uuid.UUID]string{}
	for _, r := range retracted {
		reasons[seed.ID(r.typ, r.key)] = "Retracted for the test"
	}
	newPublisher(t, pool).retract(t, "Retract what the evidence dataset retracts", reasons)
	if stored {
		refreshEvidence(t, pool, true)
	}
	return newHandler(pool, time.Millisecond), pool
}

// refreshEvidence refreshes evidence_summary and checks whether it was stale.
func refreshEvidence(t *testing.T, pool *pgxpool.Pool, wantStale bool) {
	t.Helper()
	refreshed, err := catalog.RefreshEvidence(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if refreshed != wantStale {
		t.Fatalf("RefreshEvidence refreshed = %v, want %v (was the summary stale?)", refreshed, wantStale)
	}
}

// The stored rows answer exactly as the computed ones, and a write is
// visible at once (the summary is marked stale in the writer's transaction,
// and readers compute the rows until it is refreshed).
func TestEvidenceSummary(t *testing.T) {
	t.Parallel()
	computed, _ := newEvidenceAPIOn(t, false)
	stored, pool := newEvidenceAPIOn(t, true)
	for _, filter := range []map[string]any{
		nil,
		{"technologySlugs": []string{"cams"}},
		{"vendorCountryCodes": []string{"IL"}, "stateCountryCodes": []string{"AE", "MX"}},
		{"vendorIds": []string{evID(registry.TypeVendor, "il-one")}, "controlled": true},
		{"withAbuses": true, "minConfidence": "CREDIBLE"},
	} {
		want, wantTotal := evidenceRows(t, computed, filter)
		got, gotTotal := evidenceRows(t, stored, filter)
		if !reflect.DeepEqual(want, got) || wantTotal != gotTotal {
			t.Errorf("filter %v: stored rows (total %d)\n%+v\nwant the computed rows (total %d)\n%+v", filter, gotTotal, got, wantTotal, want)
		}
	}
	refreshEvidence(t, pool, false) // nothing was written since

	before, _ := evidenceRows(t, stored, nil)
	newPublisher(t, pool).retract(t, "Retract il-one", map[uuid.UUID]string{seed.ID(registry.TypeVendor, "il-one"): "Retracted for the test"})
	after, _ := evidenceRows(t, stored, nil)
	for _, r := range after {
		if strings.HasPrefix(r.label(), "il-one/") {
			t.Errorf("after il-one's retraction, its row %s is still served", r.label())
		}
	}
	if len(after) >= len(before) {
		t.Errorf("after il-one's retraction: %d rows, want fewer than %d", len(after), len(before))
	}
	refreshEvidence(t, pool, true)
	if again, _ := evidenceRows(t, stored, nil); !reflect.DeepEqual(again, after) {
		t.Errorf("refreshed rows differ from the computed ones:\n%+v\nwant\n%+v", again, after)
	}
}

func evID(typ registry.EntryType, key string) string {
	return graph.EntryIDForTest(typ, seed.ID(typ, key))
}

// Every filter, on data whose answers are known (see evidenceDataset).
func TestEvidenceFilters(t *testing.T) {
	t.Parallel()
	for _, stored := range []bool{false, true} {
		t.Run(map[bool]string{false: "computed", true: "stored"}[stored], func(t *testing.T) {
			t.Parallel()
			h, _ := newEvidenceAPIOn(t, stored)
			testEvidenceFilters(t, h)
		})
	}
}

func testEvidenceFilters(t *testing.T, h http.Handler) {
	all := []string{
		"il-one/AE/zero-click/Zero", "cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "cn-two/CN/cams/-",
		"il-two/MX/zero-click/-", "no-country/IN/imsi/-", "us-one/IN/imsi/-", "il-one/SA/spyware/-",
	}
	tests := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"none", nil, all},
		{"vendorIds", map[string]any{"vendorIds": []string{evID(registry.TypeVendor, "il-one")}}, []string{"il-one/AE/zero-click/Zero", "il-one/SA/spyware/-"}},
		{"vendorIds of two", map[string]any{"vendorIds": []string{evID(registry.TypeVendor, "us-one"), evID(registry.TypeVendor, "cn-two")}}, []string{"cn-two/CN/cams/-", "us-one/IN/imsi/-"}},
		{"vendorIds of a retracted vendor", map[string]any{"vendorIds": []string{evID(registry.TypeVendor, "gone")}}, nil},
		{"vendorCountryCodes", map[string]any{"vendorCountryCodes": []string{"IL"}}, []string{"il-one/AE/zero-click/Zero", "il-two/MX/zero-click/-", "il-one/SA/spyware/-"}},
		{"vendorCountryCodes of two", map[string]any{"vendorCountryCodes": []string{"CN", "US"}}, []string{"cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "cn-two/CN/cams/-", "us-one/IN/imsi/-"}},
		{"stateCountryCodes", map[string]any{"stateCountryCodes": []string{"CN"}}, []string{"cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "cn-two/CN/cams/-"}},
		{"stateCountryCodes of a state with only retracted supply", map[string]any{"stateCountryCodes": []string{"AE"}, "vendorCountryCodes": []string{"CN"}}, nil},
		{"technologySlugs of a parent", map[string]any{"technologySlugs": []string{"spyware"}}, []string{"il-one/AE/zero-click/Zero", "il-two/MX/zero-click/-", "il-one/SA/spyware/-"}},
		{"technologySlugs of a middle node", map[string]any{"technologySlugs": []string{"face"}}, []string{"cn-one/CN/face/Cam", "cn-one/CN/ethnic/-"}},
		{"technologySlugs of a root", map[string]any{"technologySlugs": []string{"cams"}}, []string{"cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "cn-two/CN/cams/-"}},
		{"technologySlugs of a leaf", map[string]any{"technologySlugs": []string{"zero-click"}}, []string{"il-one/AE/zero-click/Zero", "il-two/MX/zero-click/-"}},
		{"controlled", map[string]any{"controlled": true}, []string{"il-one/AE/zero-click/Zero", "cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "il-two/MX/zero-click/-", "il-one/SA/spyware/-"}},
		{"not controlled", map[string]any{"controlled": false}, []string{"cn-two/CN/cams/-", "no-country/IN/imsi/-", "us-one/IN/imsi/-"}},
		{"withAbuses", map[string]any{"withAbuses": true}, []string{"il-one/AE/zero-click/Zero", "cn-one/CN/face/Cam", "cn-one/CN/ethnic/-", "us-one/IN/imsi/-"}},
		{"without abuses", map[string]any{"withAbuses": false}, []string{"cn-two/CN/cams/-", "il-two/MX/zero-click/-", "no-country/IN/imsi/-", "il-one/SA/spyware/-"}},
		{"minConfidence CONFIRMED", map[string]any{"minConfidence": "CONFIRMED"}, []string{"il-one/AE/zero-click/Zero", "cn-one/CN/face/Cam"}},
		{"minConfidence CREDIBLE", map[string]any{"minConfidence": "CREDIBLE"}, all[:6]},
		{"minConfidence ALLEGED", map[string]any{"minConfidence": "ALLEGED"}, all[:7]},
		{"minConfidence DISPUTED", map[string]any{"minConfidence": "DISPUTED"}, all},
		{"all together", map[string]any{"stateCountryCodes": []string{"CN", "IN"}, "controlled": true, "withAbuses": true, "minConfidence": "CREDIBLE"},
			[]string{"cn-one/CN/face/Cam", "cn-one/CN/ethnic/-"}},
		{"empty lists constrain nothing", map[string]any{"vendorIds": []string{}, "technologySlugs": []string{}}, all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, total := evidenceRows(t, h, tc.filter)
			if diff := evDiff(tc.want, evLabels(rows)); diff != "" {
				t.Errorf("exportControlEvidence(filter: %v) rows (-want +got):\n%s", tc.filter, diff)
			}
			if total != len(tc.want) {
				t.Errorf("exportControlEvidence(filter: %v) totalCount = %d, want %d", tc.filter, total, len(tc.want))
			}
		})
	}

	t.Run("wrong ID type", func(t *testing.T) {
		t.Parallel()
		r := post(t, h, evidenceQuery, map[string]any{"filter": map[string]any{"vendorIds": []string{evID(registry.TypeState, "CN")}}})
		wantBadInput(t, r, "filter.vendorIds", "not of a Vendor")
	})
}

// What each row shows, on data whose answers are known.
func TestEvidenceRowFields(t *testing.T) {
	t.Parallel()
	h := newEvidenceAPI(t)
	rows, _ := evidenceRows(t, h, nil)
	got := evByLabel(rows)
	dep := func(keys ...string) []string {
		out := []string{}
		for _, k := range keys {
			out = append(out, evID(registry.TypeDeployment, k))
		}
		return out
	}
	tests := []struct {
		row         string
		deployments []string // latest start first
		strongest   string
		citations   int
		codes       []string // by regime, then code
		abuses      []string // latest start first, undated last
		lists       []string
	}{
		{"il-one/AE/zero-click/Zero", dep("d2", "d1"), "CONFIRMED", 3, []string{"C-SPY"}, []string{"Abuse a2", "Abuse a1"}, []string{"L1"}},
		{"cn-one/CN/face/Cam", dep("d5"), "CONFIRMED", 1, []string{"C-FACE", "C-PROD"}, []string{"Abuse a3"}, []string{"L1"}},
		// An entry on a narrower kind (C-ETHNIC) is not the broader face row's,
		// but the ethnic row has both its own and its ancestor's.
		{"cn-one/CN/ethnic/-", dep("d6"), "CREDIBLE", 1, []string{"C-ETHNIC", "C-FACE"}, []string{"Abuse a3"}, []string{"L1"}},
		{"cn-two/CN/cams/-", dep("d7"), "CREDIBLE", 1, nil, nil, nil},
		{"il-two/MX/zero-click/-", dep("d4"), "CREDIBLE", 1, []string{"C-SPY"}, nil, nil},
		{"no-country/IN/imsi/-", dep("d9"), "CREDIBLE", 1, nil, nil, nil},
		{"us-one/IN/imsi/-", dep("d8"), "ALLEGED", 1, nil, []string{"Abuse a6"}, nil},
		{"il-one/SA/spyware/-", dep("d3"), "DISPUTED", 1, []string{"C-SPY"}, nil, []string{"L1"}},
	}
	for _, tc := range tests {
		r, ok := got[tc.row]
		if !ok {
			t.Errorf("exportControlEvidence has no row %s; rows are %v", tc.row, evLabels(rows))
			continue
		}
		if diff := evDiff(tc.deployments, r.deploymentIDs()); diff != "" {
			t.Errorf("row %s deployments (-want +got):\n%s", tc.row, diff)
		}
		if r.StrongestConfidence != tc.strongest || r.CitationCount != tc.citations {
			t.Errorf("row %s strongestConfidence, citationCount = %s, %d; want %s, %d", tc.row, r.StrongestConfidence, r.CitationCount, tc.strongest, tc.citations)
		}
		if diff := evDiff(tc.codes, r.codes()); diff != "" {
			t.Errorf("row %s controlListEntries (-want +got):\n%s", tc.row, diff)
		}
		if diff := evDiff(tc.abuses, r.abuseTitles()); diff != "" {
			t.Errorf("row %s abuses (-want +got):\n%s", tc.row, diff)
		}
		if diff := evDiff(tc.lists, r.listCodes()); diff != "" {
			t.Errorf("row %s designations (-want +got):\n%s", tc.row, diff)
		}
	}
	if len(rows) != len(tests) {
		t.Errorf("exportControlEvidence = %d rows %v, want %d", len(rows), evLabels(rows), len(tests))
	}
}

// Keyset pages walk every row once, in order, whatever the page size.
// Pages, cursors and totals on both paths: stored rows and computed ones
// are each paged by their own ORDER BY ... LIMIT (listing.alternatives).
func TestEvidencePagination(t *testing.T) {
	t.Parallel()
	for _, stored := range []bool{false, true} {
		t.Run(map[bool]string{false: "computed", true: "stored"}[stored], func(t *testing.T) {
			t.Parallel()
			h, _ := newEvidenceAPIOn(t, stored)
			testEvidencePagination(t, h)
		})
	}
}

func testEvidencePagination(t *testing.T, h http.Handler) {
	one, total := evidenceRows(t, h, nil)
	checkEvidenceOrder(t, one)
	for _, size := range []int{1, 2, 3, 7, 8} {
		walked := walkEvidence(t, h, nil, size)
		if diff := evDiff(evLabels(one), evLabels(walked)); diff != "" {
			t.Errorf("exportControlEvidence in pages of %d (-one page +pages):\n%s", size, diff)
		}
		if total != len(walked) {
			t.Errorf("exportControlEvidence totalCount = %d, walked %d rows in pages of %d", total, len(walked), size)
		}
	}
	// A filtered walk keeps its filter on every page.
	walked := walkEvidence(t, h, map[string]any{"controlled": true}, 2)
	if len(walked) != 5 {
		t.Errorf("exportControlEvidence(controlled: true) in pages of 2 = %v, want the 5 controlled rows", evLabels(walked))
	}
	r := post(t, h, evidenceQuery, map[string]any{"after": "not-a-cursor"})
	wantBadInput(t, r, "after")
}

// evidenceShape has n vendors, each supplying its own state with a product
// on a control list, of a technology covered by a control list, with a
// citation, an abuse and a designation: every list field of a row has data.
func evidenceShape(n int) *seed.Dataset {
	if n > len(evidenceShapeCodes) {
		panic("evidenceShape: not enough country codes")
	}
	cite := []seed.Citation{{Source: "src", Quote: sp("quoted")}}
	d := &seed.Dataset{
		Sources:            []seed.Source{{Key: "src", Title: "The source", Kind: "NGO_REPORT"}},
		Technologies:       []seed.Technology{{Common: seed.Common{Key: "tech"}, Slug: "tech", Name: "Technology", ControlListEntries: []string{"cle-tech"}}},
		ControlListEntries: []seed.ControlListEntry{{Common: seed.Common{Key: "cle-tech"}, Regime: "WASSENAAR", Code: "T", Title: "T"}, {Common: seed.Common{Key: "cle-prod"}, Regime: "US_CCL", Code: "P", Title: "P"}},
		Communities:        []seed.Community{{Common: seed.Common{Key: "com"}, Name: "Community"}},
		DesignationLists:   []seed.DesignationList{{Common: seed.Common{Key: "dl"}, Code: "LIST", Name: "List", Authority: "A", Jurisdiction: "US"}},
	}
	for i := range n {
		k := fmt.Sprintf("%02d", i)
		cc := evidenceShapeCodes[i]
		d.States = append(d.States, seed.State{Common: seed.Common{Key: cc}, CountryCode: cc, Name: "State " + k})
		d.Vendors = append(d.Vendors, seed.Vendor{Common: seed.Common{Key: "v" + k}, Slug: "v" + k, Name: "Vendor " + k})
		d.Products = append(d.Products, seed.Product{Common: seed.Common{Key: "p" + k}, Vendor: "v" + k, Name: "Product " + k, Technologies: []string{"tech"}, ControlListEntries: []string{"cle-prod"}})
		d.Deployments = append(d.Deployments, seed.Deployment{Common: seed.Common{Key: "d" + k, Citations: cite}, State: cc, Vendor: sp("v" + k),
			Product: sp("p" + k), Technology: "tech", Confidence: "CREDIBLE"})
		d.Abuses = append(d.Abuses, seed.Abuse{Common: seed.Common{Key: "a" + k, Citations: cite}, Title: "Abuse " + k, Summary: "Summary",
			State: cc, Communities: []string{"com"}, Categories: []string{"OTHER"}, Confidence: "ALLEGED", Deployments: []string{"d" + k}})
		d.Designations = append(d.Designations, seed.Designation{Common: seed.Common{Key: "g" + k, Citations: cite}, List: "dl",
			Subject: seed.Subject{Vendor: sp("v" + k)}, ListedOn: "2020"})
	}
	return d
}

var evidenceShapeCodes = []string{"CN", "US", "IL", "IT", "RU", "IR", "EG", "AE", "SA", "IN", "PK", "MM", "TR", "ET",
	"FR", "DE", "JP", "KR", "BR", "MX", "GB", "ES"}

// The evidence query with every list field selected costs the same number
// of statements for 2 rows as for 20: each field is one batched statement.
func TestEvidenceNoNPlusOne(t *testing.T) {
	t.Parallel()
	count := func(n int) int64 {
		counter := &statementCounter{}
		pool := pgtest.NewWithTracer(t, counter)
		if _, err := seed.Load(t.Context(), pool, evidenceShape(n)); err != nil {
			t.Fatalf("seed.Load(%d evidence rows): %v", n, err)
		}
		h := newHandler(pool, 20*time.Millisecond)
		counter.N.Store(0)
		var out evPage
		mustData(t, h, evidenceQuery, map[string]any{"first": 50}, &out)
		got := counter.N.Load()
		c := out.ExportControlEvidence
		if c.TotalCount != n || len(c.Nodes) != n {
			t.Fatalf("%d rows: totalCount %d, %d nodes", n, c.TotalCount, len(c.Nodes))
		}
		for _, r := range c.Nodes {
			if r.Product == nil || len(r.Deployments) != 1 || len(r.ControlListEntries) != 2 || len(r.Designations) != 1 || len(r.Abuses) != 1 || r.CitationCount != 1 {
				t.Fatalf("%d rows: incomplete row %+v", n, r)
			}
		}
		return got
	}
	small, large := count(2), count(20)
	t.Logf("evidence query with every list field: %d statements for 2 rows, %d for 20", small, large)
	if small != large {
		t.Errorf("statements for the evidence query: %d with 2 rows, %d with 20; want the same whatever the number of rows", small, large)
	}
	// page + count, then one per field: vendor, state, technology, product,
	// deployments, controlListEntries, designations (+ their lists), abuses.
	if large > 12 {
		t.Errorf("the evidence query costs %d statements, want at most 12", large)
	}
}
