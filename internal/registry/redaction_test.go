package registry

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Every field of a source and of a citation is either withheld when the
// source is confidential or shown, on purpose: a field added to either
// struct fails here until someone decides which (and says why below, or in
// the lists in visibility.go).
func TestEverySourceAndCitationFieldIsClassified(t *testing.T) {
	t.Parallel()
	shown := map[string]map[string]string{
		"Source": {
			"title":        "written by the editors as a description of a confidential source, not the document's own title",
			"kind":         "a class of document shared by many: what a reader needs to weigh the claim",
			"confidential": "says that the rest is withheld",
		},
		"Citation": {
			"sourceId": "which source: the confidential source's own entry, public",
			"field":    "a field of the citing entry, not of the document",
			"stance":   "whether the citing entry is supported or contradicted, not a detail of the document",
		},
	}
	withheld := map[string][]string{"Source": ConfidentialSourceFields(), "Citation": ConfidentialCitationFields()}
	for name, typ := range map[string]reflect.Type{"Source": reflect.TypeFor[Source](), "Citation": reflect.TypeFor[Citation]()} {
		fields := jsonFields(typ)
		for _, f := range fields {
			_, isShown := shown[name][f]
			isWithheld := slices.Contains(withheld[name], f)
			if isShown == isWithheld {
				t.Errorf("%s.%s: shown %t, withheld %t; want exactly one (see confidentialSourceFields, confidentialCitationFields)", name, f, isShown, isWithheld)
			}
		}
		for _, f := range withheld[name] {
			if !slices.Contains(fields, f) {
				t.Errorf("%s has no field %q, which the confidential list withholds", name, f)
			}
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, embedded structs'
// included, those marshalled as "-" left out.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "-" && name != "" {
			out = append(out, name)
		}
	}
	return out
}

func fullSource(confidential bool) Source {
	u, a := URL("https://example.org/doc"), URL("https://archive.example.org/doc")
	pub, acc := PartialDate("2021-03-04"), PartialDate("2022")
	return Source{Title: "A witness statement", Kind: "TESTIMONY", Publisher: ptr("Witness Network"), Authors: []string{"A. Witness"},
		URL: &u, ArchiveURL: &a, PublishedOn: &pub, AccessedOn: &acc, Language: ptr("ug"),
		ContentSha256: ptr(strings.Repeat("ab", 32)), Confidential: confidential}
}

func ptr(s string) *string { return &s }

func TestRedactSourceAndCitation(t *testing.T) {
	t.Parallel()
	// What a reader who may not see a confidential source gets of it: the
	// title, the kind, and that it is confidential.
	const blankSource = `{"title":"A witness statement","kind":"TESTIMONY","publisher":null,"authors":[],"url":null,"archiveUrl":null,` +
		`"publishedOn":null,"accessedOn":null,"language":null,"contentSha256":null,"confidential":true}`
	const blankCitation = `{"sourceId":"00000000-0000-0000-0000-000000000000","locator":null,"quote":null,"field":"startDate","stance":"SUPPORTS"}`
	full := func(confidential bool) string { b, _ := json.Marshal(fullSource(confidential)); return string(b) }
	citation := Citation{Locator: ptr("p. 47, para. 3"), Quote: ptr("I saw the cameras"), Field: ptr("startDate"), Stance: StanceSupports}
	fullCitation, _ := json.Marshal(citation)

	for _, tt := range []struct {
		name         string
		viewer       Viewer
		confidential bool
		wantSource   string
		wantCitation string
	}{
		{"anonymous, confidential", Anonymous, true, blankSource, blankCitation},
		{"contributor, confidential", Viewer{UserID: uuid.New(), Role: RoleContributor}, true, blankSource, blankCitation},
		{"editor, confidential", Viewer{UserID: uuid.New(), Role: RoleEditor}, true, full(true), string(fullCitation)},
		{"admin, confidential", Viewer{UserID: uuid.New(), Role: RoleAdmin}, true, full(true), string(fullCitation)},
		{"anonymous, public", Anonymous, false, full(false), string(fullCitation)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := fullSource(tt.confidential)
			tt.viewer.RedactSource(&s)
			if got, _ := json.Marshal(s); string(got) != tt.wantSource {
				t.Errorf("RedactSource(%s) = %s\nwant %s", tt.viewer.Role, got, tt.wantSource)
			}
			c := citation
			tt.viewer.RedactCitation(&c, tt.confidential)
			if got, _ := json.Marshal(c); string(got) != tt.wantCitation {
				t.Errorf("RedactCitation(%s) = %s\nwant %s", tt.viewer.Role, got, tt.wantCitation)
			}
		})
	}
}

func TestRedactVersion(t *testing.T) {
	t.Parallel()
	secret, public := uuid.MustParse("11111111-1111-1111-1111-111111111111"), uuid.MustParse("22222222-2222-2222-2222-222222222222")
	confidential := func(id uuid.UUID) bool { return id == secret }
	hash := strings.Repeat("ab", 32)
	// citations writes a JSON list of citations, each as {sourceId, locator, quote}.
	citations := func(cs ...[3]string) string {
		var out []map[string]any
		for _, c := range cs {
			m := map[string]any{"sourceId": c[0], "locator": nil, "quote": nil, "field": nil, "stance": "SUPPORTS"}
			if c[1] != "" {
				m["locator"] = c[1]
			}
			if c[2] != "" {
				m["quote"] = c[2]
			}
			out = append(out, m)
		}
		b, _ := json.Marshal(out)
		return string(b)
	}
	s, p := secret.String(), public.String()
	for _, tt := range []struct {
		name        string
		entryType   EntryType
		entryID     uuid.UUID
		snapshot    string
		changes     []FieldChange
		wantSnap    string
		wantChanges []FieldChange
	}{
		{
			name: "a confidential source's details, in the snapshot and the diff", entryType: TypeSource, entryID: secret,
			snapshot: `{"title":"Statement","kind":"TESTIMONY","publisher":"Witness Network","authors":["A. Witness"],"url":"https://example.org/x",` +
				`"archiveUrl":null,"publishedOn":"2021-03-04","accessedOn":"2022","language":"ug","contentSha256":"` + hash + `","confidential":true,"citations":[]}`,
			changes: []FieldChange{
				{Field: "confidential", Before: raw(`null`), After: raw(`true`)},
				{Field: "contentSha256", Before: raw(`null`), After: raw(`"` + hash + `"`)},
				{Field: "publishedOn", Before: raw(`"2021"`), After: raw(`"2021-03-04"`)},
				{Field: "title", Before: raw(`null`), After: raw(`"Statement"`)},
			},
			wantSnap: `{"accessedOn":null,"archiveUrl":null,"authors":[],"citations":[],"confidential":true,"contentSha256":null,"kind":"TESTIMONY",` +
				`"language":null,"publishedOn":null,"publisher":null,"title":"Statement","url":null}`,
			wantChanges: []FieldChange{
				{Field: "confidential", Before: raw(`null`), After: raw(`true`)},
				{Field: "title", Before: raw(`null`), After: raw(`"Statement"`)},
			},
		},
		{
			name: "a public source is left alone", entryType: TypeSource, entryID: public,
			snapshot: `{"contentSha256":"` + hash + `","publisher":"Reuters","title":"Report"}`,
			changes:  []FieldChange{{Field: "contentSha256", Before: raw(`null`), After: raw(`"` + hash + `"`)}},
			wantSnap: `{"contentSha256":"` + hash + `","publisher":"Reuters","title":"Report"}`,
			wantChanges: []FieldChange{
				{Field: "contentSha256", Before: raw(`null`), After: raw(`"` + hash + `"`)},
			},
		},
		{
			name: "citations to a confidential source lose their locator and quote", entryType: TypeDeployment, entryID: uuid.New(),
			snapshot: `{"location":"Kashgar","citations":` + citations([3]string{p, "p. 2", "public quote"}, [3]string{s, "p. 47", "secret quote"}) + `}`,
			changes: []FieldChange{{Field: "citations", Before: raw(`null`),
				After: raw(citations([3]string{p, "p. 2", "public quote"}, [3]string{s, "p. 47", "secret quote"}))}},
			wantSnap: `{"citations":` + citations([3]string{p, "p. 2", "public quote"}, [3]string{s, "", ""}) + `,"location":"Kashgar"}`,
			wantChanges: []FieldChange{{Field: "citations", Before: raw(`null`),
				After: raw(citations([3]string{p, "p. 2", "public quote"}, [3]string{s, "", ""}))}},
		},
		{
			name: "a change of a confidential citation's locator alone is left out", entryType: TypeAbuse, entryID: uuid.New(),
			snapshot: `{"citations":` + citations([3]string{s, "p. 48", "secret quote"}) + `}`,
			changes: []FieldChange{
				{Field: "citations", Before: raw(citations([3]string{s, "p. 47", "secret quote"})), After: raw(citations([3]string{s, "p. 48", "secret quote"}))},
				{Field: "title", Before: raw(`"Old"`), After: raw(`"New"`)},
			},
			wantSnap:    `{"citations":` + citations([3]string{s, "", ""}) + `}`,
			wantChanges: []FieldChange{{Field: "title", Before: raw(`"Old"`), After: raw(`"New"`)}},
		},
		{
			name: "a citation added beside a confidential one stays, redacted", entryType: TypeAbuse, entryID: uuid.New(),
			snapshot: `{"citations":` + citations([3]string{s, "p. 47", "secret quote"}, [3]string{p, "", "new"}) + `}`,
			changes: []FieldChange{{Field: "citations", Before: raw(citations([3]string{s, "p. 47", "secret quote"})),
				After: raw(citations([3]string{s, "p. 47", "secret quote"}, [3]string{p, "", "new"}))}},
			wantSnap: `{"citations":` + citations([3]string{s, "", ""}, [3]string{p, "", "new"}) + `}`,
			wantChanges: []FieldChange{{Field: "citations", Before: raw(citations([3]string{s, "", ""})),
				After: raw(citations([3]string{s, "", ""}, [3]string{p, "", "new"}))}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := EntryVersion{EntryID: tt.entryID, EntryType: tt.entryType, Version: 1, Snapshot: raw(tt.snapshot), Changes: slices.Clone(tt.changes)}
			if err := RedactVersion(&v, tt.entryType, confidential); err != nil {
				t.Fatalf("RedactVersion() error = %v", err)
			}
			if got := compact(v.Snapshot); string(got) != string(compact(raw(tt.wantSnap))) {
				t.Errorf("RedactVersion() snapshot = %s\nwant %s", got, compact(raw(tt.wantSnap)))
			}
			if len(v.Changes) != len(tt.wantChanges) {
				t.Fatalf("RedactVersion() changes = %s\nwant %s", changesJSON(v.Changes), changesJSON(tt.wantChanges))
			}
			for i, c := range v.Changes {
				w := tt.wantChanges[i]
				if c.Field != w.Field || string(compact(c.Before)) != string(compact(w.Before)) || string(compact(c.After)) != string(compact(w.After)) {
					t.Errorf("RedactVersion() change %d = %s\nwant %s", i, changesJSON([]FieldChange{c}), changesJSON([]FieldChange{w}))
				}
			}
		})
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func changesJSON(cs []FieldChange) string {
	b, _ := json.Marshal(cs)
	return string(b)
}
