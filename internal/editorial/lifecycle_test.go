package editorial_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// TestLifeCycle follows one deployment from proposal to retraction: a new
// source and a deployment citing it (dependency order at merge), changes
// requested and amended, approved by another editor, then updated, then
// retracted, each with its version, diff and change event.
func TestLifeCycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author, e1, e2 := f.contributor(), f.editor(), f.editor()

	const title = "Add the Moyu mosque cameras"
	sub := f.create(author, title, false)
	if sub.Status != registry.SubmissionDraft || sub.AuthorID != author.UserID {
		t.Fatalf("CreateSubmission = status %s author %s; want DRAFT by %s", sub.Status, sub.AuthorID, author.UserID)
	}

	src1 := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Tender for mosque cameras")))
	dep := f.propose(author, sub.ID, registry.TypeDeployment, nil, fields(deploymentFields(src1.EntryID)))
	if src1.Operation != registry.OpCreate || dep.Operation != registry.OpCreate || src1.Position != 1 || dep.Position != 2 {
		t.Fatalf("Propose = %s@%d, %s@%d; want CREATE@1, CREATE@2", src1.Operation, src1.Position, dep.Operation, dep.Position)
	}
	if dep.BaseVersion != nil {
		t.Errorf("CREATE change base version = %d; want nil", *dep.BaseVersion)
	}

	s := f.submit(author, sub.ID)
	if s.Status != registry.SubmissionSubmitted || s.SubmittedAt == nil {
		t.Fatalf("Submit = status %s, submittedAt %v; want SUBMITTED with a time", s.Status, s.SubmittedAt)
	}

	comment := "Cite the tender itself too."
	s = f.review(e1, sub.ID, registry.DecisionRequestChanges, &comment)
	if s.Status != registry.SubmissionChangesRequested || f.status(sub.ID) != registry.SubmissionChangesRequested {
		t.Fatalf("Review(REQUEST_CHANGES) = %s (stored %s); want CHANGES_REQUESTED", s.Status, f.status(sub.ID))
	}
	if n := f.count(`SELECT count(*) FROM reviews WHERE submission_id = $1 AND reviewer_id = $2 AND decision = 'REQUEST_CHANGES' AND comment = $3`,
		sub.ID, e1.UserID, comment); n != 1 {
		t.Errorf("reviews recorded for REQUEST_CHANGES = %d; want 1 with reviewer and comment", n)
	}

	// The amendment cites a second source proposed after the deployment:
	// the deployment (position 2) now depends on the source at position 3,
	// so the merge must write them in dependency order, not proposal order.
	src2 := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Procurement record")))
	amended := f.propose(author, sub.ID, registry.TypeDeployment, &dep.EntryID, fields(map[string]any{
		"description": "Facial recognition cameras at the entrance of every mosque",
		"citations":   []map[string]any{cite(src1.EntryID, "quote 1"), cite(src2.EntryID, "tender text")},
	}))
	if amended.ID != dep.ID || amended.Position != dep.Position || amended.Operation != registry.OpCreate || amended.EntryID != dep.EntryID {
		t.Fatalf("amending Propose = change %s@%d %s; want the same change %s@%d CREATE", amended.ID, amended.Position, amended.Operation, dep.ID, dep.Position)
	}
	if n := f.count(`SELECT count(*) FROM changes WHERE submission_id = $1`, sub.ID); n != 3 {
		t.Fatalf("changes in submission after amendment = %d; want 3 (amended, not added)", n)
	}
	var proposed map[string]any
	if err := json.Unmarshal(amended.Proposed, &proposed); err != nil {
		t.Fatal(err)
	}
	if proposed["location"] != "Moyu County" || proposed["confidence"] != "ALLEGED" || proposed["stateId"] != stateCN.String() {
		t.Errorf("amended proposal lost fields it did not mention: %s", amended.Proposed)
	}

	f.submit(author, sub.ID)
	s = f.review(e2, sub.ID, registry.DecisionApprove, nil)
	if s.Status != registry.SubmissionMerged || s.MergedAt == nil || f.status(sub.ID) != registry.SubmissionMerged {
		t.Fatalf("Review(APPROVE) = %s, mergedAt %v; want MERGED", s.Status, s.MergedAt)
	}
	if n := f.count(`SELECT count(*) FROM reviews WHERE submission_id = $1`, sub.ID); n != 2 {
		t.Errorf("reviews of the submission = %d; want 2", n)
	}

	// Every created entry is version 1, with the proposal as its snapshot.
	changes := map[uuid.UUID][]byte{}
	rows, err := f.db.Query(f.ctx, `SELECT entry_id, proposed FROM changes WHERE submission_id = $1`, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		var p []byte
		if err := rows.Scan(&id, &p); err != nil {
			t.Fatal(err)
		}
		changes[id] = p
	}
	rows.Close()
	for _, id := range []uuid.UUID{src1.EntryID, src2.EntryID, dep.EntryID} {
		e := f.entry(id)
		if e == nil || e.Version != 1 || e.Status != "PUBLISHED" {
			t.Fatalf("entry %s after merge = %+v; want version 1 PUBLISHED", id, e)
		}
		v := f.entryVersion(id, 1)
		if v.Summary == nil || *v.Summary != title || v.SubmissionID == nil || *v.SubmissionID != sub.ID {
			t.Errorf("entry_versions(%s, 1) summary %v submission %v; want %q and %s", id, v.Summary, v.SubmissionID, title, sub.ID)
		}
		if !jsonEqual(v.Snapshot, changes[id]) {
			t.Errorf("entry_versions(%s, 1).snapshot = %s; want the proposal %s", id, v.Snapshot, changes[id])
		}
		if got := f.events(id); !reflect.DeepEqual(got, []string{"1:CREATED"}) {
			t.Errorf("change_events(%s) = %v; want [1:CREATED]", id, got)
		}
	}
	if got := *f.str(`SELECT description FROM deployments WHERE id = $1`, dep.EntryID); got != "Facial recognition cameras at the entrance of every mosque" {
		t.Errorf("published description = %q; want the amended one", got)
	}
	if got := citationSources(t, f, dep.EntryID); !reflect.DeepEqual(got, []uuid.UUID{src1.EntryID, src2.EntryID}) {
		t.Errorf("citations of the deployment = %v; want [%s %s] in order", got, src1.EntryID, src2.EntryID)
	}
	created := f.entryVersion(dep.EntryID, 1)
	if c := findChange(created.Changes, "description"); c == nil || string(c.Before) != "null" {
		t.Errorf("version 1 diff = %+v; want description from null", created.Changes)
	}

	// Update: omitted fields keep their values, an explicit null clears one.
	const title2 = "Confidence of the Moyu deployment"
	upd := f.publish(title2, false, func(a registry.Viewer, sid uuid.UUID) {
		c := f.propose(a, sid, registry.TypeDeployment, &dep.EntryID, fields(map[string]any{"confidence": "CREDIBLE", "location": nil}))
		if c.Operation != registry.OpUpdate || c.BaseVersion == nil || *c.BaseVersion != 1 {
			t.Fatalf("update Propose = %s base %v; want UPDATE base 1", c.Operation, c.BaseVersion)
		}
	})
	if f.version(dep.EntryID) != 2 {
		t.Fatalf("version after update = %d; want 2", f.version(dep.EntryID))
	}
	var conf string
	var loc, desc *string
	if err := f.db.QueryRow(f.ctx, `SELECT confidence, location, description FROM deployments WHERE id = $1`, dep.EntryID).Scan(&conf, &loc, &desc); err != nil {
		t.Fatal(err)
	}
	if conf != "CREDIBLE" || loc != nil || desc == nil || *desc != "Facial recognition cameras at the entrance of every mosque" {
		t.Errorf("deployment after update = confidence %s, location %v, description %v; want CREDIBLE, NULL, unchanged", conf, loc, desc)
	}
	v2 := f.entryVersion(dep.EntryID, 2)
	wantDiff(t, "version 2 diff", v2.Changes, []registry.FieldChange{
		{Field: "confidence", Before: raw(`"ALLEGED"`), After: raw(`"CREDIBLE"`)},
		{Field: "location", Before: raw(`"Moyu County"`), After: raw(`null`)},
	})
	if v2.Summary == nil || *v2.Summary != title2 || v2.SubmissionID == nil || *v2.SubmissionID != upd.ID {
		t.Errorf("version 2 summary %v submission %v; want %q %s", v2.Summary, v2.SubmissionID, title2, upd.ID)
	}
	if got := citationSources(t, f, dep.EntryID); len(got) != 2 {
		t.Errorf("citations after an update that did not mention them = %v; want the 2 kept", got)
	}

	// Retraction: status and reason, version 3, history and citations kept.
	const reason = "The tender was for a different county."
	f.publish("Retract the Moyu deployment", false, func(a registry.Viewer, sid uuid.UUID) {
		f.retract(a, sid, dep.EntryID, reason)
	})
	e := f.entry(dep.EntryID)
	if e.Status != "RETRACTED" || e.Reason == nil || *e.Reason != reason || e.Version != 3 {
		t.Fatalf("entry after retraction = %+v; want RETRACTED, reason %q, version 3", e, reason)
	}
	v3 := f.entryVersion(dep.EntryID, 3)
	wantDiff(t, "version 3 diff", v3.Changes, []registry.FieldChange{
		{Field: "retractionReason", Before: raw(`null`), After: raw(fmt.Sprintf("%q", reason))},
		{Field: "status", Before: raw(`"PUBLISHED"`), After: raw(`"RETRACTED"`)},
	})
	if got := f.events(dep.EntryID); !reflect.DeepEqual(got, []string{"1:CREATED", "2:UPDATED", "3:RETRACTED"}) {
		t.Errorf("change_events = %v; want [1:CREATED 2:UPDATED 3:RETRACTED]", got)
	}
	if got := citationSources(t, f, dep.EntryID); len(got) != 2 {
		t.Errorf("citations after retraction = %v; want the 2 kept", got)
	}
	if n := f.count(`SELECT count(*) FROM entry_versions WHERE entry_id = $1`, dep.EntryID); n != 3 {
		t.Errorf("entry_versions rows = %d; want 3", n)
	}
	if n := f.count(`SELECT count(*) FROM deployments WHERE id = $1`, dep.EntryID); n != 1 {
		t.Errorf("deployment rows after retraction = %d; want the row kept", n)
	}
}

// TestCorrectionRecordsCorrected: a submission marked correction records
// CORRECTED events for its updates, an ordinary one UPDATED.
func TestCorrectionRecordsCorrected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	for _, tc := range []struct {
		correction bool
		want       string
	}{{false, "UPDATED"}, {true, "CORRECTED"}} {
		t.Run(tc.want, func(t *testing.T) {
			before := f.version(vendorDahua)
			f.publish("Fix Dahua's description", tc.correction, func(a registry.Viewer, sid uuid.UUID) {
				f.propose(a, sid, registry.TypeVendor, &vendorDahua, fields(map[string]any{"description": "Description " + tc.want}))
			})
			ev := f.events(vendorDahua)
			if want := fmt.Sprintf("%d:%s", before+1, tc.want); ev[len(ev)-1] != want {
				t.Errorf("correction=%v: last change event = %s; want %s", tc.correction, ev[len(ev)-1], want)
			}
		})
	}
}

func citationSources(t *testing.T, f *fixture, entry uuid.UUID) []uuid.UUID {
	t.Helper()
	rows, err := f.db.Query(f.ctx, `SELECT source_id FROM citations WHERE entry_id = $1 ORDER BY position`, entry)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func findChange(cs []registry.FieldChange, field string) *registry.FieldChange {
	for i := range cs {
		if cs[i].Field == field {
			return &cs[i]
		}
	}
	return nil
}

func wantDiff(t *testing.T, what string, got, want []registry.FieldChange) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Field == want[i].Field && jsonEqual(got[i].Before, want[i].Before) && jsonEqual(got[i].After, want[i].After)
	}
	if !ok {
		t.Errorf("%s = %s; want %s", what, diffString(got), diffString(want))
	}
}

func diffString(cs []registry.FieldChange) string {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "[%s: %s -> %s]", c.Field, c.Before, c.After)
	}
	return b.String()
}
