package graph_test

// The life of a deployment, through the GraphQL API alone: proposed with a
// new source, sent back, amended, approved by another editor, read by the
// public, updated, and retracted.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"oversight/internal/registry"
)

// apiFieldChange is a FieldChange as the API serves it.
type apiFieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// changeList renders field changes as field: before → after, for comparison.
func changeList(cs []apiFieldChange) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Field + ": " + compactJSON(c.Before) + " → " + compactJSON(c.After)
	}
	return out
}

func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEditorialLifeCycle(t *testing.T) {
	t.Parallel()
	e := newEditorialAPI(t)
	contributor := e.addAccount(t, "Lee Contributor", "lee@example.org", registry.RoleContributor)
	editorA := e.addAccount(t, "Ana Editor", "ana@example.org", registry.RoleEditor)
	editorB := e.addAccount(t, "Bea Editor", "bea@example.org", registry.RoleEditor)

	deploymentIn := func(sourceID, confidence, location, description string) map[string]any {
		return map[string]any{"stateId": e.id("CN"), "technologyId": e.id("live-facial-recognition"), "vendorId": e.id("hikcam"),
			"startDate": "2019-03", "confidence": confidence, "location": location, "description": description,
			"citations": []map[string]any{{"sourceId": sourceID, "locator": "p. 4", "quote": "Cameras were fitted at the mosque gate."}}}
	}
	changeDiff := func(t *testing.T, a *account, sub string) (ops []string, diffs [][]apiFieldChange, proposed []map[string]any) {
		t.Helper()
		var out struct {
			Node struct {
				Changes []struct {
					Operation string           `json:"operation"`
					EntryID   string           `json:"entryId"`
					Proposed  json.RawMessage  `json:"proposed"`
					Diff      []apiFieldChange `json:"diff"`
				} `json:"changes"`
			} `json:"node"`
		}
		e.mustQueryAs(t, a, `query($id: ID!) { node(id: $id) { ... on Submission { changes { operation entryId proposed diff { field before after } } } } }`,
			map[string]any{"id": sub}, &out)
		for _, c := range out.Node.Changes {
			var p map[string]any
			if err := json.Unmarshal(c.Proposed, &p); err != nil {
				t.Fatalf("Change.proposed %s: %v", c.Proposed, err)
			}
			ops, diffs, proposed = append(ops, c.Operation), append(diffs, c.Diff), append(proposed, p)
		}
		return ops, diffs, proposed
	}

	// The contributor proposes a new source and a deployment citing it.
	sub := e.draft(t, contributor, "Cameras at Kashgar mosques")
	source := e.mustMutate(t, contributor, proposeSourceMutation, map[string]any{"s": sub, "in": map[string]any{
		"title": "Mosque surveillance in Kashgar", "kind": "NGO_REPORT", "publisher": "Uyghur Human Rights Project",
		"url": "https://example.org/kashgar-report", "publishedOn": "2023-05"}}).Change.EntryID
	created := e.mustMutate(t, contributor, proposeMutation("Deployment"), map[string]any{"s": sub,
		"in": deploymentIn(source, "ALLEGED", "Kashgar", "Cameras at mosque gates")})
	deployment := created.Change.EntryID
	if created.Change.Operation != "CREATE" || created.Change.BaseVersion != nil || created.Submission.Status != "DRAFT" {
		t.Errorf("proposeDeployment = %+v, submission %+v; want a CREATE with no base version in a DRAFT", created.Change, created.Submission)
	}

	t.Run("proposals use global IDs", func(t *testing.T) {
		_, diffs, proposed := changeDiff(t, contributor, sub)
		if len(proposed) != 2 {
			t.Fatalf("the submission has %d changes, want 2", len(proposed))
		}
		p := proposed[1]
		cits, _ := p["citations"].([]any)
		if p["stateId"] != e.id("CN") || p["vendorId"] != e.id("hikcam") || p["technologyId"] != e.id("live-facial-recognition") ||
			len(cits) != 1 || cits[0].(map[string]any)["sourceId"] != source {
			t.Errorf("Change.proposed = %v\nwant stateId %s, vendorId %s, technologyId %s and a citation of %s: global IDs",
				p, e.id("CN"), e.id("hikcam"), e.id("live-facial-recognition"), source)
		}
		// A new entry's diff has every field with a value, before null.
		for _, c := range diffs[1] {
			if compactJSON(c.Before) != "null" {
				t.Errorf("diff of a CREATE has %s before = %s, want null", c.Field, c.Before)
			}
		}
		got := map[string]string{}
		for _, c := range diffs[1] {
			got[c.Field] = compactJSON(c.After)
		}
		if got["confidence"] != `"ALLEGED"` || got["location"] != `"Kashgar"` || got["stateId"] != `"`+e.id("CN")+`"` {
			t.Errorf("diff of the CREATE = %v, want confidence, location and stateId (as a global ID) after", changeList(diffs[1]))
		}
	})

	e.mustMutate(t, contributor, submitMutation, map[string]any{"id": sub})
	p := e.mustMutate(t, editorA, reviewMutation, map[string]any{"id": sub, "d": "REQUEST_CHANGES", "c": "Which mosques? Add the location."})
	if p.Submission.Status != "CHANGES_REQUESTED" {
		t.Fatalf("review REQUEST_CHANGES left the submission %s, want CHANGES_REQUESTED", p.Submission.Status)
	}

	// The contributor reads the review, with the reviewer's role but not name.
	var back struct {
		Node struct {
			Status  string
			Reviews []struct {
				Decision, Comment string
				Reviewer          struct{ Name, Role string }
			}
		}
	}
	e.mustQueryAs(t, contributor, `query($id: ID!) { node(id: $id) { ... on Submission { status reviews { decision comment reviewer { name role } } } } }`,
		map[string]any{"id": sub}, &back)
	if back.Node.Status != "CHANGES_REQUESTED" || len(back.Node.Reviews) != 1 || back.Node.Reviews[0].Decision != "REQUEST_CHANGES" ||
		back.Node.Reviews[0].Comment != "Which mosques? Add the location." || back.Node.Reviews[0].Reviewer.Name != "An editor" {
		t.Errorf("the contributor sees their submission as %+v, want CHANGES_REQUESTED with the editor's comment, reviewer \"An editor\"", back.Node)
	}

	// Amending the deployment (by its entry ID) changes the same change.
	amended := e.mustMutate(t, contributor, proposeMutation("Deployment"), map[string]any{"s": sub, "id": deployment,
		"in": deploymentIn(source, "CREDIBLE", "Id Kah Mosque, Kashgar", "Cameras at mosque gates")})
	if amended.Change.ID != created.Change.ID || amended.Change.Operation != "CREATE" || amended.Change.EntryID != deployment {
		t.Errorf("amending the deployment gave change %+v, want the same CREATE change %s", amended.Change, created.Change.ID)
	}
	if ops, _, _ := changeDiff(t, contributor, sub); !slices.Equal(ops, []string{"CREATE", "CREATE"}) {
		t.Errorf("after the amendment the submission's changes are %v, want the two CREATEs", ops)
	}
	e.mustMutate(t, contributor, submitMutation, map[string]any{"id": sub})
	if p := e.mustMutate(t, editorB, reviewMutation, map[string]any{"id": sub, "d": "APPROVE"}); p.Submission.Status != "MERGED" {
		t.Fatalf("approval by the second editor left the submission %s, want MERGED", p.Submission.Status)
	}

	// Published: the public sees it with its citation and source.
	type publicDeployment struct {
		ID               string
		Status           string
		RetractionReason *string
		Version          int
		Location         string
		Confidence       string
		State            struct{ CountryCode string }
		Vendor           struct{ Slug string }
		Citations        []struct {
			Locator, Quote string
			Source         struct{ ID, Title, URL string }
		}
		History struct {
			TotalCount int
			Nodes      []struct {
				Version int
				Summary string
				Changes []apiFieldChange
			}
		}
	}
	const deploymentQuery = `query($id: ID!) { node(id: $id) { ... on Deployment { id status retractionReason version location confidence
		state { countryCode } vendor { slug } citations { locator quote source { id title url } }
		history { totalCount nodes { version summary changes { field before after } } } } } }`
	read := func(t *testing.T) publicDeployment {
		t.Helper()
		var out struct{ Node *publicDeployment }
		e.mustQueryAs(t, anon, deploymentQuery, map[string]any{"id": deployment}, &out)
		if out.Node == nil {
			t.Fatalf("node(new deployment) as anonymous = null, want it")
		}
		return *out.Node
	}
	listed := func(t *testing.T, query string) bool {
		t.Helper()
		r := e.mustQueryAs(t, anon, query, nil, nil)
		return strings.Contains(r.body, deployment)
	}
	d := read(t)
	if d.Status != "PUBLISHED" || d.Version != 1 || d.Location != "Id Kah Mosque, Kashgar" || d.Confidence != "CREDIBLE" ||
		d.State.CountryCode != "CN" || d.Vendor.Slug != "hikcam" || len(d.Citations) != 1 ||
		d.Citations[0].Source.ID != source || d.Citations[0].Source.Title != "Mosque surveillance in Kashgar" ||
		d.Citations[0].Source.URL != "https://example.org/kashgar-report" || d.Citations[0].Quote != "Cameras were fitted at the mosque gate." {
		t.Errorf("the merged deployment as anonymous = %+v\nwant version 1, as amended, citing the new source", d)
	}
	if !listed(t, `{ deployments(first: 100) { nodes { id } } }`) || !listed(t, `{ state(countryCode: "CN") { deployments(first: 100) { nodes { id } } } }`) {
		t.Errorf("the merged deployment is missing from deployments or from China's deployments")
	}

	// An update: the diff before merging lists only the changed fields.
	update := e.draft(t, contributor, "Confirmed by a second report")
	u := e.mustMutate(t, contributor, proposeMutation("Deployment"), map[string]any{"s": update, "id": deployment,
		"in": deploymentIn(source, "CONFIRMED", "Id Kah Mosque, Kashgar", "Cameras at the gates of the Id Kah Mosque")})
	if u.Change.Operation != "UPDATE" || u.Change.BaseVersion == nil || *u.Change.BaseVersion != 1 || u.Change.EntryID != deployment {
		t.Errorf("proposeDeployment(id) = %+v, want an UPDATE based on version 1", u.Change)
	}
	wantDiff := []string{`confidence: "CREDIBLE" → "CONFIRMED"`, `description: "Cameras at mosque gates" → "Cameras at the gates of the Id Kah Mosque"`}
	if _, diffs, _ := changeDiff(t, contributor, update); len(diffs) != 1 || !slices.Equal(changeList(diffs[0]), wantDiff) {
		t.Errorf("Change.diff of the UPDATE before merge = %v\nwant %v", diffs, wantDiff)
	}
	e.mustMutate(t, contributor, submitMutation, map[string]any{"id": update})
	e.mustMutate(t, editorA, reviewMutation, map[string]any{"id": update, "d": "APPROVE", "c": "Matches the second report"})
	if _, diffs, _ := changeDiff(t, editorA, update); len(diffs) != 1 || !slices.Equal(changeList(diffs[0]), wantDiff) {
		t.Errorf("Change.diff of the UPDATE after merge = %v\nwant %v (against its base version)", diffs, wantDiff)
	}
	d = read(t)
	if d.Version != 2 || d.Confidence != "CONFIRMED" || d.History.TotalCount != 2 || len(d.History.Nodes) != 2 {
		t.Fatalf("after the update the deployment = %+v, want version 2 with two versions of history", d)
	}
	if v := d.History.Nodes[1]; v.Version != 2 || v.Summary != "Confirmed by a second report" || !slices.Equal(changeList(v.Changes), wantDiff) {
		t.Errorf("history version 2 = %d %q %v\nwant summary %q and changes %v", v.Version, v.Summary, changeList(v.Changes), "Confirmed by a second report", wantDiff)
	}
	if v := d.History.Nodes[0]; v.Version != 1 || v.Summary != "Cameras at Kashgar mosques" {
		t.Errorf("history version 1 = %d %q, want the first submission's title as summary", v.Version, v.Summary)
	}

	// A retraction: gone from lists, still found by ID with its reason.
	retract := e.draft(t, contributor, "Retract: a duplicate")
	r := e.mustMutate(t, contributor, retractionMutation, map[string]any{"s": retract, "e": deployment, "r": "Duplicate of an earlier entry"})
	if r.Change.Operation != "RETRACT" || deref(r.Change.Reason) != "Duplicate of an earlier entry" || r.Change.BaseVersion == nil || *r.Change.BaseVersion != 2 {
		t.Errorf("proposeRetraction = %+v, want a RETRACT based on version 2 with its reason", r.Change)
	}
	e.mustMutate(t, contributor, submitMutation, map[string]any{"id": retract})
	e.mustMutate(t, editorB, reviewMutation, map[string]any{"id": retract, "d": "APPROVE"})
	d = read(t)
	if d.Status != "RETRACTED" || deref(d.RetractionReason) != "Duplicate of an earlier entry" || d.Version != 3 || d.History.TotalCount != 3 {
		t.Errorf("the retracted deployment = status %s, reason %v, version %d, %d versions; want RETRACTED, the reason, 3 and 3",
			d.Status, deref(d.RetractionReason), d.Version, d.History.TotalCount)
	}
	if listed(t, `{ deployments(first: 100) { nodes { id } } }`) || listed(t, `{ state(countryCode: "CN") { deployments(first: 100) { nodes { id } } } }`) ||
		listed(t, `{ vendor(slug: "hikcam") { deployments(first: 100) { nodes { id } } } }`) {
		t.Errorf("the retracted deployment is still listed")
	}
	if !listed(t, `{ deployments(first: 100, filter: {includeRetracted: true}) { nodes { id } } }`) {
		t.Errorf("deployments(includeRetracted) leaves out the retracted deployment")
	}

	// The author's list of their submissions, newest first.
	var mine struct {
		Submissions struct {
			Nodes []struct{ Title, Status string }
		}
	}
	e.mustQueryAs(t, contributor, `{ submissions { nodes { title status } } }`, nil, &mine)
	want := []struct{ Title, Status string }{{"Retract: a duplicate", "MERGED"}, {"Confirmed by a second report", "MERGED"}, {"Cameras at Kashgar mosques", "MERGED"}}
	if !slices.Equal(want, mine.Submissions.Nodes) {
		t.Errorf("the contributor's submissions = %+v\nwant %+v", mine.Submissions.Nodes, want)
	}
}
