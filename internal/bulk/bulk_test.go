package bulk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/pgtest"
	"oversight/internal/registry"
	"oversight/seed"
)

// Markers of confidential details: none may appear in any export. The
// hash, dates and language tag have formats of their own.
var (
	secretHash                      = strings.Repeat("5ec7", 16)
	secretLang                      = "qaa-SECRET"
	secretPublished, secretAccessed = "1903-04-05", "1904-05-06"
	secrets                         = []string{"SECRET-URL-MARKER", "SECRET-ARCHIVE-MARKER", "SECRET-AUTHOR-MARKER", "SECRET-QUOTE-MARKER",
		"SECRET-LOCATOR-MARKER", "SECRET-PUBLISHER-MARKER", secretHash, secretLang, secretPublished, secretAccessed}
)

type fixture struct {
	t                    *testing.T
	ctx                  context.Context
	db                   *pgxpool.Pool
	svc                  *editorial.Service
	contributor, editor  registry.Viewer
	secretSource, vendor uuid.UUID
	retracted            uuid.UUID
}

// newFixture seeds a fresh database, then publishes through the editorial
// service a confidential source cited by a vendor (an update), a state's
// correction and a retraction, so that there is history to export.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db := pgtest.New(t)
	d, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db, d); err != nil {
		t.Fatalf("seed.Load() = %v", err)
	}
	f := &fixture{t: t, ctx: ctx, db: db, svc: editorial.New(db)}
	store := auth.NewStore(db)
	for _, u := range []struct {
		v    *registry.Viewer
		role registry.Role
	}{{&f.contributor, registry.RoleContributor}, {&f.editor, registry.RoleEditor}} {
		id, err := store.AddUser(ctx, "User "+string(u.role), strings.ToLower(string(u.role))+"@example.org", u.role)
		if err != nil {
			t.Fatal(err)
		}
		*u.v = registry.Viewer{UserID: id, Role: u.role}
	}
	if err := db.QueryRow(ctx, `SELECT id FROM vendors ORDER BY id LIMIT 1`).Scan(&f.vendor); err != nil {
		t.Fatal(err)
	}

	sub := f.submission("Add a leaked memo", false)
	f.secretSource = f.propose(sub, registry.TypeSource, nil, editorial.Fields{
		"title": raw(`"Leaked procurement memo"`), "kind": raw(`"LEAKED_DOCUMENT"`), "confidential": raw(`true`),
		"url":        raw(`"https://leaks.example.org/SECRET-URL-MARKER"`),
		"archiveUrl": raw(`"https://archive.example.org/SECRET-ARCHIVE-MARKER"`),
		"authors":    raw(`["SECRET-AUTHOR-MARKER"]`), "publisher": raw(`"SECRET-PUBLISHER-MARKER: Anonymous & Co <tips>"`),
		"contentSha256": raw(`"` + secretHash + `"`), "language": raw(`"` + secretLang + `"`),
		"publishedOn": raw(`"` + secretPublished + `"`), "accessedOn": raw(`"` + secretAccessed + `"`),
	})
	f.propose(sub, registry.TypeVendor, &f.vendor, editorial.Fields{
		"description": raw(`"Sold \"systems\" to police;\nsee the memo, p. 3 — über alles, 监控"`),
		"citations":   raw(fmt.Sprintf(`[{"sourceId": %q, "locator": "SECRET-LOCATOR-MARKER p. 3", "quote": "SECRET-QUOTE-MARKER"}]`, f.secretSource)),
	})
	f.merge(sub)

	sub = f.submission("Correct a state's summary", true)
	var state uuid.UUID
	if err := db.QueryRow(ctx, `SELECT id FROM states ORDER BY id LIMIT 1`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	f.propose(sub, registry.TypeState, &state, editorial.Fields{"summary": raw(`"A corrected summary."`)})
	f.merge(sub)

	sub = f.submission("Retract a deployment", false)
	if err := db.QueryRow(ctx, `SELECT id FROM deployments ORDER BY id LIMIT 1`).Scan(&f.retracted); err != nil {
		t.Fatal(err)
	}
	if _, errs, err := f.svc.ProposeRetraction(ctx, f.contributor, sub, f.retracted, "The source was found to be forged."); err != nil || len(errs) > 0 {
		t.Fatalf("ProposeRetraction() = %v, %v", errs, err)
	}
	f.merge(sub)
	return f
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func (f *fixture) submission(title string, correction bool) uuid.UUID {
	f.t.Helper()
	sub, errs, err := f.svc.CreateSubmission(f.ctx, f.contributor, title, nil, correction)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("CreateSubmission(%q) = %v, %v", title, errs, err)
	}
	return sub.ID
}

func (f *fixture) propose(sub uuid.UUID, t registry.EntryType, id *uuid.UUID, fields editorial.Fields) uuid.UUID {
	f.t.Helper()
	p, errs, err := f.svc.Propose(f.ctx, f.contributor, sub, t, id, fields)
	if err != nil || len(errs) > 0 {
		f.t.Fatalf("Propose(%s) = %v, %v", t, errs, err)
	}
	return p.Change.EntryID
}

func (f *fixture) merge(sub uuid.UUID) {
	f.t.Helper()
	if _, errs, err := f.svc.Submit(f.ctx, f.contributor, sub); err != nil || len(errs) > 0 {
		f.t.Fatalf("Submit() = %v, %v", errs, err)
	}
	if _, errs, err := f.svc.Review(f.ctx, f.editor, sub, registry.DecisionApprove, nil); err != nil || len(errs) > 0 {
		f.t.Fatalf("Review(APPROVE) = %v, %v", errs, err)
	}
}

func export(t *testing.T, db *pgxpool.Pool, write func(ctx context.Context, v *bulk.View, w io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bulk.NewExporter(db).Read(t.Context(), func(v *bulk.View) error { return write(t.Context(), v, &b) }); err != nil {
		t.Fatalf("export: %v", err)
	}
	return b.Bytes()
}

func ndjson(ctx context.Context, v *bulk.View, w io.Writer) error { return v.WriteNDJSON(ctx, w) }
func ftm(ctx context.Context, v *bulk.View, w io.Writer) error    { return v.WriteFtM(ctx, w) }

func noSecrets(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s contains the confidential marker %s", what, s)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	first := export(t, f.db, ndjson)
	noSecrets(t, "ndjson export", first)

	lines := bytes.Split(bytes.TrimSuffix(first, []byte("\n")), []byte("\n"))
	var h bulk.Header
	if err := json.Unmarshal(lines[0], &h); err != nil || h.Format != bulk.FormatName || h.Version != bulk.FormatVersion {
		t.Fatalf("first line = %s, want the header", lines[0])
	}
	var sawRetracted, sawHistory, sawSecret bool
	var types []string
	for _, l := range lines[1:] {
		var e bulk.Entry
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("entry line %s: %v", l, err)
		}
		types = append(types, string(e.Type))
		if e.ID == f.retracted {
			sawRetracted = e.Status == registry.StatusRetracted && e.RetractionReason != nil && len(e.History) == 2
		}
		if e.ID == f.vendor {
			sawHistory = len(e.History) == 2 && e.History[1].Events[0].Kind == "UPDATED" && len(e.Citations) == 1 && e.Citations[0].Quote == nil
		}
		if e.ID == f.secretSource {
			sawSecret = strings.Contains(string(e.Fields), `"url":null`) && strings.Contains(string(e.Fields), `"confidential":true`)
		}
	}
	if !sawRetracted || !sawHistory || !sawSecret {
		t.Errorf("export: retracted deployment marked = %t, vendor history and redacted citation = %t, confidential source redacted = %t; want all true",
			sawRetracted, sawHistory, sawSecret)
	}
	if types[0] != "SOURCE" || types[len(types)-1] != "DESIGNATION" && types[len(types)-1] != "VENDOR_RESPONSE" {
		t.Errorf("entry types run from %s to %s, want sources first", types[0], types[len(types)-1])
	}

	empty := pgtest.New(t)
	res, err := bulk.Restore(t.Context(), empty, bytes.NewReader(first))
	if err != nil {
		t.Fatalf("Restore() = %v", err)
	}
	if res.Entries != len(lines)-1 {
		t.Errorf("Restore() restored %d entries, want %d", res.Entries, len(lines)-1)
	}
	second := export(t, empty, ndjson)
	if !bytes.Equal(first, second) {
		a, b := strings.Split(string(first), "\n"), strings.Split(string(second), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("export after restore differs at line %d:\n got %s\nwant %s", i+1, b[i], a[i])
			}
		}
		t.Fatalf("export after restore has %d lines, want %d", len(b), len(a))
	}

	// The restored registry accepts new publications after the restored events.
	var next, last int64
	if err := empty.QueryRow(t.Context(), `SELECT max(id) FROM change_events`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if err := empty.QueryRow(t.Context(), `SELECT nextval(pg_get_serial_sequence('change_events', 'id'))`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next != last+1 {
		t.Errorf("after restore the next change event ID is %d, want %d", next, last+1)
	}

	if _, err := bulk.Restore(t.Context(), empty, bytes.NewReader(first)); !errors.Is(err, bulk.ErrNotEmpty) {
		t.Errorf("Restore() into a non-empty registry = %v, want ErrNotEmpty", err)
	}
	truncated := bytes.Join(lines[:len(lines)-3], []byte("\n"))
	if _, err := bulk.Restore(t.Context(), pgtest.New(t), bytes.NewReader(truncated)); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Restore() of a truncated file = %v, want an error saying so", err)
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cat := catalog.New(f.db)
	ctx := t.Context()
	first := catalog.Page{First: 1, WantTotal: true}
	total := func(n int, err error) int {
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The API's totalCount with includeRetracted, for the lists it has.
	api := map[string]int{}
	api["states"] = total(func() (int, error) {
		c, err := cat.ListStates(ctx, catalog.StateFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["vendors"] = total(func() (int, error) {
		c, err := cat.ListVendors(ctx, catalog.VendorFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["products"] = total(func() (int, error) {
		c, err := cat.ListProducts(ctx, catalog.ProductFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["deployments"] = total(func() (int, error) {
		c, err := cat.ListDeployments(ctx, catalog.DeploymentFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["abuses"] = total(func() (int, error) {
		c, err := cat.ListAbuses(ctx, catalog.AbuseFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["designations"] = total(func() (int, error) {
		c, err := cat.ListDesignations(ctx, catalog.DesignationFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())
	api["sources"] = total(func() (int, error) {
		c, err := cat.ListSources(ctx, catalog.SourceFilter{IncludeRetracted: true}, first)
		return c.Total, err
	}())

	ids := map[string]map[string]bool{}
	files := map[string][][]string{}
	for _, name := range bulk.CSVFiles() {
		b := export(t, f.db, func(ctx context.Context, v *bulk.View, w io.Writer) error { return v.WriteCSV(ctx, w, name) })
		noSecrets(t, name+".csv", b)
		if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s.csv starts with a byte-order mark", name)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s.csv does not parse: %v", name, err)
		}
		if !slices.Equal(recs[0], bulk.CSVHeader(name)) {
			t.Errorf("%s.csv header = %v, want %v", name, recs[0], bulk.CSVHeader(name))
		}
		files[name] = recs[1:]
		ids[name] = map[string]bool{}
		for _, r := range recs[1:] {
			ids[name][r[0]] = true
		}
		if want, ok := api[name]; ok && len(recs)-1 != want {
			t.Errorf("%s.csv has %d rows, the API's totalCount is %d", name, len(recs)-1, want)
		}
	}
	var entries int
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM entries`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range bulk.CSVFiles()[:13] {
		n += len(files[name])
	}
	if n != entries {
		t.Errorf("the entry files have %d rows, the registry %d entries", n, entries)
	}
	// IDs join across files: every citation's source is in sources.csv,
	// every agency's state in states.csv.
	for _, r := range files["citations"] {
		if !ids["sources"][r[3]] {
			t.Errorf("citations.csv: source_id %s is not in sources.csv", r[3])
		}
	}
	for _, r := range files["agencies"] {
		if !ids["states"][r[7]] {
			t.Errorf("agencies.csv: state_id %s is not in states.csv", r[7])
		}
	}
	for _, r := range files["product_technologies"] {
		if !ids["products"][r[0]] || !ids["technologies"][r[1]] {
			t.Errorf("product_technologies.csv: %v does not join", r)
		}
	}
	// The retracted deployment is there, marked; lists are JSON arrays.
	for _, r := range files["deployments"] {
		if r[0] == f.retracted.String() && (r[3] != "RETRACTED" || r[4] == "") {
			t.Errorf("deployments.csv: retracted row = %v, want status RETRACTED and its reason", r[:5])
		}
	}
	for _, r := range files["vendors"] {
		var aliases []string
		if err := json.Unmarshal([]byte(r[9]), &aliases); err != nil {
			t.Errorf("vendors.csv: aliases %q is not a JSON array: %v", r[9], err)
		}
	}
}

func TestFtM(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := export(t, f.db, ftm)
	noSecrets(t, "FtM export", b)
	exported := map[string]string{}
	var entities []bulk.FtMEntity
	for i, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var e bulk.FtMEntity
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(l, &keys); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if err := json.Unmarshal(l, &e); err != nil || e.ID == "" || e.Schema == "" || len(e.Properties) == 0 || len(keys) != 3 {
			t.Fatalf("line %d = %s, want id, schema and properties (%v)", i+1, l, err)
		}
		if !slices.Contains(bulk.FtMSchemas, e.Schema) {
			t.Errorf("line %d: schema %q is not one of %v", i+1, e.Schema, bulk.FtMSchemas)
		}
		if _, dup := exported[e.ID]; dup {
			t.Errorf("line %d: ID %s twice", i+1, e.ID)
		}
		exported[e.ID] = e.Schema
		entities = append(entities, e)
	}
	if exported[bulk.FtMID(f.retracted)] != "" {
		t.Errorf("the retracted deployment is in the FtM export")
	}
	sanctions := 0
	for _, e := range entities {
		switch e.Schema {
		case "Sanction":
			sanctions++
			if len(e.Properties["entity"]) != 1 || exported[e.Properties["entity"][0]] == "" {
				t.Errorf("Sanction %s: entity %v is not an exported entity", e.ID, e.Properties["entity"])
			}
		case "Ownership":
			if exported[e.Properties["owner"][0]] != "Company" || exported[e.Properties["asset"][0]] != "Company" {
				t.Errorf("Ownership %s: %v", e.ID, e.Properties)
			}
		case "Documentation":
			if exported[e.Properties["document"][0]] != "Document" || exported[e.Properties["entity"][0]] == "" {
				t.Errorf("Documentation %s: %v", e.ID, e.Properties)
			}
		}
	}
	var designations int
	if err := f.db.QueryRow(t.Context(), `SELECT count(*) FROM entries WHERE entry_type = 'DESIGNATION' AND status = 'PUBLISHED'`).Scan(&designations); err != nil {
		t.Fatal(err)
	}
	if sanctions != designations {
		t.Errorf("FtM export has %d Sanctions, the registry %d published designations", sanctions, designations)
	}
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(bulk.Handler(bulk.NewExporter(f.db), nil, nil))
	t.Cleanup(srv.Close)
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	want := map[string][]byte{
		"/export/registry.ndjson":     export(t, f.db, ndjson),
		"/export/registry.ftm.ndjson": export(t, f.db, ftm),
		"/export/vendors.csv": export(t, f.db, func(ctx context.Context, v *bulk.View, w io.Writer) error {
			return v.WriteCSV(ctx, w, "vendors")
		}),
	}
	for path, body := range want {
		res := get(path)
		got, _ := io.ReadAll(res.Body)
		etag := res.Header.Get("ETag")
		if res.StatusCode != 200 || etag == "" || res.Header.Get("Last-Modified") == "" || !bytes.Equal(got, body) {
			t.Errorf("GET %s = %d, ETag %q, Last-Modified %q, %d bytes; want 200, both headers and the export (%d bytes)",
				path, res.StatusCode, etag, res.Header.Get("Last-Modified"), len(got), len(body))
		}
		if res.ContentLength != -1 || len(res.TransferEncoding) == 0 {
			t.Errorf("GET %s: Content-Length %d, Transfer-Encoding %v; want a streamed (chunked) response", path, res.ContentLength, res.TransferEncoding)
		}
		if res := get(path, "If-None-Match", etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s = %d, want 304", path, etag, res.StatusCode)
		}
		if res := get(path, "If-None-Match", `"stale"`); res.StatusCode != 200 {
			t.Errorf("GET %s with a stale If-None-Match = %d, want 200", path, res.StatusCode)
		}
	}
	if res := get("/export/users.csv"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /export/users.csv = %d, want 404", res.StatusCode)
	}
	if ct := get("/export/states.csv").Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("GET /export/states.csv Content-Type = %q, want text/csv", ct)
	}

	// A publication changes the ETag.
	before := get("/export/registry.ndjson").Header.Get("ETag")
	sub := f.submission("One more", false)
	var state uuid.UUID
	if err := f.db.QueryRow(t.Context(), `SELECT id FROM states ORDER BY id DESC LIMIT 1`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	f.propose(sub, registry.TypeState, &state, editorial.Fields{"summary": raw(`"Changed."`)})
	f.merge(sub)
	if res := get("/export/registry.ndjson", "If-None-Match", before); res.StatusCode != 200 || res.Header.Get("ETag") == before {
		t.Errorf("after a merge GET with the old ETag = %d, ETag %q; want 200 and a new ETag", res.StatusCode, res.Header.Get("ETag"))
	}
}

// counts returns the number of submissions and changes.
func counts(t *testing.T, db *pgxpool.Pool) (subs, changes int) {
	t.Helper()
	if err := db.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM changes)`).Scan(&subs, &changes); err != nil {
		t.Fatal(err)
	}
	return subs, changes
}

func TestImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	subs0, changes0 := counts(t, f.db)

	// An existing state, as exported: an unchanged line.
	var stateLine []byte
	for _, l := range bytes.Split(export(t, f.db, ndjson), []byte("\n")) {
		if bytes.Contains(l, []byte(`"type":"STATE"`)) {
			stateLine = l
			break
		}
	}
	var state bulk.Entry
	if err := json.Unmarshal(stateLine, &state); err != nil {
		t.Fatal(err)
	}
	var deployment, other uuid.UUID
	if err := f.db.QueryRow(ctx, `SELECT id FROM entries WHERE entry_type = 'DEPLOYMENT' AND status = 'PUBLISHED' ORDER BY id LIMIT 1`).Scan(&deployment); err != nil {
		t.Fatal(err)
	}
	if err := f.db.QueryRow(ctx, `SELECT id FROM states WHERE id <> $1 ORDER BY id LIMIT 1`, state.ID).Scan(&other); err != nil {
		t.Fatal(err)
	}
	parent, child := uuid.New(), uuid.New()
	valid := strings.Join([]string{
		fmt.Sprintf(`{"format":"oversight-ndjson","version":1}`),
		// The child refers to its parent further down the file.
		fmt.Sprintf(`{"type":"VENDOR","id":%q,"fields":{"name":"Child Vision Ltd","parentId":%q,"website":"https://child.example"}}`, child, parent),
		fmt.Sprintf(`{"type":"VENDOR","id":%q,"fields":{"name":"Parent Holdings","countryCode":"GB"}}`, parent),
		string(stateLine),
		fmt.Sprintf(`{"type":"STATE","id":%q,"fields":{"summary":"Imported summary."}}`, other),
		fmt.Sprintf(`{"type":"DEPLOYMENT","id":%q,"status":"RETRACTED","retractionReason":"Duplicate of another deployment."}`, deployment),
		`{"type":"COMMUNITY","fields":{"name":"An imported community"}}`,
	}, "\n")

	t.Run("mistakes", func(t *testing.T) {
		lines := strings.Split(valid, "\n")
		bad := append(slices.Clone(lines[:3]), `{"type":"VENDOR","fields":{"name":"Bad Link","website":"ftp://x"}}`)
		bad = append(bad, lines[3:]...)
		_, err := bulk.Import(ctx, f.db, f.contributor, strings.NewReader(strings.Join(bad, "\n")), bulk.ImportOptions{})
		var ie *bulk.ImportErrors
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), `line 4: input.website: "ftp://x" is not an absolute http or https URL`) {
			t.Fatalf("Import(bad website on line 4) = %v, want an error naming line 4 and input.website", err)
		}
		more := []struct{ line, want string }{
			{`{"type":"VENDOR","fields":{"name":"X","parentId":"` + uuid.NewString() + `"}}`, "line 2: input.parentId: no vendor with this ID"},
			{`{"type":"STATE","fields":{"name":"Nowhere","countryCode":"` + string(mustCountry(t, f.db)) + `"}}`, "line 2: input.countryCode: another state already has this countryCode"},
			{`{"type":"NOPE"}`, `line 2: type: "NOPE" is not an entry type`},
			{`{"type":"VENDOR","fields":{"name":5}}`, "line 2: input.name:"},
			{`not json`, "line 2: not a JSON object"},
			// What a proposal may not set, an import line may not either
			// (editorial.CheckFields): nothing is dropped quietly.
			{`{"type":"VENDOR","fields":{"name":"Typo Corp","webiste":"https://typo.example"}}`, `line 2: input.webiste: a vendor has no field "webiste"`},
			{`{"type":"VENDOR","fields":{"name":"Status Corp","status":"RETRACTED"}}`, "line 2: input.status: status is set by a retraction"},
			{`{"type":"COMMUNITY","fields":{"name":"Twice","citations":[]},"citations":[]}`, "line 2: citations: citations are given twice"},
		}
		for _, m := range more {
			_, err := bulk.Import(ctx, f.db, f.contributor, strings.NewReader(lines[0]+"\n"+m.line), bulk.ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), m.want) {
				t.Errorf("Import(%s) = %v, want %q", m.line, err, m.want)
			}
		}
		if _, err := bulk.Import(ctx, f.db, registry.Anonymous, strings.NewReader(valid), bulk.ImportOptions{}); registry.ErrorCode(err) != registry.CodeUnauthenticated {
			t.Errorf("Import() by the anonymous reader = %v, want UNAUTHENTICATED", err)
		}
		if subs, changes := counts(t, f.db); subs != subs0 || changes != changes0 {
			t.Errorf("after failed imports: %d submissions, %d changes; want %d and %d (nothing written)", subs, changes, subs0, changes0)
		}
	})

	t.Run("valid", func(t *testing.T) {
		res, err := bulk.Import(ctx, f.db, f.contributor, strings.NewReader(valid), bulk.ImportOptions{Title: "Imported", Submit: true})
		if err != nil {
			t.Fatalf("Import() = %v", err)
		}
		if res.Created != 3 || res.Updated != 1 || res.Retracted != 1 || res.Unchanged != 1 || !res.Submitted {
			t.Fatalf("Import() = %+v, want 3 created, 1 updated, 1 retracted, 1 unchanged, submitted", res)
		}
		var status string
		var n int
		if err := f.db.QueryRow(ctx, `SELECT s.status, (SELECT count(*) FROM changes c WHERE c.submission_id = s.id) FROM submissions s WHERE s.id = $1`,
			res.SubmissionID).Scan(&status, &n); err != nil {
			t.Fatal(err)
		}
		if status != "SUBMITTED" || n != 5 {
			t.Errorf("the import's submission is %s with %d changes, want SUBMITTED with 5", status, n)
		}
		// The editorial service merges what the import proposed.
		if _, errs, err := f.svc.Review(ctx, f.editor, res.SubmissionID, registry.DecisionApprove, nil); err != nil || len(errs) > 0 {
			t.Fatalf("Review(APPROVE) of the import = %v, %v", errs, err)
		}
		var parentOf uuid.UUID
		if err := f.db.QueryRow(ctx, `SELECT parent_id FROM vendors WHERE id = $1`, child).Scan(&parentOf); err != nil || parentOf != parent {
			t.Errorf("after merge vendor %s has parent %s (%v), want %s", child, parentOf, err, parent)
		}

		res, err = bulk.Import(ctx, f.db, f.contributor, strings.NewReader(`{"type":"COMMUNITY","fields":{"name":"Another community"}}`), bulk.ImportOptions{})
		if err != nil || res.Submitted || res.Created != 1 {
			t.Errorf("Import() without Submit = %+v, %v; want one draft change", res, err)
		}
	})
}

// An import of several batches keeps every change, in file order, and a
// mistake in the last batch still writes nothing: the batches before it
// were being copied while it was checked.
func TestImportAcrossBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := f.ctx
	const n = 4500 // three batches
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"type":"COMMUNITY","fields":{"name":"Batch community %05d"}}`+"\n", i)
	}
	res, err := bulk.Import(ctx, f.db, f.contributor, strings.NewReader(b.String()), bulk.ImportOptions{})
	if err != nil || res.Created != n {
		t.Fatalf("Import(%d lines) = %+v, %v; want %d created", n, res, err, n)
	}
	var count, ordered int
	if err := f.db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE proposed->>'name' = 'Batch community ' || lpad((position - 1)::text, 5, '0'))
		FROM changes WHERE submission_id = $1`, res.SubmissionID).Scan(&count, &ordered); err != nil {
		t.Fatal(err)
	}
	if count != n || ordered != n {
		t.Errorf("the import's submission has %d changes, %d at their line's position; want %d and %d", count, ordered, n, n)
	}

	subs0, changes0 := counts(t, f.db)
	b.WriteString(`{"type":"COMMUNITY","fields":{}}` + "\n")
	_, err = bulk.Import(ctx, f.db, f.contributor, strings.NewReader(b.String()), bulk.ImportOptions{})
	var errs *bulk.ImportErrors
	if !errors.As(err, &errs) || len(errs.Errors) != 1 || errs.Errors[0].Line != n+1 {
		t.Fatalf("Import() with a community without a name on line %d = %v; want that one mistake", n+1, err)
	}
	if subs, changes := counts(t, f.db); subs != subs0 || changes != changes0 {
		t.Errorf("after the failed import: %d submissions, %d changes; want %d and %d (nothing written)", subs, changes, subs0, changes0)
	}
}

// With no second connection to check on (a pool of one), an import runs
// on its one transaction, copying each batch as it comes, rather than
// waiting for a connection that never frees.
func TestImportOnOneConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cfg := f.db.Config()
	cfg.MaxConns = 1
	one, err := pgxpool.NewWithConfig(f.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	const n = 2500 // two batches
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"type":"COMMUNITY","fields":{"name":"Lone community %05d"}}`+"\n", i)
	}
	res, err := bulk.Import(f.ctx, one, f.contributor, strings.NewReader(b.String()), bulk.ImportOptions{})
	if err != nil || res.Created != n {
		t.Fatalf("Import(%d lines) through a pool of one = %+v, %v; want %d created", n, res, err, n)
	}
	var count int
	if err := f.db.QueryRow(f.ctx, `SELECT count(*) FROM changes WHERE submission_id = $1`, res.SubmissionID).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("the import's submission has %d changes, want %d", count, n)
	}
}

func mustCountry(t *testing.T, db *pgxpool.Pool) registry.CountryCode {
	t.Helper()
	var cc string
	if err := db.QueryRow(t.Context(), `SELECT country_code FROM states ORDER BY id LIMIT 1`).Scan(&cc); err != nil {
		t.Fatal(err)
	}
	return registry.CountryCode(cc)
}

// A globalId is the API's ID of the entry.
func TestGlobalID(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("6f0d6c1e-4b1a-4c55-9d8e-3f2a1b7c9e10")
	if got, want := bulk.GlobalID(registry.TypeCommunity, id), "UmVsaWdpb3VzQ29tbXVuaXR5OjZmMGQ2YzFlLTRiMWEtNGM1NS05ZDhlLTNmMmExYjdjOWUxMA"; got != want {
		t.Errorf("GlobalID(COMMUNITY) = %s, want %s", got, want)
	}
}
