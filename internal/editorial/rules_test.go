package editorial_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// TestSubmitRules: unsourced claims, empty submissions and references that
// stopped resolving are refused, naming the change, and nothing is written.
func TestSubmitRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author := f.contributor()

	unsourced := []struct {
		name   string
		typ    registry.EntryType
		id     *uuid.UUID
		fields map[string]any
	}{
		{"deployment", registry.TypeDeployment, nil, func() map[string]any {
			m := deploymentFields()
			delete(m, "citations")
			return m
		}()},
		{"abuse", registry.TypeAbuse, nil, map[string]any{"title": "Mosque cameras", "summary": "Cameras at every mosque.", "stateId": stateCN,
			"categories": []string{"SURVEILLANCE_OF_WORSHIP"}, "confidence": "CREDIBLE"}},
		{"designation", registry.TypeDesignation, nil, map[string]any{"listId": listEntity, "vendorId": vendorDahua, "listedOn": "2024-01-01",
			"citations": []any{}}},
		{"deployment update dropping its citations", registry.TypeDeployment, &deploymentMoyu, map[string]any{"citations": nil}},
	}
	for _, tc := range unsourced {
		t.Run("unsourced "+tc.name, func(t *testing.T) {
			sub := f.create(author, "Unsourced "+tc.name, false)
			// A sourced change first, so the unsourced one is at position 2.
			f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Some source "+tc.name)))
			c := f.propose(author, sub.ID, tc.typ, tc.id, fields(tc.fields))
			before := f.tableCounts()
			s, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
			fe := wantOnlyError(t, "Submit("+tc.name+" without citations)", errs, err, registry.CodeUnsourced, "changes", c.ID.String(), "citations")
			if !strings.Contains(fe.Message, "change 2") || !strings.Contains(fe.Message, c.EntryID.String()) {
				t.Errorf("UNSOURCED message %q; want it to name change 2 and entry %s", fe.Message, c.EntryID)
			}
			if s != nil || f.status(sub.ID) != registry.SubmissionDraft {
				t.Errorf("submission after refused Submit is %s; want DRAFT", f.status(sub.ID))
			}
			f.wantCountsUnchanged("refused Submit", before)
		})
	}

	t.Run("a retraction needs no citation", func(t *testing.T) {
		sub := f.create(author, "Retract a deployment", false)
		f.retract(author, sub.ID, deploymentMoyu, "Misattributed")
		f.submit(author, sub.ID)
	})

	t.Run("empty", func(t *testing.T) {
		sub := f.create(author, "Nothing", false)
		before := f.tableCounts()
		_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
		wantOnlyError(t, "Submit(empty submission)", errs, err, registry.CodeInvalid, "id")
		f.wantCountsUnchanged("Submit(empty)", before)
	})

	t.Run("only withdrawn changes", func(t *testing.T) {
		sub := f.create(author, "Withdrawn only", false)
		c := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Withdrawn only")))
		f.withdrawChange(author, c.ID)
		_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
		wantOnlyError(t, "Submit(every change withdrawn)", errs, err, registry.CodeInvalid, "id")
	})

	t.Run("cited source withdrawn", func(t *testing.T) {
		sub := f.create(author, "Dangling citation", false)
		src := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Soon withdrawn")))
		dep := f.propose(author, sub.ID, registry.TypeDeployment, nil, fields(deploymentFields(src.EntryID)))
		f.withdrawChange(author, src.ID)
		before := f.tableCounts()
		_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
		fe := wantOnlyError(t, "Submit(deployment citing a withdrawn source)", errs, err, registry.CodeNotFound,
			"changes", dep.ID.String(), "citations", "0", "sourceId")
		if !strings.Contains(fe.Message, "change 2") || !strings.Contains(fe.Message, dep.EntryID.String()) {
			t.Errorf("NOT_FOUND message %q; want it to name change 2 and entry %s", fe.Message, dep.EntryID)
		}
		f.wantCountsUnchanged("refused Submit", before)
	})
}

// TestPermissions: who may do what to a submission.
func TestPermissions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	author, other, editor := f.contributor(), f.contributor(), f.editor()
	editorAuthor := f.editor()
	anon := registry.Anonymous

	sub := f.create(author, "Mine", false)
	change := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Mine")))
	src := fields(sourceFields("Other"))

	type call struct {
		name string
		run  func(v registry.Viewer) (editorial.Errors, error)
	}
	calls := []call{
		{"Propose", func(v registry.Viewer) (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, v, sub.ID, registry.TypeSource, nil, src)
			return errs, err
		}},
		{"ProposeRetraction", func(v registry.Viewer) (editorial.Errors, error) {
			_, errs, err := f.svc.ProposeRetraction(f.ctx, v, sub.ID, change.EntryID, "r")
			return errs, err
		}},
		{"WithdrawChange", func(v registry.Viewer) (editorial.Errors, error) {
			_, errs, err := f.svc.WithdrawChange(f.ctx, v, change.ID)
			return errs, err
		}},
		{"Submit", func(v registry.Viewer) (editorial.Errors, error) {
			_, errs, err := f.svc.Submit(f.ctx, v, sub.ID)
			return errs, err
		}},
		{"Withdraw", func(v registry.Viewer) (editorial.Errors, error) {
			_, errs, err := f.svc.Withdraw(f.ctx, v, sub.ID)
			return errs, err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			before := f.tableCounts()
			errs, err := c.run(anon)
			wantDomainError(t, c.name+" as anonymous", errs, err, registry.CodeUnauthenticated)
			// Only the author may change a submission: another contributor
			// is refused as a matter of rights, like a non-author editor.
			errs, err = c.run(other)
			wantDomainError(t, c.name+" as another contributor", errs, err, registry.CodeForbidden)
			// An editor sees it but may not change it.
			errs, err = c.run(editor)
			wantDomainError(t, c.name+" as a non-author editor", errs, err, registry.CodeForbidden)
			f.wantCountsUnchanged(c.name+" by someone other than the author", before)
			if got := f.status(sub.ID); got != registry.SubmissionDraft {
				t.Fatalf("status after refused %s = %s; want DRAFT", c.name, got)
			}
		})
	}

	t.Run("missing IDs", func(t *testing.T) {
		missing := uuid.New()
		_, errs, err := f.svc.Submit(f.ctx, author, missing)
		wantOnlyError(t, "Submit(missing submission)", errs, err, registry.CodeNotFound, "id")
		_, errs, err = f.svc.Withdraw(f.ctx, author, missing)
		wantOnlyError(t, "Withdraw(missing submission)", errs, err, registry.CodeNotFound, "id")
		_, errs, err = f.svc.ProposeRetraction(f.ctx, author, missing, change.EntryID, "r")
		wantOnlyError(t, "ProposeRetraction(missing submission)", errs, err, registry.CodeNotFound, "submissionId")
	})

	t.Run("CreateSubmission", func(t *testing.T) {
		_, errs, err := f.svc.CreateSubmission(f.ctx, anon, "Anonymous", nil, false)
		wantDomainError(t, "CreateSubmission as anonymous", errs, err, registry.CodeUnauthenticated)
		_, errs, err = f.svc.CreateSubmission(f.ctx, author, "   ", nil, false)
		wantOnlyError(t, "CreateSubmission(blank title)", errs, err, registry.CodeInvalid, "input", "title")
		long := strings.Repeat("x", registry.MaxText+1)
		_, errs, err = f.svc.CreateSubmission(f.ctx, author, "Long", &long, false)
		wantOnlyError(t, "CreateSubmission(long description)", errs, err, registry.CodeInvalid, "input", "description")
	})

	t.Run("Review", func(t *testing.T) {
		own := f.create(editorAuthor, "An editor's own", false)
		f.propose(editorAuthor, own.ID, registry.TypeSource, nil, fields(sourceFields("Editor's own")))
		f.submit(editorAuthor, own.ID)
		before := f.tableCounts()

		_, errs, err := f.svc.Review(f.ctx, editorAuthor, own.ID, registry.DecisionApprove, nil)
		wantOnlyError(t, "Review(own submission, as editor)", errs, err, registry.CodeSelfReview, "id")
		_, errs, err = f.svc.Review(f.ctx, author, own.ID, registry.DecisionApprove, nil)
		wantDomainError(t, "Review as a contributor", errs, err, registry.CodeForbidden)
		_, errs, err = f.svc.Review(f.ctx, anon, own.ID, registry.DecisionApprove, nil)
		wantDomainError(t, "Review as anonymous", errs, err, registry.CodeUnauthenticated)
		_, errs, err = f.svc.Review(f.ctx, editor, own.ID, "MAYBE", nil)
		wantOnlyError(t, "Review(decision MAYBE)", errs, err, registry.CodeInvalid, "decision")
		long := strings.Repeat("x", registry.MaxText+1)
		_, errs, err = f.svc.Review(f.ctx, editor, own.ID, registry.DecisionReject, &long)
		wantOnlyError(t, "Review(comment too long)", errs, err, registry.CodeInvalid, "comment")
		_, errs, err = f.svc.Review(f.ctx, editor, uuid.New(), registry.DecisionApprove, nil)
		wantOnlyError(t, "Review(missing submission)", errs, err, registry.CodeNotFound, "id")

		f.wantCountsUnchanged("refused reviews", before)
		if got := f.status(own.ID); got != registry.SubmissionSubmitted {
			t.Errorf("status after refused reviews = %s; want SUBMITTED", got)
		}
		// An admin who is not the author may review.
		f.review(f.user(registry.RoleAdmin), own.ID, registry.DecisionApprove, nil)
	})
}

// TestStatusTransitions tries every action on a submission in every status:
// the legal moves land in the right status, the others give INVALID_STATE
// and change nothing.
func TestStatusTransitions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	editor := f.editor()

	const (
		D  = registry.SubmissionDraft
		S  = registry.SubmissionSubmitted
		CR = registry.SubmissionChangesRequested
		M  = registry.SubmissionMerged
		R  = registry.SubmissionRejected
		W  = registry.SubmissionWithdrawn
		IS = registry.SubmissionStatus("INVALID_STATE")
	)
	// bring makes a submission by a new author and moves it to status.
	n := 0
	bring := func(status registry.SubmissionStatus) (registry.Viewer, uuid.UUID, uuid.UUID) {
		n++
		author := f.contributor()
		sub := f.create(author, fmt.Sprintf("Transition %d", n), false)
		c := f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields(fmt.Sprintf("Transition source %d", n))))
		switch status {
		case S, CR, M, R:
			f.submit(author, sub.ID)
		case W:
			if _, errs, err := f.svc.Withdraw(f.ctx, author, sub.ID); err != nil || len(errs) > 0 {
				t.Fatalf("Withdraw = %v %v", errs, err)
			}
		}
		switch status {
		case CR:
			f.review(editor, sub.ID, registry.DecisionRequestChanges, nil)
		case M:
			f.review(editor, sub.ID, registry.DecisionApprove, nil)
		case R:
			f.review(editor, sub.ID, registry.DecisionReject, nil)
		}
		if got := f.status(sub.ID); got != status {
			t.Fatalf("setting up a %s submission: status is %s", status, got)
		}
		return author, sub.ID, c.ID
	}

	type action func(author registry.Viewer, sub, change uuid.UUID) (editorial.Errors, error)
	review := func(d registry.ReviewDecision) action {
		return func(_ registry.Viewer, sub, _ uuid.UUID) (editorial.Errors, error) {
			_, errs, err := f.svc.Review(f.ctx, editor, sub, d, nil)
			return errs, err
		}
	}
	actions := []struct {
		name string
		run  action
	}{
		{"propose", func(a registry.Viewer, sub, _ uuid.UUID) (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, a, sub, registry.TypeSource, nil, fields(sourceFields("Another "+sub.String())))
			return errs, err
		}},
		{"withdrawChange", func(a registry.Viewer, _, change uuid.UUID) (editorial.Errors, error) {
			_, errs, err := f.svc.WithdrawChange(f.ctx, a, change)
			return errs, err
		}},
		{"submit", func(a registry.Viewer, sub, _ uuid.UUID) (editorial.Errors, error) {
			_, errs, err := f.svc.Submit(f.ctx, a, sub)
			return errs, err
		}},
		{"withdraw", func(a registry.Viewer, sub, _ uuid.UUID) (editorial.Errors, error) {
			_, errs, err := f.svc.Withdraw(f.ctx, a, sub)
			return errs, err
		}},
		{"approve", review(registry.DecisionApprove)},
		{"requestChanges", review(registry.DecisionRequestChanges)},
		{"reject", review(registry.DecisionReject)},
	}
	// want[status][action]: the status after the action, or IS.
	want := map[registry.SubmissionStatus][]registry.SubmissionStatus{
		//   propose withdrawChange submit withdraw approve requestChanges reject
		D:  {D, D, S, W, IS, IS, IS},
		S:  {IS, IS, IS, W, M, CR, R},
		CR: {CR, CR, S, W, IS, IS, IS},
		M:  {IS, IS, IS, IS, IS, IS, IS},
		R:  {IS, IS, IS, IS, IS, IS, IS},
		W:  {IS, IS, IS, IS, IS, IS, IS},
	}
	for _, from := range []registry.SubmissionStatus{D, S, CR, M, R, W} {
		for i, a := range actions {
			to := want[from][i]
			t.Run(fmt.Sprintf("%s/%s", from, a.name), func(t *testing.T) {
				author, sub, change := bring(from)
				errs, err := a.run(author, sub, change)
				if err != nil {
					t.Fatalf("%s on a %s submission: error %v", a.name, from, err)
				}
				if to == IS {
					if len(errs) != 1 || errs[0].Code != registry.CodeInvalidState {
						t.Fatalf("%s on a %s submission = %s; want INVALID_STATE", a.name, from, errsString(errs))
					}
					if got := f.status(sub); got != from {
						t.Errorf("status after refused %s = %s; want %s unchanged", a.name, got, from)
					}
					return
				}
				if len(errs) > 0 {
					t.Fatalf("%s on a %s submission = %s; want success", a.name, from, errsString(errs))
				}
				if got := f.status(sub); got != to {
					t.Errorf("%s on a %s submission: status %s; want %s", a.name, from, got, to)
				}
			})
		}
	}
}
