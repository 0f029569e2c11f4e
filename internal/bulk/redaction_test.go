package bulk_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"oversight/internal/bulk"
	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// Every export, as served over HTTP, withholds each detail of the
// confidential source and of the citation to it (the fixture's secrets),
// in current data and in history alike, while a public source's hash and a
// public citation's locator are exported.
func TestExportsWithholdConfidentialDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	// The secrets are in the registry, so that their absence below is redaction.
	var hash, publisher, locator *string
	if err := f.db.QueryRow(ctx, `SELECT s.content_sha256, s.publisher, c.locator FROM sources s JOIN citations c ON c.source_id = s.id WHERE s.id = $1`,
		f.secretSource).Scan(&hash, &publisher, &locator); err != nil {
		t.Fatalf("read the confidential source: %v", err)
	}
	if deref(hash) != secretHash || !strings.Contains(deref(publisher), "SECRET-PUBLISHER-MARKER") || !strings.Contains(deref(locator), "SECRET-LOCATOR-MARKER") {
		t.Fatalf("the confidential source has hash %v, publisher %v, citation locator %v; want the fixture's secrets", deref(hash), deref(publisher), deref(locator))
	}

	// A public source with a hash, cited with a locator.
	publicHash := strings.Repeat("ab12", 16)
	sub := f.submission("Add a public report", false)
	public := f.propose(sub, registry.TypeSource, nil, editorial.Fields{
		"title": raw(`"Public report"`), "kind": raw(`"NGO_REPORT"`), "contentSha256": raw(`"` + publicHash + `"`),
	})
	var state uuid.UUID
	if err := f.db.QueryRow(ctx, `SELECT id FROM states ORDER BY id DESC LIMIT 1`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	f.propose(sub, registry.TypeState, &state, editorial.Fields{
		"citations": raw(fmt.Sprintf(`[{"sourceId": %q, "locator": "PUBLIC-LOCATOR p. 9", "quote": "A public quote"}]`, public)),
	})
	f.merge(sub)

	srv := httptest.NewServer(bulk.Handler(bulk.NewExporter(f.db), nil, nil))
	t.Cleanup(srv.Close)
	files := map[string][]byte{}
	for _, name := range append([]string{"registry.ndjson", "registry.ftm.ndjson"}, csvNames()...) {
		res, err := http.Get(srv.URL + "/export/" + name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /export/%s = %d, %v", name, res.StatusCode, err)
		}
		noSecrets(t, "GET /export/"+name, b)
		files[name] = b
	}
	for _, shown := range []struct{ file, value string }{
		{"registry.ndjson", publicHash}, {"registry.ndjson", "PUBLIC-LOCATOR p. 9"},
		{"sources.csv", publicHash}, {"citations.csv", "PUBLIC-LOCATOR p. 9"},
	} {
		if !bytes.Contains(files[shown.file], []byte(shown.value)) {
			t.Errorf("%s does not hold %q, a public source's detail: want it exported", shown.file, shown.value)
		}
	}

	// In ndjson, the confidential source's withheld fields are blank and
	// no change of its history shows one; the citation to it is blank in
	// the vendor's current citations and in every version's snapshot.
	withheldSource, withheldCitation := registry.ConfidentialSourceFields(), registry.ConfidentialCitationFields()
	var sawSource, sawVendor bool
	for _, line := range bytes.Split(bytes.TrimSpace(files["registry.ndjson"]), []byte("\n"))[1:] {
		var e bulk.Entry
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("ndjson line %s: %v", line, err)
		}
		switch e.ID {
		case f.secretSource:
			sawSource = true
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(e.Fields, &fields); err != nil {
				t.Fatal(err)
			}
			for _, name := range withheldSource {
				if v := string(fields[name]); v != "null" && v != "[]" {
					t.Errorf("ndjson: confidential source %s = %s, want it blank", name, v)
				}
			}
			for _, h := range e.History {
				var changes []registry.FieldChange
				if err := json.Unmarshal(h.Changes, &changes); err != nil {
					t.Fatal(err)
				}
				for _, c := range changes {
					if slices.Contains(withheldSource, c.Field) {
						t.Errorf("ndjson: confidential source version %d shows a change of %s: %s", h.Version, c.Field, h.Changes)
					}
				}
			}
		case f.vendor:
			sawVendor = true
			for _, c := range e.Citations {
				if c.SourceID == f.secretSource && (c.Locator != nil || c.Quote != nil) {
					t.Errorf("ndjson: vendor's citation of the confidential source = locator %v, quote %v; want both null", deref(c.Locator), deref(c.Quote))
				}
			}
			for _, h := range e.History {
				var snap struct{ Citations []map[string]json.RawMessage }
				if err := json.Unmarshal(h.Snapshot, &snap); err != nil {
					t.Fatal(err)
				}
				for _, c := range snap.Citations {
					if string(c["sourceId"]) != `"`+f.secretSource.String()+`"` {
						continue
					}
					for _, name := range withheldCitation {
						if string(c[name]) != "null" {
							t.Errorf("ndjson: vendor version %d citation of the confidential source: %s = %s, want null", h.Version, name, c[name])
						}
					}
				}
			}
		}
	}
	if !sawSource || !sawVendor {
		t.Fatalf("ndjson: confidential source found %t, citing vendor found %t; want both", sawSource, sawVendor)
	}

	// In CSV, the same cells are empty.
	row := func(file, id string, idCol int) map[string]string {
		t.Helper()
		recs, err := csv.NewReader(bytes.NewReader(files[file])).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, r := range recs[1:] {
			if r[idCol] == id {
				m := map[string]string{}
				for i, h := range recs[0] {
					m[h] = r[i]
				}
				return m
			}
		}
		t.Fatalf("%s has no row with %s in column %d", file, id, idCol)
		return nil
	}
	src := row("sources.csv", f.secretSource.String(), 0)
	for _, name := range withheldSource {
		if v := src[snake(name)]; v != "" && v != "[]" {
			t.Errorf("sources.csv: confidential source %s = %q, want it empty", snake(name), v)
		}
	}
	cit := row("citations.csv", f.secretSource.String(), 3)
	for _, name := range withheldCitation {
		if v := cit[snake(name)]; v != "" {
			t.Errorf("citations.csv: citation of the confidential source %s = %q, want it empty", snake(name), v)
		}
	}
}

func csvNames() []string {
	var out []string
	for _, n := range bulk.CSVFiles() {
		out = append(out, n+".csv")
	}
	return out
}

// snake is a field's CSV column: contentSha256 → content_sha256.
func snake(field string) string {
	var b strings.Builder
	for _, r := range field {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
