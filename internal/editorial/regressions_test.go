package editorial_test

// Regression tests for defects found when the suite was written (all fixed);
// see also TestAuditMergeNamesTheApprovingEditor in audit_test.go.

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// TestProposeCannotSetStatus: whether an entry stands is changed only by a
// retraction (with its reason, RETRACTED event and status column). A
// proposal's fields must not carry status or retractionReason into the
// snapshot: either refuse them or ignore them.
func TestProposeCannotSetStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		id   *uuid.UUID
		typ  registry.EntryType
		base map[string]any
	}{
		{"update", &vendorHikvision, registry.TypeVendor, map[string]any{}},
		{"create", nil, registry.TypeSource, sourceFields("Born retracted")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, true)
			author := f.contributor()
			sub := f.create(author, "Sneaky status", false)
			in := map[string]any{"status": "RETRACTED", "retractionReason": "set through Propose"}
			for k, v := range tc.base {
				in[k] = v
			}
			p, errs, err := f.svc.Propose(f.ctx, author, sub.ID, tc.typ, tc.id, fields(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) > 0 {
				return // refused: fine
			}
			var snap struct {
				Status           string  `json:"status"`
				RetractionReason *string `json:"retractionReason"`
			}
			if err := json.Unmarshal(p.Change.Proposed, &snap); err != nil {
				t.Fatal(err)
			}
			if snap.Status == "PUBLISHED" && snap.RetractionReason == nil {
				return // ignored: fine
			}
			// Show what it leads to once merged.
			f.submit(author, sub.ID)
			f.review(f.editor(), sub.ID, registry.DecisionApprove, nil)
			e := f.entry(p.Change.EntryID)
			v := f.entryVersion(p.Change.EntryID, e.Version)
			var published struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(v.Snapshot, &published)
			t.Errorf("Propose(%s, fields %s) accepted status/retractionReason: the proposal says status %q; once merged, "+
				"entries.status = %s but entry_versions snapshot says %q and the change events are %v "+
				"(internal/editorial/propose.go Propose merges every given field into the snapshot, and decode() reads status from it; "+
				"refuse or drop \"status\" and \"retractionReason\" in Fields)",
				tc.typ, in, snap.Status, e.Status, published.Status, f.events(p.Change.EntryID))
		})
	}
}

// TestUpdateKeepsReferencesItAlreadyHad: Propose lets an update keep a
// reference the entry already had to an entry retracted since (only new
// references to retracted entries are refused). Submit, and amending the
// change, must not then refuse the same reference.
func TestUpdateKeepsReferencesItAlreadyHad(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	// The Moyu deployment cites the IPVM article; the article is retracted.
	f.publish("Retract the IPVM article", false, func(a registry.Viewer, sid uuid.UUID) {
		f.retract(a, sid, seededSourceIPVM, "Article withdrawn by its publisher")
	})
	if got := citationSources(t, f, deploymentMoyu); len(got) == 0 || got[0] != seededSourceIPVM {
		t.Fatalf("setup: Moyu citations = %v; want the IPVM article first", got)
	}

	author := f.contributor()
	sub := f.create(author, "Fix the Moyu location", false)
	f.propose(author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"location": "Moyu (Karakax) County"}))

	t.Run("amend", func(t *testing.T) {
		_, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"location": "Karakax County"}))
		if err != nil || len(errs) > 0 {
			t.Errorf("amending an update that keeps the entry's existing citation of a retracted source = %s %v; want success "+
				"(internal/editorial/propose.go Propose computes baseRefs only when existing == nil, so an amendment treats the kept reference as new)",
				errsString(errs), err)
		}
	})
	t.Run("submit", func(t *testing.T) {
		_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
		if err != nil || len(errs) > 0 {
			t.Errorf("Submit of an update that keeps the entry's existing citation of a retracted source = %s %v; want success "+
				"(internal/editorial/editorial.go Submit calls checkReferences with had = nil: pass the references of the change's base version)",
				errsString(errs), err)
		}
	})
}

// TestMergeRefusesReferencesRetractedMeanwhile: a new reference to a
// retracted entry is refused at proposal and at submission; an entry
// retracted between submission and approval must not be cited by what the
// approval publishes.
func TestMergeRefusesReferencesRetractedMeanwhile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author, reviewer := f.contributor(), f.editor()
	sub := f.create(author, "New deployment on BIS evidence", false)
	dep := f.propose(author, sub.ID, registry.TypeDeployment, nil, fields(deploymentFields(seededSourceBIS)))
	f.submit(author, sub.ID)

	f.publish("Retract the BIS copy", false, func(a registry.Viewer, sid uuid.UUID) {
		f.retract(a, sid, seededSourceBIS, "Superseded copy")
	})

	s, errs, err := f.svc.Review(f.ctx, reviewer, sub.ID, registry.DecisionApprove, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) == 0 || f.entry(dep.EntryID) != nil {
		t.Errorf("approving a deployment whose only cited source was retracted after submission = status %s, errs %s, deployment published %v; "+
			"want it sent back (CONFLICT) and nothing published "+
			"(internal/editorial/review.go merge() checks base versions and unique keys, not references: re-run checkReferences there, "+
			"locking the referenced entries FOR SHARE)", s.Status, errsString(errs), f.entry(dep.EntryID) != nil)
	}
}

// TestReproposingAfterConflictMerges: the conflict review tells the author
// to "propose them again against the current versions, then resubmit".
// Doing exactly that must lead to a merge, on top of what was published
// meanwhile.
func TestReproposingAfterConflictMerges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author, reviewer := f.contributor(), f.editor()
	sub := f.create(author, "Moyu description", false)
	f.propose(author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"description": "first try"}))
	f.submit(author, sub.ID)
	f.publish("Meanwhile: Moyu confidence", false, func(a registry.Viewer, sid uuid.UUID) {
		f.propose(a, sid, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"confidence": "CREDIBLE"}))
	})
	_, errs, _ := f.svc.Review(f.ctx, reviewer, sub.ID, registry.DecisionApprove, nil)
	if len(errs) != 1 || errs[0].Code != registry.CodeConflict {
		t.Fatalf("setup: first approval = %s; want CONFLICT", errsString(errs))
	}

	c := f.propose(author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"description": "second try"}))
	f.submit(author, sub.ID)
	_, errs, err := f.svc.Review(f.ctx, reviewer, sub.ID, registry.DecisionApprove, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("after a CONFLICT, proposing the change again and resubmitting, as the review comment says, "+
			"gives %s again: the amended change keeps base version %d (current %d) "+
			"(internal/editorial/propose.go Propose: an amendment takes op and baseVersion from the existing change; when that base is stale, "+
			"rebase it onto the current version, or answer CONFLICT telling the author to withdraw the change and propose it anew)",
			errsString(errs), *c.BaseVersion, f.version(deploymentMoyu))
		return
	}
	var conf string
	if err := f.db.QueryRow(f.ctx, `SELECT confidence FROM deployments WHERE id = $1`, deploymentMoyu).Scan(&conf); err != nil {
		t.Fatal(err)
	}
	if conf != "CREDIBLE" {
		t.Errorf("the re-proposed change merged but reverted the confidence published meanwhile to %s", conf)
	}
}

// TestWithdrawAndReproposeAfterConflict documents the route that works today
// after a CONFLICT: withdraw the stale change and propose a new one.
func TestWithdrawAndReproposeAfterConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author, reviewer := f.contributor(), f.editor()
	sub := f.create(author, "Moyu description", false)
	stale := f.propose(author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"description": "first try"}))
	f.submit(author, sub.ID)
	f.publish("Meanwhile: Moyu confidence", false, func(a registry.Viewer, sid uuid.UUID) {
		f.propose(a, sid, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"confidence": "CREDIBLE"}))
	})
	if _, errs, _ := f.svc.Review(f.ctx, reviewer, sub.ID, registry.DecisionApprove, nil); len(errs) != 1 || errs[0].Code != registry.CodeConflict {
		t.Fatalf("first approval = %s; want CONFLICT", errsString(errs))
	}
	f.withdrawChange(author, stale.ID)
	fresh := f.propose(author, sub.ID, registry.TypeDeployment, &deploymentMoyu, fields(map[string]any{"description": "second try"}))
	if fresh.ID == stale.ID || *fresh.BaseVersion != 2 {
		t.Fatalf("re-proposal = change %s base %d; want a new change on version 2", fresh.ID, *fresh.BaseVersion)
	}
	f.submit(author, sub.ID)
	f.review(reviewer, sub.ID, registry.DecisionApprove, nil)
	var conf, desc string
	if err := f.db.QueryRow(f.ctx, `SELECT confidence, description FROM deployments WHERE id = $1`, deploymentMoyu).Scan(&conf, &desc); err != nil {
		t.Fatal(err)
	}
	if conf != "CREDIBLE" || desc != "second try" || f.version(deploymentMoyu) != 3 {
		t.Errorf("after withdraw and re-propose: confidence %s, description %q, version %d; want CREDIBLE, \"second try\", 3", conf, desc, f.version(deploymentMoyu))
	}
}
