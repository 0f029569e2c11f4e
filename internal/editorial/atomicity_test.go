package editorial_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// TestMergeIsAtomic: a submission of several changes of which one went
// stale (or whose key was taken meanwhile) applies none of them.
func TestMergeIsAtomic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// spoil publishes, through another submission, what makes X's merge fail.
		spoil func(f *fixture)
		// path of the CONFLICT X's approval gets; "" for the change on deploymentMoyu.
		path func(staleChange uuid.UUID) []string
	}{
		{"stale update", func(f *fixture) {
			f.publish("Meanwhile, Moyu", false, func(a registry.Viewer, sid uuid.UUID) {
				f.propose(a, sid, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"description": "meanwhile"}))
			})
		}, func(c uuid.UUID) []string { return []string{"changes", c.String()} }},
		{"stale retraction target", func(f *fixture) {
			f.publish("Meanwhile, retract Moyu", false, func(a registry.Viewer, sid uuid.UUID) {
				f.retract(a, sid, deploymentMoyu, "meanwhile")
			})
		}, func(c uuid.UUID) []string { return []string{"changes", c.String()} }},
		{"slug taken meanwhile", func(f *fixture) {
			f.publish("Meanwhile, Late Vendor", false, func(a registry.Viewer, sid uuid.UUID) {
				f.propose(a, sid, registry.TypeVendor, nil, fields(map[string]any{"name": "Late Vendor (first)", "slug": "late-vendor"}))
			})
		}, func(uuid.UUID) []string { return []string{"id"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true)
			author, reviewer := f.contributor(), f.editor()
			x := f.create(author, "Several changes", false)
			src := f.propose(author, x.ID, registry.TypeSource, nil, fields(sourceFields("New evidence")))
			vnd := f.propose(author, x.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Late Vendor", "slug": "late-vendor"}))
			f.propose(author, x.ID, registry.TypeVendor, &vendorHikvision, fields(map[string]any{"description": "should not be published"}))
			dep := f.propose(author, x.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{
				"description": "X's version", "citations": []any{cite(src.EntryID, "new"), cite(seededSourceIPVM, "old")}}))
			f.submit(author, x.ID)

			tc.spoil(f)

			hikDesc := f.str(`SELECT description FROM vendors WHERE id = $1`, vendorHikvision)
			moyuDesc := f.str(`SELECT description FROM deployments WHERE id = $1`, deploymentMoyu)
			moyuCitations := citationSources(t, f, deploymentMoyu)
			before := f.tableCounts()
			audit := f.auditMax()

			s, errs, err := f.svc.Review(f.ctx, reviewer, x.ID, registry.DecisionApprove, nil)
			fe := wantOnlyError(t, "Review(APPROVE) of a submission with a spoiled change", errs, err, registry.CodeConflict, tc.path(dep.ID)...)
			if tc.name != "slug taken meanwhile" && (!strings.Contains(fe.Message, deploymentMoyu.String()) || strings.Contains(fe.Message, vendorHikvision.String())) {
				t.Errorf("CONFLICT message %q; want it to name the stale deployment %s and not the fresh vendor", fe.Message, deploymentMoyu)
			}
			if s == nil || s.Status != registry.SubmissionChangesRequested || f.status(x.ID) != registry.SubmissionChangesRequested {
				t.Errorf("status after conflicting approval = %s; want CHANGES_REQUESTED", f.status(x.ID))
			}
			for _, c := range []struct {
				what string
				id   uuid.UUID
			}{{"new source", src.EntryID}, {"new vendor", vnd.EntryID}} {
				if e := f.entry(c.id); e != nil {
					t.Errorf("%s %s exists after a failed merge: %+v", c.what, c.id, e)
				}
			}
			if v := f.version(vendorHikvision); v != 1 {
				t.Errorf("hikvision version = %d; want 1 (its fresh update not applied)", v)
			}
			if got := f.str(`SELECT description FROM vendors WHERE id = $1`, vendorHikvision); *got != *hikDesc {
				t.Errorf("hikvision description changed to %q by a failed merge", *got)
			}
			if got := f.str(`SELECT description FROM deployments WHERE id = $1`, deploymentMoyu); (got == nil) != (moyuDesc == nil) || (got != nil && *got != *moyuDesc) {
				t.Errorf("deployment description changed by a failed merge: %v", got)
			}
			if got := citationSources(t, f, deploymentMoyu); len(got) != len(moyuCitations) {
				t.Errorf("deployment citations changed by a failed merge: %v, were %v", got, moyuCitations)
			}
			// Only the review, its audit row and the submission's status were written.
			after := f.tableCounts()
			before["reviews"]++
			before["audit_log"]++
			for k, n := range before {
				if after[k] != n {
					t.Errorf("%s rows = %d after the failed merge; want %d", k, after[k], n)
				}
			}
			if got := f.auditAfter(audit); len(got) != 1 || got[0].Action != "submission.review" {
				t.Errorf("audit rows written by the failed merge = %v; want one submission.review", got)
			}
		})
	}
}

// TestWithdrawnChangesAreKept: a withdrawn change stays in the table, marked,
// and takes no part in the submission's checks or merge.
func TestWithdrawnChangesAreKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author := f.contributor()
	sub := f.create(author, "Two sources and a vendor", false)
	keep := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Kept")))
	drop := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Dropped")))
	dropVendor := f.propose(author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Reused Slug"}))
	dropUpdate := f.propose(author, sub.ID, registry.TypeVendor, &vendorDahua, fields(map[string]any{"description": "dropped edit"}))

	for _, c := range []uuid.UUID{drop.ID, dropVendor.ID, dropUpdate.ID} {
		f.withdrawChange(author, c)
	}
	if n := f.count(`SELECT count(*) FROM changes WHERE submission_id = $1`, sub.ID); n != 4 {
		t.Fatalf("changes rows after withdrawing 3 of 4 = %d; want 4 (kept)", n)
	}
	if n := f.count(`SELECT count(*) FROM changes WHERE submission_id = $1 AND withdrawn_at IS NOT NULL`, sub.ID); n != 3 {
		t.Errorf("withdrawn changes marked = %d; want 3", n)
	}

	// Withdrawing again, or a change that does not exist.
	_, errs, err := f.svc.WithdrawChange(f.ctx, author, drop.ID)
	wantOnlyError(t, "WithdrawChange(already withdrawn)", errs, err, registry.CodeInvalidState, "changeId")
	_, errs, err = f.svc.WithdrawChange(f.ctx, author, uuid.New())
	wantOnlyError(t, "WithdrawChange(missing)", errs, err, registry.CodeNotFound, "changeId")

	// The withdrawn CREATE no longer holds its slug or its ID; a fresh
	// proposal for the withdrawn UPDATE's entry is a new change.
	again := f.propose(author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Reused Slug"}))
	if again.ID == dropVendor.ID || again.Position != 5 {
		t.Errorf("re-proposing a withdrawn vendor = change %s@%d; want a new change at position 5", again.ID, again.Position)
	}
	_, errs, err = f.svc.Propose(f.ctx, author, sub.ID, registry.TypeSource, &drop.EntryID, fields(map[string]any{"title": "back"}))
	wantOnlyError(t, "Propose(update of a withdrawn CREATE's entry)", errs, err, registry.CodeNotFound, "id")
	f.withdrawChange(author, again.ID)

	f.submit(author, sub.ID)
	if got := f.auditAfter(f.auditMax() - 1); len(got) != 1 || got[0].Action != "submission.submit" {
		t.Fatalf("last audit row = %v; want submission.submit", got)
	}
	var live int
	if err := f.db.QueryRow(f.ctx, `SELECT (details->>'changes')::int FROM audit_log WHERE action = 'submission.submit' AND target_id = $1`, sub.ID).Scan(&live); err != nil || live != 1 {
		t.Errorf("submission.submit details.changes = %d (%v); want 1 live change", live, err)
	}
	f.review(f.editor(), sub.ID, registry.DecisionApprove, nil)

	if e := f.entry(keep.EntryID); e == nil || e.Version != 1 {
		t.Errorf("kept source after merge = %+v; want version 1", e)
	}
	for _, c := range []*registry.Change{drop, dropVendor, again} {
		if e := f.entry(c.EntryID); e != nil {
			t.Errorf("withdrawn %s %s was merged: %+v", c.EntryType, c.EntryID, e)
		}
	}
	if v := f.version(vendorDahua); v != 1 {
		t.Errorf("dahua version = %d; want 1 (withdrawn update not merged)", v)
	}
	if n := f.count(`SELECT count(*) FROM entry_versions WHERE submission_id = $1`, sub.ID); n != 1 {
		t.Errorf("versions published by the submission = %d; want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM changes WHERE submission_id = $1 AND withdrawn_at IS NOT NULL`, sub.ID); n != 4 {
		t.Errorf("withdrawn changes kept after merge = %d; want 4", n)
	}
}

// TestCycleAmongNewEntriesIsSentBack: two new vendors each the other's
// parent cannot be written in any order; the approval sends the submission
// back and publishes nothing.
func TestCycleAmongNewEntriesIsSentBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	author, reviewer := f.contributor(), f.editor()
	sub := f.create(author, "Two parents", false)
	a := f.propose(author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Cycle A"}))
	b := f.propose(author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Cycle B", "parentId": a.EntryID}))
	f.propose(author, sub.ID, registry.TypeVendor, &a.EntryID, fields(map[string]any{"parentId": b.EntryID}))
	f.submit(author, sub.ID)
	s, errs, err := f.svc.Review(f.ctx, reviewer, sub.ID, registry.DecisionApprove, nil)
	wantOnlyError(t, "Review(APPROVE) of new vendors in a parent cycle", errs, err, registry.CodeInvalid, "id")
	if s == nil || f.status(sub.ID) != registry.SubmissionChangesRequested {
		t.Errorf("status = %s; want CHANGES_REQUESTED", f.status(sub.ID))
	}
	if f.entry(a.EntryID) != nil || f.entry(b.EntryID) != nil {
		t.Errorf("a vendor of the cycle was published")
	}
}
