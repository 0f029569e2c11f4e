package editorial_test

// Shared test fixture for the editorial service: a fresh migrated database
// per test (internal/pgtest), optionally the real seed data, users of each
// role, and helpers that call the service and fail the test with what was
// called, what came back and what was wanted.

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/auth"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *pgxpool.Pool
	svc   *editorial.Service
	users *auth.Store
}

var userSeq atomic.Int64

// newFixture returns the service over a fresh database; seeded loads the
// real seed dataset first.
func newFixture(t *testing.T, seeded bool) *fixture {
	t.Helper()
	return fixtureOn(t, pgtest.New(t), seeded)
}

// newFixtureWithPool is newFixture with a pool large enough for maxConns
// concurrent transactions (the default pool has max(4, NumCPU) connections,
// which would queue concurrent reviews in the pool instead of in PostgreSQL).
func newFixtureWithPool(t *testing.T, seeded bool, maxConns int32) *fixture {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatalf("parse test database URL: %v", err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return fixtureOn(t, pool, seeded)
}

func fixtureOn(t *testing.T, pool *pgxpool.Pool, seeded bool) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: t.Context(), db: pool, svc: editorial.New(pool), users: auth.NewStore(pool)}
	if seeded {
		d, err := seed.Registry()
		if err != nil {
			t.Fatalf("seed.Registry() error = %v", err)
		}
		if _, err := seed.Load(f.ctx, pool, d); err != nil {
			t.Fatalf("seed.Load() error = %v", err)
		}
	}
	return f
}

// user adds an account of the given role and returns it as a viewer.
func (f *fixture) user(role registry.Role) registry.Viewer {
	f.t.Helper()
	n := userSeq.Add(1)
	email := fmt.Sprintf("user%d-%s@example.org", n, uuid.NewString()[:8])
	id, err := f.users.AddUser(f.ctx, fmt.Sprintf("%s %d", strings.ToLower(string(role)), n), email, role)
	if err != nil {
		f.t.Fatalf("AddUser(%s) error = %v", role, err)
	}
	return registry.Viewer{UserID: id, Role: role}
}

func (f *fixture) contributor() registry.Viewer { return f.user(registry.RoleContributor) }
func (f *fixture) editor() registry.Viewer      { return f.user(registry.RoleEditor) }

// --- service calls that must succeed -------------------------------------

func (f *fixture) create(v registry.Viewer, title string, correction bool) *registry.Submission {
	f.t.Helper()
	sub, errs, err := f.svc.CreateSubmission(f.ctx, v, title, nil, correction)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("CreateSubmission(%q) = errs %v, err %v; want success", title, errs, err)
	}
	return sub
}

func (f *fixture) propose(v registry.Viewer, sub uuid.UUID, typ registry.EntryType, id *uuid.UUID, fields editorial.Fields) *registry.Change {
	f.t.Helper()
	p, errs, err := f.svc.Propose(f.ctx, v, sub, typ, id, fields)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("Propose(%s, id %v, %s) = errs %v, err %v; want success", typ, id, fieldsString(fields), errs, err)
	}
	return p.Change
}

func (f *fixture) retract(v registry.Viewer, sub, entry uuid.UUID, reason string) *registry.Change {
	f.t.Helper()
	p, errs, err := f.svc.ProposeRetraction(f.ctx, v, sub, entry, reason)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("ProposeRetraction(%s, %q) = errs %v, err %v; want success", entry, reason, errs, err)
	}
	return p.Change
}

func (f *fixture) withdrawChange(v registry.Viewer, change uuid.UUID) {
	f.t.Helper()
	if _, errs, err := f.svc.WithdrawChange(f.ctx, v, change); err != nil || len(errs) > 0 {
		f.t.Fatalf("WithdrawChange(%s) = errs %v, err %v; want success", change, errs, err)
	}
}

func (f *fixture) submit(v registry.Viewer, sub uuid.UUID) *registry.Submission {
	f.t.Helper()
	s, errs, err := f.svc.Submit(f.ctx, v, sub)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("Submit(%s) = errs %v, err %v; want success", sub, errs, err)
	}
	return s
}

// review must succeed without field errors (so an APPROVE must merge).
func (f *fixture) review(v registry.Viewer, sub uuid.UUID, d registry.ReviewDecision, comment *string) *registry.Submission {
	f.t.Helper()
	s, errs, err := f.svc.Review(f.ctx, v, sub, d, comment)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("Review(%s, %s) = errs %v, err %v; want success", sub, d, errs, err)
	}
	return s
}

// publish runs a one-submission round trip: author proposes with build,
// submits, and a fresh editor approves. It returns the submission.
func (f *fixture) publish(title string, correction bool, build func(author registry.Viewer, sub uuid.UUID)) *registry.Submission {
	f.t.Helper()
	author := f.contributor()
	sub := f.create(author, title, correction)
	build(author, sub.ID)
	f.submit(author, sub.ID)
	return f.review(f.editor(), sub.ID, registry.DecisionApprove, nil)
}

// --- reading the database ------------------------------------------------

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(f.ctx, sql, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (f *fixture) str(sql string, args ...any) *string {
	f.t.Helper()
	var s *string
	if err := f.db.QueryRow(f.ctx, sql, args...).Scan(&s); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func (f *fixture) status(sub uuid.UUID) registry.SubmissionStatus {
	f.t.Helper()
	return registry.SubmissionStatus(*f.str(`SELECT status FROM submissions WHERE id = $1`, sub))
}

type entryRow struct {
	Version int
	Status  string
	Reason  *string
}

// entry returns an entry's version and status, or nil when it does not exist.
func (f *fixture) entry(id uuid.UUID) *entryRow {
	f.t.Helper()
	var e entryRow
	rows, err := f.db.Query(f.ctx, `SELECT version, status, retraction_reason FROM entries WHERE id = $1`, id)
	if err != nil {
		f.t.Fatalf("entry %s: %v", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil
	}
	if err := rows.Scan(&e.Version, &e.Status, &e.Reason); err != nil {
		f.t.Fatalf("entry %s: %v", id, err)
	}
	return &e
}

func (f *fixture) version(id uuid.UUID) int {
	f.t.Helper()
	e := f.entry(id)
	if e == nil {
		f.t.Fatalf("entry %s does not exist", id)
	}
	return e.Version
}

type versionRow struct {
	Summary      *string
	Snapshot     json.RawMessage
	Changes      []registry.FieldChange
	SubmissionID *uuid.UUID
}

func (f *fixture) entryVersion(id uuid.UUID, version int) versionRow {
	f.t.Helper()
	var v versionRow
	var changes json.RawMessage
	if err := f.db.QueryRow(f.ctx, `SELECT summary, snapshot, changes, submission_id FROM entry_versions WHERE entry_id = $1 AND version = $2`,
		id, version).Scan(&v.Summary, &v.Snapshot, &changes, &v.SubmissionID); err != nil {
		f.t.Fatalf("entry_versions(%s, %d): %v", id, version, err)
	}
	if err := json.Unmarshal(changes, &v.Changes); err != nil {
		f.t.Fatalf("entry_versions(%s, %d).changes: %v", id, version, err)
	}
	return v
}

// events returns an entry's change events as "version:kind", oldest first.
func (f *fixture) events(id uuid.UUID) []string {
	f.t.Helper()
	rows, err := f.db.Query(f.ctx, `SELECT version, kind FROM change_events WHERE entry_id = $1 ORDER BY id`, id)
	if err != nil {
		f.t.Fatalf("change_events(%s): %v", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var k string
		if err := rows.Scan(&v, &k); err != nil {
			f.t.Fatalf("change_events(%s): %v", id, err)
		}
		out = append(out, fmt.Sprintf("%d:%s", v, k))
	}
	return out
}

type auditRow struct {
	Action string
	Actor  *uuid.UUID
	Target *uuid.UUID
}

func (a auditRow) String() string {
	s := func(id *uuid.UUID) string {
		if id == nil {
			return "<nil>"
		}
		return id.String()[:8]
	}
	return fmt.Sprintf("{%s actor=%s target=%s}", a.Action, s(a.Actor), s(a.Target))
}

// auditAfter returns the audit rows with an id above after, in order.
func (f *fixture) auditAfter(after int64) []auditRow {
	f.t.Helper()
	rows, err := f.db.Query(f.ctx, `SELECT action, actor_id, target_id FROM audit_log WHERE id > $1 ORDER BY id`, after)
	if err != nil {
		f.t.Fatalf("audit_log: %v", err)
	}
	defer rows.Close()
	var out []auditRow
	for rows.Next() {
		var a auditRow
		if err := rows.Scan(&a.Action, &a.Actor, &a.Target); err != nil {
			f.t.Fatalf("audit_log: %v", err)
		}
		out = append(out, a)
	}
	return out
}

func (f *fixture) auditMax() int64 {
	f.t.Helper()
	var n int64
	if err := f.db.QueryRow(f.ctx, `SELECT coalesce(max(id), 0) FROM audit_log`).Scan(&n); err != nil {
		f.t.Fatalf("audit_log: %v", err)
	}
	return n
}

// tableCounts counts the rows of every table the workflow writes, to show
// that a call wrote nothing.
func (f *fixture) tableCounts() map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for _, t := range []string{"submissions", "changes", "reviews", "audit_log", "entries", "entry_versions", "change_events", "citations",
		"vendors", "sources", "deployments", "states", "designation_lists"} {
		out[t] = f.count(`SELECT count(*) FROM ` + t)
	}
	return out
}

func (f *fixture) wantCountsUnchanged(call string, before map[string]int) {
	f.t.Helper()
	after := f.tableCounts()
	if !reflect.DeepEqual(before, after) {
		f.t.Errorf("%s changed row counts: before %v, after %v; want nothing written", call, before, after)
	}
}

// --- values --------------------------------------------------------------

// fields makes editorial.Fields from Go values; nil becomes JSON null.
func fields(m map[string]any) editorial.Fields {
	out := editorial.Fields{}
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		out[k] = b
	}
	return out
}

func fieldsString(fs editorial.Fields) string {
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", k, fs[k])
	}
	b.WriteString("}")
	return b.String()
}

func cite(source uuid.UUID, quote string) map[string]any {
	return map[string]any{"sourceId": source, "quote": quote}
}

func sourceFields(title string) map[string]any {
	return map[string]any{"title": title, "kind": "NEWS", "url": "https://example.org/" + registry.Slugify(title), "publishedOn": "2021-03"}
}

var (
	stateCN           = seed.ID(registry.TypeState, "CN")
	techFacial        = seed.ID(registry.TypeTechnology, "facial-recognition")
	vendorHikvision   = seed.ID(registry.TypeVendor, "hikvision")
	vendorDahua       = seed.ID(registry.TypeVendor, "dahua")
	listEntity        = seed.ID(registry.TypeDesignationList, "us-entity-list")
	deploymentMoyu    = seed.ID(registry.TypeDeployment, "cn-hikvision-facial-recognition-moyu-mosques")
	deploymentIJOP    = seed.ID(registry.TypeDeployment, "cn-ijop-xinjiang")
	seededSourceIPVM  = seed.ID(registry.TypeSource, "ipvm-2018-07-16-hikvision-mosques")
	seededSourceBIS   = seed.ID(registry.TypeSource, "bis-rule-2019-22210")
	seededSourceOther = seed.ID(registry.TypeSource, "hugheshubbard-2019-10-08-entity-list")
)

// deploymentFields is a valid deployment in China by Hikvision citing sources.
func deploymentFields(sources ...uuid.UUID) map[string]any {
	cits := []map[string]any{}
	for i, s := range sources {
		cits = append(cits, cite(s, fmt.Sprintf("quote %d", i+1)))
	}
	return map[string]any{
		"stateId": stateCN, "technologyId": techFacial, "vendorId": vendorHikvision,
		"confidence": "ALLEGED", "location": "Moyu County", "description": "Cameras at mosque entrances",
		"startDate": "2017", "citations": cits,
	}
}

func ptr[T any](v T) *T { return &v }

// --- assertions on field errors ------------------------------------------

func path(p []string) string { return "[" + strings.Join(p, " ") + "]" }

func errsString(errs editorial.Errors) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, fmt.Sprintf("%s %s %q", e.Code, path(e.Field), e.Message))
	}
	return "{" + strings.Join(parts, "; ") + "}"
}

// wantOnlyError fails unless errs is exactly one field error with code and path.
func wantOnlyError(t *testing.T, call string, errs editorial.Errors, err error, code registry.Code, p ...string) registry.FieldError {
	t.Helper()
	if err != nil {
		t.Fatalf("%s error = %v; want field error %s %s", call, err, code, path(p))
	}
	if len(errs) != 1 || errs[0].Code != code || !slices.Equal(errs[0].Field, p) {
		t.Fatalf("%s field errors = %s; want exactly %s %s", call, errsString(errs), code, path(p))
	}
	return errs[0]
}

// wantDomainError fails unless err carries a registry error with code (and no field errors came back).
func wantDomainError(t *testing.T, call string, errs editorial.Errors, err error, code registry.Code) {
	t.Helper()
	if got := registry.ErrorCode(err); got != code || len(errs) > 0 {
		t.Fatalf("%s = errs %s, err %v (code %q); want error with code %s", call, errsString(errs), err, got, code)
	}
}
