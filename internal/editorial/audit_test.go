package editorial_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// TestAuditLog: every call that changes something writes exactly its audit
// row(s), with the actor and the target; calls refused with field errors or
// permission errors write none.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	author, other, e1, e2 := f.contributor(), f.contributor(), f.editor(), f.editor()

	var sub, sub2 *registry.Submission
	var src, dep, ret *registry.Change

	type want struct {
		action string
		actor  *uuid.UUID // nil: not checked (see TestAuditMergeNamesTheApprovingEditor)
		target func() uuid.UUID
	}
	subID := func() uuid.UUID { return sub.ID }
	steps := []struct {
		name string
		call func() (editorial.Errors, error)
		want []want
	}{
		{"create submission", func() (editorial.Errors, error) {
			var errs editorial.Errors
			var err error
			sub, errs, err = f.svc.CreateSubmission(f.ctx, author, "Audited", nil, false)
			return errs, err
		}, []want{{"submission.create", &author.UserID, subID}}},
		{"create submission with a blank title", func() (editorial.Errors, error) {
			_, errs, err := f.svc.CreateSubmission(f.ctx, author, "", nil, false)
			return errs, err
		}, nil},
		{"propose source", func() (editorial.Errors, error) {
			p, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Audited source")))
			if p != nil {
				src = p.Change
			}
			return errs, err
		}, []want{{"change.propose", &author.UserID, func() uuid.UUID { return src.ID }}}},
		{"propose an invalid vendor", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "x", "slug": "Bad Slug"}))
			return errs, err
		}, nil},
		{"propose as another contributor", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, other, sub.ID, registry.TypeSource, nil, fields(sourceFields("Intruder")))
			return errs, err
		}, nil},
		{"propose as a non-author editor", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, e1, sub.ID, registry.TypeSource, nil, fields(sourceFields("Intruder")))
			return errs, err
		}, nil},
		{"propose deployment", func() (editorial.Errors, error) {
			p, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeDeployment, nil, fields(deploymentFields(src.EntryID)))
			if p != nil {
				dep = p.Change
			}
			return errs, err
		}, []want{{"change.propose", &author.UserID, func() uuid.UUID { return dep.ID }}}},
		{"amend deployment", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeDeployment, &dep.EntryID, fields(map[string]any{"location": "Hotan"}))
			return errs, err
		}, []want{{"change.propose", &author.UserID, func() uuid.UUID { return dep.ID }}}},
		{"propose a vendor to withdraw", func() (editorial.Errors, error) {
			p, errs, err := f.svc.Propose(f.ctx, author, sub.ID, registry.TypeVendor, nil, fields(map[string]any{"name": "Withdrawn Vendor"}))
			if p != nil {
				ret = p.Change
			}
			return errs, err
		}, []want{{"change.propose", &author.UserID, func() uuid.UUID { return ret.ID }}}},
		{"withdraw change", func() (editorial.Errors, error) {
			_, errs, err := f.svc.WithdrawChange(f.ctx, author, ret.ID)
			return errs, err
		}, []want{{"change.withdraw", &author.UserID, func() uuid.UUID { return ret.ID }}}},
		{"withdraw the change again", func() (editorial.Errors, error) {
			_, errs, err := f.svc.WithdrawChange(f.ctx, author, ret.ID)
			return errs, err
		}, nil},
		{"submit", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
			return errs, err
		}, []want{{"submission.submit", &author.UserID, subID}}},
		{"submit again", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
			return errs, err
		}, nil},
		{"review as a contributor", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Review(f.ctx, other, sub.ID, registry.DecisionApprove, nil)
			return errs, err
		}, nil},
		{"request changes", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Review(f.ctx, e1, sub.ID, registry.DecisionRequestChanges, nil)
			return errs, err
		}, []want{{"submission.review", &e1.UserID, subID}}},
		{"resubmit", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Submit(f.ctx, author, sub.ID)
			return errs, err
		}, []want{{"submission.submit", &author.UserID, subID}}},
		{"approve", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Review(f.ctx, e2, sub.ID, registry.DecisionApprove, nil)
			return errs, err
		}, []want{{"submission.merge", nil, subID}, {"submission.review", &e2.UserID, subID}}},
		{"approve again", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Review(f.ctx, e1, sub.ID, registry.DecisionApprove, nil)
			return errs, err
		}, nil},
		{"withdraw a merged submission", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Withdraw(f.ctx, author, sub.ID)
			return errs, err
		}, nil},
		{"create a second submission", func() (editorial.Errors, error) {
			var errs editorial.Errors
			var err error
			sub2, errs, err = f.svc.CreateSubmission(f.ctx, author, "Retraction", nil, true)
			return errs, err
		}, []want{{"submission.create", &author.UserID, func() uuid.UUID { return sub2.ID }}}},
		{"propose a retraction", func() (editorial.Errors, error) {
			p, errs, err := f.svc.ProposeRetraction(f.ctx, author, sub2.ID, vendorDahua, "Not a vendor")
			if p != nil {
				ret = p.Change
			}
			return errs, err
		}, []want{{"change.propose", &author.UserID, func() uuid.UUID { return ret.ID }}}},
		{"propose a retraction without reason", func() (editorial.Errors, error) {
			_, errs, err := f.svc.ProposeRetraction(f.ctx, author, sub2.ID, vendorHikvision, "")
			return errs, err
		}, nil},
		{"withdraw the submission", func() (editorial.Errors, error) {
			_, errs, err := f.svc.Withdraw(f.ctx, author, sub2.ID)
			return errs, err
		}, []want{{"submission.withdraw", &author.UserID, func() uuid.UUID { return sub2.ID }}}},
	}
	for _, st := range steps {
		mark := f.auditMax()
		errs, err := st.call()
		got := f.auditAfter(mark)
		if st.want == nil {
			if len(errs) == 0 && err == nil {
				t.Errorf("%s: succeeded; want it refused", st.name)
			}
			if len(got) != 0 {
				t.Errorf("%s (refused: %s %v) wrote audit rows %v; want none", st.name, errsString(errs), err, got)
			}
			continue
		}
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s = errs %s, err %v; want success", st.name, errsString(errs), err)
		}
		var wantRows []string
		var gotRows []string
		for i, w := range st.want {
			target := w.target()
			wr := auditRow{Action: w.action, Actor: w.actor, Target: &target}
			if i < len(got) && w.actor == nil {
				wr.Actor = got[i].Actor
			}
			wantRows = append(wantRows, wr.String())
		}
		for _, g := range got {
			gotRows = append(gotRows, g.String())
		}
		if !reflect.DeepEqual(gotRows, wantRows) {
			t.Errorf("%s wrote audit rows %v; want %v", st.name, gotRows, wantRows)
		}
	}
}

// TestAuditMergeNamesTheApprovingEditor: the merge an editor's approval
// performs is audited with that editor as its actor (uuid.Nil is reserved
// for the operator acting through the CLI without an account).
func TestAuditMergeNamesTheApprovingEditor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	editor := f.editor()
	author := f.contributor()
	sub := f.create(author, "Merged by an editor", false)
	f.propose(author, sub.ID, registry.TypeSource, nil, fields(sourceFields("Merged by an editor")))
	f.submit(author, sub.ID)
	f.review(editor, sub.ID, registry.DecisionApprove, nil)
	var actor *uuid.UUID
	if err := f.db.QueryRow(f.ctx, `SELECT actor_id FROM audit_log WHERE action = 'submission.merge' AND target_id = $1`, sub.ID).Scan(&actor); err != nil {
		t.Fatalf("submission.merge audit row: %v", err)
	}
	if actor == nil || *actor != editor.UserID {
		t.Errorf("submission.merge audit row actor_id = %v; want the approving editor %s "+
			"(internal/editorial/review.go merge(): postgres.Audit(... AuditEntry{Action: \"submission.merge\"...}) sets no ActorID)", actor, editor.UserID)
	}
}

// TestHistoryIsAppendOnly: PostgreSQL itself refuses to rewrite or delete
// the audit log, entry versions and change events, whoever asks.
func TestHistoryIsAppendOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	// Make sure every table has rows, the audit log included.
	f.publish("Something to keep", false, func(a registry.Viewer, sid uuid.UUID) {
		f.propose(a, sid, registry.TypeSource, nil, fields(sourceFields("Kept forever")))
	})
	for _, table := range []string{"audit_log", "entry_versions", "change_events"} {
		if n := f.count(`SELECT count(*) FROM ` + table); n == 0 {
			t.Fatalf("%s is empty; the test needs rows", table)
		}
		for _, stmt := range []string{
			map[string]string{
				"audit_log":      `UPDATE audit_log SET action = 'x.y'`,
				"entry_versions": `UPDATE entry_versions SET summary = 'rewritten'`,
				"change_events":  `UPDATE change_events SET summary = 'rewritten'`,
			}[table],
			`DELETE FROM ` + table,
			`TRUNCATE ` + table + ` CASCADE`,
		} {
			t.Run(strings.Fields(stmt)[0]+" "+table, func(t *testing.T) {
				before := f.count(`SELECT count(*) FROM ` + table)
				err := pgx.BeginFunc(f.ctx, f.db, func(tx pgx.Tx) error {
					_, err := tx.Exec(f.ctx, stmt)
					return err
				})
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "append-only") {
					t.Fatalf("%s: error %v; want PostgreSQL's append-only refusal (42501)", stmt, err)
				}
				if after := f.count(`SELECT count(*) FROM ` + table); after != before {
					t.Errorf("%s: rows %d -> %d; want unchanged", stmt, before, after)
				}
			})
		}
	}
}
