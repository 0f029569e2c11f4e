package graph_test

import (
	"strings"
	"testing"

	"oversight/internal/pgtest"
	"oversight/seed"
)

// The real seed data loads and reads back through the API: vendors →
// designations → citations → source.
func TestRealSeedData(t *testing.T) {
	t.Parallel()
	ds, err := seed.Registry()
	if err != nil {
		t.Fatalf("seed.Registry() error = %v", err)
	}
	pool := pgtest.New(t)
	if _, err := seed.Load(t.Context(), pool, ds); err != nil {
		t.Fatalf("seed.Load(seed.Registry()) error = %v", err)
	}
	h := newHandler(pool, 0)

	type designation struct {
		List struct {
			Code string `json:"code"`
		} `json:"list"`
		ListedOn  string `json:"listedOn"`
		Citations []struct {
			Quote  *string `json:"quote"`
			Source struct {
				Title string `json:"title"`
			} `json:"source"`
		} `json:"citations"`
	}
	var out struct {
		Vendor *struct {
			Name         string        `json:"name"`
			Designations []designation `json:"designations"`
		} `json:"vendor"`
		Vendors struct {
			TotalCount int `json:"totalCount"`
			Nodes      []struct {
				Slug         string        `json:"slug"`
				Designations []designation `json:"designations"`
			} `json:"nodes"`
		} `json:"vendors"`
	}
	r := mustData(t, h, `{
		vendor(slug: "hikvision") { name designations { list { code } listedOn citations { quote source { title } } } }
		vendors(first: 100, filter: {designationListCodes: ["US-ENTITY-LIST"]}) { totalCount nodes { slug designations { list { code } listedOn citations { quote source { title } } } } } }`, nil, &out)

	if out.Vendor == nil {
		t.Fatalf(`vendor(slug: "hikvision") = null, want the seeded vendor (%s)`, r.Data)
	}
	var entity *designation
	for i, d := range out.Vendor.Designations {
		if d.List.Code == "US-ENTITY-LIST" {
			entity = &out.Vendor.Designations[i]
		}
	}
	if entity == nil || entity.ListedOn != "2019-10-09" {
		t.Fatalf("hikvision designations = %+v, want one on US-ENTITY-LIST listed on 2019-10-09", out.Vendor.Designations)
	}
	if len(entity.Citations) == 0 {
		t.Errorf("hikvision's US-ENTITY-LIST designation has no citations, want its sources")
	}
	for i, c := range entity.Citations {
		if c.Quote == nil || strings.TrimSpace(*c.Quote) == "" || strings.TrimSpace(c.Source.Title) == "" {
			t.Errorf("hikvision US-ENTITY-LIST citation %d = quote %v, source title %q; want both non-empty", i, c.Quote, c.Source.Title)
		}
	}

	// Every vendor on the entity list is listed with a sourced designation.
	var slugs []string
	for _, v := range out.Vendors.Nodes {
		slugs = append(slugs, v.Slug)
		for _, d := range v.Designations {
			for i, c := range d.Citations {
				if c.Quote == nil || strings.TrimSpace(*c.Quote) == "" || c.Source.Title == "" {
					t.Errorf("vendor %s designation on %s citation %d has quote %v and source %q, want both", v.Slug, d.List.Code, i, c.Quote, c.Source.Title)
				}
			}
		}
	}
	if out.Vendors.TotalCount < 2 || !strings.Contains(","+strings.Join(slugs, ",")+",", ",hikvision,") {
		t.Errorf("vendors on US-ENTITY-LIST = %v (totalCount %d), want hikvision among several", slugs, out.Vendors.TotalCount)
	}
}
