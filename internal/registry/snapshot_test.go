package registry

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

// snapshotViaMap is how Snapshot used to build a snapshot: decode the
// fields into a map and marshal it again. Snapshot must give the same bytes:
// stored versions are compared byte for byte (exports, restores, diffs).
func snapshotViaMap(e Entry, citations []Citation) (json.RawMessage, error) {
	fields, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(fields, &m); err != nil {
		return nil, err
	}
	if citations == nil {
		citations = []Citation{}
	}
	if m["citations"], err = json.Marshal(citations); err != nil {
		return nil, err
	}
	status := e.EntryMeta().Status
	if status == "" {
		status = StatusPublished
	}
	m["status"], _ = json.Marshal(status)
	m["retractionReason"], _ = json.Marshal(e.EntryMeta().RetractionReason)
	return json.Marshal(m)
}

func TestSnapshotBytesUnchanged(t *testing.T) {
	s := func(v string) *string { return &v }
	tricky := "quote \" backslash \\ <script>&amp; tab\t newline\n unicode é 日本 \u2028 emoji 🙂, {not: [json]}"
	id := uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	other := uuid.MustParse("7c9e6679-7425-40de-944b-e07fc1f90ae7")
	date := PartialDate("2019-04")
	url := URL("https://example.org/a?b=c&d=<e>")
	code := CountryCode("CN")
	cits := []Citation{
		{SourceID: other, Quote: s(tricky), Locator: s("p. 3, ¶ [2]"), Stance: StanceSupports},
		{SourceID: id, Field: s("startDate"), Stance: StanceContradicts},
	}
	entries := []struct {
		name string
		e    Entry
		cits []Citation
	}{
		{"state", &State{Meta: Meta{ID: id}, CountryCode: code, Name: tricky}, nil},
		{"vendor", &Vendor{Meta: Meta{ID: id, Status: StatusRetracted, RetractionReason: s(tricky)}, Slug: "a-b", Name: "Name",
			Aliases: []string{tricky, "", "x,y"}, CountryCode: &code, Website: &url, ParentID: &other}, cits},
		{"vendor, empty", &Vendor{Meta: Meta{ID: id}}, []Citation{}},
		{"abuse", &Abuse{Meta: Meta{ID: id}, Title: "T", Summary: tricky, StateID: other,
			Categories: []AbuseCategory{"DETENTION", "SURVEILLANCE"}, StartDate: &date, Location: s("}]\"{["),
			AgencyIDs: []uuid.UUID{id, other}}, cits},
		{"source", &Source{Meta: Meta{ID: id}, Title: tricky, Kind: "NGO_REPORT", Authors: []string{"A", tricky}, URL: &url}, cits[:1]},
		{"deployment", &Deployment{Meta: Meta{ID: id}, StateID: other, TechnologyID: id, StartDate: &date, Description: s(tricky)}, cits},
	}
	for _, tc := range entries {
		want, err := snapshotViaMap(tc.e, tc.cits)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Snapshot(tc.e, tc.cits)
		if err != nil {
			t.Fatalf("%s: Snapshot: %v", tc.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: Snapshot =\n%s\nwant\n%s", tc.name, got, want)
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	s := func(v string) *string { return &v }
	e := &Source{Meta: Meta{ID: uuid.New()}, Title: "A report on surveillance", Kind: "NGO_REPORT",
		Publisher: s("Publisher"), Authors: []string{"A", "B"}}
	cits := []Citation{{SourceID: uuid.New(), Quote: s("a quote of some length"), Stance: StanceSupports}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Snapshot(e, cits); err != nil {
			b.Fatal(err)
		}
	}
}
