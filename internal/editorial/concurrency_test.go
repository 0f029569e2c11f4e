package editorial_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

const (
	raceRounds = 5
	raceN      = 8
)

type reviewResult struct {
	sub        *registry.Submission
	errs       editorial.Errors
	err        error
	start, end time.Time
}

// overlapping counts the reviews that started before the first one ended:
// evidence that they really ran at the same time.
func overlapping(rs []reviewResult) int {
	first := rs[0].end
	for _, r := range rs {
		if r.end.Before(first) {
			first = r.end
		}
	}
	n := 0
	for _, r := range rs {
		if r.start.Before(first) {
			n++
		}
	}
	return n
}

// approveAll approves every submission at once, one goroutine and one editor
// each, released together by a start barrier.
func approveAll(f *fixture, editors []registry.Viewer, subs []uuid.UUID) []reviewResult {
	results := make([]reviewResult, len(subs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range subs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			begin := time.Now()
			s, errs, err := f.svc.Review(f.ctx, editors[i], subs[i], registry.DecisionApprove, nil)
			results[i] = reviewResult{s, errs, err, begin, time.Now()}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return results
}

// TestConcurrentApprovalsOfStaleUpdates: N submissions update the same
// entry from the same base version and are approved at the same moment by N
// editors. Exactly one merges; the others go back with a CONFLICT naming the
// entry, and nothing is lost or applied twice.
func TestConcurrentApprovalsOfStaleUpdates(t *testing.T) {
	t.Parallel()
	f := newFixtureWithPool(t, true, raceN+4)
	authors, editors := make([]registry.Viewer, raceN), make([]registry.Viewer, raceN)
	for i := range raceN {
		authors[i], editors[i] = f.contributor(), f.editor()
	}
	target := deploymentMoyu

	for round := range raceRounds {
		base := f.version(target)
		versionsBefore := f.count(`SELECT count(*) FROM entry_versions WHERE entry_id = $1`, target)
		changesBefore := f.count(`SELECT count(*) FROM changes`)
		subs, changes := make([]uuid.UUID, raceN), make([]uuid.UUID, raceN)
		for i := range raceN {
			sub := f.create(authors[i], fmt.Sprintf("Round %d update %d", round, i), false)
			c := f.propose(authors[i], sub.ID, registry.TypeDeployment, &target,
				fields(map[string]any{"description": fmt.Sprintf("round %d description %d", round, i)}))
			if *c.BaseVersion != base {
				t.Fatalf("round %d: change base version %d; want %d", round, *c.BaseVersion, base)
			}
			f.submit(authors[i], sub.ID)
			subs[i], changes[i] = sub.ID, c.ID
		}

		results := approveAll(f, editors, subs)
		overlap := overlapping(results)
		if overlap < 2 {
			t.Errorf("round %d: only %d of %d approvals started before the first ended; the race did not happen", round, overlap, raceN)
		}

		winner := -1
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("round %d: Review(APPROVE) #%d error = %v", round, i, r.err)
			}
			switch {
			case len(r.errs) == 0:
				if winner >= 0 {
					t.Fatalf("round %d: approvals #%d and #%d both merged", round, winner, i)
				}
				winner = i
				if r.sub.Status != registry.SubmissionMerged || f.status(subs[i]) != registry.SubmissionMerged {
					t.Errorf("round %d: winner #%d status %s; want MERGED", round, i, f.status(subs[i]))
				}
			default:
				fe := wantOnlyError(t, fmt.Sprintf("round %d: losing Review(APPROVE) #%d", round, i), r.errs, nil,
					registry.CodeConflict, "changes", changes[i].String())
				if !strings.Contains(fe.Message, target.String()) {
					t.Errorf("round %d: CONFLICT message %q does not name entry %s", round, fe.Message, target)
				}
				if r.sub == nil || r.sub.Status != registry.SubmissionChangesRequested || f.status(subs[i]) != registry.SubmissionChangesRequested {
					t.Errorf("round %d: loser #%d status %s; want CHANGES_REQUESTED", round, i, f.status(subs[i]))
				}
				comment := f.str(`SELECT comment FROM reviews WHERE submission_id = $1 AND reviewer_id = $2 AND decision = 'REQUEST_CHANGES'`,
					subs[i], editors[i].UserID)
				if comment == nil || !strings.Contains(*comment, target.String()) {
					t.Errorf("round %d: loser #%d review comment %v; want a REQUEST_CHANGES naming %s", round, i, comment, target)
				}
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no approval merged; results %+v", round, results)
		}
		if got := f.version(target); got != base+1 {
			t.Errorf("round %d: version = %d; want %d", round, got, base+1)
		}
		if got := f.count(`SELECT count(*) FROM entry_versions WHERE entry_id = $1`, target); got != versionsBefore+1 {
			t.Errorf("round %d: entry_versions rows = %d; want %d (exactly one new)", round, got, versionsBefore+1)
		}
		want := fmt.Sprintf("round %d description %d", round, winner)
		if got := *f.str(`SELECT description FROM deployments WHERE id = $1`, target); got != want {
			t.Errorf("round %d: published description %q; want the winner's %q", round, got, want)
		}
		if got := f.count(`SELECT count(*) FROM changes`); got != changesBefore+raceN {
			t.Errorf("round %d: changes rows = %d; want %d (none lost)", round, got, changesBefore+raceN)
		}
		if got := f.count(`SELECT count(*) FROM changes WHERE id = ANY($1) AND withdrawn_at IS NULL`, changes); got != raceN {
			t.Errorf("round %d: live changes of the %d submissions = %d; want all kept", round, raceN, got)
		}
		if got := f.count(`SELECT count(*) FROM audit_log WHERE action = 'submission.merge' AND target_id = ANY($1)`, subs); got != 1 {
			t.Errorf("round %d: submission.merge audit rows = %d; want 1", round, got)
		}
		t.Logf("round %d: %d/%d approvals overlapped; #%d merged (version %d -> %d), %d sent back with CONFLICT",
			round, overlap, raceN, winner, base, base+1, raceN-1)
	}
}

// TestConcurrentCreatesOfOneSlug: two submissions create a vendor with the
// same new slug and are approved at the same moment. One merges; the other
// goes back with a CONFLICT, and one vendor has the slug.
func TestConcurrentCreatesOfOneSlug(t *testing.T) {
	t.Parallel()
	f := newFixtureWithPool(t, false, 6)
	authors := []registry.Viewer{f.contributor(), f.contributor()}
	editors := []registry.Viewer{f.editor(), f.editor()}
	for round := range raceRounds {
		slug := fmt.Sprintf("race-vendor-%d", round)
		subs := make([]uuid.UUID, 2)
		for i := range 2 {
			sub := f.create(authors[i], fmt.Sprintf("Vendor %s by %d", slug, i), false)
			f.propose(authors[i], sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": fmt.Sprintf("Race Vendor %d/%d", round, i), "slug": slug}))
			f.submit(authors[i], sub.ID)
			subs[i] = sub.ID
		}
		results := approveAll(f, editors, subs)
		if overlapping(results) < 2 {
			t.Errorf("round %d: the two approvals did not overlap; the race did not happen", round)
		}
		merged, conflicted := 0, 0
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("round %d: Review(APPROVE) #%d error = %v", round, i, r.err)
			}
			switch st := f.status(subs[i]); {
			case len(r.errs) == 0 && st == registry.SubmissionMerged:
				merged++
			case len(r.errs) == 1 && r.errs[0].Code == registry.CodeConflict && st == registry.SubmissionChangesRequested:
				conflicted++
				if n := f.count(`SELECT count(*) FROM reviews WHERE submission_id = $1 AND decision = 'REQUEST_CHANGES'`, subs[i]); n != 1 {
					t.Errorf("round %d: loser has %d REQUEST_CHANGES reviews; want 1", round, n)
				}
			default:
				t.Errorf("round %d: approval #%d = status %s, errs %s; want MERGED or CHANGES_REQUESTED with CONFLICT", round, i, st, errsString(r.errs))
			}
		}
		if merged != 1 || conflicted != 1 {
			t.Errorf("round %d: %d merged, %d conflicted; want 1 and 1", round, merged, conflicted)
		}
		if n := f.count(`SELECT count(*) FROM vendors WHERE slug = $1`, slug); n != 1 {
			t.Errorf("round %d: vendors with slug %q = %d; want 1", round, slug, n)
		}
		if n := f.count(`SELECT count(*) FROM entries e JOIN changes c ON c.entry_id = e.id WHERE c.submission_id = ANY($1)`, subs); n != 1 {
			t.Errorf("round %d: entries created by the two submissions = %d; want 1 (the loser's rolled back)", round, n)
		}
	}
}

// TestConcurrentApprovalsOfOneSubmission: two editors approve the same
// submission at once; it merges once, the other gets INVALID_STATE.
func TestConcurrentApprovalsOfOneSubmission(t *testing.T) {
	t.Parallel()
	f := newFixtureWithPool(t, false, 6)
	editors := []registry.Viewer{f.editor(), f.editor()}
	for round := range raceRounds {
		author := f.contributor()
		sub := f.create(author, fmt.Sprintf("Twice approved %d", round), false)
		c := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields(fmt.Sprintf("Twice %d", round))))
		f.submit(author, sub.ID)
		results := approveAll(f, editors, []uuid.UUID{sub.ID, sub.ID})
		ok, refused := 0, 0
		for i, r := range results {
			switch {
			case r.err == nil && len(r.errs) == 0:
				ok++
			case r.err == nil && len(r.errs) == 1 && r.errs[0].Code == registry.CodeInvalidState:
				refused++
			default:
				t.Errorf("round %d: approval #%d = errs %s, err %v", round, i, errsString(r.errs), r.err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("round %d: %d merged, %d refused; want 1 and 1", round, ok, refused)
		}
		if v := f.version(c.EntryID); v != 1 {
			t.Errorf("round %d: version %d; want 1", round, v)
		}
		if n := f.count(`SELECT count(*) FROM reviews WHERE submission_id = $1`, sub.ID); n != 1 {
			t.Errorf("round %d: reviews = %d; want 1", round, n)
		}
	}
}
