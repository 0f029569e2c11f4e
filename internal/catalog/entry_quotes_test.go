package catalog_test

import (
	"context"
	"testing"

	"oversight/internal/pgtest"
	"oversight/seed"
)

// TestEntryQuotesFollowWrites checks the triggers that keep search's stored
// quote documents right: a source made confidential leaves the public
// document (and only it), and a deleted citation leaves both.
func TestEntryQuotesFollowWrites(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	d, err := seed.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, pool, d); err != nil {
		t.Fatal(err)
	}
	// A citation whose quote has a word its entry's other quotes lack.
	var entryID, sourceID, citationID, word string
	err = pool.QueryRow(ctx, `
		SELECT c.entry_id::text, c.source_id::text, c.id::text, w.word
		FROM citations c, LATERAL ts_stat(format('SELECT %L::tsvector', c.search)) w
		WHERE NOT EXISTS (SELECT 1 FROM citations o WHERE o.entry_id = c.entry_id AND o.id <> c.id
		                  AND o.search @@ to_tsquery('simple', quote_literal(w.word)))
		  AND length(w.word) > 6
		ORDER BY c.id, w.word LIMIT 1`).Scan(&entryID, &sourceID, &citationID, &word)
	if err != nil {
		t.Fatalf("find a citation with a word of its own: %v", err)
	}
	matches := func(column string) bool {
		t.Helper()
		var ok bool
		if err := pool.QueryRow(ctx, `SELECT coalesce((SELECT `+column+` @@ to_tsquery('simple', quote_literal($2))
			FROM entry_quotes WHERE entry_id = $1::uuid), false)`, entryID, word).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !matches("public") || !matches("every") {
		t.Fatalf("entry_quotes of %s does not hold %q from its citation", entryID, word)
	}
	if _, err := pool.Exec(ctx, `UPDATE sources SET confidential = true WHERE id = $1::uuid`, sourceID); err != nil {
		t.Fatal(err)
	}
	if matches("public") || !matches("every") {
		t.Errorf("after its source was made confidential, %q: public %v (want false), every %v (want true)", word, matches("public"), matches("every"))
	}
	if _, err := pool.Exec(ctx, `UPDATE sources SET confidential = false WHERE id = $1::uuid`, sourceID); err != nil {
		t.Fatal(err)
	}
	if !matches("public") {
		t.Errorf("after its source was made public again, %q is still missing from the public document", word)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM citations WHERE id = $1::uuid`, citationID); err != nil {
		t.Fatal(err)
	}
	if matches("public") || matches("every") {
		t.Errorf("after its citation was deleted, %q is still in the entry's quote documents", word)
	}
}
