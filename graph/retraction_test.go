package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Retracted entries stay reachable by ID, with their status and reason.
func TestRetractedEntriesByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for r, reason := range f.retracted {
		t.Run(r.key, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Node *struct {
					ID               string  `json:"id"`
					Status           string  `json:"status"`
					RetractionReason *string `json:"retractionReason"`
				} `json:"node"`
			}
			res := f.query(t, `query($id: ID!) { node(id: $id) { id ... on Entry { status retractionReason } } }`, map[string]any{"id": f.id(r.key)}, &out)
			if out.Node == nil || out.Node.ID != f.id(r.key) || out.Node.Status != "RETRACTED" || deref(out.Node.RetractionReason) != reason {
				t.Errorf("node(%s %s) = %s, want status RETRACTED and retractionReason %q", r.typ, r.key, res.Data, reason)
			}
		})
	}
	t.Run("published entry", func(t *testing.T) {
		t.Parallel()
		var out struct {
			Node struct {
				Status           string  `json:"status"`
				RetractionReason *string `json:"retractionReason"`
			} `json:"node"`
		}
		res := f.query(t, `query($id: ID!) { node(id: $id) { ... on Entry { status retractionReason } } }`, map[string]any{"id": f.id("dahview")}, &out)
		if out.Node.Status != "PUBLISHED" || out.Node.RetractionReason != nil {
			t.Errorf("node(dahview) = %s, want PUBLISHED with no retractionReason", res.Data)
		}
	})
	t.Run("lookups by code and slug", func(t *testing.T) {
		t.Parallel()
		var out struct {
			State  struct{ Status, RetractionReason string } `json:"state"`
			Vendor struct{ Status, RetractionReason string } `json:"vendor"`
		}
		res := f.query(t, `{ state(countryCode: UG) { status retractionReason } vendor(slug: "retracto") { status retractionReason } }`, nil, &out)
		if out.State.Status != "RETRACTED" || out.State.RetractionReason != "Entered in error" ||
			out.Vendor.Status != "RETRACTED" || out.Vendor.RetractionReason != "Confused with another company" {
			t.Errorf("state(UG) and vendor(retracto) = %s, want both RETRACTED with their reasons", res.Data)
		}
	})
}

// References to retracted entries still resolve, showing the retraction.
func TestReferencesToRetractedEntries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var out struct {
		Dep struct {
			Vendor  struct{ Slug, Status, RetractionReason string } `json:"vendor"`
			Product struct {
				Vendor struct{ Status string } `json:"vendor"`
			} `json:"product"`
		} `json:"dep"`
		Ug struct {
			State struct{ CountryCode, Status string } `json:"state"`
		} `json:"ug"`
		Desig struct {
			Subject struct {
				Typename string `json:"__typename"`
				Slug     string `json:"slug"`
				Status   string `json:"status"`
			} `json:"subject"`
		} `json:"desig"`
		Agency struct {
			State struct{ Status string } `json:"state"`
		} `json:"agency"`
	}
	res := f.query(t, `query($d: ID!, $u: ID!, $g: ID!, $a: ID!) {
		dep: node(id: $d) { ... on Deployment { vendor { slug status retractionReason } product { vendor { status } } } }
		ug: node(id: $u) { ... on Deployment { state { countryCode status } } }
		desig: node(id: $g) { ... on Designation { subject { __typename ... on Vendor { slug status } } } }
		agency: node(id: $a) { ... on Agency { state { status } } } }`,
		map[string]any{"d": f.id("d-ret-01"), "u": f.id("d-hik-12"), "g": f.id("g-ret"), "a": f.id("ag-ug-police")}, &out)
	if v := out.Dep.Vendor; v.Slug != "retracto" || v.Status != "RETRACTED" || v.RetractionReason != "Confused with another company" ||
		out.Dep.Product.Vendor.Status != "RETRACTED" {
		t.Errorf("d-ret-01 vendor and product.vendor = %s, want the retracted vendor retracto", res.Data)
	}
	if s := out.Ug.State; s.CountryCode != "UG" || s.Status != "RETRACTED" {
		t.Errorf("d-hik-12 state = %+v, want the retracted state UG", s)
	}
	if s := out.Desig.Subject; s.Typename != "Vendor" || s.Slug != "retracto" || s.Status != "RETRACTED" {
		t.Errorf("g-ret subject = %+v, want the retracted vendor retracto", s)
	}
	if out.Agency.State.Status != "RETRACTED" {
		t.Errorf("ag-ug-police state status = %q, want RETRACTED", out.Agency.State.Status)
	}
}

// Lists derived through other entries, and nested lists, leave retracted
// entries out, whether the retracted one is the listed entry or the
// deployment through which it is listed.
func TestRetractedLeaveNestedAndDerivedLists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name, key, selection string
		want                 []string // keys, in the relation's order
	}{
		{"State.vendors: a retracted deployment", "IN", `... on State { list: vendors { id } }`, []string{"nsoft"}},
		{"State.vendors: a retracted vendor", "CN", `... on State { list: vendors { id } }`, []string{"dahview", "hikcam"}},
		{"Vendor.states: a retracted deployment", "dahview", `... on Vendor { list: states { id } }`, []string{"CN", "PK"}},
		{"Vendor.states: a retracted state", "hikcam", `... on Vendor { list: states { id } }`, []string{"CN", "SA", "AE"}},
		{"Abuse.vendors", "ab-in-01", `... on Abuse { list: vendors { id } }`, []string{"nsoft"}},
		{"Abuse.deployments", "ab-in-01", `... on Abuse { list: deployments { id } }`, []string{"d-ns-03"}},
		{"Abuse.technologies", "ab-in-01", `... on Abuse { list: technologies { id } }`, []string{"spyware"}},
		{"Abuse.vendors: a retracted vendor", "ab-cn-01", `... on Abuse { list: vendors { id } }`, []string{"hikcam"}},
		{"Deployment.abuses", "d-hik-01", `... on Deployment { list: abuses { id } }`, []string{"ab-cn-01"}},
		{"Vendor.products", "hikcam", `... on Vendor { list: products { id } }`, []string{"p-dome", "p-ethnic"}},
		{"Vendor.designations", "gammagrp", `... on Vendor { list: designations { id } }`, nil},
		{"Vendor.designations of a retracted vendor", "retracto", `... on Vendor { list: designations { id } }`, []string{"g-ret"}},
		{"Technology.products", "facial-recognition", `... on Technology { list: products { id } }`, nil},
		{"Technology.products imsi", "imsi-catcher", `... on Technology { list: products { id } }`, []string{"p-sniffer", "p-retracto-box", "p-stingray"}},
		{"Product.controlListEntries", "p-sniffer", `... on Product { list: controlListEntries { id } }`, nil},
		{"State.agencies", "UG", `... on State { list: agencies { id } }`, []string{"ag-ug-police"}},
		{"State.designations", "IR", `... on State { list: designations { id } }`, []string{"g-ir"}},
		{"Agency.designations", "ag-cn-psb", `... on Agency { list: designations { id } }`, []string{"g-psb"}},
		{"Vendor.deployments", "dahview", `... on Vendor { conn: deployments { nodes { id } } }`, []string{"d-dah-03", "d-dah-01"}},
		{"State.abuses", "EG", `... on State { conn: abuses { nodes { id } } }`, nil},
		{"State.abuses with retracted", "EG", `... on State { conn: abuses(filter: {includeRetracted: true}) { nodes { id } } }`, []string{"ab-eg-01"}},
		{"State.deployments", "IN", `... on State { conn: deployments { nodes { id } } }`, []string{"d-ns-03"}},
		{"DesignationList.designations", "dl-entity", `... on DesignationList { conn: designations(first: 100) { nodes { id } } }`,
			[]string{"g-f10", "g-f09", "g-f05", "g-f08", "g-cn", "g-f02", "g-f03", "g-hik", "g-f01", "g-psb", "g-dah", "g-f04", "g-f06", "g-f07"}},
		{"ReligiousCommunity.abuses", "com-christian", `... on ReligiousCommunity { conn: abuses { nodes { id } } }`, []string{"ab-in-01", "ab-ir-open", "ab-et-01", "ab-mm-01"}},
		{"Product.deployments", "p-face-search", `... on Product { conn: deployments { nodes { id } } }`, []string{"d-dah-01"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Node struct {
					List idNodes `json:"list"`
					Conn struct {
						Nodes idNodes `json:"nodes"`
					} `json:"conn"`
				} `json:"node"`
			}
			res := f.query(t, `query($id: ID!) { node(id: $id) { `+c.selection+` } }`, map[string]any{"id": f.id(c.key)}, &out)
			got := f.keys(t, append(out.Node.List.ids(), out.Node.Conn.Nodes.ids()...))
			want := c.want
			if strings.Contains(c.selection, "conn:") {
				want = f.sortLike(slices.Clone(want)) // a connection, in its documented order
			}
			if !slices.Equal(got, want) {
				t.Errorf("node(%s) { %s } = %v (%s), want %v", c.key, c.selection, got, res.Data, want)
			}
		})
	}
	t.Run("Source.citedBy", func(t *testing.T) {
		t.Parallel()
		// src-05 is cited by d-hik-04 and by the retracted d-dah-02.
		var out struct {
			Node struct {
				CitedBy struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Locator string          `json:"locator"`
						Entry   json.RawMessage `json:"entry"`
					} `json:"nodes"`
				} `json:"citedBy"`
			} `json:"node"`
		}
		res := f.query(t, `query($id: ID!) { node(id: $id) { ... on Source { citedBy { totalCount nodes { locator entry { id } } } } } }`,
			map[string]any{"id": f.id("src-05")}, &out)
		if c := out.Node.CitedBy; c.TotalCount != 1 || len(c.Nodes) != 1 || c.Nodes[0].Locator != "DEPLOYMENT/d-hik-04#2" {
			t.Errorf("src-05 citedBy = %s, want only the citation DEPLOYMENT/d-hik-04#2", res.Data)
		}
	})
}
