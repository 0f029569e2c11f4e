package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// Search limits: a query is a few words, not a document.
const (
	MaxSearchLength = 200 // characters
	MaxSearchTerms  = 20  // words and quoted phrases
)

// SnippetStart and SnippetStop mark the matching words in a search hit's snippet.
const (
	SnippetStart = "«"
	SnippetStop  = "»"
)

// SearchQuery is a parsed search: web-search syntax, as websearch_to_tsquery
// reads it. Words are ANDed; "quoted words" are a phrase; OR between two
// terms makes either do; a leading - excludes a term. AND binds tighter
// than OR: `a b OR c` is (a AND b) OR c.
type SearchQuery struct {
	groups [][]searchTerm // OR of ANDs
}

type searchTerm struct {
	text    string
	exclude bool
}

// ParseSearch reads a search query. Its errors are the caller's mistake, for
// the client: empty, too long, too many terms, nothing but punctuation, or
// nothing but exclusions.
func ParseSearch(s string) (SearchQuery, error) {
	var q SearchQuery
	if strings.TrimSpace(s) == "" {
		return q, errors.New("query must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxSearchLength {
		return q, fmt.Errorf("query must be at most %d characters long, got %d", MaxSearchLength, n)
	}
	terms := 0
	group := []searchTerm{}
	pendingOr := false
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		exclude := false
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			exclude = true
			i++
		}
		var text string
		phrase := false
		if rs[i] == '"' {
			phrase = true
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			text = string(rs[i+1 : j])
			i = j + 1
		} else {
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			text = string(rs[i:j])
			i = j
		}
		if !phrase && !exclude && strings.EqualFold(text, "or") {
			pendingOr = len(group) > 0 // a leading or doubled OR is ignored
			continue
		}
		if !searchable(text) {
			continue
		}
		terms++
		if pendingOr {
			q.groups = append(q.groups, group)
			group = []searchTerm{}
			pendingOr = false
		}
		group = append(group, searchTerm{text: text, exclude: exclude})
	}
	if len(group) > 0 {
		q.groups = append(q.groups, group)
	}
	switch {
	case terms > MaxSearchTerms:
		return SearchQuery{}, fmt.Errorf("query must have at most %d terms (words or quoted phrases), got %d", MaxSearchTerms, terms)
	case terms == 0:
		return SearchQuery{}, errors.New("query has no words to search for")
	}
	for _, g := range q.groups {
		if !slices.ContainsFunc(g, func(t searchTerm) bool { return !t.exclude }) {
			// It would match nearly everything, and no index can find that.
			return SearchQuery{}, errors.New("query has only exclusions (-word) on one side of an OR or in all; add a word to search for")
		}
	}
	return q, nil
}

// searchable reports whether a term has a letter or digit: anything else
// yields no lexeme and would match nothing (or, excluded, everything).
func searchable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// required is the query without its exclusions, as an SQL tsquery: what a
// document must contain to be a candidate.
func (q SearchQuery) required(a *args) string {
	ors := make([]string, 0, len(q.groups))
	for _, g := range q.groups {
		var ands []string
		for _, t := range g {
			if !t.exclude {
				ands = append(ands, atom(a, t.text))
			}
		}
		ors = append(ors, `(`+strings.Join(ands, ` && `)+`)`)
	}
	return strings.Join(ors, ` || `)
}

func (q SearchQuery) positive() []string {
	var out []string
	for _, g := range q.groups {
		for _, t := range g {
			if !t.exclude {
				out = append(out, t.text)
			}
		}
	}
	return out
}

func (q SearchQuery) excluded() []string {
	var out []string
	for _, g := range q.groups {
		for _, t := range g {
			if t.exclude {
				out = append(out, t.text)
			}
		}
	}
	return out
}

// atom is the tsquery of one term: its words as a phrase in both
// configurations, either of which may match, since names are indexed with
// `simple_unaccent` and prose with `english_unaccent`. Building the query
// term by term (rather than ORing two whole websearch_to_tsquery results)
// keeps exclusion right: -cameras must exclude both 'cameras' and 'camera'.
func atom(a *args, text string) string {
	p := a.add(text)
	return `(phraseto_tsquery('simple_unaccent', ` + p + `) || phraseto_tsquery('english_unaccent', ` + p + `))`
}

// tsquery is the whole query as an SQL expression.
func (q SearchQuery) tsquery(a *args) string {
	ors := make([]string, len(q.groups))
	for i, g := range q.groups {
		ands := make([]string, len(g))
		for j, t := range g {
			ands[j] = atom(a, t.text)
			if t.exclude {
				ands[j] = `!!` + ands[j]
			}
		}
		ors[i] = `(` + strings.Join(ands, ` && `) + `)`
	}
	return strings.Join(ors, ` || `)
}

// anyOf is the SQL tsquery matching a document with any of texts; "" if none.
func anyOf(a *args, texts []string) string {
	parts := make([]string, len(texts))
	for i, t := range texts {
		parts[i] = atom(a, t)
	}
	return strings.Join(parts, ` || `)
}

// searchField is a text a snippet may be cut from, with the configuration it
// is indexed with, and, for a source's detail, its API name.
type searchField struct{ expr, config, sourceDetail string }

func prose(expr string) searchField { return searchField{expr: expr, config: "english_unaccent"} }
func name(expr string) searchField  { return searchField{expr: expr, config: "simple_unaccent"} }

// detail marks f as the source's detail field, so that the snippet is never
// cut from it for a confidential source whose field is withheld
// (registry.ConfidentialSourceFields). For every viewer, since the search
// index leaves such details out for everyone (migrations 0003 and 0014).
func (f searchField) detail(field string) searchField {
	f.sourceDetail = field
	return f
}

// sql is the field's text for the snippet.
func (f searchField) sql() string {
	if f.sourceDetail != "" && withheldSourceDetail(f.sourceDetail) {
		return `CASE WHEN t.confidential THEN NULL ELSE ` + f.expr + ` END`
	}
	return f.expr
}

// searchTable is how one entry type is searched: its table, the fields its
// snippet may come from (prose first: it gives the most context), and, for
// named entries, the name shown for an approximate match.
type searchTable struct {
	t      registry.EntryType
	table  string
	fields []searchField
	named  string // SQL of the name shown for a trigram match; "" when the type has no search_name
}

var searchTables = []searchTable{
	{registry.TypeState, "states", []searchField{prose("t.summary"), name("t.name"), name("t.country_code")}, "t.name"},
	{registry.TypeAgency, "agencies", []searchField{prose("t.description"), name("t.name"), name("t.kind")}, "t.name"},
	{registry.TypeVendor, "vendors", []searchField{prose("t.description"), name("t.name"), name("array_to_string(t.aliases, ', ')"), name("t.slug")},
		"t.name || CASE WHEN cardinality(t.aliases) > 0 THEN ' (' || array_to_string(t.aliases, ', ') || ')' ELSE '' END"},
	{registry.TypeTechnology, "technologies", []searchField{prose("t.description"), name("t.name"), name("t.slug")}, "t.name"},
	{registry.TypeProduct, "products", []searchField{prose("t.description"), name("t.name")}, "t.name"},
	{registry.TypeCommunity, "communities", []searchField{prose("t.description"), name("t.name"), name("t.religion")}, "t.name"},
	{registry.TypeDesignationList, "designation_lists", []searchField{name("t.name"), name("t.code || ' ' || t.authority || ' ' || t.jurisdiction")}, "t.name"},
	{registry.TypeControlListEntry, "control_list_entries", []searchField{prose("t.description"), prose("t.title"), name("t.code || ' ' || t.regime")}, ""},
	{registry.TypeAbuse, "abuses", []searchField{prose("t.summary"), prose("t.title"), name("t.location"),
		name("replace(array_to_string(t.categories, ' '), '_', ' ')")}, ""},
	{registry.TypeDeployment, "deployments", []searchField{prose("t.description"), name("t.location")}, ""},
	{registry.TypeDesignation, "designations", []searchField{prose("t.reason"), name("t.legal_reference")}, ""},
	{registry.TypeSource, "sources", []searchField{prose("t.title"), name("t.publisher").detail("publisher"),
		name("array_to_string(t.authors, ', ')").detail("authors")}, ""},
	{registry.TypeVendorResponse, "vendor_responses", []searchField{prose("t.summary")}, ""},
}

// headlineOptions cut snippets: up to two fragments of a sentence or so.
const headlineOptions = `StartSel=` + SnippetStart + `, StopSel=` + SnippetStop +
	`, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`

// approximate marks the sort value of a cursor from the trigram fallback, so
// that its next page continues that list rather than the full-text one.
const approximate = "~"

// Search finds the published entries matching q, best first, among the given
// types (all when none). Anyone may search; what is matched follows the
// viewer's visibility: retracted entries are left out, and the quotes of
// citations to confidential sources count only for viewers who may see
// them. None of the other details a confidential source withholds
// (registry.ConfidentialSourceFields, ConfidentialCitationFields) is
// indexed (migrations 0003 and 0014, sources.search), and no snippet is cut
// from one.
//
// An entry matches when its own fields, or one of its visible quotes, hold
// every term of the query (a phrase within one field), and no excluded term
// occurs in its fields or visible quotes. Hits are ranked by ts_rank_cd over the weighted document,
// ties broken by entry ID; the cursor holds the score's exact text, so pages
// never skip or repeat a hit.
//
// When full-text search finds nothing, names (and vendors' aliases) are
// matched approximately with trigrams instead: "Hikvison" finds Hikvision.
// That fallback runs only then, never ORed into the full-text predicate,
// because a trigram match knows nothing of exclusions; excluded terms are
// applied to its hits separately.
//
// An expensive page is kept and answered again while the registry is
// unchanged (see searchCache).
func (c *Catalog) Search(ctx context.Context, q SearchQuery, types []registry.EntryType, p Page) (*Conn[SearchHit], error) {
	if p.After != nil {
		// Any list's cursor decodes; only a search's holds a score.
		if _, err := strconv.ParseFloat(strings.TrimPrefix(p.After.Sort, approximate), 32); err != nil {
			return nil, registry.Invalid(errors.New("after: not a cursor of a search"))
		}
	}
	return c.cachedSearch(ctx, searchKey(q, types, registry.ViewerFrom(ctx), p), func(ctx context.Context, c *Catalog) (*Conn[SearchHit], error) {
		return c.searchNow(ctx, q, types, p)
	})
}

// searchNow computes a page of search hits.
func (c *Catalog) searchNow(ctx context.Context, q SearchQuery, types []registry.EntryType, p Page) (*Conn[SearchHit], error) {
	tables := searchTablesOf(types)
	trigram := p.After != nil && strings.HasPrefix(p.After.Sort, approximate)
	if !trigram {
		conn, err := c.search(ctx, fullTextSearch(q, tables, registry.ViewerFrom(ctx), p), p)
		if err != nil || conn.HasNext || len(conn.Items) > 0 || p.After != nil {
			return conn, err
		}
	}
	return c.search(ctx, trigramSearch(q, tables, registry.ViewerFrom(ctx), p), p)
}

func searchTablesOf(types []registry.EntryType) []searchTable {
	if len(types) == 0 {
		return searchTables
	}
	var out []searchTable
	for _, st := range searchTables {
		for _, t := range types {
			if st.t == t {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// totalColumn stands for the page statement's total column until it runs.
const totalColumn = "/* total */"

// pageSQL is the page statement, with the total when it is wanted.
func (s searchSQL) pageSQL(wantTotal bool) string {
	total := "NULL::bigint"
	if wantTotal {
		total = s.total
	}
	return strings.Replace(s.page, totalColumn, total, 1)
}

// searchSQL is a search's page statement, its count statement, and their
// parameters. The page statement has totalColumn where its last column
// goes: the total, as the SQL expression total when it is wanted (so that
// one statement answers both), else NULL. The count statement is needed only
// when the page is empty and the total is wanted.
type searchSQL struct {
	page, count string
	total       string
	args        args
	countArgs   args
	trigram     bool
}

// quoteVisible is the condition on a citation's source s under which its
// quote may be matched for the viewer.
func quoteVisible(v registry.Viewer) string {
	if v.SeesConfidential() {
		return `TRUE`
	}
	return `NOT s.confidential`
}

// entryDocument is the SQL of an entry's whole document: its own vector
// (own) and its visible quotes, in citation order so that positions, and so
// scores, are the same on every page. The quotes come stored in
// entry_quotes (migration 0005), kept by triggers: public holds only the
// quotes of non-confidential sources, every holds them all.
func entryDocument(own, id string, v registry.Viewer) string {
	col := `public`
	if v.SeesConfidential() {
		col = `every`
	}
	return own + ` || coalesce((SELECT eq.` + col + ` FROM entry_quotes eq WHERE eq.entry_id = ` + id + `), '')`
}

// keyset is the WHERE that resumes after the cursor, best first.
func keyset(a *args, p Page, prefix string) string {
	if p.After == nil {
		return `TRUE`
	}
	s := a.add(strings.TrimPrefix(p.After.Sort, prefix))
	id := a.add(p.After.ID)
	return `(score < ` + s + `::real OR (score = ` + s + `::real AND id > ` + id + `))`
}

// fullTextSearch writes the full-text statements. Candidates come from the
// GIN indexes: entries whose own fields, or one of whose visible quotes,
// hold the query's required terms; then each candidate's whole document
// (fields and visible quotes) is matched against the whole query, so that an
// excluded term anywhere in it leaves the entry out. Requiring the terms
// within the fields or within one quote, rather than spread over both, keeps
// the candidates few: entries with a quote holding any one term of the
// query would be a large part of the registry for a common word.
func fullTextSearch(q SearchQuery, tables []searchTable, v registry.Viewer, p Page) searchSQL {
	var a args
	full := q.tsquery(&a)
	required := q.required(&a)

	cands := make([]string, len(tables))
	for i, st := range tables {
		cands[i] = `SELECT '` + string(st.t) + `' AS entry_type, t.id, t.search AS own FROM ` + st.table + ` t
			WHERE t.id IN (SELECT x.id FROM ` + st.table + ` x, q WHERE x.search @@ q.r
				UNION ALL SELECT id FROM quoted WHERE entry_type = '` + string(st.t) + `')`
	}
	if len(cands) == 0 {
		cands = []string{`SELECT NULL::text AS entry_type, NULL::uuid AS id, NULL::tsvector AS own WHERE FALSE`}
	}
	// Without exclusions every candidate matches (it holds the required
	// terms, which are then the whole query, in its fields or in one quote),
	// so the document is needed only for the score, and the count needs no
	// document at all. With exclusions, each candidate's whole document is
	// matched too. OFFSET 0 keeps the document a subquery of its own,
	// computed once per candidate rather than once for the match and again
	// for the rank.
	match, countSQL := `TRUE`, `SELECT count(*) FROM hits`
	if len(q.excluded()) > 0 {
		match = `doc @@ q.q`
	}
	// A common word is quoted by a large part of the registry (166,000
	// citations for "surveillance" at scale 1): for readers who may not see
	// confidential quotes, the few confidential sources are excluded by a
	// hashed list (their partial index) rather than by looking up the
	// source of every matching citation.
	hidden := `FALSE`
	if !v.SeesConfidential() {
		hidden = `c.source_id IN (SELECT id FROM sources WHERE confidential)`
	}
	with := `WITH q AS (SELECT ` + full + ` AS q, ` + required + ` AS r),
	quoted AS MATERIALIZED (
		SELECT e.entry_type, c.entry_id AS id FROM citations c JOIN entries e ON e.id = c.entry_id, q
		WHERE c.search @@ q.r AND NOT (` + hidden + `)),
	candidates AS (` + strings.Join(cands, "\nUNION ALL\n") + `),
	hits AS (
		SELECT h.entry_type, h.id, d.score
		FROM candidates h JOIN entries e ON e.id = h.id AND e.status = 'PUBLISHED' CROSS JOIN q
		CROSS JOIN LATERAL (SELECT ` + match + ` AS match, ts_rank_cd(doc, q.q) AS score
			FROM (SELECT ` + entryDocument("h.own", "h.id", v) + ` AS doc OFFSET 0) x) d
		WHERE d.match)`
	if match == `TRUE` {
		countSQL = `SELECT count(*) FROM candidates h JOIN entries e ON e.id = h.id AND e.status = 'PUBLISHED'`
	}
	countArgs := append(args(nil), a...)
	cond := keyset(&a, p, "")
	limit := a.add(p.First + 1)
	// The page ranks every hit before taking the best, so the total costs
	// nothing more here: counted from the same hits, it spares the count
	// statement a second pass over the candidates (see searchSQL.total).
	page := with + `,
	page AS (SELECT * FROM hits WHERE ` + cond + ` ORDER BY score DESC, id LIMIT ` + limit + `)
	SELECT p.entry_type, p.id, p.score::text AS sort, ` + snippetSQL(tables, v) + ` AS snippet, ` + totalColumn + ` AS total
	FROM page p CROSS JOIN q ORDER BY p.score DESC, p.id`
	return searchSQL{page: page, count: with + ` ` + countSQL, args: a, countArgs: countArgs, total: `(SELECT count(*) FROM hits)`}
}

// snippetSQL picks, for each hit of a page, the field its snippet is cut
// from: one that matches the whole query, else one that matches part of it,
// else the first; fields in the table's order, then the visible quotes.
func snippetSQL(tables []searchTable, v registry.Viewer) string {
	var b strings.Builder
	b.WriteString(`CASE p.entry_type`)
	for _, st := range tables {
		vals := make([]string, len(st.fields))
		for i, f := range st.fields {
			vals[i] = fmt.Sprintf(`(%d, '%s'::regconfig, %s)`, i, f.config, f.sql())
		}
		fmt.Fprintf(&b, `
		WHEN '%s' THEN (SELECT ts_headline(f.cfg, f.txt, q.q, '%s') FROM (
			SELECT f.* FROM %s t, LATERAL (VALUES %s) f(ord, cfg, txt) WHERE t.id = p.id
			UNION ALL
			SELECT 1000 + c.position, 'english_unaccent'::regconfig, c.quote FROM citations c JOIN sources s ON s.id = c.source_id
			WHERE c.entry_id = p.id AND %s) f
			WHERE f.txt IS NOT NULL AND btrim(f.txt) <> ''
			ORDER BY to_tsvector(f.cfg, f.txt) @@ q.q DESC, ts_rank(to_tsvector(f.cfg, f.txt), q.q) > 0 DESC, f.ord
			LIMIT 1)`, st.t, headlineOptions, st.table, strings.Join(vals, ", "), quoteVisible(v))
	}
	b.WriteString(` END`)
	return b.String()
}

// trigramSearch writes the fallback statements: named entries whose name or
// alias is close to a term of the query (pg_trgm's word similarity, through
// the search_name trigram indexes), scored by the closest, with the query's
// exclusions still applied to their whole documents.
func trigramSearch(q SearchQuery, tables []searchTable, v registry.Viewer, p Page) searchSQL {
	var a args
	terms := q.positive()
	ps := make([]string, len(terms))
	for i, t := range terms {
		ps[i] = `search_fold(` + a.add(t) + `)`
	}
	exclude := `TRUE`
	if ex := q.excluded(); len(ex) > 0 {
		exclude = `NOT (` + entryDocument("h.own", "h.id", v) + ` @@ (` + anyOf(&a, ex) + `))`
	}
	var cands []string
	for _, st := range tables {
		if st.named == "" {
			continue
		}
		conds := make([]string, len(ps))
		scores := make([]string, len(ps))
		for i, t := range ps {
			conds[i] = t + ` <% t.search_name`
			scores[i] = `word_similarity(` + t + `, t.search_name)`
		}
		cands = append(cands, `SELECT '`+string(st.t)+`' AS entry_type, t.id, t.search AS own, greatest(`+strings.Join(scores, ", ")+`) AS score, `+
			st.named+` AS snippet FROM `+st.table+` t WHERE `+strings.Join(conds, " OR "))
	}
	if len(cands) == 0 {
		return searchSQL{} // no named type asked for
	}
	with := `WITH hits AS (
		SELECT h.entry_type, h.id, h.score, h.snippet FROM (` + strings.Join(cands, "\nUNION ALL\n") + `) h
		JOIN entries e ON e.id = h.id AND e.status = 'PUBLISHED'
		WHERE ` + exclude + `)`
	countArgs := append(args(nil), a...)
	cond := keyset(&a, p, approximate)
	limit := a.add(p.First + 1)
	page := with + ` SELECT entry_type, id, '` + approximate + `' || score::text AS sort, snippet, ` + totalColumn + ` AS total FROM hits
		WHERE ` + cond + ` ORDER BY score DESC, id LIMIT ` + limit
	return searchSQL{page: page, count: with + ` SELECT count(*) FROM hits`, args: a, countArgs: countArgs, trigram: true,
		total: `(SELECT count(*) FROM hits)`}
}

// trigramThreshold is the least word similarity of an approximate match:
// pg_trgm's default, 0.6, misses one wrong letter in a short name ("Dahau"
// is 0.5 from "Dahua").
const trigramThreshold = "0.5"

// search runs a search's statements and reads its page.
func (c *Catalog) search(ctx context.Context, s searchSQL, p Page) (*Conn[SearchHit], error) {
	conn := &Conn[SearchHit]{Items: []*SearchHit{}, Cursors: []Cursor{}}
	if s.page == "" {
		return conn, nil
	}
	br, err := c.sendSearch(ctx, s.trigram, s.pageSQL(p.WantTotal), s.args)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var (
		hit   SearchHit
		sort  string
		count *int
		rowsN int
	)
	_, err = pgx.ForEachRow(rows, []any{&hit.EntryType, &hit.EntryID, &sort, &hit.Snippet, &count}, func() error {
		rowsN++
		if count != nil {
			conn.Total = *count
		}
		if len(conn.Items) == p.First {
			conn.HasNext = true
			return nil
		}
		score, err := strconv.ParseFloat(strings.TrimPrefix(sort, approximate), 64)
		if err != nil {
			return fmt.Errorf("score %q: %w", sort, err)
		}
		h := hit
		h.Score = score
		conn.Items = append(conn.Items, &h)
		conn.Cursors = append(conn.Cursors, Cursor{Sort: sort, ID: h.EntryID})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if p.WantTotal && rowsN == 0 {
		// An empty page (past the last hit, or no hit at all) carries no
		// total; count on their own.
		br, err := c.sendSearch(ctx, s.trigram, s.count, s.countArgs)
		if err != nil {
			return nil, err
		}
		defer br.Close()
		if err := br.QueryRow().Scan(&conn.Total); err != nil {
			return nil, fmt.Errorf("search count: %w", err)
		}
	}
	return conn, nil
}

// sendSearch sends one search statement, after the trigram threshold for
// the fallback's: a batch is one implicit transaction, so the setting holds
// for the statement and ends with it. The results are left at the statement.
func (c *Catalog) sendSearch(ctx context.Context, trigram bool, sql string, args args) (pgx.BatchResults, error) {
	batch := &pgx.Batch{}
	if trigram {
		batch.Queue(`SELECT set_config('pg_trgm.word_similarity_threshold', '` + trigramThreshold + `', true)`)
	}
	batch.Queue(sql, args...)
	br := c.db.SendBatch(ctx, batch)
	if trigram {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("search threshold: %w", err)
		}
	}
	return br, nil
}
