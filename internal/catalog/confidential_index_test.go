package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
	"oversight/internal/postgres"
	"oversight/internal/registry"
)

// TestSearchIndexLeavesOutWithheldDetails checks the search index, which
// migrations write in SQL, against the one list of a confidential source's
// withheld details (registry.ConfidentialSourceFields): a marker planted in
// each of them is found in a public source's index entry where the index
// holds that detail at all, and in a confidential source's never. A detail
// added to the list without a marker here fails the test, so the SQL copy
// cannot drift from the list unnoticed.
func TestSearchIndexLeavesOutWithheldDetails(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	url := func(s string) *registry.URL { u := registry.URL(s); return &u }
	str := func(s string) *string { return &s }
	date := func(s string) *registry.PartialDate { d := registry.PartialDate(s); return &d }
	// The marker of each withheld detail, as a word the index would hold,
	// and whether the index holds that detail for a public source.
	markers := map[string]struct {
		word    string
		indexed bool
	}{
		"publisher":     {"zqpublisherword", true},
		"authors":       {"zqauthorword", true},
		"url":           {"zqurlword", false},
		"archiveUrl":    {"zqarchiveword", false},
		"publishedOn":   {"1999", false},
		"accessedOn":    {"1998", false},
		"language":      {"zz", false},
		"contentSha256": {strings.Repeat("ab", 32), false},
	}
	for _, f := range registry.ConfidentialSourceFields() {
		if _, ok := markers[f]; !ok {
			t.Fatalf("the withheld detail %q has no marker here: add one, and check the search index leaves it out", f)
		}
	}
	source := func(confidential bool) uuid.UUID {
		s := &registry.Source{Title: "A document", Kind: registry.SourceKind("TESTIMONY"),
			Publisher: str("The " + markers["publisher"].word + " Network"), Authors: []string{"A. " + markers["authors"].word},
			URL: url("https://" + markers["url"].word + ".example/doc"), ArchiveURL: url("https://archive.example/" + markers["archiveUrl"].word),
			PublishedOn: date(markers["publishedOn"].word), AccessedOn: date(markers["accessedOn"].word),
			Language: str(markers["language"].word), ContentSha256: str(markers["contentSha256"].word), Confidential: confidential}
		s.ID = uuid.New()
		b := &pgx.Batch{}
		if err := postgres.QueueCreate(b, postgres.Version{Entry: s, Number: 1, Snapshot: []byte(`{}`), Summary: "test", Kind: "CREATED", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := pool.SendBatch(ctx, b).Close(); err != nil {
			t.Fatalf("write a source: %v", err)
		}
		return s.ID
	}
	public, secret := source(false), source(true)
	matches := func(id uuid.UUID, word string) bool {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM sources WHERE id = $1
			AND (search @@ plainto_tsquery('simple_unaccent', $2) OR search @@ plainto_tsquery('english_unaccent', $2))`, id, word).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	for field, m := range markers {
		if got := matches(public, m.word); got != m.indexed {
			t.Errorf("a public source's %s (%q) in the index = %t, want %t", field, m.word, got, m.indexed)
		}
		if matches(secret, m.word) {
			t.Errorf("a confidential source's %s (%q) is in the search index", field, m.word)
		}
	}
	if !matches(secret, "document") {
		t.Error("a confidential source's title is not in the search index")
	}
}
