package bulk

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// The readers of import and restore need a database for their lookups and
// copies; these targets fuzz what they do to one line before that, which
// needs none: the header check, an import line's decoding and checking
// (importer.prepare, against no published entry or against a published
// snapshot), and a restore line's staging into rows.

const (
	fuzzID     = "0b9e3ab2-5a4c-4c0e-9d4e-3f8c6b2a1d00"
	fuzzSource = "7d1f0c2e-1111-4a2b-8c3d-4e5f6a7b8c9d"
)

var fuzzHeaders = []string{
	`{"format":"oversight-ndjson","version":1,"lastEventId":512,"events":512,"lastModified":"2026-05-01T10:00:00.000000Z","counts":{"ABUSE":21}}`,
	`{"format":"oversight-ndjson","version":1}`,
	`{"format":"oversight-ndjson","version":2}`,
	`{"format":"oversight-ndjson","version":"1"}`,
	`{"format":"oversight-ndjson","version":1.5}`,
	`{"format":"oversight-ndjson","version":1,"counts":{"VENDOR":-1}}`,
	`{"format":"oversight-ndjson","version":1,"counts":[]}`,
	`{"format":"OVERSIGHT-NDJSON","version":1}`,
	`{"format":null}`, `{"format":1}`, `{}`, `[]`, `null`, `"oversight-ndjson"`, ``, `{`, "\x00", "\xff",
	`{"format":"oversight-ndjson","version":1}{"format":"x"}`,
	`{"format":"oversight-ndjson","version":1,"format":"other"}`,
	`{"format":"oversight-ndjson","version":99999999999999999999}`,
}

// FuzzReadHeader checks that a header is accepted only when it names the
// format and its version, and that anything else is an error.
func FuzzReadHeader(f *testing.F) {
	for _, s := range fuzzHeaders {
		f.Add([]byte(s))
	}
	f.Add([]byte(strings.Repeat("[", 10000)))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := readHeader(b)
		if err != nil {
			if h != nil {
				t.Fatalf("readHeader(%q) = %+v, %v: want no header with the error", b, h, err)
			}
			return
		}
		if h == nil || h.Format != FormatName || h.Version != FormatVersion {
			t.Fatalf("readHeader(%q) = %+v, want format %s version %d", b, h, FormatName, FormatVersion)
		}
		if !json.Valid(b) {
			t.Fatalf("readHeader(%q) accepted invalid JSON", b)
		}
	})
}

var fuzzImportLines = []string{
	`{"type":"VENDOR","fields":{"name":"Hikvision","countryCode":"CN","website":"https://www.hikvision.com"}}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","fields":{"name":"Hikvision","slug":"hikvision","aliases":["HIK"],"parentId":"` + fuzzID + `"}}`,
	`{"type":"VENDOR","fields":{"name":"","countryCode":"cn","website":"javascript:alert(1)"}}`,
	`{"type":"VENDOR","fields":{"name":1}}`,
	`{"type":"VENDOR","fields":{"name":"X","aliases":"not a list"}}`,
	`{"type":"VENDOR","fields":{"name":"X"},"citations":[{"sourceId":"` + fuzzSource + `","quote":"q","stance":"SUPPORTS"}]}`,
	`{"type":"VENDOR","fields":{"name":"X"},"citations":{"sourceId":1}}`,
	`{"type":"VENDOR","fields":{"name":"X"},"citations":[null]}`,
	`{"type":"VENDOR","fields":{"name":"X","status":"RETRACTED","citations":[]}}`,
	`{"type":"SOURCE","fields":{"title":"Report","kind":"REPORT","url":"https://example.org/r","publishedOn":"2019-02-29"}}`,
	`{"type":"SOURCE","fields":{"title":"Report","kind":"REPORT","publishedOn":"2019-13","accessedOn":"19"}}`,
	`{"type":"STATE","fields":{"countryCode":"XK","name":"Kosovo"}}`,
	`{"type":"STATE","fields":{"countryCode":"ZZ","name":"Nowhere"}}`,
	`{"type":"DEPLOYMENT","fields":{"stateId":"` + fuzzID + `","technologyIds":["` + fuzzID + `","not-a-uuid"],"startDate":"2019-10"}}`,
	`{"type":"ABUSE","fields":{"title":"t","summary":"s","startDate":"2020","endDate":"2019","categories":["X"]}}`,
	`{"type":"DESIGNATION","fields":{"listId":"` + fuzzID + `","listedOn":"2024-02-29"}}`,
	`{"type":"VENDOR_RESPONSE","fields":{"vendorId":"` + fuzzID + `","aboutId":"` + fuzzID + `"}}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","status":"RETRACTED","retractionReason":"duplicate"}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","status":"RETRACTED","retractionReason":"  "}`,
	`{"type":"VENDOR","status":"DRAFT","fields":{"name":"X"}}`,
	`{"type":"NOPE","fields":{}}`, `{"type":"VENDOR","id":"nope"}`, `{"type":"VENDOR","id":null,"fields":null}`,
	`{"type":"VENDOR","fields":[]}`, `{"type":["VENDOR"]}`, `{}`, `[]`, `null`, `1`, `{`, ``, "\x00", "\xff\xfe",
	`{"type":"VENDOR","fields":{"name":"X"}} trailing`,
	`{"type":"VENDOR","fields":{"name":"` + strings.Repeat("x", 10000) + `"}}`,
	`{"type":"VENDOR","fields":{"name":"Typo Corp","webiste":"https://typo.example","status":"RETRACTED"}}`,
}

var fuzzSnapshots = []string{
	``,
	`{"name":"Hikvision","slug":"hikvision","aliases":[],"countryCode":"CN","citations":[{"sourceId":"` + fuzzSource + `","quote":"q","stance":"SUPPORTS"}]}`,
	`{"name":"Hikvision","slug":"hikvision","status":"RETRACTED","retractionReason":"x"}`,
	`{"name":1}`, `{"citations":{}}`, `{"citations":[{"sourceId":"x"}]}`, `{"aliases":null,"name":null}`,
}

// FuzzImportLine runs one line of an import file through what Import does
// to it before any lookup: decoding, the header check, the entry type and
// ID, and importer.prepare, which merges the line into the published
// snapshot (when the second input is one), decodes and validates it. It
// checks that nothing panics, that a refused line reports a mistake on its
// own line, and that an accepted line is a valid entry with a change that
// decodes again.
func FuzzImportLine(f *testing.F) {
	for _, l := range fuzzImportLines {
		f.Add([]byte(l), []byte(fuzzSnapshots[0]))
	}
	// An update and a retraction of a published entry.
	for _, s := range fuzzSnapshots[1:] {
		f.Add([]byte(fuzzImportLines[1]), []byte(s))
		f.Add([]byte(`{"type":"VENDOR","id":"`+fuzzID+`","status":"RETRACTED","retractionReason":"duplicate"}`), []byte(s))
	}
	f.Add([]byte(fuzzHeaders[0]), []byte{})
	f.Add([]byte(fuzzHeaders[2]), []byte{})
	f.Fuzz(func(t *testing.T, b, snap []byte) {
		const line = 7
		var in importLine
		if err := json.Unmarshal(b, &in); err != nil {
			return // reported as "not a JSON object"
		}
		if in.Format != nil {
			if h, err := readHeader(b); err == nil && (h.Format != FormatName || h.Version != FormatVersion) {
				t.Fatalf("readHeader(%q) = %+v", b, h)
			}
			return
		}
		if tableOf(in.Type) == nil {
			return // reported as "not an entry type"
		}
		p := &pending{line: line, in: in, typ: in.Type, id: uuid.New()}
		if in.ID != nil {
			id, err := uuid.Parse(*in.ID)
			if err != nil {
				return // reported as "not a UUID"
			}
			p.id, p.given = id, true
		}
		var cur *known
		// A published snapshot is always a JSON object: entry_versions
		// has CHECK (jsonb_typeof(snapshot) = 'object').
		var obj map[string]json.RawMessage
		if len(snap) > 0 && (json.Unmarshal(snap, &obj) != nil || obj == nil) {
			return
		}
		if len(snap) > 0 {
			status := registry.StatusPublished
			if strings.Contains(string(snap), `"RETRACTED"`) {
				status = registry.StatusRetracted
			}
			cur = &known{typ: in.Type, status: status, version: 3, snap: snap}
		}
		im := &importer{created: map[uuid.UUID]registry.EntryType{}, lines: map[uuid.UUID]int{}, keys: map[string]int{}}
		refs, ok := im.prepare(p, cur)

		// A line whose fields a proposal could not set is refused; when it
		// is refused for nothing else before its fields are read (a new or
		// published entry, no other status), with each field the editorial
		// rule names.
		reachesFields := (in.Status == "" || in.Status == registry.StatusPublished) && (cur == nil || cur.status == registry.StatusPublished)
		if in.Status != registry.StatusRetracted {
			for _, fe := range editorial.CheckFields(in.Type, editorial.Fields(in.Fields)) {
				if ok {
					t.Fatalf("prepare(%q) accepted fields the editorial rule refuses: %v", b, fe)
				}
				if reachesFields && !slices.ContainsFunc(im.errs.Errors, func(e LineError) bool { return slices.Equal(e.Path, fe.Field) }) {
					t.Fatalf("prepare(%q) did not name %v, which the editorial rule refuses: %v", b, fe.Field, im.errs.Error())
				}
			}
		}

		counted := im.res.Created + im.res.Updated + im.res.Retracted + im.res.Unchanged
		if !ok {
			if !im.errs.any() {
				t.Fatalf("prepare(%q) refused the line without a mistake", b)
			}
			for _, e := range im.errs.Errors {
				if e.Line != line || e.Message == "" {
					t.Fatalf("prepare(%q) reported %+v, want a message on line %d", b, e, line)
				}
			}
			return
		}
		if im.errs.any() {
			t.Fatalf("prepare(%q) accepted the line but reported %v", b, im.errs.Error())
		}
		if counted != 1 {
			t.Fatalf("prepare(%q) accepted the line and counted it %d times, want once: %+v", b, counted, im.res)
		}
		switch p.op {
		case registry.OpCreate:
			if cur != nil {
				t.Fatalf("prepare(%q) creates an entry that is published", b)
			}
		case registry.OpUpdate, "":
			if cur == nil {
				t.Fatalf("prepare(%q) = operation %q for a new entry", b, p.op)
			}
			if cur.status == registry.StatusRetracted {
				// Only retracting it again is accepted, as no change.
				if p.op != "" || p.in.Status != registry.StatusRetracted {
					t.Fatalf("prepare(%q) = operation %q on a retracted entry", b, p.op)
				}
				return
			}
		case registry.OpRetract:
			if cur == nil || p.reason == nil || strings.TrimSpace(*p.reason) == "" {
				t.Fatalf("prepare(%q) retracts without a published entry or a reason", b)
			}
			return
		default:
			t.Fatalf("prepare(%q) = operation %q", b, p.op)
		}
		if p.entry == nil {
			t.Fatalf("prepare(%q) accepted the line without an entry", b)
		}
		if errs := registry.Validate(p.entry, p.cits); len(errs) > 0 {
			t.Fatalf("prepare(%q) accepted an entry Validate refuses: %+v", b, errs)
		}
		// The change saved is what the editorial service would apply: it
		// decodes to the same entry.
		e2, cits2, err := decodeSnapshot(p.typ, p.id, p.proposed)
		if err != nil {
			t.Fatalf("prepare(%q) saved a change that does not decode: %v\n%s", b, err, p.proposed)
		}
		if again, err := registry.Snapshot(e2, cits2); err != nil || string(again) != string(p.proposed) {
			t.Fatalf("prepare(%q): the saved change is not stable:\n%s\n%s (%v)", b, p.proposed, again, err)
		}
		for _, r := range refs {
			if r.line != line || len(r.path) < 2 || r.path[0] != "input" || r.id == uuid.Nil && r.typ == "" {
				t.Fatalf("prepare(%q) returned the reference %+v", b, r)
			}
		}
	})
}

var fuzzRestoreLines = []string{
	`{"type":"VENDOR","id":"` + fuzzID + `","globalId":"x","version":1,"status":"PUBLISHED","retractionReason":null,` +
		`"publishedAt":"2026-05-01T10:00:00.000000Z","updatedAt":"2026-05-01T10:00:00.000000Z",` +
		`"fields":{"name":"Hikvision","slug":"hikvision","aliases":["HIK"],"countryCode":"CN","parentId":null},` +
		`"citations":[{"id":"` + fuzzSource + `","sourceId":"` + fuzzSource + `","locator":"p. 3","quote":"q","field":"name","stance":"SUPPORTS"}],` +
		`"history":[{"version":1,"createdAt":"2026-05-01T10:00:00.000000Z","summary":"created","snapshot":{"name":"Hikvision"},"changes":[],` +
		`"events":[{"id":1,"kind":"CREATED","at":"2026-05-01T10:00:00.000000Z","summary":null}]}]}`,
	`{"type":"DEPLOYMENT","id":"` + fuzzID + `","version":2,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z",` +
		`"fields":{"stateId":"` + fuzzID + `","technologyIds":["` + fuzzID + `"],"vendorIds":null},"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"},{"version":2,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"DEPLOYMENT","id":"` + fuzzID + `","version":1,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z",` +
		`"fields":{"technologyIds":"` + fuzzID + `"},"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"SOURCE","id":"` + fuzzID + `","version":1,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z",` +
		`"fields":{"title":"t","confidential":"yes"},"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","version":3,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z","fields":{},"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","version":1,"publishedAt":"yesterday","updatedAt":"2026-05-01T10:00:00Z","fields":{}}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","version":1,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z","fields":null,"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","version":1,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z","fields":{"parentId":"nope"},"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z"}]}`,
	`{"type":"VENDOR","id":"` + fuzzID + `","version":1,"publishedAt":"2026-05-01T10:00:00Z","updatedAt":"2026-05-01T10:00:00Z","fields":{},` +
		`"history":[{"version":1,"createdAt":"2026-05-01T10:00:00Z","events":[{"id":1,"at":"later"}]}]}`,
	`{"type":"VENDOR","id":"00000000-0000-0000-0000-000000000000","fields":{}}`,
	`{"type":"NOPE","id":"` + fuzzID + `"}`, `{"type":"VENDOR","id":"nope"}`, `{"type":"VENDOR"}`,
	`{"format":"oversight-ndjson","version":1}`, `{}`, `[]`, `null`, `{`, ``, "\x00",
}

// FuzzRestoreLine runs one entry line of a restore through its decoding and
// stageEntry, which turns it into rows of the staged tables. It checks that
// nothing panics, that a refused line stages no rows, and that an accepted
// one stages the entry, its own table's row, and as many rows as it says.
func FuzzRestoreLine(f *testing.F) {
	for _, l := range fuzzRestoreLines {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return // reported as "not an entry"
		}
		tables := restoreTables()
		byName := map[string]*staged{}
		for _, s := range tables {
			byName[s.table] = s
		}
		n, err := stageEntry(&e, byName)
		rows := 0
		for _, s := range tables {
			rows += len(s.rows)
			for _, r := range s.rows {
				if len(r) != len(s.cols) {
					t.Fatalf("stageEntry(%q) staged a row of %d values into %s, which has %d columns", b, len(r), s.table, len(s.cols))
				}
			}
		}
		if err != nil {
			if n != 0 {
				t.Fatalf("stageEntry(%q) = %d, %v: want 0 rows with the error", b, n, err)
			}
			return
		}
		if n != rows {
			t.Fatalf("stageEntry(%q) = %d rows, but staged %d", b, n, rows)
		}
		tb := tableOf(e.Type)
		if tb == nil || e.ID == uuid.Nil {
			t.Fatalf("stageEntry(%q) accepted type %q, ID %v", b, e.Type, e.ID)
		}
		if ent := byName["entries"].rows; len(ent) != 1 || ent[0][0] != e.ID {
			t.Fatalf("stageEntry(%q) staged entries %v, want one row for %v", b, ent, e.ID)
		}
		if own := byName[tb.table].rows; len(own) != 1 || own[0][0] != e.ID {
			t.Fatalf("stageEntry(%q) staged %s %v, want one row for %v", b, tb.table, own, e.ID)
		}
		current := false
		for _, v := range e.History {
			current = current || v.Version == e.Version
		}
		if !current {
			t.Fatalf("stageEntry(%q) accepted a history without the current version %d", b, e.Version)
		}
	})
}
