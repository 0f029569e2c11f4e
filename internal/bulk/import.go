package bulk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/editorial"
	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// importBatch is how many lines import reads before it looks them up and
// copies their changes out: a few statements per batch, not per line. At
// 500, 100,000 changes took 200 batches of five round trips each; at 2,000
// the importer spends 2.8 -> 2.4 s of CPU on them (scale 1), for about
// 12 MB more memory.
const importBatch = 2000

// maxReported bounds the mistakes an import reports.
const maxReported = 100

// ImportOptions are the choices of an import.
type ImportOptions struct {
	Title  string // the submission's title; a default names the import
	Submit bool   // also submit the submission for review
}

// ImportResult says what an import created.
type ImportResult struct {
	SubmissionID                           uuid.UUID
	Created, Updated, Retracted, Unchanged int
	Submitted                              bool
}

// Changes is the number of changes the submission holds.
func (r *ImportResult) Changes() int { return r.Created + r.Updated + r.Retracted }

// LineError is a mistake on one line of an imported file.
type LineError struct {
	Line    int
	Path    []string // e.g. ["input", "website"]
	Code    registry.Code
	Message string
}

func (e LineError) Error() string {
	if len(e.Path) == 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, strings.Join(e.Path, "."), e.Message)
}

// ImportErrors are the mistakes that made an import write nothing.
type ImportErrors struct {
	Errors []LineError
	More   int // mistakes found beyond those listed
}

func (e *ImportErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import: nothing was written; %d mistake(s):", len(e.Errors)+e.More)
	for _, x := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(x.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.More)
	}
	return b.String()
}

func (e *ImportErrors) add(line int, code registry.Code, msg string, path ...string) {
	if len(e.Errors) >= maxReported {
		e.More++
		return
	}
	// Messages of registry.Validate start with the field's name; the path
	// already says it.
	if len(path) > 0 {
		msg = strings.TrimPrefix(msg, path[len(path)-1]+": ")
	}
	e.Errors = append(e.Errors, LineError{Line: line, Path: path, Code: code, Message: msg})
}

func (e *ImportErrors) any() bool { return len(e.Errors)+e.More > 0 }

var errImportRollback = errors.New("rolled back: the file had mistakes")

// importLine is one line of an imported file: an entry line of the ndjson
// export. Only type, id, fields, citations, status and retractionReason are
// read; versions, timestamps and history belong to the registry.
type importLine struct {
	Format           *string                    `json:"format"`
	Type             registry.EntryType         `json:"type"`
	ID               *string                    `json:"id"`
	Fields           map[string]json.RawMessage `json:"fields"`
	Citations        json.RawMessage            `json:"citations"`
	Status           registry.EntryStatus       `json:"status"`
	RetractionReason *string                    `json:"retractionReason"`
}

// pending is a line read and checked on its own, waiting for the lookups of its batch.
type pending struct {
	line     int
	typ      registry.EntryType
	id       uuid.UUID
	given    bool // the file gave the ID
	in       importLine
	entry    registry.Entry
	cits     []registry.Citation
	proposed json.RawMessage
	op       registry.ChangeOperation
	base     *int
	reason   *string
}

type ref struct {
	line int
	path []string
	typ  registry.EntryType
	id   uuid.UUID
	had  bool
}

type known struct {
	typ     registry.EntryType
	status  registry.EntryStatus
	version int
	snap    json.RawMessage
}

// importer carries an import's state across batches.
type importer struct {
	tx       pgx.Tx // the import's transaction: the submission and its changes
	reads    pgx.Tx // read-only, on another connection: look-ups and checks
	copier   *copier
	v        registry.Viewer
	opt      ImportOptions
	sub      uuid.UUID
	now      time.Time
	errs     ImportErrors
	res      ImportResult
	position int
	// IDs the file creates, with their type and line, so later (and
	// earlier) lines may refer to them; and the unique keys the file uses.
	created   map[uuid.UUID]registry.EntryType
	lines     map[uuid.UUID]int
	keys      map[string]int
	unresolve []ref // references to IDs neither published nor created so far
}

// Import reads an ndjson file of entries (the export's entry lines; a header
// line is optional) and creates ONE draft submission by v holding a change
// per line that changes something: a CREATE when the ID is new or absent
// (the file's ID is kept, so lines may refer to each other), an UPDATE when
// an entry with the ID is published (fields left out keep their values), a
// RETRACT when the line's status is RETRACTED. Lines equal to the published
// entry are counted as unchanged. With opt.Submit the submission is also
// submitted for review.
//
// Every line is checked as the editorial service checks a proposal:
// registry.Validate, references (published, or created by the file; a new
// reference to a retracted entry refused), unique keys, and with Submit the
// sources every deployment, abuse and designation must cite. All mistakes
// come back as *ImportErrors, naming the line and the field, and then
// nothing is written: the import is one transaction.
//
// Any signed-in user (UNAUTHENTICATED otherwise).
func Import(ctx context.Context, db DB, v registry.Viewer, r io.Reader, opt ImportOptions) (*ImportResult, error) {
	if err := v.MayContribute(); err != nil {
		return nil, err
	}
	im := &importer{v: v, opt: opt, sub: uuid.New(), now: time.Now().UTC().Truncate(time.Microsecond),
		created: map[uuid.UUID]registry.EntryType{}, lines: map[uuid.UUID]int{}, keys: map[string]int{}}
	title := strings.TrimSpace(opt.Title)
	if title == "" {
		title = "Bulk import"
	}
	if len([]rune(title)) > 300 {
		return nil, registry.Invalid(errors.New("title is at most 300 characters"))
	}
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		im.tx, im.reads = tx, tx
		reads := secondConnection(ctx, db)
		if reads != nil {
			defer func() { _ = reads.Rollback(ctx) }()
			im.reads = reads
		}
		if _, err := tx.Exec(ctx, `INSERT INTO submissions (id, title, correction, status, author_id, created_at, updated_at)
			VALUES ($1, $2, false, 'DRAFT', $3, $4, $4)`, im.sub, title, v.UserID, im.now); err != nil {
			return fmt.Errorf("create submission: %w", err)
		}
		if err := postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.create",
			TargetType: "submission", TargetID: im.sub, Details: map[string]any{"correction": false, "import": true}}); err != nil {
			return err
		}
		im.copier = startCopier(ctx, tx, reads != nil)
		defer im.copier.wait() // also when read panics: the COPY must end before the rollback
		err := im.read(ctx, r)
		if cerr := im.copier.wait(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		for _, x := range im.unresolve {
			if t, ok := im.created[x.id]; ok && (x.typ == "" || t == x.typ) {
				continue
			}
			im.errs.add(x.line, registry.CodeNotFound, fmt.Sprintf("no %s with this ID (%s), published or created by the file", typeWord(x.typ), x.id), x.path...)
		}
		if !im.errs.any() && im.res.Changes() == 0 {
			im.errs.add(0, registry.CodeInvalid, "the file holds no changes")
		}
		if im.errs.any() {
			return errImportRollback
		}
		status, submitted := "DRAFT", (*time.Time)(nil)
		if opt.Submit {
			status, submitted = "SUBMITTED", &im.now
			im.res.Submitted = true
		}
		if _, err := tx.Exec(ctx, `UPDATE submissions SET status = $2, submitted_at = $3, updated_at = $4 WHERE id = $1`,
			im.sub, status, submitted, im.now); err != nil {
			return fmt.Errorf("update submission: %w", err)
		}
		// One audit line for the import rather than one per change: the
		// changes themselves are kept with the submission.
		if err := postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "change.import", TargetType: "submission", TargetID: im.sub,
			Details: map[string]any{"created": im.res.Created, "updated": im.res.Updated, "retracted": im.res.Retracted}}); err != nil {
			return err
		}
		if opt.Submit {
			return postgres.Audit(ctx, tx, postgres.AuditEntry{ActorID: v.UserID, Action: "submission.submit", TargetType: "submission", TargetID: im.sub,
				Details: map[string]any{"changes": im.res.Changes()}})
		}
		return nil
	})
	if errors.Is(err, errImportRollback) {
		return nil, &im.errs
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	im.res.SubmissionID = im.sub
	return &im.res, nil
}

func typeWord(t registry.EntryType) string {
	if t == "" {
		return "entry"
	}
	return strings.ToLower(strings.ReplaceAll(string(t), "_", " "))
}

func (im *importer) read(ctx context.Context, r io.Reader) error {
	// Lines are decoded on a goroutine of their own while the batches
	// before them are checked and copied: the two take about as long, and
	// one waits on PostgreSQL half the time. The order is kept.
	lines := make(chan decodedLine, 2*importBatch)
	done := make(chan struct{})
	defer close(done)
	var (
		scanErr error
		last    int
	)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), maxLine)
		n := 0
		for sc.Scan() {
			n++
			b := sc.Bytes()
			if strings.TrimSpace(string(b)) == "" {
				continue
			}
			d := decodedLine{num: n}
			if err := json.Unmarshal(b, &d.in); err != nil {
				d.err = err
			} else if d.in.Format != nil {
				d.header = append([]byte(nil), b...) // the scanner reuses b
			}
			select {
			case lines <- d:
			case <-done:
				return
			}
		}
		// Read by the loop below once lines is closed.
		scanErr, last = sc.Err(), n
	}()

	first := true
	var batch []importLine
	var nums []int
	for d := range lines {
		line := d.num
		if d.err != nil {
			im.errs.add(line, registry.CodeInvalid, "not a JSON object: "+d.err.Error())
			first = false
			continue
		}
		in := d.in
		if in.Format != nil {
			if !first {
				im.errs.add(line, registry.CodeInvalid, "a header line is allowed only first")
			} else if _, err := readHeader(d.header); err != nil {
				im.errs.add(line, registry.CodeInvalid, err.Error())
			}
			first = false
			continue
		}
		first = false
		batch, nums = append(batch, in), append(nums, line)
		if len(batch) == importBatch {
			if err := im.batch(ctx, batch, nums); err != nil {
				return err
			}
			batch, nums = batch[:0], nums[:0]
		}
	}
	if scanErr != nil {
		im.errs.add(last+1, registry.CodeInvalid, scanErr.Error())
		return nil
	}
	if len(batch) > 0 {
		return im.batch(ctx, batch, nums)
	}
	return nil
}

// decodedLine is one non-blank line of an import file, decoded: its number,
// the line or why it is not a JSON object, and its bytes when it is a header.
type decodedLine struct {
	num    int
	in     importLine
	err    error
	header []byte
}

func (im *importer) batch(ctx context.Context, lines []importLine, nums []int) error {
	// First the lines' own IDs: what is published under them, and whether
	// another submission already creates an entry with one of them.
	var ids []uuid.UUID
	ps := make([]*pending, 0, len(lines))
	for i, in := range lines {
		p := &pending{line: nums[i], in: in, typ: in.Type}
		if tableOf(in.Type) == nil {
			im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("%q is not an entry type", in.Type), "type")
			continue
		}
		if in.ID != nil {
			id, err := uuid.Parse(*in.ID)
			if err != nil {
				im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("%q is not a UUID", *in.ID), "id")
				continue
			}
			if prev, dup := im.lines[id]; dup {
				im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("line %d already has this ID", prev), "id")
				continue
			}
			p.id, p.given = id, true
			ids = append(ids, id)
		} else {
			p.id = uuid.New()
		}
		im.lines[p.id] = p.line
		ps = append(ps, p)
	}
	current, err := im.lookup(ctx, ids)
	if err != nil {
		return err
	}
	taken := map[uuid.UUID]bool{}
	rows, err := im.reads.Query(ctx, `SELECT entry_id FROM changes WHERE entry_id = ANY($1) AND operation = 'CREATE' AND withdrawn_at IS NULL`, uuidArray(ids))
	if err != nil {
		return fmt.Errorf("check IDs: %w", err)
	}
	var id uuid.UUID
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { taken[id] = true; return nil }); err != nil {
		return fmt.Errorf("check IDs: %w", err)
	}

	// Then each line on its own, gathering its references.
	var refs []ref
	var ready []*pending
	for _, p := range ps {
		cur, exists := current[p.id]
		switch {
		case exists && cur.typ != p.typ:
			im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("the entry is a %s, not a %s", typeWord(cur.typ), typeWord(p.typ)), "id")
			continue
		case !exists && taken[p.id]:
			im.errs.add(p.line, registry.CodeConflict, "another submission already creates an entry with this ID", "id")
			continue
		}
		var c *known
		if exists {
			c = &cur
		}
		rs, ok := im.prepare(p, c)
		if !ok {
			continue
		}
		refs = append(refs, rs...)
		ready = append(ready, p)
		if p.op == registry.OpCreate {
			im.created[p.id] = p.typ
		}
	}

	// References: published entries are looked up once per batch; others
	// must be created by the file, possibly further down.
	var refIDs []uuid.UUID
	for _, r := range refs {
		refIDs = append(refIDs, r.id)
	}
	published, err := im.lookup(ctx, refIDs)
	if err != nil {
		return err
	}
	for _, r := range refs {
		k, ok := published[r.id]
		field := r.path[len(r.path)-1]
		switch {
		case !ok:
			if t, made := im.created[r.id]; !made || (r.typ != "" && t != r.typ) {
				im.unresolve = append(im.unresolve, r)
			}
		case r.typ != "" && k.typ != r.typ:
			im.errs.add(r.line, registry.CodeNotFound, fmt.Sprintf("no %s with this ID, published or created by the file", typeWord(r.typ)), r.path...)
		case k.status == registry.StatusRetracted && !r.had:
			im.errs.add(r.line, registry.CodeInvalid, fmt.Sprintf("%s: the %s is retracted", field, typeWord(r.typ)), r.path...)
		}
	}
	if err := im.checkUnique(ctx, ready); err != nil {
		return err
	}
	if im.errs.any() {
		return nil // keep checking the rest of the file, write nothing
	}

	var out [][]any
	for _, p := range ready {
		if p.op == "" {
			continue
		}
		im.position++
		// UUIDs go as [16]byte (see uuidArray).
		out = append(out, []any{[16]byte(uuid.New()), [16]byte(im.sub), im.position, string(p.op), string(p.typ), [16]byte(p.id), p.base, p.proposed, p.reason, im.now})
	}
	if len(out) == 0 {
		return nil
	}
	return im.copier.copy(out)
}

// secondConnection begins a read-only transaction on another of db's
// connections, for the batches' look-ups and checks while the import's
// own transaction copies the changes of the batch before: the checks read
// only what other transactions have committed (published entries, other
// submissions' changes), never this import's writes (an ID or a unique
// key the file repeats is caught from the file itself), so they need not
// share its transaction. It returns nil, and the import runs on its one
// transaction, when db is not a pool or no other connection is free within
// a second (a pool of one, or every connection held by another import
// waiting for a second one too).
func secondConnection(ctx context.Context, db DB) pgx.Tx {
	pool, ok := db.(*pgxpool.Pool)
	if !ok {
		return nil
	}
	// The deadline bounds the wait for a connection and the BEGIN; the
	// transaction does not keep the context.
	actx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	tx, err := pool.BeginTx(actx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil
	}
	return tx // its Rollback returns the connection to the pool
}

// copier copies batches of changes into the import's transaction, in
// order. When the checks have a connection of their own, it copies on a
// goroutine while the next batch is checked: for 100,000 changes the COPY
// is about a second of waiting on PostgreSQL, which the checks then
// overlap. Otherwise it copies each batch as it comes.
type copier struct {
	ctx     context.Context
	tx      pgx.Tx
	batches chan [][]any // nil when copying as batches come
	failed  chan error   // the first error, once; then the rest are dropped
	done    chan struct{}
	err     error // set before done closes
	waited  bool
}

func startCopier(ctx context.Context, tx pgx.Tx, background bool) *copier {
	c := &copier{ctx: ctx, tx: tx, failed: make(chan error, 1), done: make(chan struct{})}
	if !background {
		close(c.done)
		return c
	}
	c.batches = make(chan [][]any, 1)
	go func() {
		defer close(c.done)
		for rows := range c.batches {
			if c.err != nil {
				continue
			}
			if c.err = c.save(rows); c.err != nil {
				c.failed <- c.err
			}
		}
	}()
	return c
}

func (c *copier) save(rows [][]any) error {
	if _, err := c.tx.CopyFrom(c.ctx, pgx.Identifier{"changes"},
		[]string{"id", "submission_id", "position", "operation", "entry_type", "entry_id", "base_version", "proposed", "reason", "created_at"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("save changes: %w", err)
	}
	return nil
}

// copy copies or queues a batch, or returns the error that stopped an
// earlier one.
func (c *copier) copy(rows [][]any) error {
	if c.batches == nil {
		if c.err == nil {
			c.err = c.save(rows)
		}
		return c.err
	}
	select {
	case err := <-c.failed:
		c.failed <- err // wait reports it too
		return err
	case c.batches <- rows:
		return nil
	}
}

// wait lets the queued batches finish and returns the first error. It may
// be called again, and returns the same.
func (c *copier) wait() error {
	if !c.waited {
		c.waited = true
		if c.batches != nil {
			close(c.batches)
		}
	}
	<-c.done
	return c.err
}

// lookup returns the published entries with these IDs and their current snapshots.
func (im *importer) lookup(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]known, error) {
	out := map[uuid.UUID]known{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := im.reads.Query(ctx, `SELECT e.id, e.entry_type, e.status, e.version, v.snapshot
		FROM entries e JOIN entry_versions v ON v.entry_id = e.id AND v.version = e.version WHERE e.id = ANY($1)`, uuidArray(ids))
	if err != nil {
		return nil, fmt.Errorf("look up entries: %w", err)
	}
	var id uuid.UUID
	var k known
	if _, err := pgx.ForEachRow(rows, []any{&id, &k.typ, &k.status, &k.version, &k.snap}, func() error {
		out[id] = k
		return nil
	}); err != nil {
		return nil, fmt.Errorf("look up entries: %w", err)
	}
	return out, nil
}

// prepare works out a line's change as editorial.Propose would: the
// published snapshot (if any) overlaid with the line's fields and citations,
// decoded, validated. It returns the line's references, and false when the
// line has mistakes.
func (im *importer) prepare(p *pending, cur *known) ([]ref, bool) {
	before := len(im.errs.Errors) + im.errs.More
	base := map[string]json.RawMessage{}
	p.op = registry.OpCreate
	if cur != nil {
		if err := json.Unmarshal(cur.snap, &base); err != nil {
			im.errs.add(p.line, registry.CodeInvalid, "the published entry cannot be read", "id")
			return nil, false
		}
		p.op, p.base = registry.OpUpdate, &cur.version
	}
	// A retraction.
	if p.in.Status == registry.StatusRetracted {
		switch {
		case cur == nil:
			im.errs.add(p.line, registry.CodeInvalidState, "a new entry cannot be created retracted", "status")
		case cur.status == registry.StatusRetracted:
			p.op = "" // already retracted: unchanged
			im.res.Unchanged++
		default:
			reason := ""
			if p.in.RetractionReason != nil {
				reason = strings.TrimSpace(*p.in.RetractionReason)
			}
			if reason == "" || len([]rune(reason)) > 5000 {
				im.errs.add(p.line, registry.CodeInvalid, "a retraction needs its public reason, at most 5000 characters", "retractionReason")
				return nil, false
			}
			base["status"], _ = json.Marshal(registry.StatusRetracted)
			base["retractionReason"], _ = json.Marshal(reason)
			p.op, p.reason = registry.OpRetract, &reason
			p.proposed, _ = json.Marshal(base)
			im.res.Retracted++
		}
		return nil, len(im.errs.Errors)+im.errs.More == before
	}
	if p.in.Status != "" && p.in.Status != registry.StatusPublished {
		im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("%q is not PUBLISHED or RETRACTED", p.in.Status), "status")
		return nil, false
	}
	if cur != nil && cur.status == registry.StatusRetracted {
		im.errs.add(p.line, registry.CodeInvalidState, "a retracted entry cannot be updated", "id")
		return nil, false
	}
	var had []registry.Reference
	if cur != nil {
		if prev, prevCits, err := decodeSnapshot(p.typ, p.id, cur.snap); err == nil {
			had = append(registry.References(prev), citationRefs(prevCits)...)
		}
	}
	// What a line may set is what a proposal may (the editorial rule): a
	// misspelt field or a status among the fields is the author's mistake,
	// named with its line, not something to drop quietly.
	fields := editorial.Fields(p.in.Fields)
	for _, fe := range editorial.CheckFields(p.typ, fields) {
		im.errs.add(p.line, fe.Code, fe.Message, fe.Field...)
	}
	if _, ok := fields["citations"]; ok && len(p.in.Citations) > 0 {
		im.errs.add(p.line, registry.CodeInvalid, "citations are given twice, in the line and in its fields: give them once", "citations")
	}
	if len(im.errs.Errors)+im.errs.More > before {
		return nil, false
	}
	for k, v := range fields {
		base[k] = v
	}
	if len(p.in.Citations) > 0 {
		base["citations"] = p.in.Citations
	}
	if p.op == registry.OpCreate && (p.typ == registry.TypeVendor || p.typ == registry.TypeTechnology) && emptyJSON(base["slug"]) {
		var name string
		if json.Unmarshal(base["name"], &name) == nil {
			base["slug"], _ = json.Marshal(registry.Slugify(name))
		}
	}
	merged, _ := json.Marshal(base)
	e, cits, err := decodeSnapshot(p.typ, p.id, merged)
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			im.errs.add(p.line, registry.CodeInvalid, fmt.Sprintf("a %s where %s wants a %s", te.Value, te.Field, te.Type), append([]string{"input"}, strings.Split(te.Field, ".")...)...)
		} else {
			im.errs.add(p.line, registry.CodeInvalid, "a field has a value of the wrong kind: "+err.Error(), "input")
		}
		return nil, false
	}
	for _, fe := range registry.Validate(e, cits) {
		im.errs.add(p.line, fe.Code, fe.Message, append([]string{"input"}, fe.Field...)...)
	}
	if im.opt.Submit && registry.MustCite(p.typ) && len(cits) == 0 {
		im.errs.add(p.line, registry.CodeUnsourced, fmt.Sprintf("cites no source: every %s must be sourced", typeWord(p.typ)), "input", "citations")
	}
	p.entry, p.cits = e, cits
	if p.proposed, err = registry.Snapshot(e, cits); err != nil {
		im.errs.add(p.line, registry.CodeInvalid, err.Error(), "input")
		return nil, false
	}
	if cur != nil {
		// Compared in canonical form: jsonb reorders the keys of the
		// published snapshot's nested objects (citations), which
		// registry.Diff would take for a change.
		var changes []registry.FieldChange
		before, err1 := canonical(cur.snap)
		after, err2 := canonical(p.proposed)
		if err1 == nil && err2 == nil {
			changes, err = registry.Diff(before, after)
		}
		if err1 == nil && err2 == nil && err == nil && len(changes) == 0 {
			p.op = ""
			im.res.Unchanged++
		}
	}
	switch p.op {
	case registry.OpCreate:
		im.res.Created++
	case registry.OpUpdate:
		im.res.Updated++
	}
	hadIDs := map[uuid.UUID]bool{}
	for _, r := range had {
		for _, id := range r.IDs {
			hadIDs[id] = true
		}
	}
	var refs []ref
	for _, r := range registry.References(e) {
		for _, id := range r.IDs {
			if id == p.id && r.Type != "" {
				continue // a parent pointing at itself is Validate's to report
			}
			refs = append(refs, ref{line: p.line, path: []string{"input", r.Field}, typ: r.Type, id: id, had: hadIDs[id]})
		}
	}
	for i, c := range cits {
		refs = append(refs, ref{line: p.line, path: []string{"input", "citations", fmt.Sprint(i), "sourceId"}, typ: registry.TypeSource, id: c.SourceID, had: hadIDs[c.SourceID]})
	}
	return refs, len(im.errs.Errors)+im.errs.More == before
}

// uniqueKeys are the fields (or pairs) no two entries of a type may share,
// as the tables' unique constraints and the editorial service have them.
var uniqueKeys = map[registry.EntryType]struct {
	field, table, sql string
	key               func(registry.Entry) string
}{
	registry.TypeState:      {"countryCode", "states", "country_code", func(e registry.Entry) string { return string(e.(*registry.State).CountryCode) }},
	registry.TypeVendor:     {"slug", "vendors", "slug", func(e registry.Entry) string { return e.(*registry.Vendor).Slug }},
	registry.TypeTechnology: {"slug", "technologies", "slug", func(e registry.Entry) string { return e.(*registry.Technology).Slug }},
	registry.TypeDesignationList: {"code", "designation_lists", "code", func(e registry.Entry) string {
		return e.(*registry.DesignationList).Code
	}},
	registry.TypeControlListEntry: {"code", "control_list_entries", `regime || E'\x1f' || code`, func(e registry.Entry) string {
		x := e.(*registry.ControlListEntry)
		return string(x.Regime) + "\x1f" + x.Code
	}},
	registry.TypeCommunity: {"name", "communities", "name", func(e registry.Entry) string { return e.(*registry.Community).Name }},
	registry.TypeProduct: {"name", "products", `vendor_id::text || E'\x1f' || name`, func(e registry.Entry) string {
		x := e.(*registry.Product)
		return x.VendorID.String() + "\x1f" + x.Name
	}},
	registry.TypeAgency: {"name", "agencies", `state_id::text || E'\x1f' || name`, func(e registry.Entry) string {
		x := e.(*registry.Agency)
		return x.StateID.String() + "\x1f" + x.Name
	}},
}

// checkUnique refuses a key that a published entry other than the line's
// own, or an earlier line of the file, already has: one query per type and batch.
func (im *importer) checkUnique(ctx context.Context, ps []*pending) error {
	byType := map[registry.EntryType][]*pending{}
	for _, p := range ps {
		if p.entry != nil && p.op != registry.OpRetract {
			byType[p.typ] = append(byType[p.typ], p)
		}
	}
	for t, group := range byType {
		k, ok := uniqueKeys[t]
		if !ok {
			continue
		}
		keys := make([]string, len(group))
		for i, p := range group {
			keys[i] = k.key(p.entry)
		}
		owners := map[string][]uuid.UUID{}
		rows, err := im.reads.Query(ctx, `SELECT id, `+k.sql+` FROM `+k.table+` WHERE `+k.sql+` = ANY($1)`, keys)
		if err != nil {
			return fmt.Errorf("check %s of %s: %w", k.field, t, err)
		}
		var id uuid.UUID
		var key string
		if _, err := pgx.ForEachRow(rows, []any{&id, &key}, func() error { owners[key] = append(owners[key], id); return nil }); err != nil {
			return fmt.Errorf("check %s of %s: %w", k.field, t, err)
		}
		for i, p := range group {
			clash := false
			for _, owner := range owners[keys[i]] {
				clash = clash || owner != p.id
			}
			fileKey := string(t) + "\x00" + keys[i]
			if prev, ok := im.keys[fileKey]; ok && prev != p.line {
				im.errs.add(p.line, registry.CodeConflict, fmt.Sprintf("line %d already has this %s", prev, k.field), "input", k.field)
			} else if clash {
				im.errs.add(p.line, registry.CodeConflict, fmt.Sprintf("another %s already has this %s", typeWord(t), k.field), "input", k.field)
			}
			im.keys[fileKey] = p.line
		}
	}
	return nil
}

// decodeSnapshot reads a snapshot into an entry and its citations, as the
// editorial service does.
func decodeSnapshot(t registry.EntryType, id uuid.UUID, snap json.RawMessage) (registry.Entry, []registry.Citation, error) {
	e, err := registry.NewEntry(t)
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(snap, e); err != nil {
		return nil, nil, err
	}
	var p struct {
		Status           registry.EntryStatus `json:"status"`
		RetractionReason *string              `json:"retractionReason"`
		Citations        []registry.Citation  `json:"citations"`
	}
	if err := json.Unmarshal(snap, &p); err != nil {
		return nil, nil, err
	}
	m := e.EntryMeta()
	m.ID, m.Status, m.RetractionReason = id, p.Status, p.RetractionReason
	if m.Status == "" {
		m.Status = registry.StatusPublished
	}
	return e, p.Citations, nil
}

func citationRefs(cits []registry.Citation) []registry.Reference {
	var refs []registry.Reference
	for _, c := range cits {
		refs = append(refs, registry.Reference{Field: "sourceId", Type: registry.TypeSource, IDs: []uuid.UUID{c.SourceID}})
	}
	return refs
}

func emptyJSON(v json.RawMessage) bool {
	s := strings.TrimSpace(string(v))
	return s == "" || s == "null" || s == `""`
}

// uuidArray passes UUIDs to pgx as [16]byte: uuid.UUID is a driver.Valuer,
// which pgx encodes through its text form after a failed binary attempt (an
// error built and dropped for every value): a tenth of an import's CPU.
func uuidArray(ids []uuid.UUID) [][16]byte {
	out := make([][16]byte, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
