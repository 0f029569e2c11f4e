package graph_test

import (
	"fmt"
	"testing"
	"time"

	"oversight/graph"
	"oversight/internal/pgtest"
	"oversight/seed"
)

// statementCounter is the package's counter (statements_internal_test.go).
type statementCounter = graph.StatementCounter

// shapeDataset has states × perState deployments, each with its own vendor
// (designated on one list, with a cited source), a technology, a citation and
// an abuse against a community: every level of nestedQuery has data.
func shapeDataset(states, perState int) *seed.Dataset {
	codes := []string{"CN", "US", "IL", "IT", "RU", "IR", "EG", "AE", "SA", "IN", "PK", "MM", "TR", "ET"}
	quote := func(s string) []seed.Citation { return []seed.Citation{{Source: "src", Quote: &s}} }
	// Designations cite another source, so that their sources take a statement
	// of their own rather than coming from the loader's cache.
	listed := func(s string) []seed.Citation { return []seed.Citation{{Source: "src-lists", Quote: &s}} }
	d := &seed.Dataset{
		Sources:          []seed.Source{{Key: "src", Title: "The source", Kind: "NGO_REPORT"}, {Key: "src-lists", Title: "The lists", Kind: "GOVERNMENT_DOCUMENT"}},
		Technologies:     []seed.Technology{{Common: seed.Common{Key: "tech"}, Slug: "tech", Name: "Technology"}},
		Communities:      []seed.Community{{Common: seed.Common{Key: "c0"}, Name: "Community 0"}, {Common: seed.Common{Key: "c1"}, Name: "Community 1"}},
		DesignationLists: []seed.DesignationList{{Common: seed.Common{Key: "dl"}, Code: "LIST", Name: "List", Authority: "A", Jurisdiction: "US"}},
	}
	for s := range states {
		cc := codes[s]
		d.States = append(d.States, seed.State{Common: seed.Common{Key: cc}, CountryCode: cc, Name: "State " + cc})
		for i := range perState {
			k := fmt.Sprintf("%s-%d", cc, i)
			d.Vendors = append(d.Vendors, seed.Vendor{Common: seed.Common{Key: "v-" + k}, Slug: "v-" + toSlug(k), Name: "Vendor " + k})
			d.Designations = append(d.Designations, seed.Designation{Common: seed.Common{Key: "g-" + k, Citations: listed("listed " + k)},
				List: "dl", Subject: seed.Subject{Vendor: sp("v-" + k)}, ListedOn: "2020"})
			d.Deployments = append(d.Deployments, seed.Deployment{Common: seed.Common{Key: "d-" + k, Citations: quote("deployed " + k)},
				State: cc, Vendor: sp("v-" + k), Technology: "tech", StartDate: sp(fmt.Sprintf("%d", 2000+i)), Confidence: "CREDIBLE"})
			d.Abuses = append(d.Abuses, seed.Abuse{Common: seed.Common{Key: "a-" + k, Citations: quote("abused " + k)},
				Title: "Abuse " + k, Summary: "Summary", State: cc, Communities: []string{fmt.Sprintf("c%d", i%2)},
				Categories: []string{"OTHER"}, Confidence: "ALLEGED", Deployments: []string{"d-" + k}})
		}
	}
	return d
}

func toSlug(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

const nestedQuery = `{ states { nodes { countryCode deployments(first: 50) { totalCount nodes {
	vendor { designations { list { code } citations { quote source { title } } } }
	technology { name }
	citations { source { title } }
	abuses { communities { name } } } } } } }`

// countStatements loads a dataset of the given size and counts the
// statements one nestedQuery costs.
func countStatements(t *testing.T, states, perState int) int64 {
	t.Helper()
	counter := &statementCounter{}
	pool := pgtest.NewWithTracer(t, counter)
	if _, err := seed.Load(t.Context(), pool, shapeDataset(states, perState)); err != nil {
		t.Fatalf("seed.Load(%d states × %d deployments): %v", states, perState, err)
	}
	h := newHandler(pool, 20*time.Millisecond)
	counter.N.Store(0)
	var out struct {
		States struct {
			Nodes []struct {
				CountryCode string `json:"countryCode"`
				Deployments struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Vendor struct {
							Designations []struct {
								List      struct{ Code string }
								Citations []struct {
									Quote  string
									Source struct{ Title string }
								}
							}
						}
						Technology struct{ Name string }
						Citations  []struct{ Source struct{ Title string } }
						Abuses     []struct{ Communities []struct{ Name string } }
					} `json:"nodes"`
				} `json:"deployments"`
			} `json:"nodes"`
		} `json:"states"`
	}
	mustData(t, h, nestedQuery, nil, &out)
	n := counter.N.Load()

	// The answer is complete, so the count is of a query that did all its work.
	if len(out.States.Nodes) != states {
		t.Fatalf("%d × %d: states = %d, want %d", states, perState, len(out.States.Nodes), states)
	}
	for _, s := range out.States.Nodes {
		if s.Deployments.TotalCount != perState || len(s.Deployments.Nodes) != perState {
			t.Fatalf("%d × %d: state %s deployments = %d (totalCount %d), want %d", states, perState, s.CountryCode, len(s.Deployments.Nodes), s.Deployments.TotalCount, perState)
		}
		for _, d := range s.Deployments.Nodes {
			if len(d.Vendor.Designations) != 1 || d.Vendor.Designations[0].List.Code != "LIST" || len(d.Vendor.Designations[0].Citations) != 1 ||
				d.Vendor.Designations[0].Citations[0].Source.Title != "The lists" || d.Technology.Name != "Technology" ||
				len(d.Citations) != 1 || len(d.Abuses) != 1 || len(d.Abuses[0].Communities) != 1 {
				t.Fatalf("%d × %d: state %s has an incomplete deployment %+v", states, perState, s.CountryCode, d)
			}
		}
	}
	return n
}

// The statements a query costs depend on its shape, not on how much data it
// returns: the loaders batch each level into one statement.
func TestNoNPlusOne(t *testing.T) {
	t.Parallel()
	small := countStatements(t, 3, 2)
	large := countStatements(t, 12, 8)
	t.Logf("four-level nested query: %d statements for 3 states × 2 deployments, %d for 12 states × 8 deployments", small, large)
	if small != large {
		t.Errorf("statements for the nested query: %d with 3 states × 2 deployments, %d with 12 × 8; want the same number whatever the data's size", small, large)
	}
	// One statement per loader and level, and two for the nested page (page and count).
	if large > 20 {
		t.Errorf("the nested query costs %d statements, want at most 20 (about one per field with a loader)", large)
	}
}
