package editorial_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// TestProposeValidation: every mistake comes back as a field error with its
// code and path, and the call writes nothing (no change, no audit row).
func TestProposeValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author := f.contributor()

	// A retracted entry to try to update.
	f.publish("Retract IJOP", false, func(a registry.Viewer, sid uuid.UUID) {
		f.retract(a, sid, deploymentIJOP, "Withdrawn by the source")
	})
	// Submissions in states that take no proposals.
	submitted := f.create(author, "Submitted", false)
	f.propose(author, submitted.ID, registry.TypeSource, nil, fields(sourceFields("Submitted source")))
	f.submit(author, submitted.ID)
	merged := f.create(author, "Merged", false)
	f.propose(author, merged.ID, registry.TypeSource, nil, fields(sourceFields("Merged source")))
	f.submit(author, merged.ID)
	f.review(f.editor(), merged.ID, registry.DecisionApprove, nil)

	// An open draft that already creates vendor "acme-dup".
	draft := f.create(author, "Draft", false)
	f.propose(author, draft.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Acme Dup", "slug": "acme-dup"}))

	missing := uuid.New()
	vendor := func(m map[string]any) map[string]any {
		out := map[string]any{"name": "Acme Vision", "slug": "acme-vision"}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	source := func(m map[string]any) map[string]any {
		out := sourceFields("A source")
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	deployment := func(m map[string]any) map[string]any {
		out := deploymentFields(seededSourceIPVM)
		for k, v := range m {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name   string
		sub    uuid.UUID
		typ    registry.EntryType
		id     *uuid.UUID
		fields map[string]any
		code   registry.Code
		path   []string
	}{
		{"empty name", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"name": ""}), registry.CodeInvalid, []string{"input", "name"}},
		{"bad slug", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"slug": "Bad Slug"}), registry.CodeInvalid, []string{"input", "slug"}},
		{"bad wikidata ID", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"wikidataId": "X1"}), registry.CodeInvalid, []string{"input", "wikidataId"}},
		{"bad country code", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"countryCode": "XX"}), registry.CodeInvalid, []string{"input", "countryCode"}},
		{"bad website", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"website": "ftp://x"}), registry.CodeInvalid, []string{"input", "website"}},
		{"bad language", draft.ID, registry.TypeSource, nil, source(map[string]any{"language": "English"}), registry.CodeInvalid, []string{"input", "language"}},
		{"bad content hash", draft.ID, registry.TypeSource, nil, source(map[string]any{"contentSha256": "ABC123"}), registry.CodeInvalid, []string{"input", "contentSha256"}},
		{"bad source kind", draft.ID, registry.TypeSource, nil, source(map[string]any{"kind": "RUMOUR"}), registry.CodeInvalid, []string{"input", "kind"}},
		{"dates out of order", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"startDate": "2020", "endDate": "2019"}), registry.CodeInvalid, []string{"input", "endDate"}},
		{"bad date", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"startDate": "2019-02-30"}), registry.CodeInvalid, []string{"input", "startDate"}},
		{"bad confidence", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"confidence": "SURE"}), registry.CodeInvalid, []string{"input", "confidence"}},
		{"wrong JSON kind", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"description": 42}), registry.CodeInvalid, []string{"input"}},
		{"vendorId does not exist", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"vendorId": missing}), registry.CodeNotFound, []string{"input", "vendorId"}},
		{"vendorId is a state", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"vendorId": stateCN}), registry.CodeNotFound, []string{"input", "vendorId"}},
		{"citation to a missing source", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"citations": []any{cite(missing, "q")}}),
			registry.CodeNotFound, []string{"input", "citations", "0", "sourceId"}},
		{"citation to a vendor", draft.ID, registry.TypeDeployment, nil, deployment(map[string]any{"citations": []any{cite(seededSourceIPVM, "q"), cite(vendorHikvision, "q")}}),
			registry.CodeNotFound, []string{"input", "citations", "1", "sourceId"}},
		{"new reference to a retracted entry", draft.ID, registry.TypeAbuse, nil, map[string]any{"title": "T", "summary": "S", "stateId": stateCN,
			"categories": []string{"MASS_SURVEILLANCE"}, "confidence": "ALLEGED", "deploymentIds": []uuid.UUID{deploymentIJOP},
			"citations": []any{cite(seededSourceIPVM, "q")}}, registry.CodeInvalid, []string{"input", "deploymentIds"}},
		{"published vendor slug", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"slug": "hikvision"}), registry.CodeConflict, []string{"input", "slug"}},
		{"slug derived from name is taken", draft.ID, registry.TypeVendor, nil, map[string]any{"name": "Hikvision"}, registry.CodeConflict, []string{"input", "slug"}},
		{"published country code", draft.ID, registry.TypeState, nil, map[string]any{"countryCode": "CN", "name": "China again"}, registry.CodeConflict, []string{"input", "countryCode"}},
		{"published list code", draft.ID, registry.TypeDesignationList, nil, map[string]any{"code": "US-ENTITY-LIST", "name": "Again",
			"authority": "BIS", "jurisdiction": "US"}, registry.CodeConflict, []string{"input", "code"}},
		{"slug created twice in one submission", draft.ID, registry.TypeVendor, nil, vendor(map[string]any{"name": "Acme Dup 2", "slug": "acme-dup"}),
			registry.CodeConflict, []string{"input", "slug"}},
		{"update to a taken slug", draft.ID, registry.TypeVendor, &vendorDahua, map[string]any{"slug": "hikvision"}, registry.CodeConflict, []string{"input", "slug"}},
		{"update of a retracted entry", draft.ID, registry.TypeDeployment, &deploymentIJOP, map[string]any{"description": "x"}, registry.CodeInvalidState, []string{"id"}},
		{"update of a missing entry", draft.ID, registry.TypeVendor, &missing, map[string]any{"name": "x"}, registry.CodeNotFound, []string{"id"}},
		{"update with the wrong type", draft.ID, registry.TypeVendor, &stateCN, map[string]any{"name": "x"}, registry.CodeNotFound, []string{"id"}},
		{"SUBMITTED submission", submitted.ID, registry.TypeSource, nil, sourceFields("Late"), registry.CodeInvalidState, []string{"submissionId"}},
		{"MERGED submission", merged.ID, registry.TypeSource, nil, sourceFields("Late"), registry.CodeInvalidState, []string{"submissionId"}},
		{"missing submission", missing, registry.TypeSource, nil, sourceFields("Lost"), registry.CodeNotFound, []string{"submissionId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.tableCounts()
			p, errs, err := f.svc.Propose(f.ctx, author, tc.sub, tc.typ, tc.id, fields(tc.fields))
			call := "Propose(" + string(tc.typ) + ", " + fieldsString(fields(tc.fields)) + ")"
			if p != nil {
				t.Errorf("%s returned a proposal with field errors", call)
			}
			wantOnlyError(t, call, errs, err, tc.code, tc.path...)
			f.wantCountsUnchanged(call, before)
		})
	}

	t.Run("retraction", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			entry  uuid.UUID
			reason string
			code   registry.Code
			path   []string
		}{
			{"no reason", vendorDahua, "   ", registry.CodeInvalid, []string{"reason"}},
			{"already retracted", deploymentIJOP, "again", registry.CodeInvalidState, []string{"entryId"}},
			{"missing entry", missing, "gone", registry.CodeNotFound, []string{"entryId"}},
		} {
			before := f.tableCounts()
			_, errs, err := f.svc.ProposeRetraction(f.ctx, author, draft.ID, tc.entry, tc.reason)
			call := "ProposeRetraction(" + tc.name + ")"
			wantOnlyError(t, call, errs, err, tc.code, tc.path...)
			f.wantCountsUnchanged(call, before)
		}
	})
}

// TestProposeDerivesSlug: a vendor or technology created without a slug gets
// one made from its name.
func TestProposeDerivesSlug(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	author := f.contributor()
	sub := f.create(author, "New entries", false)
	for _, tc := range []struct {
		typ  registry.EntryType
		name string
		want string
	}{
		{registry.TypeVendor, "Société Générale de Surveillance S.A.", "societe-generale-de-surveillance-s-a"},
		{registry.TypeTechnology, "Gait Recognition", "gait-recognition"},
	} {
		c := f.propose(author, sub.ID, tc.typ, nil, fields(map[string]any{"name": tc.name}))
		var p struct {
			Slug string `json:"slug"`
		}
		if err := json.Unmarshal(c.Proposed, &p); err != nil {
			t.Fatal(err)
		}
		if p.Slug != tc.want {
			t.Errorf("Propose(%s, name %q) slug = %q; want %q", tc.typ, tc.name, p.Slug, tc.want)
		}
	}
	// A name that leaves nothing for a slug asks for one.
	_, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "海康威视"}))
	wantOnlyError(t, "Propose(vendor named in Chinese, no slug)", errs, err, registry.CodeInvalid, "input", "slug")
}

// TestProposeAmendsAndKeepsUnmentionedFields: proposing again for an entry
// the submission already changes amends that change.
func TestProposeAmendsUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author := f.contributor()
	sub := f.create(author, "Hikvision", false)
	c1 := f.propose(author, sub.ID, registry.TypeVendor, &vendorHikvision, fields(map[string]any{"description": "one"}))
	c2 := f.propose(author, sub.ID, registry.TypeVendor, &vendorHikvision, fields(map[string]any{"wikidataId": "Q123"}))
	if c1.ID != c2.ID || c2.Operation != registry.OpUpdate || *c2.BaseVersion != 1 {
		t.Fatalf("second Propose for the same entry = change %s %s; want the first change %s amended", c2.ID, c2.Operation, c1.ID)
	}
	var p struct {
		Description string `json:"description"`
		WikidataID  string `json:"wikidataId"`
		Slug        string `json:"slug"`
	}
	if err := json.Unmarshal(c2.Proposed, &p); err != nil {
		t.Fatal(err)
	}
	if p.Description != "one" || p.WikidataID != "Q123" || p.Slug != "hikvision" {
		t.Errorf("amended proposal = %+v; want both edits and the published slug", p)
	}
	// The same entry under another type is refused.
	_, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeTechnology, &vendorHikvision, editorial.Fields{})
	wantOnlyError(t, "Propose(TECHNOLOGY, id of a vendor the submission changes)", errs, err, registry.CodeInvalid, "id")
}
