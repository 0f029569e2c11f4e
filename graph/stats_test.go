package graph_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"oversight/internal/pgtest"
	"oversight/seed"
)

type statsCount struct {
	Key, Label string
	Count      int
}

type statsOut struct {
	Stats struct {
		States, Vendors, Products, Deployments, Abuses, Sources, Citations       int
		DeploymentsByTechnology, AbusesByCountry, AbusesByYear, VendorsByCountry []statsCount
	}
	States, Vendors, Products, Deployments, Abuses, Sources struct{ TotalCount int }
}

const statsQuery = `{
	stats {
		states vendors products deployments abuses sources citations
		deploymentsByTechnology { key label count }
		abusesByCountry { key label count }
		abusesByYear { key label count }
		vendorsByCountry { key label count }
	}
	states { totalCount } vendors { totalCount } products { totalCount }
	deployments { totalCount } abuses { totalCount } sources { totalCount }
}`

// checkStatsConsistent checks that each count is its list's totalCount and
// that each breakdown sums to its count, sorted by count, then key.
func checkStatsConsistent(t *testing.T, out statsOut) {
	t.Helper()
	s := out.Stats
	for _, c := range []struct {
		name        string
		count, list int
	}{
		{"states", s.States, out.States.TotalCount},
		{"vendors", s.Vendors, out.Vendors.TotalCount},
		{"products", s.Products, out.Products.TotalCount},
		{"deployments", s.Deployments, out.Deployments.TotalCount},
		{"abuses", s.Abuses, out.Abuses.TotalCount},
		{"sources", s.Sources, out.Sources.TotalCount},
	} {
		if c.count != c.list {
			t.Errorf("stats.%s = %d, but %s.totalCount = %d; want them equal", c.name, c.count, c.name, c.list)
		}
	}
	for _, b := range []struct {
		name    string
		buckets []statsCount
		total   int
	}{
		{"deploymentsByTechnology", s.DeploymentsByTechnology, s.Deployments},
		{"abusesByCountry", s.AbusesByCountry, s.Abuses},
		{"abusesByYear", s.AbusesByYear, s.Abuses},
		{"vendorsByCountry", s.VendorsByCountry, s.Vendors},
	} {
		sum := 0
		for i, c := range b.buckets {
			sum += c.Count
			if c.Count <= 0 {
				t.Errorf("stats.%s has bucket %+v; want only buckets with a count", b.name, c)
			}
			if i > 0 {
				p := b.buckets[i-1]
				if p.Count < c.Count || (p.Count == c.Count && p.Key >= c.Key) {
					t.Errorf("stats.%s: bucket %+v comes before %+v; want count descending, then key", b.name, p, c)
				}
			}
		}
		if sum != b.total {
			t.Errorf("stats.%s sums to %d, want %d", b.name, sum, b.total)
		}
	}
}

func queryStats(t *testing.T, h http.Handler) statsOut {
	t.Helper()
	var out statsOut
	mustData(t, h, statsQuery, nil, &out)
	return out
}

// On the real seed data, the stats agree with the lists and with registry.json.
func TestStatsSeedData(t *testing.T) {
	t.Parallel()
	ds, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() error = %v", err)
	}
	pool := pgtest.New(t)
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatalf("seed.Load(seed.Registry()) error = %v", err)
	}
	out := queryStats(t, newHandler(pool, time.Millisecond))
	checkStatsConsistent(t, out)
	s := out.Stats
	citations := datasetCitations(ds)
	got := []int{s.States, s.Vendors, s.Products, s.Deployments, s.Abuses, s.Sources, s.Citations}
	want := []int{len(ds.States), len(ds.Vendors), len(ds.Products), len(ds.Deployments), len(ds.Abuses), len(ds.Sources), citations}
	if !slices.Equal(got, want) {
		t.Errorf("stats states, vendors, products, deployments, abuses, sources, citations = %v, want %v (registry.json)", got, want)
	}
	// China has most of the seed's abuses; most are undated.
	if len(s.AbusesByCountry) == 0 || s.AbusesByCountry[0].Key != "CN" || s.AbusesByCountry[0].Label != "China" {
		t.Errorf("stats.abusesByCountry = %+v, want China first", s.AbusesByCountry)
	}
	if !slices.ContainsFunc(s.AbusesByYear, func(c statsCount) bool { return c.Key == "unknown" && c.Label == "Undated" }) {
		t.Errorf("stats.abusesByYear = %+v, want an \"unknown\" bucket for the undated abuses", s.AbusesByYear)
	}
}

// datasetCitations counts the citations of every entry of a dataset: the
// Citations of each element of each of its lists.
func datasetCitations(ds *seed.Dataset) int {
	n := 0
	v := reflect.ValueOf(ds).Elem()
	for i := range v.NumField() {
		list := v.Field(i)
		for j := range list.Len() {
			if c := list.Index(j).FieldByName("Citations"); c.IsValid() {
				n += c.Len()
			}
		}
	}
	return n
}

// On the evidence dataset, whose answers are known (see evidenceDataset):
// retracted entries and the citations they carry are left out.
func TestStatsBuckets(t *testing.T) {
	t.Parallel()
	out := queryStats(t, newEvidenceAPI(t))
	checkStatsConsistent(t, out)
	s := out.Stats
	got := []int{s.States, s.Vendors, s.Products, s.Deployments, s.Abuses, s.Sources, s.Citations}
	// Citations: 12 of the 11 published deployments (d1 has two), 6 of the
	// published abuses, 3 of the published designations.
	want := []int{5, 6, 2, 11, 6, 1, 21}
	if !slices.Equal(got, want) {
		t.Errorf("stats states, vendors, products, deployments, abuses, sources, citations = %v, want %v", got, want)
	}
	for _, b := range []struct {
		name string
		got  []statsCount
		want string
	}{
		// d11 is of a retracted vendor, but is itself published; d12 and d13 are retracted.
		{"deploymentsByTechnology", s.DeploymentsByTechnology,
			"zero-click Zero-click spyware 3; face Face recognition 2; imsi IMSI catchers 2; spyware Spyware 2; cams Cameras 1; ethnic Ethnicity detection 1"},
		{"abusesByCountry", s.AbusesByCountry, "AE United Arab Emirates 2; IN India 2; CN China 1; MX Mexico 1"},
		{"abusesByYear", s.AbusesByYear, "unknown Undated 2; 2015 2015 1; 2019 2019 1; 2020 2020 1; 2021 2021 1"},
		// IL and US are no state of the dataset, so their labels are their codes.
		{"vendorsByCountry", s.VendorsByCountry, "CN China 2; IL IL 2; US US 1; unknown Unknown 1"},
	} {
		var parts []string
		for _, c := range b.got {
			parts = append(parts, fmt.Sprintf("%s %s %d", c.Key, c.Label, c.Count))
		}
		if g := strings.Join(parts, "; "); g != b.want {
			t.Errorf("stats.%s = %q\nwant %q", b.name, g, b.want)
		}
	}
}
