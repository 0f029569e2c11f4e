package graph_test

// The fixture: a hand-written seed.Dataset whose every answer is known, loaded
// into a fresh database per test, and the GraphQL handler over it. Keys are
// unique across entry types, so a global ID maps back to one key.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/internal/server"
	"oversight/seed"
)

// Markers of the confidential source: none may ever reach an anonymous reader.
const (
	markerURL     = "https://secret.example.org/MARKER-URL-7f3a"
	markerArchive = "https://archive.example.org/MARKER-ARCHIVE-7f3a"
	markerAuthor  = "MARKER-AUTHOR-7f3a"
	markerQuote   = "MARKER-QUOTE-7f3a: the witness saw the cameras installed"
	markerStem    = "MARKER-"
)

func sp(s string) *string { return &s }

// spn is sp for optional values: "" means none.
func spn(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ref names an entry of the fixture.
type ref struct {
	typ registry.EntryType
	key string
}

// world is the fixture's data: the dataset, what is retracted afterwards, and
// indexes for computing expected answers. It is built once and never changed.
type world struct {
	ds        *seed.Dataset
	retracted map[ref]string // entry → public reason
	typeOf    map[string]registry.EntryType
	keyOf     map[string]string // global ID → key
}

var theWorld = sync.OnceValue(buildWorld)

func buildWorld() *world {
	ds := &seed.Dataset{}
	w := &world{ds: ds, retracted: map[ref]string{}, typeOf: map[string]registry.EntryType{}, keyOf: map[string]string{}}

	// Sources: 24 public ones with mixed-case titles, two with one title (the
	// tie is broken by ID), a confidential one and a retracted one.
	words := []string{"alpha", "Beta", "GAMMA", "delta"}
	kinds := []string{"NGO_REPORT", "NEWS", "GOVERNMENT_DOCUMENT", "ACADEMIC"}
	publishers := []*string{sp("Amnesty International"), sp("Citizen Lab"), sp("Reuters"), nil, sp("100% Research_Lab")}
	for i := 1; i <= 24; i++ {
		ds.Sources = append(ds.Sources, seed.Source{Key: fmt.Sprintf("src-%02d", i),
			Title: fmt.Sprintf("%s report %02d", words[i%4], i), Kind: kinds[i%4], Publisher: publishers[i%5],
			Authors: []string{"Public Author"}, URL: sp(fmt.Sprintf("https://example.org/src-%02d", i)), Language: sp("en")})
	}
	ds.Sources = append(ds.Sources,
		seed.Source{Key: "src-twin-a", Title: "Twin report", Kind: "NEWS", URL: sp("https://example.org/twin-a")},
		seed.Source{Key: "src-twin-b", Title: "Twin report", Kind: "NEWS", URL: sp("https://example.org/twin-b")},
		seed.Source{Key: "src-secret", Title: "Confidential witness statement", Kind: "TESTIMONY", Publisher: sp("Witness Network"),
			Authors: []string{markerAuthor}, URL: sp(markerURL), ArchiveURL: sp(markerArchive), Confidential: true},
		seed.Source{Key: "src-withdrawn", Title: "Withdrawn report", Kind: "NEWS", Publisher: sp("Reuters"), URL: sp("https://example.org/withdrawn")},
	)
	w.retract(registry.TypeSource, "src-withdrawn", "The report was withdrawn by its publisher")

	cite := func(src string) seed.Citation {
		return seed.Citation{Source: src, Quote: sp("Quote from " + src)}
	}
	secret := seed.Citation{Source: "src-secret", Quote: sp(markerQuote), Stance: "SUPPORTS"}

	// States.
	for _, s := range [][2]string{{"CN", "China"}, {"US", "United States"}, {"IL", "Israel"}, {"IT", "Italy"}, {"RU", "Russia"},
		{"IR", "Iran"}, {"EG", "Egypt"}, {"AE", "United Arab Emirates"}, {"SA", "Saudi Arabia"}, {"IN", "India"},
		{"PK", "Pakistan"}, {"MM", "Myanmar"}, {"TR", "Turkey"}, {"ET", "Ethiopia"}, {"UG", "Uganda"}, {"XK", "Kosovo"}} {
		ds.States = append(ds.States, seed.State{Common: seed.Common{Key: s[0], Citations: []seed.Citation{cite("src-03")}},
			CountryCode: s[0], Name: s[1], Summary: sp("About " + s[1])})
	}
	w.retract(registry.TypeState, "UG", "Entered in error")

	ds.Agencies = []seed.Agency{
		{Common: seed.Common{Key: "ag-cn-psb"}, State: "CN", Name: "Xinjiang Public Security Bureau", Kind: sp("police")},
		{Common: seed.Common{Key: "ag-ir-police"}, State: "IR", Name: "FARAJA", Kind: sp("police")},
		{Common: seed.Common{Key: "ag-ug-police"}, State: "UG", Name: "Uganda Police Force"},
	}

	// Technologies: two trees and a lone root.
	ds.Technologies = []seed.Technology{
		{Common: seed.Common{Key: "facial-recognition"}, Slug: "facial-recognition", Name: "Facial recognition"},
		{Common: seed.Common{Key: "live-facial-recognition"}, Slug: "live-facial-recognition", Name: "Live facial recognition", Parent: sp("facial-recognition")},
		{Common: seed.Common{Key: "ethnicity-detection"}, Slug: "ethnicity-detection", Name: "Ethnicity detection", Parent: sp("live-facial-recognition")},
		{Common: seed.Common{Key: "retrospective-facial-recognition"}, Slug: "retrospective-facial-recognition", Name: "Retrospective facial recognition", Parent: sp("facial-recognition")},
		{Common: seed.Common{Key: "spyware"}, Slug: "spyware", Name: "Spyware"},
		{Common: seed.Common{Key: "zero-click-spyware"}, Slug: "zero-click-spyware", Name: "Zero-click spyware", Parent: sp("spyware")},
		{Common: seed.Common{Key: "imsi-catcher"}, Slug: "imsi-catcher", Name: "IMSI catcher"},
	}
	ds.ControlListEntries = []seed.ControlListEntry{
		{Common: seed.Common{Key: "cle-4a005"}, Regime: "WASSENAAR", Code: "4A005", Title: "Intrusion software systems"},
		{Common: seed.Common{Key: "cle-5a001j"}, Regime: "WASSENAAR", Code: "5A001.j", Title: "IP network surveillance systems"},
		{Common: seed.Common{Key: "cle-old"}, Regime: "OTHER", Code: "X-OLD", Title: "Withdrawn control entry"},
	}
	w.retract(registry.TypeControlListEntry, "cle-old", "Never existed")

	// Vendors: 11 with a role in the filters, 46 fillers; 57 in all.
	vendor := func(key, name, cc string) seed.Vendor {
		return seed.Vendor{Common: seed.Common{Key: key, Citations: []seed.Citation{cite("src-04")}}, Slug: key, Name: name, CountryCode: spn(cc),
			Website: sp("https://" + key + ".example.com")}
	}
	ds.Vendors = []seed.Vendor{
		vendor("hikcam", "HikCam Digital", "CN"), vendor("dahview", "DahView Tech", "CN"), vendor("nsoft", "NSoft Group", "IL"),
		vendor("candor", "Candor Systems", "IL"), vendor("hackteam", "HackTeam Srl", "IT"), vendor("gammagrp", "Gamma Group", "GB"),
		vendor("cellex", "Cellex Corp", "US"), vendor("retracto", "Retracto Labs", "RU"), vendor("twin-a", "Twin Systems", ""),
		vendor("twin-b", "Twin Systems", ""), vendor("aardvark", "aardvark vision", "US"),
	}
	fillerCountries := []string{"JP", "KR", "FR", "DE", ""}
	for i := 1; i <= 46; i++ {
		ds.Vendors = append(ds.Vendors, vendor(fmt.Sprintf("filler-%02d", i), fmt.Sprintf("Filler vendor %02d", i), fillerCountries[i%5]))
	}
	w.retract(registry.TypeVendor, "retracto", "Confused with another company")

	product := func(key, vendor, name string, techs []string, cles ...string) seed.Product {
		return seed.Product{Common: seed.Common{Key: key}, Vendor: vendor, Name: name, Technologies: techs, ControlListEntries: cles}
	}
	ds.Products = []seed.Product{
		product("p-dome", "hikcam", "Dome camera", []string{"live-facial-recognition"}),
		product("p-ethnic", "hikcam", "ethnic classifier", []string{"ethnicity-detection"}),
		product("p-face-search", "dahview", "Face search", []string{"retrospective-facial-recognition"}),
		product("p-pegasus", "nsoft", "Pegasus", []string{"zero-click-spyware"}, "cle-4a005"),
		product("p-devil", "candor", "DevilsTongue", []string{"spyware"}, "cle-4a005"),
		product("p-rcs", "hackteam", "RCS Galileo", []string{"spyware"}, "cle-4a005", "cle-5a001j"),
		product("p-finspy", "gammagrp", "FinSpy", []string{"spyware"}),
		product("p-stingray", "cellex", "StingRay", []string{"imsi-catcher"}, "cle-5a001j"),
		product("p-sniffer", "cellex", "Cell sniffer", []string{"imsi-catcher"}, "cle-old"),
		product("p-withdrawn", "hikcam", "Withdrawn camera", []string{"facial-recognition"}),
		product("p-retracto-box", "retracto", "Retracto box", []string{"imsi-catcher"}),
	}
	w.retract(registry.TypeProduct, "p-withdrawn", "Product never existed")

	ds.Communities = []seed.Community{
		{Common: seed.Common{Key: "com-uyghur"}, Name: "Uyghur Muslims", Religion: sp("Islam")},
		{Common: seed.Common{Key: "com-tibetan"}, Name: "Tibetan Buddhists", Religion: sp("Buddhism")},
		{Common: seed.Common{Key: "com-falun"}, Name: "Falun Gong practitioners"},
		{Common: seed.Common{Key: "com-bahai"}, Name: "Bahai"},
		{Common: seed.Common{Key: "com-christian"}, Name: "Christians", Religion: sp("Christianity")},
	}

	// Deployments.
	dep := func(key, state, agency, vendor, product, tech, start, end, conf string, extra ...seed.Citation) seed.Deployment {
		cs := append([]seed.Citation{cite("src-01")}, extra...)
		return seed.Deployment{Common: seed.Common{Key: key, Citations: cs}, State: state, Agency: spn(agency), Vendor: spn(vendor),
			Product: spn(product), Technology: tech, StartDate: spn(start), EndDate: spn(end), Location: sp("Location of " + key),
			Description: sp("Deployment " + key), Confidence: conf}
	}
	hikStarts := []string{"2017-05-14", "2017-05", "2018", "", "2019-01-01", "2019", "2016-11", "2020-07-30", "2021", "2021", "2015-02", "2022-03"}
	hikStates := []string{"CN", "CN", "CN", "CN", "CN", "CN", "CN", "CN", "AE", "AE", "SA", "UG"}
	confs := []string{"CONFIRMED", "CREDIBLE", "ALLEGED", "DISPUTED"}
	for i := 1; i <= 12; i++ {
		tech, prod := "live-facial-recognition", "p-dome"
		if i%2 == 0 {
			tech, prod = "ethnicity-detection", "p-ethnic"
		}
		agency := ""
		if i <= 2 {
			agency = "ag-cn-psb"
		}
		end := ""
		if i == 3 {
			end = "2019-06"
		}
		extra := []seed.Citation{cite(fmt.Sprintf("src-%02d", i+1))}
		if i == 1 {
			extra = []seed.Citation{secret, cite("src-02")}
		}
		ds.Deployments = append(ds.Deployments, dep(fmt.Sprintf("d-hik-%02d", i), hikStates[i-1], agency, "hikcam", prod, tech,
			hikStarts[i-1], end, confs[i%4], extra...))
	}
	ds.Deployments = append(ds.Deployments,
		dep("d-dah-01", "CN", "", "dahview", "p-face-search", "retrospective-facial-recognition", "2018-03", "", "CREDIBLE"),
		dep("d-dah-02", "IN", "", "dahview", "", "retrospective-facial-recognition", "2019", "", "ALLEGED", cite("src-05")),
		dep("d-dah-03", "PK", "", "dahview", "", "live-facial-recognition", "2020-10", "", "CREDIBLE"),
		dep("d-ns-01", "AE", "", "nsoft", "p-pegasus", "zero-click-spyware", "2016-08", "", "CONFIRMED"),
		dep("d-ns-02", "SA", "", "nsoft", "p-pegasus", "zero-click-spyware", "2018-10", "", "CONFIRMED"),
		dep("d-ns-03", "IN", "", "nsoft", "", "spyware", "2019", "", "CREDIBLE"),
		dep("d-ns-04", "MM", "", "nsoft", "", "spyware", "", "", "ALLEGED"),
		dep("d-ns-05", "TR", "", "nsoft", "p-pegasus", "zero-click-spyware", "2021-01", "2021-12", "DISPUTED"),
		dep("d-can-01", "EG", "", "candor", "p-devil", "spyware", "2019", "", "ALLEGED"),
		dep("d-can-02", "AE", "", "candor", "p-devil", "spyware", "2020", "", "CREDIBLE"),
		dep("d-ht-01", "ET", "", "hackteam", "p-rcs", "spyware", "2013", "2015", "CONFIRMED"),
		dep("d-ht-02", "EG", "", "hackteam", "p-rcs", "spyware", "2014-02", "", "CREDIBLE"),
		dep("d-gg-01", "EG", "", "gammagrp", "p-finspy", "spyware", "2011", "", "ALLEGED"),
		// Iran: one deployment per way of being dated, for the period filters.
		dep("d-ir-nodate", "IR", "ag-ir-police", "cellex", "", "imsi-catcher", "", "", "ALLEGED"),
		dep("d-ir-2015", "IR", "ag-ir-police", "cellex", "p-stingray", "imsi-catcher", "2015", "2016", "CONFIRMED"),
		dep("d-ir-2018open", "IR", "", "cellex", "", "imsi-catcher", "2018-06", "", "CREDIBLE"),
		dep("d-ir-endonly", "IR", "", "cellex", "", "imsi-catcher", "", "2017-03-15", "ALLEGED"),
		dep("d-ir-2020day", "IR", "", "cellex", "", "imsi-catcher", "2020-02-29", "2020-02-29", "DISPUTED"),
		dep("d-ir-2010", "IR", "", "cellex", "", "imsi-catcher", "2010", "2012-12", "CONFIRMED"),
		dep("d-cel-us", "US", "", "cellex", "p-stingray", "imsi-catcher", "2012", "", "CONFIRMED"),
		dep("d-ret-01", "CN", "", "retracto", "p-retracto-box", "imsi-catcher", "2019-04", "", "ALLEGED"),
		dep("d-novendor", "RU", "", "", "", "facial-recognition", "2018", "", "CREDIBLE"),
	)
	w.retract(registry.TypeDeployment, "d-dah-02", "The source was misread")

	// Abuses.
	abuse := func(key, state, start, end, conf string, cats, comms, deps []string, extra ...seed.Citation) seed.Abuse {
		return seed.Abuse{Common: seed.Common{Key: key, Citations: append([]seed.Citation{cite("src-02")}, extra...)},
			Title: "Abuse " + key, Summary: "Summary of " + key, State: state, Communities: comms, Categories: cats,
			StartDate: spn(start), EndDate: spn(end), Location: sp("Location of " + key), Confidence: conf, Deployments: deps}
	}
	cnStarts := []string{"2017-04", "2018", "", "2019-05-01", "2016", "2020-01", "2017-04", "2014", "2021-06"}
	cnCats := [][]string{{"MASS_SURVEILLANCE"}, {"ARBITRARY_DETENTION", "BIOMETRIC_COLLECTION"}, {"SURVEILLANCE_OF_WORSHIP"}}
	cnDeps := [][]string{{"d-hik-01", "d-ret-01"}, {"d-hik-02"}, {"d-dah-01"}, {"d-hik-03"}, {"d-hik-04"}, {"d-hik-05"}, {"d-hik-06"}, {"d-hik-07"}, {"d-hik-08"}}
	for i := 1; i <= 9; i++ {
		comms := []string{"com-uyghur"}
		if i%2 == 0 {
			comms = []string{"com-tibetan"}
		}
		if i%3 == 0 {
			comms = append(comms, "com-falun")
		}
		var extra []seed.Citation
		if i == 1 {
			extra = []seed.Citation{secret}
		}
		agencies := []string(nil)
		if i == 1 {
			agencies = []string{"ag-cn-psb"}
		}
		a := abuse(fmt.Sprintf("ab-cn-%02d", i), "CN", cnStarts[i-1], "", confs[i%4], cnCats[i%3], comms, cnDeps[i-1], extra...)
		a.Agencies = agencies
		ds.Abuses = append(ds.Abuses, a)
	}
	ds.Abuses = append(ds.Abuses,
		abuse("ab-cn-10", "CN", "2022", "", "ALLEGED", []string{"OTHER"}, []string{"com-uyghur"}, []string{"d-hik-01"}),
		abuse("ab-eg-01", "EG", "2019", "", "ALLEGED", []string{"TARGETED_SPYWARE"}, []string{"com-christian"}, []string{"d-can-01"}),
		abuse("ab-ir-nodate", "IR", "", "", "ALLEGED", []string{"HARASSMENT_OR_INTIMIDATION"}, []string{"com-bahai"}, []string{"d-ir-nodate"}),
		abuse("ab-ir-2015", "IR", "2015", "2016", "CONFIRMED", []string{"ARBITRARY_DETENTION"}, []string{"com-bahai"}, []string{"d-ir-2015"}),
		abuse("ab-ir-open", "IR", "2018-06", "", "CREDIBLE", []string{"HARASSMENT_OR_INTIMIDATION", "CENSORSHIP"}, []string{"com-christian"}, []string{"d-ir-2018open"}),
		abuse("ab-ae-01", "AE", "2019", "", "CONFIRMED", []string{"TARGETED_SPYWARE"}, []string{"com-bahai"}, []string{"d-ns-01", "d-can-02"}),
		abuse("ab-in-01", "IN", "2019-08", "", "CREDIBLE", []string{"TARGETED_SPYWARE", "MASS_SURVEILLANCE"}, []string{"com-christian"}, []string{"d-dah-02", "d-ns-03"}),
		abuse("ab-et-01", "ET", "2014", "", "CONFIRMED", []string{"TRANSNATIONAL_REPRESSION"}, []string{"com-christian"}, []string{"d-ht-01"}),
		abuse("ab-mm-01", "MM", "", "", "ALLEGED", []string{"TARGETED_SPYWARE"}, []string{"com-christian"}, []string{"d-ns-04"}),
	)
	w.retract(registry.TypeAbuse, "ab-cn-10", "Duplicate of ab-cn-01")
	w.retract(registry.TypeAbuse, "ab-eg-01", "Unsupported by the source")

	ds.DesignationLists = []seed.DesignationList{
		{Common: seed.Common{Key: "dl-entity"}, Code: "TEST-ENTITY", Name: "Test Entity List", Authority: "Bureau", Jurisdiction: "US", URL: sp("https://example.gov/entity")},
		{Common: seed.Common{Key: "dl-sanctions"}, Code: "TEST-SANCTIONS", Name: "Test Sanctions", Authority: "Treasury", Jurisdiction: "US"},
		{Common: seed.Common{Key: "dl-watch"}, Code: "TEST-WATCH", Name: "Test Watch List", Authority: "Commission", Jurisdiction: "EU"},
	}
	desig := func(key, list string, subject seed.Subject, listed, removed string) seed.Designation {
		return seed.Designation{Common: seed.Common{Key: key, Citations: []seed.Citation{cite("src-06"), cite("src-07")}}, List: list,
			Subject: subject, ListedOn: listed, RemovedOn: spn(removed), LegalReference: sp("Ref " + key), Reason: sp("Reason " + key)}
	}
	v := func(k string) seed.Subject { return seed.Subject{Vendor: sp(k)} }
	ds.Designations = []seed.Designation{
		desig("g-hik", "dl-entity", v("hikcam"), "2019-10-09", ""),
		desig("g-dah", "dl-entity", v("dahview"), "2019-10", "2021"),
		desig("g-gg", "dl-entity", v("gammagrp"), "2020", ""),
		desig("g-f01", "dl-entity", v("filler-01"), "2019-10-09", ""),
		desig("g-f02", "dl-entity", v("filler-02"), "2020-06", ""),
		desig("g-f03", "dl-entity", v("filler-03"), "2020", ""),
		desig("g-f04", "dl-entity", v("filler-04"), "2018-05-21", ""),
		desig("g-f05", "dl-entity", v("filler-05"), "2022-01", ""),
		desig("g-f06", "dl-entity", v("filler-06"), "2017", "2020"),
		desig("g-f07", "dl-entity", v("filler-07"), "2016-03", "2019-12-31"),
		desig("g-f08", "dl-entity", v("filler-08"), "2021-08-01", "2023-02"),
		desig("g-psb", "dl-entity", seed.Subject{Agency: sp("ag-cn-psb")}, "2019-10-09", ""),
		desig("g-cn", "dl-entity", seed.Subject{State: sp("CN")}, "2020-07-09", ""),
		desig("g-f09", "dl-entity", v("filler-09"), "2023", ""),
		desig("g-f10", "dl-entity", v("filler-10"), "2024-02-02", ""),
		desig("g-ns", "dl-sanctions", v("nsoft"), "2021-11-03", ""),
		desig("g-can", "dl-sanctions", v("candor"), "2999", ""),
		desig("g-ht", "dl-sanctions", v("hackteam"), "2015", "2999"),
		desig("g-ir", "dl-sanctions", seed.Subject{State: sp("IR")}, "2012", ""),
		desig("g-ru", "dl-sanctions", seed.Subject{State: sp("RU")}, "2014-03", ""),
		desig("g-ret", "dl-sanctions", v("retracto"), "2018", ""),
		desig("g-w-cel", "dl-watch", v("cellex"), "2010", "2011"),
		desig("g-w-hik", "dl-watch", v("hikcam"), "2022-02-02", ""),
		desig("g-w-f11", "dl-watch", v("filler-11"), "2020-02-29", ""),
		desig("g-w-f12", "dl-watch", v("filler-12"), "2019", ""),
	}
	w.retract(registry.TypeDesignation, "g-gg", "Listing was of another company")

	ds.VendorResponses = []seed.VendorResponse{{Common: seed.Common{Key: "vr-hik"}, Vendor: "hikcam", About: sp("deployment:d-hik-01"),
		RequestedOn: sp("2023-01"), ReplyStatus: "DECLINED", Summary: sp("HikCam declined to comment")}}

	// Every citation gets a locator naming it, so a citation in a response
	// says which entry and position it is.
	locate := func(typ registry.EntryType, key string, cs []seed.Citation) {
		for i := range cs {
			cs[i].Locator = sp(fmt.Sprintf("%s/%s#%d", typ, key, i+1))
		}
	}
	w.eachEntry(func(typ registry.EntryType, key string, cs []seed.Citation) { locate(typ, key, cs) })
	w.eachEntry(func(typ registry.EntryType, key string, _ []seed.Citation) {
		if _, dup := w.typeOf[key]; dup {
			panic("fixture: key defined twice: " + key)
		}
		w.typeOf[key] = typ
		w.keyOf[graph.EntryIDForTest(typ, seed.ID(typ, key))] = key
	})
	for _, s := range ds.Sources {
		w.typeOf[s.Key] = registry.TypeSource
		w.keyOf[graph.EntryIDForTest(registry.TypeSource, seed.ID(registry.TypeSource, s.Key))] = s.Key
	}
	return w
}

func (w *world) retract(t registry.EntryType, key, reason string) { w.retracted[ref{t, key}] = reason }

func (w *world) isRetracted(key string) bool {
	_, ok := w.retracted[ref{w.typeOf[key], key}]
	return ok
}

// eachEntry calls f for every entry that can carry citations, in dataset order.
func (w *world) eachEntry(f func(registry.EntryType, string, []seed.Citation)) {
	d := w.ds
	for _, x := range d.States {
		f(registry.TypeState, x.Key, x.Citations)
	}
	for _, x := range d.Agencies {
		f(registry.TypeAgency, x.Key, x.Citations)
	}
	for _, x := range d.Technologies {
		f(registry.TypeTechnology, x.Key, x.Citations)
	}
	for _, x := range d.Vendors {
		f(registry.TypeVendor, x.Key, x.Citations)
	}
	for _, x := range d.ControlListEntries {
		f(registry.TypeControlListEntry, x.Key, x.Citations)
	}
	for _, x := range d.Products {
		f(registry.TypeProduct, x.Key, x.Citations)
	}
	for _, x := range d.Communities {
		f(registry.TypeCommunity, x.Key, x.Citations)
	}
	for _, x := range d.Deployments {
		f(registry.TypeDeployment, x.Key, x.Citations)
	}
	for _, x := range d.Abuses {
		f(registry.TypeAbuse, x.Key, x.Citations)
	}
	for _, x := range d.DesignationLists {
		f(registry.TypeDesignationList, x.Key, x.Citations)
	}
	for _, x := range d.Designations {
		f(registry.TypeDesignation, x.Key, x.Citations)
	}
	for _, x := range d.VendorResponses {
		f(registry.TypeVendorResponse, x.Key, x.Citations)
	}
}

// id is the global ID of the entry with this key.
func (w *world) id(key string) string {
	t, ok := w.typeOf[key]
	if !ok {
		panic("fixture: no entry with key " + key)
	}
	return graph.EntryIDForTest(t, seed.ID(t, key))
}

// uuidText is the entry's UUID as text, the tie-breaker of every ordering.
func (w *world) uuidText(key string) string { return seed.ID(w.typeOf[key], key).String() }

// ordered sorts keys of one type as the API documents: by sortKey (ascending,
// or descending when desc), then by ID in the same direction.
func (w *world) ordered(keys []string, sortKey func(string) string, desc bool) []string {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b string) int {
		c := strings.Compare(sortKey(a), sortKey(b))
		if c == 0 {
			c = strings.Compare(w.uuidText(a), w.uuidText(b))
		}
		if desc {
			return -c
		}
		return c
	})
	return out
}

// The documented orders of the lists, as functions of a key.
func (w *world) stateName(k string) string {
	for _, s := range w.ds.States {
		if s.Key == k {
			return s.Name
		}
	}
	panic(k)
}

func (w *world) vendorName(k string) string {
	for _, v := range w.ds.Vendors {
		if v.Key == k {
			return strings.ToLower(v.Name)
		}
	}
	panic(k)
}

func (w *world) productName(k string) string {
	for _, p := range w.ds.Products {
		if p.Key == k {
			return strings.ToLower(p.Name)
		}
	}
	panic(k)
}

func (w *world) deploymentStart(k string) string {
	for _, d := range w.ds.Deployments {
		if d.Key == k {
			return deref(d.StartDate)
		}
	}
	panic(k)
}

func (w *world) abuseStart(k string) string {
	for _, a := range w.ds.Abuses {
		if a.Key == k {
			return deref(a.StartDate)
		}
	}
	panic(k)
}

func (w *world) listedOn(k string) string {
	for _, d := range w.ds.Designations {
		if d.Key == k {
			return d.ListedOn
		}
	}
	panic(k)
}

func (w *world) sourceTitle(k string) string {
	for _, s := range w.ds.Sources {
		if s.Key == k {
			return strings.ToLower(s.Title)
		}
	}
	panic(k)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Expected lists: the keys of each type matching keep, in the documented order.

func (w *world) states(keep func(seed.State) bool) []string {
	var keys []string
	for _, s := range w.ds.States {
		if keep(s) {
			keys = append(keys, s.Key)
		}
	}
	return w.ordered(keys, w.stateName, false)
}

func (w *world) vendors(keep func(seed.Vendor) bool) []string {
	var keys []string
	for _, v := range w.ds.Vendors {
		if keep(v) {
			keys = append(keys, v.Key)
		}
	}
	return w.ordered(keys, w.vendorName, false)
}

func (w *world) products(keep func(seed.Product) bool) []string {
	var keys []string
	for _, p := range w.ds.Products {
		if keep(p) {
			keys = append(keys, p.Key)
		}
	}
	return w.ordered(keys, w.productName, false)
}

func (w *world) deployments(keep func(seed.Deployment) bool) []string {
	var keys []string
	for _, d := range w.ds.Deployments {
		if keep(d) {
			keys = append(keys, d.Key)
		}
	}
	return w.ordered(keys, w.deploymentStart, true)
}

func (w *world) abuses(keep func(seed.Abuse) bool) []string {
	var keys []string
	for _, a := range w.ds.Abuses {
		if keep(a) {
			keys = append(keys, a.Key)
		}
	}
	return w.ordered(keys, w.abuseStart, true)
}

func (w *world) designations(keep func(seed.Designation) bool) []string {
	var keys []string
	for _, d := range w.ds.Designations {
		if keep(d) {
			keys = append(keys, d.Key)
		}
	}
	return w.ordered(keys, w.listedOn, true)
}

func (w *world) sources(keep func(seed.Source) bool) []string {
	var keys []string
	for _, s := range w.ds.Sources {
		if keep(s) {
			keys = append(keys, s.Key)
		}
	}
	return w.ordered(keys, w.sourceTitle, false)
}

// sortLike puts keys in the order the API documents for their type.
func (w *world) sortLike(keys []string) []string {
	if len(keys) == 0 {
		return keys
	}
	switch w.typeOf[keys[0]] {
	case registry.TypeState:
		return w.ordered(keys, w.stateName, false)
	case registry.TypeVendor:
		return w.ordered(keys, w.vendorName, false)
	case registry.TypeProduct:
		return w.ordered(keys, w.productName, false)
	case registry.TypeDeployment:
		return w.ordered(keys, w.deploymentStart, true)
	case registry.TypeAbuse:
		return w.ordered(keys, w.abuseStart, true)
	case registry.TypeDesignation:
		return w.ordered(keys, w.listedOn, true)
	case registry.TypeSource:
		return w.ordered(keys, w.sourceTitle, false)
	}
	panic("sortLike: no documented order for " + keys[0])
}

// citedBy lists the locators of the citations of source by published entries,
// in Source.citedBy's order (citing entry's ID, then position).
func (w *world) citedBy(source string) []string {
	type cit struct{ entry, locator string }
	var out []cit
	w.eachEntry(func(typ registry.EntryType, key string, cs []seed.Citation) {
		if w.isRetracted(key) {
			return
		}
		for _, c := range cs {
			if c.Source == source {
				out = append(out, cit{seed.ID(typ, key).String(), *c.Locator})
			}
		}
	})
	// Within an entry, locators end in #position; positions stay below 10 here.
	slices.SortFunc(out, func(a, b cit) int {
		if c := strings.Compare(a.entry, b.entry); c != 0 {
			return c
		}
		return strings.Compare(a.locator, b.locator)
	})
	locs := make([]string, len(out))
	for i, c := range out {
		locs[i] = c.locator
	}
	return locs
}

// fixture is the world loaded into a database of its own, behind the API.
type fixture struct {
	*world
	pool *pgxpool.Pool
	h    http.Handler
	// pub is how tests write: through the editorial service.
	pub *publisher
	// v1At is when the seed load wrote every first version; retractedAt
	// when the merge of the world's retractions published them; v2At and
	// v3At when the merges of hikcam's versions 2 and 3 published them.
	v1At, retractedAt, v2At, v3At time.Time
}

// newFixture loads the world into a fresh database, retracts what the world
// retracts, gives hikcam versions 2 and 3 (each its own merge, after version
// 1), and serves the API over it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

func newFixtureWith(t *testing.T, tracer pgx.QueryTracer) *fixture {
	t.Helper()
	w := theWorld()
	pool := pgtest.NewWithTracer(t, tracer)
	ctx := t.Context()
	if _, err := seed.Load(ctx, pool, w.ds); err != nil {
		t.Fatalf("seed.Load(fixture) error = %v", err)
	}
	f := &fixture{world: w, pool: pool, h: newHandler(pool, 0), pub: newPublisher(t, pool)}
	if err := pool.QueryRow(ctx, `SELECT created_at FROM entry_versions WHERE entry_id = $1 AND version = 1`,
		seed.ID(registry.TypeVendor, "hikcam")).Scan(&f.v1At); err != nil {
		t.Fatalf("read hikcam version 1: %v", err)
	}
	// One submission for every retraction keeps the fixture fast: newFixture
	// runs for most tests.
	retractions := map[uuid.UUID]string{}
	for r, reason := range w.retracted {
		retractions[seed.ID(r.typ, r.key)] = reason
	}
	f.retractedAt = f.pub.retract(t, "Retract what the fixture retracts", retractions)
	hikcam := seed.ID(registry.TypeVendor, "hikcam")
	f.v2At = f.pub.update(t, "Second version of hikcam", registry.TypeVendor, hikcam, editorial.Fields{"description": jsonText("HikCam v2")})
	f.v3At = f.pub.update(t, "Third version of hikcam", registry.TypeVendor, hikcam, editorial.Fields{"description": jsonText("HikCam v3")})
	return f
}

func jsonText(s string) json.RawMessage { b, _ := json.Marshal(s); return b }

// publisher writes entries as the registry's people do, so that a fixture's
// history, change events and tables agree as they would in production: a
// contributor proposes, submits, and an editor approves, which merges.
type publisher struct {
	pool           *pgxpool.Pool
	svc            *editorial.Service
	author, editor registry.Viewer
	// merged lists the submissions merged so far, in order: editors see
	// them among the registry's submissions.
	merged []uuid.UUID
}

// submissionIDs are the global IDs of the submissions p merged.
func (p *publisher) submissionIDs() []string {
	ids := make([]string, len(p.merged))
	for i, id := range p.merged {
		ids[i] = registry.GlobalID("Submission", id)
	}
	return ids
}

func newPublisher(t *testing.T, pool *pgxpool.Pool) *publisher {
	t.Helper()
	users := auth.NewStore(pool)
	// A test may make a second publisher over the same database, and tests
	// add users of their own: the suffix keeps the emails apart.
	suffix := uuid.NewString()[:8]
	user := func(name string, role registry.Role) registry.Viewer {
		id, err := users.AddUser(t.Context(), name, fmt.Sprintf("fixture-%s-%s@example.org", strings.ToLower(string(role)), suffix), role)
		if err != nil {
			t.Fatalf("AddUser(%s) error = %v", role, err)
		}
		return registry.Viewer{UserID: id, Role: role}
	}
	return &publisher{pool: pool, svc: editorial.New(pool),
		author: user("Fixture Contributor", registry.RoleContributor), editor: user("Fixture Editor", registry.RoleEditor)}
}

// merge runs one submission titled title through the service: the author
// creates it, propose fills it, the author submits, the editor approves.
func (p *publisher) merge(t *testing.T, title string, propose func(ctx context.Context, sub uuid.UUID)) {
	t.Helper()
	ctx := t.Context()
	sub, errs, err := p.svc.CreateSubmission(ctx, p.author, title, nil, false)
	if err != nil || len(errs) > 0 {
		t.Fatalf("CreateSubmission(%q) = errs %v, err %v; want success", title, errs, err)
	}
	propose(ctx, sub.ID)
	if _, errs, err := p.svc.Submit(ctx, p.author, sub.ID); err != nil || len(errs) > 0 {
		t.Fatalf("Submit(%q) = errs %v, err %v; want success", title, errs, err)
	}
	got, errs, err := p.svc.Review(ctx, p.editor, sub.ID, registry.DecisionApprove, nil)
	if err != nil || len(errs) > 0 {
		t.Fatalf("Review(%q, APPROVE) = errs %v, err %v; want a merge", title, errs, err)
	}
	if got.Status != registry.SubmissionMerged {
		t.Fatalf("Review(%q, APPROVE) left the submission %s, want MERGED (%+v)", title, got.Status, got)
	}
	p.merged = append(p.merged, sub.ID)
}

// retract retracts every entry of reasons (entry → public reason) in one
// submission, proposed in ID order so the change events come out the same
// in every run, and returns when the merge published the retractions.
func (p *publisher) retract(t *testing.T, title string, reasons map[uuid.UUID]string) time.Time {
	t.Helper()
	ids := slices.SortedFunc(maps.Keys(reasons), func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	p.merge(t, title, func(ctx context.Context, sub uuid.UUID) {
		for _, id := range ids {
			if _, errs, err := p.svc.ProposeRetraction(ctx, p.author, sub, id, reasons[id]); err != nil || len(errs) > 0 {
				t.Fatalf("ProposeRetraction(%s, %q) = errs %v, err %v; want success", id, reasons[id], errs, err)
			}
		}
	})
	return p.latestAt(t, title, ids[0])
}

// update publishes the next version of entry id with fields changed, and
// returns when the merge published it.
func (p *publisher) update(t *testing.T, title string, typ registry.EntryType, id uuid.UUID, fields editorial.Fields) time.Time {
	t.Helper()
	p.merge(t, title, func(ctx context.Context, sub uuid.UUID) {
		if _, errs, err := p.svc.Propose(ctx, p.author, sub, typ, &id, fields); err != nil || len(errs) > 0 {
			t.Fatalf("Propose(%s %s, %v) = errs %v, err %v; want success", typ, id, fields, errs, err)
		}
	})
	return p.latestAt(t, title, id)
}

// latestAt is when the latest version of entry id, the one the merge of
// title published, was written: the merge's clock, not the test's.
func (p *publisher) latestAt(t *testing.T, title string, id uuid.UUID) time.Time {
	t.Helper()
	var at time.Time
	if err := p.pool.QueryRow(t.Context(), `SELECT created_at FROM entry_versions WHERE entry_id = $1 ORDER BY version DESC LIMIT 1`, id).Scan(&at); err != nil {
		t.Fatalf("read the version of %s that %q published: %v", id, title, err)
	}
	return at
}

func newHandler(pool *pgxpool.Pool, wait time.Duration) http.Handler {
	return newServer(graph.Config{
		Catalog:    catalog.New(pool),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: wait,
	}, server.Config{})
}

// response is a GraphQL response, with its body as it came.
type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	body   string
	query  string
	vars   map[string]any
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

// post sends one GraphQL request to h as an anonymous reader.
func post(t *testing.T, h http.Handler, query string, vars map[string]any) response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{body: rec.Body.String(), query: query, vars: vars}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("POST %s (vars %v): status %d, body %q is not a GraphQL response: %v", query, vars, rec.Code, rec.Body.String(), err)
	}
	return r
}

func (f *fixture) post(t *testing.T, query string, vars map[string]any) response {
	t.Helper()
	return post(t, f.h, query, vars)
}

// query posts and decodes data into out, failing the test on any error.
func (f *fixture) query(t *testing.T, query string, vars map[string]any, out any) response {
	t.Helper()
	return mustData(t, f.h, query, vars, out)
}

func mustData(t *testing.T, h http.Handler, query string, vars map[string]any, out any) response {
	t.Helper()
	r := post(t, h, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("query %s\nvariables %v\ngot errors %s, want none", query, vars, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("query %s: decode data %s: %v", query, r.Data, err)
		}
	}
	return r
}

// wantBadInput checks that r failed with one BAD_USER_INPUT error whose
// message contains every one of parts, and no data.
func wantBadInput(t *testing.T, r response, parts ...string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Errorf("query %s\nvariables %v\ngot %s, want a BAD_USER_INPUT error", r.query, r.vars, r.body)
		return
	}
	e := r.Errors[0]
	if e.code() != "BAD_USER_INPUT" {
		t.Errorf("query %s\nvariables %v\ngot error code %q (%s), want BAD_USER_INPUT with a message containing %q", r.query, r.vars, e.code(), r.body, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("query %s\nvariables %v\ngot error message %q, want it to contain %q", r.query, r.vars, e.Message, p)
		}
	}
}

// keys maps global IDs from a response back to fixture keys.
func (w *world) keys(t *testing.T, ids []string) []string {
	t.Helper()
	out := make([]string, len(ids))
	for i, id := range ids {
		k, ok := w.keyOf[id]
		if !ok {
			t.Fatalf("response has ID %q, which is no fixture entry", id)
		}
		out[i] = k
	}
	return out
}

// idNodes is a list of nodes of which only the ID was asked.
type idNodes []struct {
	ID string `json:"id"`
}

func (n idNodes) ids() []string {
	out := make([]string, len(n))
	for i, x := range n {
		out[i] = x.ID
	}
	return out
}

// published keeps the entries that are not retracted.
func (w *world) published(key string) bool { return !w.isRetracted(key) }

func (w *world) ids(keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = w.id(k)
	}
	return out
}
