package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
)

// The crash tests SIGKILL the real binary while it merges a submission (as
// the server) or imports a file (as the CLI), then check that PostgreSQL kept
// all of the operation or none of it. They find the moment to kill by
// watching pg_locks from a connection of their own: a lock a transaction
// takes when it starts writing a table is held until it commits or rolls
// back, so seeing it proves the transaction is open and has written.

// Sizes: a merge of mergeTriples*3 changes takes about a second on an idle
// 2-CPU machine (several when it is busy), an import of importTriples*3
// lines about as long: long enough to kill them in the middle, short enough
// for a few attempts in well under a minute.
const (
	mergeTriples  = 700  // 2,100 changes per submission
	importTriples = 6000 // 18,000 lines per file
)

// TestCrashDuringMerge kills the server while it merges a large submission,
// restarts it on the same database and checks that the submission is either
// merged with everything it publishes, or still submitted with nothing
// published, and that the history and the audit log agree with that.
func TestCrashDuringMerge(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	srv := startServer(t, bin, dbURL) // seeds the empty registry
	watch := connect(t, dbURL)
	oversight := inProcess(t, dbURL)
	oversight("user", "add", "--name", "Crash Contributor", "--email", "author@example.org", "--role", "contributor")
	oversight("user", "add", "--name", "Crash Editor", "--email", "editor@example.org", "--role", "editor")
	editor := lastLine(oversight("token", "create", "--email", "editor@example.org"))
	refs := seededRefs(t, watch)
	dir := t.TempDir()

	// newSubmission imports a fresh file as one submitted submission.
	newSubmission := func(tag string) (id uuid.UUID, globalID string) {
		t.Helper()
		file := writeImportFile(t, dir, tag, mergeTriples, refs)
		out := oversight("import", "--as", "author@example.org", "--submit", file)
		m := regexp.MustCompile(`^submission (\S+) \((\S+)\)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("import --submit printed %q, want the submission's IDs", out)
		}
		return uuid.MustParse(m[1]), m[2]
	}

	// Each attempt kills the server at another point of the merge: when the
	// merge has locked the submission (it is reading and checking the
	// changes), while it writes the new entries and their versions, when it
	// records the review (everything written, not yet committed), and after
	// a random delay.
	strategies := []killPoint{
		{name: "submission locked", table: "submissions", mode: "RowShareLock"},
		{name: "versions being written", table: "entry_versions", mode: "RowExclusiveLock"},
		{name: "review being recorded", table: "reviews", mode: "RowExclusiveLock"},
		{name: "random delay", maxDelay: 1500 * time.Millisecond},
	}
	var sub uuid.UUID
	var subGID string
	killedMidMerge := 0
	for i, kp := range strategies {
		if sub == uuid.Nil {
			sub, subGID = newSubmission(fmt.Sprintf("merge%d", i))
		}
		finished := make(chan struct{})
		var res reviewResult
		start := time.Now()
		go func() {
			defer close(finished)
			res = approve(srv.url+"/graphql", editor, subGID)
		}()
		seen := kp.await(ctx, t, watch, finished, func() bool {
			held, _ := lockHeld(ctx, watch, "submissions", "RowShareLock")
			return held
		})
		srv.kill()
		elapsed := time.Since(start)
		<-finished
		waitForNoClients(t, watch)

		got := mergeState(t, watch, sub)
		outcome := got.check(t, fmt.Sprintf("attempt %d (%s)", i+1, kp.name))
		if res.err == nil && res.status == "MERGED" && got.status != "MERGED" {
			t.Errorf("attempt %d (%s): the server answered MERGED, but after the crash the submission is %s: an acknowledged merge was lost", i+1, kp.name, got.status)
		}
		for _, p := range consistencyProblems(t, watch) {
			t.Errorf("attempt %d (%s): %s", i+1, kp.name, p)
		}
		answer := "no answer"
		if res.err == nil {
			answer = "answered " + res.status
		}
		t.Logf("attempt %d: kill at %q after %v (merge seen in progress: %t; %s): submission %s", i+1, kp.name, elapsed.Round(time.Millisecond), seen, answer, outcome)
		if outcome == "MERGED" {
			sub = uuid.Nil // the next attempt needs a new submission
		} else if seen {
			killedMidMerge++
		}
		srv = startServer(t, bin, dbURL)
	}

	// A submission left submitted by the crashes is merged whole by the
	// restarted server (they left no lock or half-written row in its way),
	// and a merge the server acknowledged survives a kill right after.
	if sub != uuid.Nil {
		if res := approve(srv.url+"/graphql", editor, subGID); res.err != nil || res.status != "MERGED" {
			t.Fatalf("approving the submission again after the crashes = %q, %v; want MERGED", res.status, res.err)
		}
		srv.kill()
		waitForNoClients(t, watch)
		if got := mergeState(t, watch, sub); got.check(t, "the merge after the crashes") != "MERGED" {
			t.Errorf("the server answered MERGED and was killed; the submission is now %s, want MERGED", got.status)
		}
		for _, p := range consistencyProblems(t, watch) {
			t.Errorf("after the last merge: %s", p)
		}
	}
	if killedMidMerge == 0 {
		t.Errorf("no attempt killed the server while the merge's transaction was open and then found it rolled back; the test proved nothing about a crash mid-merge")
	}
}

// TestCrashDuringImport kills "oversight import" while it writes a large
// file's changes and checks that each attempt left one whole submission or
// none: no submission with part of the file's changes, no orphan audit rows.
func TestCrashDuringImport(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dbURL := pgtest.URL(t)
	ctx := context.Background()
	watch := connect(t, dbURL)
	oversight := inProcess(t, dbURL)
	oversight("seed")
	oversight("user", "add", "--name", "Bulk Contributor", "--email", "bulk@example.org", "--role", "contributor")
	refs := seededRefs(t, watch)
	dir := t.TempDir()
	const lines = importTriples * 3

	strategies := []killPoint{
		{name: "submission inserted", table: "submissions", mode: "RowExclusiveLock"},
		{name: "changes being copied", table: "changes", mode: "RowExclusiveLock"},
		{name: "random delay", maxDelay: 900 * time.Millisecond},
		{name: "changes being copied (--submit)", table: "changes", mode: "RowExclusiveLock", submit: true},
		{name: "no kill (control)", noKill: true, submit: true},
	}
	killedMidImport := 0
	for i, kp := range strategies {
		file := writeImportFile(t, dir, fmt.Sprintf("import%d", i), importTriples, refs)
		args := []string{"import", "--as", "bulk@example.org"}
		if kp.submit {
			args = append(args, "--submit")
		}
		cmd := exec.Command(bin, append(args, file)...)
		cmd.Env = childEnv(dbURL)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", strings.Join(cmd.Args, " "), err)
		}
		finished := make(chan struct{})
		var waitErr error
		go func() { defer close(finished); waitErr = cmd.Wait() }()
		seen := false
		if kp.noKill {
			<-finished
		} else {
			seen = kp.await(ctx, t, watch, finished, func() bool {
				held, _ := lockHeld(ctx, watch, "submissions", "RowExclusiveLock")
				return held
			})
			_ = cmd.Process.Kill()
			<-finished
		}
		elapsed := time.Since(start)
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		killed := ws.Signaled() && ws.Signal() == syscall.SIGKILL
		if !killed && waitErr != nil {
			t.Fatalf("attempt %d (%s): %s = %v, want success or death by SIGKILL\n%s", i+1, kp.name, strings.Join(cmd.Args, " "), waitErr, stderr.String())
		}
		waitForNoClients(t, watch)

		got := importState(t, watch, "Bulk import of "+file)
		where := fmt.Sprintf("attempt %d (%s)", i+1, kp.name)
		switch {
		case len(got) > 1:
			t.Errorf("%s: the import left %d submissions, want at most one", where, len(got))
		case len(got) == 0 && !killed:
			t.Errorf("%s: the import finished (%q) but left no submission", where, strings.TrimSpace(stdout.String()))
		case len(got) == 1:
			got[0].check(t, where, lines, kp.submit)
		}
		for _, p := range consistencyProblems(t, watch) {
			t.Errorf("%s: %s", where, p)
		}
		outcome := "nothing"
		if len(got) == 1 {
			outcome = fmt.Sprintf("one %s submission of %d changes", got[0].status, got[0].changes)
		}
		t.Logf("attempt %d: %q after %v (import seen in progress: %t, killed: %t): %s", i+1, kp.name, elapsed.Round(time.Millisecond), seen, killed, outcome)
		if seen && killed && len(got) == 0 {
			killedMidImport++
		}
	}

	// Every submission of the user holds a whole file, whatever the attempt.
	var partial int
	if err := watch.QueryRow(ctx, `SELECT count(*) FROM submissions s
		WHERE (SELECT count(*) FROM changes c WHERE c.submission_id = s.id) <> $1`, lines).Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial > 0 {
		t.Errorf("%d submissions hold part of an imported file", partial)
	}
	if killedMidImport == 0 {
		t.Errorf("no attempt killed the import while its transaction was open and then found nothing written; the test proved nothing about a crash mid-import")
	}
}

// killPoint says when an attempt kills the process: once a backend of the
// test's database holds mode on table (granted), or after a random delay of
// up to maxDelay; noKill lets it finish.
type killPoint struct {
	name        string
	table, mode string
	maxDelay    time.Duration
	submit      bool // import only: --submit
	noKill      bool
}

// await blocks until it is time to kill, or until finished is closed (the
// operation ended first). It reports whether the operation was seen in
// progress at that moment: the lock was seen, or, after a delay, inProgress
// said so.
func (kp killPoint) await(ctx context.Context, t *testing.T, watch *pgx.Conn, finished <-chan struct{}, inProgress func() bool) bool {
	t.Helper()
	if kp.maxDelay > 0 {
		select {
		case <-time.After(rand.N(kp.maxDelay)):
			return inProgress()
		case <-finished:
			return false
		}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		held, err := lockHeld(ctx, watch, kp.table, kp.mode)
		if err != nil {
			t.Fatalf("watch pg_locks: %v", err)
		}
		if held {
			return true
		}
		select {
		case <-finished:
			return false
		case <-time.After(time.Millisecond):
		}
	}
	t.Fatalf("waited 30 s for a %s on %s", kp.mode, kp.table)
	return false
}

// lockHeld reports whether another backend of conn's database holds mode on
// table: a transaction that has written the table holds RowExclusiveLock on
// it (RowShareLock for SELECT ... FOR UPDATE) until it ends.
func lockHeld(ctx context.Context, conn *pgx.Conn, table, mode string) (bool, error) {
	var held bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
		WHERE d.datname = current_database() AND l.pid <> pg_backend_pid() AND l.granted
		  AND l.relation = $1::text::regclass AND l.mode = $2)`, table, mode).Scan(&held)
	return held, err
}

// waitForNoClients waits until no other client is connected to conn's
// database: PostgreSQL has seen the killed process's connections close and
// rolled back what they left open, so what the test reads next is final.
func waitForNoClients(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n); err != nil {
			t.Fatalf("read pg_stat_activity: %v", err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatalf("%d connections of the killed process still open after 20 s", n)
}

// mergeCounts is what a submission's merge left in the database.
type mergeCounts struct {
	status                                         string
	changes, creates, deployments                  int // the submission's live changes
	entries, typeRows, versions, events, citations int // what it published
	mergeAudits, mergedReviewAudits, approvals     int
}

func mergeState(t *testing.T, conn *pgx.Conn, sub uuid.UUID) mergeCounts {
	t.Helper()
	var c mergeCounts
	err := conn.QueryRow(context.Background(), `
		WITH created AS (SELECT entry_id FROM changes WHERE submission_id = $1 AND withdrawn_at IS NULL AND operation = 'CREATE')
		SELECT s.status,
		  (SELECT count(*) FROM changes WHERE submission_id = s.id AND withdrawn_at IS NULL),
		  (SELECT count(*) FROM created),
		  (SELECT count(*) FROM changes WHERE submission_id = s.id AND withdrawn_at IS NULL AND entry_type = 'DEPLOYMENT'),
		  (SELECT count(*) FROM entries WHERE id IN (SELECT entry_id FROM created)),
		  (SELECT count(*) FROM sources WHERE id IN (SELECT entry_id FROM created)) +
		    (SELECT count(*) FROM vendors WHERE id IN (SELECT entry_id FROM created)) +
		    (SELECT count(*) FROM deployments WHERE id IN (SELECT entry_id FROM created)),
		  (SELECT count(*) FROM entry_versions WHERE submission_id = s.id),
		  (SELECT count(*) FROM change_events e JOIN entry_versions v ON v.entry_id = e.entry_id AND v.version = e.version WHERE v.submission_id = s.id),
		  (SELECT count(*) FROM citations WHERE entry_id IN (SELECT entry_id FROM created)),
		  (SELECT count(*) FROM audit_log WHERE target_id = s.id AND action = 'submission.merge'),
		  (SELECT count(*) FROM audit_log WHERE target_id = s.id AND action = 'submission.review' AND details->>'status' = 'MERGED'),
		  (SELECT count(*) FROM reviews WHERE submission_id = s.id AND decision = 'APPROVE')
		FROM submissions s WHERE s.id = $1`, sub).Scan(&c.status, &c.changes, &c.creates, &c.deployments,
		&c.entries, &c.typeRows, &c.versions, &c.events, &c.citations, &c.mergeAudits, &c.mergedReviewAudits, &c.approvals)
	if err != nil {
		t.Fatalf("read the state of submission %s: %v", sub, err)
	}
	return c
}

// check reports whether c is all (MERGED) or nothing (SUBMITTED), and
// returns the status.
func (c mergeCounts) check(t *testing.T, where string) string {
	t.Helper()
	if c.changes != mergeTriples*3 || c.creates != c.changes || c.deployments != mergeTriples {
		t.Fatalf("%s: the submission has %d changes (%d creates, %d deployments), want %d creates of which %d deployments",
			where, c.changes, c.creates, c.deployments, mergeTriples*3, mergeTriples)
	}
	all := mergeCounts{status: "MERGED", changes: c.changes, creates: c.creates, deployments: c.deployments,
		entries: c.creates, typeRows: c.creates, versions: c.changes, events: c.changes, citations: c.deployments,
		mergeAudits: 1, mergedReviewAudits: 1, approvals: 1}
	none := mergeCounts{status: "SUBMITTED", changes: c.changes, creates: c.creates, deployments: c.deployments}
	if c != all && c != none {
		t.Errorf("%s: the submission was half merged:\n got  %+v\n want %+v\n or   %+v", where, c, all, none)
	}
	return c.status
}

// importCounts is what an import left: a submission and its audit rows.
type importCounts struct {
	status                                   string
	changes                                  int
	createAudits, importAudits, submitAudits int
}

func importState(t *testing.T, conn *pgx.Conn, title string) []importCounts {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT s.status,
		  (SELECT count(*) FROM changes WHERE submission_id = s.id),
		  (SELECT count(*) FROM audit_log WHERE target_id = s.id AND action = 'submission.create'),
		  (SELECT count(*) FROM audit_log WHERE target_id = s.id AND action = 'change.import'),
		  (SELECT count(*) FROM audit_log WHERE target_id = s.id AND action = 'submission.submit')
		FROM submissions s WHERE s.title = $1`, title)
	if err != nil {
		t.Fatal(err)
	}
	var out []importCounts
	var c importCounts
	if _, err := pgx.ForEachRow(rows, []any{&c.status, &c.changes, &c.createAudits, &c.importAudits, &c.submitAudits}, func() error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatalf("read the submissions titled %q: %v", title, err)
	}
	return out
}

func (c importCounts) check(t *testing.T, where string, lines int, submit bool) {
	t.Helper()
	want := importCounts{status: "DRAFT", changes: lines, createAudits: 1, importAudits: 1}
	if submit {
		want.status, want.submitAudits = "SUBMITTED", 1
	}
	if c != want {
		t.Errorf("%s: the import left a partial submission:\n got  %+v\n want %+v", where, c, want)
	}
}

// consistencyProblems checks the whole registry's history and audit log
// against its entries; it returns what is wrong.
func consistencyProblems(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	checks := []struct{ what, sql string }{
		{"entries without their current version in entry_versions",
			`SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM entry_versions v WHERE v.entry_id = e.id AND v.version = e.version)`},
		{"entries whose version is not their latest entry_versions row",
			`SELECT count(*) FROM entries e WHERE e.version <> (SELECT max(version) FROM entry_versions v WHERE v.entry_id = e.id)`},
		{"entry_versions rows without their entry",
			`SELECT count(*) FROM entry_versions v WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = v.entry_id)`},
		{"entry_versions rows without their change event",
			`SELECT count(*) FROM entry_versions v WHERE NOT EXISTS (SELECT 1 FROM change_events c WHERE c.entry_id = v.entry_id AND c.version = v.version)`},
		{"change events without their version",
			`SELECT count(*) FROM change_events c WHERE NOT EXISTS (SELECT 1 FROM entry_versions v WHERE v.entry_id = c.entry_id AND v.version = c.version)`},
		{"entry_versions rows of a submission that is not merged",
			`SELECT count(*) FROM entry_versions v JOIN submissions s ON s.id = v.submission_id WHERE s.status <> 'MERGED'`},
		{"submissions whose status and submission.merge audit row disagree",
			`SELECT count(*) FROM submissions s WHERE (s.status = 'MERGED') <> EXISTS (SELECT 1 FROM audit_log a WHERE a.target_id = s.id AND a.action = 'submission.merge')`},
		{"merged submissions without an approving review",
			`SELECT count(*) FROM submissions s WHERE s.status = 'MERGED' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.submission_id = s.id AND r.decision = 'APPROVE')`},
		{"audit rows about a submission that does not exist",
			`SELECT count(*) FROM audit_log a WHERE a.target_type = 'submission' AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = a.target_id)`},
	}
	for typ, table := range map[string]string{
		"STATE": "states", "AGENCY": "agencies", "VENDOR": "vendors", "PRODUCT": "products", "TECHNOLOGY": "technologies",
		"DEPLOYMENT": "deployments", "ABUSE": "abuses", "COMMUNITY": "communities", "DESIGNATION_LIST": "designation_lists",
		"DESIGNATION": "designations", "CONTROL_LIST_ENTRY": "control_list_entries", "SOURCE": "sources", "VENDOR_RESPONSE": "vendor_responses",
	} {
		checks = append(checks, struct{ what, sql string }{typ + " entries without their " + table + " row",
			`SELECT count(*) FROM entries e WHERE e.entry_type = '` + typ + `' AND NOT EXISTS (SELECT 1 FROM ` + table + ` x WHERE x.id = e.id)`})
	}
	var problems []string
	for _, c := range checks {
		var n int
		if err := conn.QueryRow(context.Background(), c.sql).Scan(&n); err != nil {
			t.Fatalf("check %s: %v", c.what, err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	return problems
}

// reviewResult is the server's answer to a review, or why there was none.
type reviewResult struct {
	status string
	err    error
}

// approve sends reviewSubmission(APPROVE) and returns the submission's status.
func approve(endpoint, token, submissionID string) reviewResult {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($id: ID!) { reviewSubmission(id: $id, decision: APPROVE, comment: "crash test") { submission { status } userErrors { code message } } }`,
		"variables": map[string]any{"id": submissionID},
	})
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return reviewResult{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reviewResult{err: err}
	}
	var r struct {
		Data struct {
			ReviewSubmission struct {
				Submission struct{ Status string }
				UserErrors []struct{ Code, Message string }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || len(r.Data.ReviewSubmission.UserErrors) > 0 {
		return reviewResult{err: fmt.Errorf("reviewSubmission answered %d %s", resp.StatusCode, raw)}
	}
	return reviewResult{status: r.Data.ReviewSubmission.Submission.Status}
}

// refs are seeded entries the generated deployments refer to.
type refs struct{ state, technology uuid.UUID }

func seededRefs(t *testing.T, conn *pgx.Conn) refs {
	t.Helper()
	var r refs
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT id FROM states WHERE country_code = 'CN'), (SELECT id FROM technologies ORDER BY slug LIMIT 1)`).
		Scan(&r.state, &r.technology); err != nil {
		t.Fatalf("find a seeded state and technology: %v", err)
	}
	return r
}

// writeImportFile writes an ndjson import of n new sources, n new vendors
// and n new deployments, each deployment citing its source and naming its
// vendor: the merge must write them in dependency order.
func writeImportFile(t *testing.T, dir, tag string, n int, r refs) string {
	t.Helper()
	path := filepath.Join(dir, tag+".ndjson")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := range n {
		source, vendor := uuid.New(), uuid.New()
		for _, line := range []any{
			map[string]any{"type": "SOURCE", "id": source, "fields": map[string]any{
				"title": fmt.Sprintf("Crash test report %s-%d", tag, i), "kind": "NGO_REPORT", "url": fmt.Sprintf("https://example.org/%s/%d", tag, i)}},
			map[string]any{"type": "VENDOR", "id": vendor, "fields": map[string]any{
				"name": fmt.Sprintf("Crash Test Vendor %s %d", tag, i), "slug": fmt.Sprintf("crash-test-%s-%d", tag, i), "countryCode": "CN"}},
			map[string]any{"type": "DEPLOYMENT", "fields": map[string]any{
				"stateId": r.state, "technologyId": r.technology, "vendorId": vendor, "confidence": "ALLEGED", "location": fmt.Sprintf("City %d", i)},
				"citations": []any{map[string]any{"sourceId": source, "locator": "p. 1"}}},
		} {
			if err := enc.Encode(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return path
}

// inProcess returns a function that runs an oversight command in the test's
// process against dbURL and returns its standard output.
func inProcess(t *testing.T, dbURL string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, env(map[string]string{"DATABASE_URL": dbURL}), &stdout, &stderr); err != nil {
			t.Fatalf("oversight %s = %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
}

func connect(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	// Before pgtest's cleanup, which drops the database.
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// binary builds ./cmd/oversight once for the tests that run at the same
// time, and removes it when the last of them ends; a test that starts after
// that builds it again, from Go's build cache (about a second).
func binary(t *testing.T) string {
	t.Helper()
	bin.mu.Lock()
	defer bin.mu.Unlock()
	if bin.dir == "" {
		dir, err := os.MkdirTemp("", "oversight-test-bin-")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "oversight"), ".").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build -o %s/oversight .: %v\n%s", dir, err, out)
		}
		bin.dir = dir
	}
	bin.users++
	t.Cleanup(func() {
		bin.mu.Lock()
		defer bin.mu.Unlock()
		if bin.users--; bin.users == 0 {
			os.RemoveAll(bin.dir)
			bin.dir = ""
		}
	})
	return filepath.Join(bin.dir, "oversight")
}

var bin struct {
	mu    sync.Mutex
	dir   string
	users int
}

// childEnv is the test's environment with DATABASE_URL set to dbURL.
func childEnv(dbURL string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	return append(out, "DATABASE_URL="+dbURL)
}

// serverProcess is "oversight serve" running as a child process on a free
// loopback port.
type serverProcess struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:PORT
	stdout syncBuffer
	stderr logSink
	exited chan struct{}
}

// startServer starts the binary's server on dbURL and waits until it
// answers /healthz. The test's cleanup kills it.
func startServer(t *testing.T, bin, dbURL string, extra ...string) *serverProcess {
	t.Helper()
	p := &serverProcess{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)...)
	p.cmd.Env = childEnv(dbURL)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start oversight serve: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)

	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/graphql`)
	for deadline := time.Now().Add(30 * time.Second); p.url == ""; {
		if m := addr.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = "http://" + m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("oversight serve did not say where it listens within 30 s; stderr:\n%s", p.stderr.String())
		}
		select {
		case <-p.exited:
			t.Fatalf("oversight serve exited at start (%v):\n%s", p.cmd.ProcessState, p.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if code := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("GET /healthz = %d after start, want 200", code)
	}
	return p
}

// get returns the status of GET path, or 0 when the request failed.
func (p *serverProcess) get(t *testing.T, path string) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(p.url + path)
	if err != nil {
		t.Logf("GET %s: %v", path, err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// kill sends SIGKILL and waits until the process is gone.
func (p *serverProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func (p *serverProcess) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// logSink keeps the start of a process's log (so a long load test does not
// hold all of it) and counts the lines that matter at any length.
type logSink struct {
	mu                    sync.Mutex
	b                     bytes.Buffer
	total, panics, errors int
}

const logSinkKeep = 256 << 10

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += len(p)
	s.panics += bytes.Count(p, []byte("panic"))
	s.errors += bytes.Count(p, []byte(`"level":"ERROR"`))
	if room := logSinkKeep - s.b.Len(); room > 0 {
		s.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total > s.b.Len() {
		return s.b.String() + fmt.Sprintf("\n[... %d more bytes]", s.total-s.b.Len())
	}
	return s.b.String()
}

func (s *logSink) counts() (panics, errors int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.panics, s.errors
}
