package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"oversight/internal/pgtest"
	"oversight/internal/registry"
)

func TestParseSearch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // groups joined by " | ", terms by " & ", exclusions as !
	}{
		{"hikvision", "hikvision"},
		{"  facial   recognition ", "facial & recognition"},
		{`"facial recognition" xinjiang`, "facial recognition & xinjiang"},
		{"hikvision -mosque", "hikvision & !mosque"},
		{`hikvision -"every mosque"`, "hikvision & !every mosque"},
		{"dahua OR megvii", "dahua | megvii"},
		{"a b or c", "a & b | c"},
		{"or dahua OR or megvii or", "dahua | megvii"}, // stray ORs are ignored
		{`"or"`, "or"},               // but a quoted one is a word
		{"sense-time", "sense-time"}, // a hyphen inside a word is no exclusion
		{"- camera", "camera"},       // nor one standing alone
		{"!!! camera ...", "camera"},
		{`"unterminated phrase`, "unterminated phrase"},
		{"Bahá'í", "Bahá'í"},
	}
	for _, tt := range tests {
		q, err := ParseSearch(tt.in)
		if err != nil {
			t.Errorf("ParseSearch(%q) error = %v, want %q", tt.in, err, tt.want)
			continue
		}
		if got := q.String(); got != tt.want {
			t.Errorf("ParseSearch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}

	for _, in := range []string{"", "   ", strings.Repeat("x", MaxSearchLength+1), strings.Repeat("a ", MaxSearchTerms+1),
		"!!!", "-camera", "camera OR -mosque", `""`} {
		if q, err := ParseSearch(in); err == nil {
			t.Errorf("ParseSearch(%q) = %q, want an error", in, q.String())
		}
	}
	for _, in := range []string{strings.Repeat("é", MaxSearchLength), strings.TrimSpace(strings.Repeat("a ", MaxSearchTerms))} {
		if _, err := ParseSearch(in); err != nil {
			t.Errorf("ParseSearch(%q) error = %v, want none: it is at the limit", in, err)
		}
	}
}

// String renders the parsed query, for tests and logs.
func (q SearchQuery) String() string {
	groups := make([]string, len(q.groups))
	for i, g := range q.groups {
		terms := make([]string, len(g))
		for j, term := range g {
			terms[j] = term.text
			if term.exclude {
				terms[j] = "!" + term.text
			}
		}
		groups[i] = strings.Join(terms, " & ")
	}
	return strings.Join(groups, " | ")
}

// Search must read the GIN indexes, not scan the tables, so that it stays
// fast as the registry grows: checked on the plans PostgreSQL picks for a
// few thousand synthetic entries.
func TestSearchUsesIndexes(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := t.Context()
	const n = 3000
	_, err := pool.Exec(ctx, fmt.Sprintf(`
		INSERT INTO entries (id, entry_type, version) VALUES ('00000000-0000-0000-0000-000000000001', 'STATE', 1), ('00000000-0000-0000-0000-000000000002', 'TECHNOLOGY', 1);
		INSERT INTO states (id, country_code, name) VALUES ('00000000-0000-0000-0000-000000000001', 'CN', 'China');
		INSERT INTO technologies (id, slug, name) VALUES ('00000000-0000-0000-0000-000000000002', 'cctv', 'CCTV');
		INSERT INTO entries (id, entry_type, version)
			SELECT ('00000000-0000-0000-000' || k || '-' || lpad(to_hex(i), 12, '0'))::uuid, t, 1
			FROM generate_series(1, %[1]d) i, (VALUES (1, 'VENDOR'), (2, 'SOURCE'), (3, 'DEPLOYMENT')) x(k, t);
		INSERT INTO vendors (id, slug, name, aliases, description)
			SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(i), 12, '0'))::uuid, 'v-' || i, 'Vendor ' || md5(i::text),
				ARRAY['Alias ' || left(md5((-i)::text), 8)], 'Makes ' || (ARRAY['cameras', 'spyware', 'drones'])[1 + i %% 3] || ' in region ' || i
			FROM generate_series(1, %[1]d) i;
		INSERT INTO sources (id, title, kind, confidential)
			SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(i), 12, '0'))::uuid, 'Report ' || i || ' on ' || md5(i::text), 'NEWS', i %% 50 = 0
			FROM generate_series(1, %[1]d) i;
		INSERT INTO deployments (id, state_id, technology_id, vendor_id, description, confidence)
			SELECT ('00000000-0000-0000-0003-' || lpad(to_hex(i), 12, '0'))::uuid, '00000000-0000-0000-0000-000000000001',
				'00000000-0000-0000-0000-000000000002', ('00000000-0000-0000-0001-' || lpad(to_hex(i), 12, '0'))::uuid,
				'Deployment ' || md5((i * 3)::text), 'ALLEGED'
			FROM generate_series(1, %[1]d) i;
		INSERT INTO citations (id, entry_id, source_id, position, quote)
			SELECT gen_random_uuid(), ('00000000-0000-0000-0003-' || lpad(to_hex(i), 12, '0'))::uuid,
				('00000000-0000-0000-0002-' || lpad(to_hex(i), 12, '0'))::uuid, p, 'The witness saw ' || md5((i * p)::text)
			FROM generate_series(1, %[1]d) i, generate_series(1, 2) p;
		ANALYZE;`, n))
	if err != nil {
		t.Fatalf("synthetic registry: %v", err)
	}

	var md5of7 string
	if err := pool.QueryRow(ctx, `SELECT md5('7')`).Scan(&md5of7); err != nil {
		t.Fatal(err)
	}
	// Vendor 7 makes spyware, not drones.
	q, err := ParseSearch("vendor " + md5of7 + " -drones")
	if err != nil {
		t.Fatal(err)
	}
	approx, err := ParseSearch(md5of7[:3] + "x" + md5of7[4:] + " -drones") // one letter wrong
	if err != nil {
		t.Fatal(err)
	}
	// A few thousand rows are cheaper to scan than to look up, and the
	// planner knows it; with seq scans priced out, the plan shows whether
	// every predicate can use its index, which is what holds at scale.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off; SET pg_trgm.word_similarity_threshold = `+trigramThreshold); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `RESET ALL`) // before Release, so the pool gets the connection back as it was
	explain := func(sql string, a args) string {
		rows, err := conn.Query(ctx, `EXPLAIN `+sql, a...)
		if err != nil {
			t.Fatalf("EXPLAIN search: %v\n%s", err, sql)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("EXPLAIN search: %v", err)
		}
		return strings.Join(lines, "\n")
	}
	seqScan := regexp.MustCompile(`Seq Scan on (vendors|sources|deployments|citations|entries)\b`)
	for _, tt := range []struct {
		name  string
		s     searchSQL
		wants []string
	}{
		{"full text", fullTextSearch(q, searchTables, registry.Viewer{}, Page{First: 20}),
			[]string{"vendors_search_idx", "sources_search_idx", "deployments_search_idx", "citations_search_idx"}},
		{"trigram", trigramSearch(approx, searchTables, registry.Viewer{}, Page{First: 20}), []string{"vendors_search_name_idx"}},
	} {
		for _, stmt := range []struct {
			sql string
			a   args
		}{{tt.s.pageSQL(true), tt.s.args}, {tt.s.count, tt.s.countArgs}} {
			plan := explain(stmt.sql, stmt.a)
			if m := seqScan.FindString(plan); m != "" {
				t.Errorf("%s search plan has %q, want index scans only:\n%s", tt.name, m, plan)
			}
			for _, idx := range tt.wants {
				if !strings.Contains(plan, idx) {
					t.Errorf("%s search plan does not use %s:\n%s", tt.name, idx, plan)
				}
			}
		}
	}

	// And the searches find what they should.
	c := New(pool)
	for _, tt := range []struct {
		q    SearchQuery
		want int
	}{{q, 1}, {approx, 1}} {
		conn, err := c.Search(ctx, tt.q, nil, Page{First: 10, WantTotal: true})
		if err != nil {
			t.Fatalf("Search(%s) error = %v", tt.q, err)
		}
		if conn.Total != tt.want || len(conn.Items) != tt.want || conn.Items[0].EntryType != registry.TypeVendor {
			t.Errorf("Search(%s) = %d hits, total %d, want %d vendor", tt.q, len(conn.Items), conn.Total, tt.want)
		}
	}
}
