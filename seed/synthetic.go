package seed

// Synthetic data: a large, obviously fake registry for benchmarks and load
// tests (oversight seed --synthetic --scale N).
//
// Design:
//   - Deterministic. Every entry is generated from its own PRNG (PCG seeded
//     with a fixed seed, its type, its index and a stream number), and IDs are
//     UUIDv5 of "TYPE:index" in a namespace of their own, so the same scale
//     gives byte-identical rows on every run, and any entry can be generated
//     again, alone, in any order. Only integer arithmetic decides what is
//     picked, so no floating-point rounding can make two machines differ.
//   - Lazy. Each table is one COPY (pgx.CopyFromFunc) that regenerates the
//     entries it needs, in ID order, as PostgreSQL asks for rows, so memory
//     stays flat (only small index arrays, such as each deployment's state,
//     are kept) and nothing is written a statement per row.
//   - Skewed. Picks of states, vendors, sources and the like follow a
//     harmonic (Zipf s=1) law mixed with a uniform one: a few vendors and
//     states have many deployments, most have few.
//   - Separate. Synthetic data must never mix with real data: the loader
//     refuses a registry that has any entry (HasSynthetic lets the seed
//     command refuse the other way round), names are obviously made up
//     ("Vendor 00042 Systems", example.com addresses), and every synthetic
//     source says so in its title and publisher.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// SyntheticSummary is the history summary of every synthetic entry's first version.
const SyntheticSummary = "Synthetic data (oversight seed --synthetic): not real"

// syntheticRevisionSummary is the summary of a synthetic entry's second version.
const syntheticRevisionSummary = "Synthetic data (oversight seed --synthetic): revised, not real"

// SyntheticPublisher is the publisher of every synthetic source; their titles
// start with "[synthetic]".
const SyntheticPublisher = "Synthetic data"

// MaxSyntheticScale bounds --scale: at 10 the registry has ten million
// citations; larger scales are refused rather than left to fill a disk.
const MaxSyntheticScale = 10.0

// syntheticNamespace keeps synthetic IDs apart from the seed dataset's.
var syntheticNamespace = uuid.MustParse("0b5e9a52-3c1d-5f47-8e2a-6d9c4f1b7a30")

// syntheticSeed seeds every synthetic PRNG.
const syntheticSeed uint64 = 0x0DE5_16AE_5EED_2025

// SyntheticID returns the ID of the synthetic entry of type t with index i.
func SyntheticID(t registry.EntryType, i int) uuid.UUID {
	return uuid.NewSHA1(syntheticNamespace, []byte(string(t)+":"+strconv.Itoa(i)))
}

func syntheticCitationID(t registry.EntryType, i, position int) uuid.UUID {
	return uuid.NewSHA1(syntheticNamespace, []byte("citation:"+string(t)+":"+strconv.Itoa(i)+":"+strconv.Itoa(position)))
}

// SyntheticSize is how many entries of each type (and citations) a synthetic
// registry of some scale has.
type SyntheticSize struct {
	States, Agencies, Vendors, Products, Technologies, Deployments, Abuses,
	Sources, Citations, DesignationLists, Designations, Communities, ControlListEntries int
}

// SyntheticSizeAt returns the size of a synthetic registry at scale (1 is
// 200 states, 5,000 vendors, 100,000 deployments, 1,000,000 citations...).
// Every count is the scale times its count at 1, rounded, and at least 1;
// states are at most the number of country codes. The scale must be in
// (0, MaxSyntheticScale].
func SyntheticSizeAt(scale float64) (SyntheticSize, error) {
	if math.IsNaN(scale) || scale <= 0 || scale > MaxSyntheticScale {
		return SyntheticSize{}, registry.Invalid(fmt.Errorf("synthetic scale must be above 0 and at most %g, not %g", MaxSyntheticScale, scale))
	}
	n := func(atOne int) int { return max(1, int(math.Round(float64(atOne)*scale))) }
	return SyntheticSize{
		States:             min(n(200), len(syntheticCountryCodes)),
		Agencies:           n(2_000),
		Vendors:            n(5_000),
		Products:           n(20_000),
		Technologies:       n(40),
		Deployments:        n(100_000),
		Abuses:             n(50_000),
		Sources:            n(200_000),
		Citations:          n(1_000_000),
		DesignationLists:   n(10),
		Designations:       n(10_000),
		Communities:        n(100),
		ControlListEntries: n(200),
	}, nil
}

// Count returns the number of entries of type t.
func (s SyntheticSize) Count(t registry.EntryType) int {
	switch t {
	case registry.TypeState:
		return s.States
	case registry.TypeAgency:
		return s.Agencies
	case registry.TypeVendor:
		return s.Vendors
	case registry.TypeProduct:
		return s.Products
	case registry.TypeTechnology:
		return s.Technologies
	case registry.TypeDeployment:
		return s.Deployments
	case registry.TypeAbuse:
		return s.Abuses
	case registry.TypeSource:
		return s.Sources
	case registry.TypeDesignationList:
		return s.DesignationLists
	case registry.TypeDesignation:
		return s.Designations
	case registry.TypeCommunity:
		return s.Communities
	case registry.TypeControlListEntry:
		return s.ControlListEntries
	}
	return 0
}

// Entries returns the number of entries of every type together.
func (s SyntheticSize) Entries() int {
	n := 0
	for _, t := range syntheticTypes {
		n += s.Count(t)
	}
	return n
}

// syntheticTypes are the generated types, referenced types first. Vendor
// responses are not generated.
var syntheticTypes = []registry.EntryType{
	registry.TypeState, registry.TypeTechnology, registry.TypeVendor, registry.TypeAgency,
	registry.TypeCommunity, registry.TypeDesignationList, registry.TypeControlListEntry,
	registry.TypeProduct, registry.TypeSource, registry.TypeDeployment, registry.TypeAbuse,
	registry.TypeDesignation,
}

// SyntheticOptions says what LoadSynthetic generates.
type SyntheticOptions struct {
	Scale float64
	// Progress, when set, is called after each table is written (and after
	// the final ANALYZE, as table "(analyze)").
	Progress func(TableRows)
}

// TableRows is how many rows a load wrote to one table, and how long it took.
type TableRows struct {
	Table string
	Rows  int64
	Took  time.Duration
}

// SyntheticResult says what LoadSynthetic wrote.
type SyntheticResult struct {
	Size   SyntheticSize
	Tables []TableRows // in the order they were written
	Took   time.Duration
}

// LoadSynthetic fills an empty registry with synthetic entries at
// opts.Scale, all published, each with its citations, history (version 1,
// and version 2 for about one entry in twenty) and change events, in one
// transaction. It returns an INVALID error for a scale out of range and a
// CONFLICT error, writing nothing, when the registry has any entry: synthetic
// data must never mix with real data.
func LoadSynthetic(ctx context.Context, db DB, opts SyntheticOptions) (SyntheticResult, error) {
	size, err := SyntheticSizeAt(opts.Scale)
	if err != nil {
		return SyntheticResult{}, err
	}
	began := time.Now()
	g := newSynth(size)
	res := SyntheticResult{Size: size}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// The seed loader takes the same lock: a server seeding an empty
		// registry at the same moment waits, then finds it full.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('oversight-seed'))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var nonEmpty bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM entries)`).Scan(&nonEmpty); err != nil {
			return fmt.Errorf("check for entries: %w", err)
		}
		if nonEmpty {
			return &registry.Error{Code: registry.CodeConflict, Message: "the registry already has entries: " +
				"synthetic data is only loaded into an empty registry, so that it never mixes with real data; use a new database"}
		}
		// One commit at the end: waiting for its flush costs nothing worth
		// saving, but a crash before it loses only synthetic data anyway.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("set synchronous_commit: %w", err)
		}
		for _, tb := range g.tables() {
			start := time.Now()
			order := g.order(tb.types)
			step := len(order)
			if tb.perStatement > 0 {
				step = tb.perStatement
			}
			var n int64
			for lo := 0; lo < len(order); lo += step {
				m, err := tx.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.cols, pgx.CopyFromFunc(g.rows(tb, order[lo:min(lo+step, len(order))])))
				if err != nil {
					return fmt.Errorf("copy %s: %w", tb.name, err)
				}
				n += m
			}
			done := TableRows{tb.name, n, time.Since(start)}
			res.Tables = append(res.Tables, done)
			if opts.Progress != nil {
				opts.Progress(done)
			}
		}
		// Statistics now, rather than whenever autovacuum comes round, so
		// that the first benchmark query is planned like the rest.
		start := time.Now()
		if _, err := tx.Exec(ctx, `ANALYZE`); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		if opts.Progress != nil {
			opts.Progress(TableRows{"(analyze)", 0, time.Since(start)})
		}
		return nil
	})
	if err != nil {
		if registry.ErrorCode(err) != "" {
			return SyntheticResult{}, err
		}
		return SyntheticResult{}, fmt.Errorf("synthetic seed: %w", err)
	}
	res.Took = time.Since(began)
	return res, nil
}

// HasSynthetic reports whether the registry holds synthetic entries (it
// looks for the first synthetic technology, which every scale has).
func HasSynthetic(ctx context.Context, db interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) (bool, error) {
	var found bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM entries WHERE id = $1)`, SyntheticID(registry.TypeTechnology, 0)).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("look for synthetic entries: %w", err)
	}
	return found, nil
}

// ---- Tables ----

// citationsPerStatement is how many entries' citations one COPY statement
// carries (see the citations table); a variable so that a test can split
// a small registry as a large one is.
var citationsPerStatement = 200_000

// table is one COPY: a table, its columns, the entry types whose entries
// give its rows, and the rows one entry gives.
type table struct {
	name  string
	cols  []string
	types []registry.EntryType
	rows  func(t registry.EntryType, i int, emit func(...any)) error
	// perStatement, when set, splits the COPY into statements of this many
	// entries' rows, for tables whose statement triggers work on all the
	// rows of a statement at once.
	perStatement int
}

func (g *synth) tables() []table {
	one := func(t registry.EntryType) []registry.EntryType { return []registry.EntryType{t} }
	// typeTable writes the entries of one type to their own table.
	typeTable := func(name string, t registry.EntryType, cols []string) table {
		return table{name, append([]string{"id"}, cols...), one(t), func(t registry.EntryType, i int, emit func(...any)) error {
			e, _ := g.entry(t, i)
			emit(append([]any{[16]byte(e.EntryMeta().ID)}, typeRow(e)...)...)
			return nil
		}, 0}
	}
	// linkTable writes the links of one type's entries.
	linkTable := func(name string, t registry.EntryType, owner, other string, ids func(registry.Entry) []uuid.UUID) table {
		return table{name, []string{owner, other}, one(t), func(t registry.EntryType, i int, emit func(...any)) error {
			e, _ := g.entry(t, i)
			for _, id := range ids(e) {
				emit([16]byte(e.EntryMeta().ID), [16]byte(id))
			}
			return nil
		}, 0}
	}
	return []table{
		{"entries", []string{"id", "entry_type", "version", "status", "published_at", "updated_at"}, syntheticTypes,
			func(t registry.EntryType, i int, emit func(...any)) error {
				m := g.meta(t, i)
				emit([16]byte(m.ID), string(t), m.Version, string(registry.StatusPublished), m.PublishedAt, m.UpdatedAt)
				return nil
			}, 0},
		typeTable("states", registry.TypeState, []string{"country_code", "name", "summary"}),
		typeTable("technologies", registry.TypeTechnology, []string{"slug", "name", "description", "parent_id"}),
		typeTable("vendors", registry.TypeVendor, []string{"slug", "name", "aliases", "country_code", "website", "wikidata_id", "description", "parent_id"}),
		typeTable("agencies", registry.TypeAgency, []string{"state_id", "name", "kind", "description"}),
		typeTable("communities", registry.TypeCommunity, []string{"name", "religion", "description"}),
		typeTable("designation_lists", registry.TypeDesignationList, []string{"code", "name", "authority", "jurisdiction", "url"}),
		typeTable("control_list_entries", registry.TypeControlListEntry, []string{"regime", "code", "title", "description"}),
		linkTable("control_list_entry_technologies", registry.TypeControlListEntry, "control_list_entry_id", "technology_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.ControlListEntry).TechnologyIDs }),
		typeTable("products", registry.TypeProduct, []string{"vendor_id", "name", "description"}),
		linkTable("product_technologies", registry.TypeProduct, "product_id", "technology_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.Product).TechnologyIDs }),
		linkTable("product_control_list_entries", registry.TypeProduct, "product_id", "control_list_entry_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.Product).ControlListEntryIDs }),
		typeTable("sources", registry.TypeSource, []string{"title", "kind", "publisher", "authors", "url", "archive_url",
			"published_on", "accessed_on", "language", "content_sha256", "confidential"}),
		typeTable("deployments", registry.TypeDeployment, []string{"state_id", "agency_id", "vendor_id", "product_id",
			"technology_id", "start_date", "end_date", "location", "description", "confidence"}),
		typeTable("abuses", registry.TypeAbuse, []string{"title", "summary", "state_id", "categories", "start_date", "end_date", "location", "confidence"}),
		linkTable("abuse_agencies", registry.TypeAbuse, "abuse_id", "agency_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.Abuse).AgencyIDs }),
		linkTable("abuse_communities", registry.TypeAbuse, "abuse_id", "community_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.Abuse).CommunityIDs }),
		linkTable("abuse_deployments", registry.TypeAbuse, "abuse_id", "deployment_id",
			func(e registry.Entry) []uuid.UUID { return e.(*registry.Abuse).DeploymentIDs }),
		typeTable("designations", registry.TypeDesignation, []string{"list_id", "vendor_id", "state_id", "agency_id",
			"listed_on", "removed_on", "legal_reference", "reason"}),
		// Citations go 200,000 entries' worth a statement: the trigger that
		// keeps entry_quotes (migrations 0005, 0011) recomputes every entry a
		// statement touched at once, from a transition table of all its
		// rows, which at scale 10 (10,000,000 citations in one COPY) spilled
		// 4 GB to disk. Most of that wait was the refresh's "= ANY" that
		// migration 0011 replaced; whether one statement would now do at
		// scale 10 is unmeasured, and the split bounds the trigger's work
		// either way. An entry's citations all come in one statement.
		{"citations", []string{"id", "entry_id", "source_id", "position", "locator", "quote", "field", "stance"}, syntheticTypes,
			func(t registry.EntryType, i int, emit func(...any)) error {
				id := SyntheticID(t, i)
				for p, c := range g.citations(t, i) {
					emit([16]byte(c.ID), [16]byte(id), [16]byte(c.SourceID), p+1, optString(c.Locator), optString(c.Quote),
						optString(c.Field), string(c.Stance))
				}
				return nil
			}, citationsPerStatement},
		{"entry_versions", []string{"entry_id", "version", "created_at", "summary", "snapshot", "changes"}, syntheticTypes,
			func(t registry.EntryType, i int, emit func(...any)) error {
				vs, err := g.history(t, i)
				if err != nil {
					return err
				}
				for _, v := range vs {
					emit([16]byte(v.EntryID), v.Version, v.CreatedAt, *v.Summary, []byte(v.Snapshot), v.changes)
				}
				return nil
			}, 0},
		{"change_events", []string{"entry_id", "entry_type", "version", "kind", "at", "summary"}, syntheticTypes,
			func(t registry.EntryType, i int, emit func(...any)) error {
				m := g.meta(t, i)
				emit([16]byte(m.ID), string(t), 1, string(registry.ChangeCreated), m.PublishedAt, SyntheticSummary)
				if m.Version == 2 {
					emit([16]byte(m.ID), string(t), 2, string(registry.ChangeUpdated), m.UpdatedAt, syntheticRevisionSummary)
				}
				return nil
			}, 0},
	}
}

// rows returns the row source of a COPY: the rows of each entry of the
// table's types in turn, in the order of their IDs, generated as they are
// asked for. Going through the entries by ID appends to the primary key
// indexes (and to entry_versions' and citations' keys) rather than inserting
// all over them, which at scale 1 saves most of the writing.
func (g *synth) rows(tb table, order []ref) func() ([]any, error) {
	var queue [][]any
	emit := func(vals ...any) { queue = append(queue, vals) }
	next := 0
	return func() ([]any, error) {
		for len(queue) == 0 {
			if next == len(order) {
				return nil, nil
			}
			e := order[next]
			t := syntheticTypes[e.t]
			if err := tb.rows(t, int(e.i), emit); err != nil {
				return nil, fmt.Errorf("%s %d: %w", t, e.i, err)
			}
			next++
		}
		row := queue[0]
		queue[0] = nil
		queue = queue[1:]
		return row, nil
	}
}

// ref names an entry: its type (an index of syntheticTypes) and its index.
type ref struct {
	t uint8
	i int32
}

// order returns the entries of the types sorted by ID; it remembers the
// order of all types together, which four tables go through.
func (g *synth) order(types []registry.EntryType) []ref {
	all := len(types) == len(syntheticTypes)
	if all && g.allOrder != nil {
		return g.allOrder
	}
	type keyed struct {
		id uuid.UUID
		ref
	}
	var ks []keyed
	for _, t := range types {
		ti := uint8(slices.Index(syntheticTypes, t))
		for i := range g.size.Count(t) {
			ks = append(ks, keyed{SyntheticID(t, i), ref{ti, int32(i)}})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return bytes.Compare(a.id[:], b.id[:]) })
	out := make([]ref, len(ks))
	for k, x := range ks {
		out[k] = x.ref
	}
	if all {
		g.allOrder = out
	}
	return out
}

// typeRow is an entry's row in its own table, ID excluded, in the column
// order of tables(); it mirrors internal/postgres, which writes entries one
// statement at a time.
func typeRow(e registry.Entry) []any {
	switch x := e.(type) {
	case *registry.State:
		return []any{string(x.CountryCode), x.Name, optString(x.Summary)}
	case *registry.Agency:
		return []any{[16]byte(x.StateID), x.Name, optString(x.Kind), optString(x.Description)}
	case *registry.Vendor:
		return []any{x.Slug, x.Name, x.Aliases, optString(x.CountryCode), optString(x.Website), optString(x.WikidataID),
			optString(x.Description), optID(x.ParentID)}
	case *registry.Technology:
		return []any{x.Slug, x.Name, optString(x.Description), optID(x.ParentID)}
	case *registry.Product:
		return []any{[16]byte(x.VendorID), x.Name, optString(x.Description)}
	case *registry.Deployment:
		return []any{[16]byte(x.StateID), optID(x.AgencyID), optID(x.VendorID), optID(x.ProductID), [16]byte(x.TechnologyID),
			optString(x.StartDate), optString(x.EndDate), optString(x.Location), optString(x.Description), string(x.Confidence)}
	case *registry.Abuse:
		cats := make([]string, len(x.Categories))
		for i, c := range x.Categories {
			cats[i] = string(c)
		}
		return []any{x.Title, x.Summary, [16]byte(x.StateID), cats, optString(x.StartDate), optString(x.EndDate),
			optString(x.Location), string(x.Confidence)}
	case *registry.Community:
		return []any{x.Name, optString(x.Religion), optString(x.Description)}
	case *registry.DesignationList:
		return []any{x.Code, x.Name, x.Authority, x.Jurisdiction, optString(x.URL)}
	case *registry.Designation:
		return []any{[16]byte(x.ListID), optID(x.VendorID), optID(x.StateID), optID(x.AgencyID), string(x.ListedOn),
			optString(x.RemovedOn), optString(x.LegalReference), optString(x.Reason)}
	case *registry.ControlListEntry:
		return []any{string(x.Regime), x.Code, x.Title, optString(x.Description)}
	case *registry.Source:
		return []any{x.Title, string(x.Kind), optString(x.Publisher), x.Authors, optString(x.URL), optString(x.ArchiveURL),
			optString(x.PublishedOn), optString(x.AccessedOn), optString(x.Language), optString(x.ContentSha256), x.Confidential}
	}
	panic(fmt.Sprintf("synthetic: no table for %T", e))
}

func optString[T ~string](p *T) any {
	if p == nil {
		return nil
	}
	return string(*p)
}

func optID(p *uuid.UUID) any {
	if p == nil {
		return nil
	}
	return [16]byte(*p)
}

// ---- The generator ----

// synth generates synthetic entries. Its index arrays are what entries of
// one type need to know about others (a state's agencies, a vendor's
// products) to refer to them plausibly.
type synth struct {
	size        SyntheticSize
	techParents int
	codes       []string // the states' country codes, by state index

	states, vendorCountries, vendors, productVendors, sources, communities, leaves, lists dist

	agencyState       []int32
	stateAgencies     [][]int32
	productVendor     []int32
	productTech       []int32
	vendorProducts    [][]int32
	deploymentState   []int32
	stateDeployments  [][]int32
	designationList   []int32 // by designation index
	designationVendor []int32 // the designated vendor, or -1 for an agency or a state
	citationTotals    map[registry.EntryType]int
	allOrder          []ref
}

// PRNG streams: each entry draws from several independent streams, so that
// what one table needs can be generated without the rest.
const (
	streamSetup uint64 = iota
	streamSkeleton
	streamBody
	streamMeta
	streamCitations
	streamEdit
	streamPair
)

func typeIndex(t registry.EntryType) uint64 {
	return uint64(slices.Index(registry.EntryTypes, t) + 1)
}

// rng returns the PRNG of stream s of entry i of type t.
func rng(t registry.EntryType, i int, s uint64) *rand.Rand {
	return rand.New(rand.NewPCG(syntheticSeed^(typeIndex(t)<<32|s), uint64(i)))
}

func newSynth(size SyntheticSize) *synth {
	g := &synth{size: size}
	setup := rand.New(rand.NewPCG(syntheticSeed, streamSetup))

	codes := slices.Clone(syntheticCountryCodes)
	setup.Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	g.codes = codes[:size.States]

	g.techParents = max(1, (size.Technologies+4)/5)
	if size.Technologies > g.techParents {
		g.leaves = newDist(size.Technologies-g.techParents, 30, setup)
	} else {
		g.leaves = newDist(size.Technologies, 30, setup)
	}
	g.states = newDist(size.States, 20, setup)
	g.vendorCountries = newDist(len(syntheticCountryCodes), 30, setup)
	g.vendors = newDist(size.Vendors, 30, setup)
	g.productVendors = g.vendors.withUniform(50)
	g.sources = newDist(size.Sources, 90, setup)
	g.communities = newDist(size.Communities, 20, setup)
	g.lists = newDist(size.DesignationLists, 30, setup)

	g.agencyState = make([]int32, size.Agencies)
	g.stateAgencies = make([][]int32, size.States)
	agencyStates := g.states.withUniform(40)
	for i := range g.agencyState {
		s := agencyStates.pick(rng(registry.TypeAgency, i, streamSkeleton))
		g.agencyState[i] = int32(s)
		g.stateAgencies[s] = append(g.stateAgencies[s], int32(i))
	}
	g.productVendor = make([]int32, size.Products)
	g.productTech = make([]int32, size.Products)
	g.vendorProducts = make([][]int32, size.Vendors)
	for i := range g.productVendor {
		r := rng(registry.TypeProduct, i, streamSkeleton)
		v := g.productVendors.pick(r)
		g.productVendor[i] = int32(v)
		g.productTech[i] = int32(g.leaf(r))
		g.vendorProducts[v] = append(g.vendorProducts[v], int32(i))
	}
	g.deploymentState = make([]int32, size.Deployments)
	g.stateDeployments = make([][]int32, size.States)
	for i := range g.deploymentState {
		s := g.states.pick(rng(registry.TypeDeployment, i, streamSkeleton))
		g.deploymentState[i] = int32(s)
		g.stateDeployments[s] = append(g.stateDeployments[s], int32(i))
	}

	// A vendor is on a designation list at most once, as in the real
	// registry (seed/registry.json); the busiest vendors are still the
	// likeliest to be designated. Drawn independently, the busiest vendor
	// at scale 1 had 436 designations on 10 lists.
	g.designationList = make([]int32, size.Designations)
	g.designationVendor = make([]int32, size.Designations)
	listed := make(map[[2]int32]bool)
	for i := range g.designationList {
		r := rng(registry.TypeDesignation, i, streamSkeleton)
		l := int32(g.lists.pick(r))
		g.designationList[i], g.designationVendor[i] = l, -1
		if r.IntN(100) >= 60 {
			continue
		}
		for range 8 { // a few draws for a vendor not yet on this list, else an agency or a state
			if v := int32(g.vendors.pick(r)); !listed[[2]int32{v, l}] {
				listed[[2]int32{v, l}] = true
				g.designationVendor[i] = v
				break
			}
		}
	}

	// Citations are shared among the types by weight times count, so that
	// the total is exactly size.Citations; sources cite nothing.
	weights := map[registry.EntryType]int64{
		registry.TypeState: 10, registry.TypeAgency: 3, registry.TypeVendor: 4, registry.TypeTechnology: 3,
		registry.TypeProduct: 2, registry.TypeDeployment: 6, registry.TypeAbuse: 8, registry.TypeCommunity: 4,
		registry.TypeDesignationList: 2, registry.TypeDesignation: 2, registry.TypeControlListEntry: 3,
	}
	var sum int64
	for _, t := range syntheticTypes {
		sum += weights[t] * int64(size.Count(t))
	}
	g.citationTotals = map[registry.EntryType]int{}
	left := size.Citations
	last := syntheticTypes[len(syntheticTypes)-1]
	for _, t := range syntheticTypes {
		n := int(int64(size.Citations) * weights[t] * int64(size.Count(t)) / sum)
		if t == last {
			n = left
		}
		g.citationTotals[t] = n
		left -= n
	}
	return g
}

// leaf picks a technology that is a kind rather than a category, when there are kinds.
func (g *synth) leaf(r *rand.Rand) int {
	if g.size.Technologies > g.techParents {
		return g.techParents + g.leaves.pick(r)
	}
	return g.leaves.pick(r)
}

// dist picks indexes 0..n-1: uniformly in uniformPct percent of picks, else
// by a harmonic law (index k, in a fixed shuffled order, has weight 1/(k+1)).
// Integer weights keep picks identical on every platform.
type dist struct {
	cdf        []uint64
	perm       []int32
	uniformPct int
}

func newDist(n, uniformPct int, setup *rand.Rand) dist {
	d := dist{cdf: make([]uint64, n), perm: make([]int32, n), uniformPct: uniformPct}
	var total uint64
	for k := range n {
		total += 1_000_000_000 / uint64(k+1)
		d.cdf[k] = total
		d.perm[k] = int32(k)
	}
	setup.Shuffle(n, func(i, j int) { d.perm[i], d.perm[j] = d.perm[j], d.perm[i] })
	return d
}

func (d dist) withUniform(pct int) dist { d.uniformPct = pct; return d }

func (d dist) pick(r *rand.Rand) int {
	n := len(d.cdf)
	if n == 0 {
		panic("synthetic: pick from nothing")
	}
	if r.IntN(100) < d.uniformPct {
		return r.IntN(n)
	}
	u := r.Uint64N(d.cdf[n-1])
	k, _ := slices.BinarySearch(d.cdf, u+1) // the first k with cdf[k] > u
	return int(d.perm[k])
}

// meta is an entry's identity, version and times.
func (g *synth) meta(t registry.EntryType, i int) registry.Meta {
	r := rng(t, i, streamMeta)
	published := syntheticEpoch.Add(time.Duration(r.Int64N(3*365*24*3600*1_000_000)) * time.Microsecond)
	m := registry.Meta{ID: SyntheticID(t, i), Version: 1, Status: registry.StatusPublished, PublishedAt: published, UpdatedAt: published}
	if r.IntN(100) < 5 {
		m.Version = 2
		m.UpdatedAt = published.Add(time.Duration(1+r.Int64N(400*24*3600)) * time.Second)
	}
	return m
}

var syntheticEpoch = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

// entry returns entry i of type t as it stands (its last version), and its citations.
func (g *synth) entry(t registry.EntryType, i int) (registry.Entry, []registry.Citation) {
	e := g.first(t, i)
	m := e.EntryMeta()
	*m = g.meta(t, i)
	if m.Version == 2 {
		g.revise(e, rng(t, i, streamEdit))
	}
	return e, g.citations(t, i)
}

// version is a history row, with its changes already encoded.
type version struct {
	registry.EntryVersion
	changes []byte
}

// history returns entry i's versions: the first, and the revision if it has one.
func (g *synth) history(t registry.EntryType, i int) ([]version, error) {
	e := g.first(t, i)
	m := e.EntryMeta()
	*m = g.meta(t, i)
	cites := g.citations(t, i)
	snap1, err := registry.Snapshot(e, cites)
	if err != nil {
		return nil, err
	}
	out := make([]version, 0, m.Version)
	add := func(n int, at time.Time, summary string, before, after json.RawMessage) error {
		var b []byte
		var err error
		if before == nil {
			b, err = creationChanges(after)
		} else {
			b, err = diffJSON(before, after)
		}
		if err != nil {
			return err
		}
		out = append(out, version{registry.EntryVersion{EntryID: m.ID, EntryType: t, Version: n, CreatedAt: at,
			Summary: &summary, Snapshot: after}, b})
		return nil
	}
	if err := add(1, m.PublishedAt, SyntheticSummary, nil, snap1); err != nil {
		return nil, err
	}
	if m.Version == 2 {
		g.revise(e, rng(t, i, streamEdit))
		snap2, err := registry.Snapshot(e, cites)
		if err != nil {
			return nil, err
		}
		if err := add(2, m.UpdatedAt, syntheticRevisionSummary, snap1, snap2); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// diffJSON is registry.Diff encoded.
func diffJSON(before, after json.RawMessage) ([]byte, error) {
	changes, err := registry.Diff(before, after)
	if err != nil {
		return nil, err
	}
	return json.Marshal(changes)
}

// creationChanges returns what diffJSON(nil, snapshot) returns, for a
// snapshot that json.Marshal wrote (compact, keys sorted), at a fraction of
// the cost (registry.Diff was most of the work of generating history).
// TestSyntheticLoad holds every stored version's changes to registry.Diff.
func creationChanges(snapshot json.RawMessage) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(snapshot, &m); err != nil {
		return nil, fmt.Errorf("creation changes: %w", err)
	}
	keys := slices.Sorted(maps.Keys(m))
	b := make([]byte, 0, 2*len(snapshot))
	b = append(b, '[')
	for _, k := range keys {
		v := m[k]
		if string(v) == "null" || string(v) == "[]" {
			continue // registry.Diff: null and [] both say "none"
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, `{"field":`...)
		b = strconv.AppendQuote(b, k)
		b = append(b, `,"before":null,"after":`...)
		b = append(b, v...)
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// first returns entry i of type t as its first version said it.
func (g *synth) first(t registry.EntryType, i int) registry.Entry {
	r := rng(t, i, streamBody)
	switch t {
	case registry.TypeState:
		return &registry.State{CountryCode: registry.CountryCode(g.codes[i]), Name: "Synthetic State " + g.codes[i],
			Summary: maybe(r, 70, func() string { return paragraph(r, 3, 6) })}
	case registry.TypeTechnology:
		return g.technology(r, i)
	case registry.TypeVendor:
		suffix := vendorSuffixes[r.IntN(len(vendorSuffixes))]
		v := &registry.Vendor{Slug: fmt.Sprintf("vendor-%05d-%s", i, strings.ToLower(suffix)), Name: fmt.Sprintf("Vendor %05d %s", i, suffix),
			Aliases: []string{}}
		if r.IntN(100) < 20 {
			v.Aliases = append(v.Aliases, fmt.Sprintf("V%05d", i))
		}
		if r.IntN(100) < 90 {
			c := registry.CountryCode(syntheticCountryCodes[g.vendorCountries.pick(r)])
			v.CountryCode = &c
		}
		if r.IntN(100) < 60 {
			u := registry.URL(fmt.Sprintf("https://vendor-%05d.example.com/", i))
			v.Website = &u
		}
		v.Description = maybe(r, 80, func() string { return paragraph(r, 2, 5) })
		if i > 0 && r.IntN(100) < 5 {
			p := SyntheticID(registry.TypeVendor, r.IntN(i)) // an earlier vendor: no cycles
			v.ParentID = &p
		}
		return v
	case registry.TypeAgency:
		a := &registry.Agency{StateID: SyntheticID(registry.TypeState, int(g.agencyState[i])),
			Name: fmt.Sprintf("Agency %05d %s", i, agencyNames[r.IntN(len(agencyNames))])}
		a.Kind = maybe(r, 80, func() string { return agencyKinds[r.IntN(len(agencyKinds))] })
		a.Description = maybe(r, 60, func() string { return paragraph(r, 2, 4) })
		return a
	case registry.TypeCommunity:
		c := &registry.Community{Name: fmt.Sprintf("Community %03d (synthetic)", i)}
		c.Religion = maybe(r, 80, func() string { return fmt.Sprintf("Synthetic faith %02d", r.IntN(12)+1) })
		c.Description = maybe(r, 80, func() string { return paragraph(r, 2, 5) })
		return c
	case registry.TypeDesignationList:
		l := &registry.DesignationList{Code: fmt.Sprintf("SYN-LIST-%02d", i), Name: fmt.Sprintf("Synthetic designation list %02d", i),
			Authority: fmt.Sprintf("Synthetic Authority %02d", i), Jurisdiction: "Synthetic jurisdiction " + syntheticCountryCodes[r.IntN(len(syntheticCountryCodes))]}
		if r.IntN(100) < 80 {
			u := registry.URL(fmt.Sprintf("https://lists.example.org/syn-list-%02d", i))
			l.URL = &u
		}
		return l
	case registry.TypeControlListEntry:
		regimes := []registry.ControlRegime{"WASSENAAR", "EU_DUAL_USE", "US_CCL", "OTHER"}
		c := &registry.ControlListEntry{Regime: regimes[i%len(regimes)], Code: fmt.Sprintf("SYN-%d%c%03d", 1+i%5, 'A'+rune(i%5), i),
			Title: fmt.Sprintf("Synthetic control item %03d: %s", i, phrase(r, 3, 7))}
		c.Description = maybe(r, 80, func() string { return paragraph(r, 2, 4) })
		c.TechnologyIDs = distinctIDs(registry.TypeTechnology, 1+r.IntN(3), func() int { return r.IntN(g.size.Technologies) })
		return c
	case registry.TypeProduct:
		p := &registry.Product{VendorID: SyntheticID(registry.TypeVendor, int(g.productVendor[i])),
			Name: fmt.Sprintf("Product %06d %s", i, productSuffixes[r.IntN(len(productSuffixes))])}
		p.Description = maybe(r, 80, func() string { return paragraph(r, 2, 4) })
		techs := []int{int(g.productTech[i])}
		if r.IntN(100) < 30 {
			techs = append(techs, g.leaf(r))
		}
		p.TechnologyIDs = distinctIDs(registry.TypeTechnology, len(techs), func() int { x := techs[0]; techs = techs[1:]; return x })
		p.ControlListEntryIDs = []uuid.UUID{}
		if r.IntN(100) < 10 {
			p.ControlListEntryIDs = append(p.ControlListEntryIDs, SyntheticID(registry.TypeControlListEntry, r.IntN(g.size.ControlListEntries)))
		}
		return p
	case registry.TypeSource:
		return g.source(r, i)
	case registry.TypeDeployment:
		return g.deployment(r, i)
	case registry.TypeAbuse:
		return g.abuse(r, i)
	case registry.TypeDesignation:
		d := &registry.Designation{ListID: SyntheticID(registry.TypeDesignationList, int(g.designationList[i]))}
		switch k := r.IntN(40); {
		case g.designationVendor[i] >= 0:
			id := SyntheticID(registry.TypeVendor, int(g.designationVendor[i]))
			d.VendorID = &id
		case k < 25:
			id := SyntheticID(registry.TypeAgency, r.IntN(g.size.Agencies))
			d.AgencyID = &id
		default:
			id := SyntheticID(registry.TypeState, g.states.pick(r))
			d.StateID = &id
		}
		d.ListedOn = partialDate(r, 2008, 2024)
		if r.IntN(100) < 10 {
			end := dateAfter(r, d.ListedOn)
			d.RemovedOn = &end
		}
		d.LegalReference = maybe(r, 70, func() string { return fmt.Sprintf("SYN-REF-%06d", i) })
		d.Reason = maybe(r, 80, func() string { return paragraph(r, 1, 3) })
		return d
	}
	panic(fmt.Sprintf("synthetic: no generator for %s", t))
}

func (g *synth) technology(r *rand.Rand, i int) *registry.Technology {
	t := &registry.Technology{}
	if i < g.techParents {
		topic := techTopics[i%len(techTopics)]
		t.Slug = fmt.Sprintf("synthetic-%s-%02d", topic, i+1)
		t.Name = fmt.Sprintf("Synthetic %s technology %02d", topic, i+1)
	} else {
		parent := (i - g.techParents) % g.techParents
		topic := techTopics[parent%len(techTopics)]
		t.Slug = fmt.Sprintf("synthetic-%s-%02d-%03d", topic, parent+1, i+1)
		t.Name = fmt.Sprintf("Synthetic %s technology %02d.%03d", topic, parent+1, i+1)
		id := SyntheticID(registry.TypeTechnology, parent)
		t.ParentID = &id
	}
	t.Description = maybe(r, 90, func() string { return paragraph(r, 2, 4) })
	return t
}

func (g *synth) source(r *rand.Rand, i int) *registry.Source {
	publisher := SyntheticPublisher
	s := &registry.Source{Title: fmt.Sprintf("[synthetic] Report %06d: %s", i, phrase(r, 4, 9)),
		Kind: pickWeighted(r, sourceKinds), Publisher: &publisher, Authors: []string{}}
	for range r.IntN(3) {
		s.Authors = append(s.Authors, fmt.Sprintf("Author %04d (synthetic)", r.IntN(5000)))
	}
	if r.IntN(100) < 90 {
		u := registry.URL(fmt.Sprintf("https://source-%06d.example.org/%s", i, words[r.IntN(len(words))]))
		s.URL = &u
	}
	if r.IntN(100) < 20 {
		u := registry.URL(fmt.Sprintf("https://archive.example.net/source-%06d", i))
		s.ArchiveURL = &u
	}
	if r.IntN(100) < 75 {
		d := partialDate(r, 2005, 2024)
		s.PublishedOn = &d
		if r.IntN(100) < 40 {
			a := dateAfter(r, d)
			s.AccessedOn = &a
		}
	}
	s.Language = maybe(r, 90, func() string { return pickWeighted(r, languages) })
	if r.IntN(100) < 30 {
		sum := sha256.Sum256([]byte(s.Title))
		h := hex.EncodeToString(sum[:])
		s.ContentSha256 = &h
	}
	s.Confidential = r.IntN(100) < 2
	return s
}

func (g *synth) deployment(r *rand.Rand, i int) *registry.Deployment {
	state := int(g.deploymentState[i])
	d := &registry.Deployment{StateID: SyntheticID(registry.TypeState, state), Confidence: pickWeighted(r, confidences)}
	if as := g.stateAgencies[state]; len(as) > 0 && r.IntN(100) < 60 {
		id := SyntheticID(registry.TypeAgency, int(as[r.IntN(len(as))]))
		d.AgencyID = &id
	}
	tech := -1
	if r.IntN(100) < 85 {
		v := g.vendors.pick(r)
		id := SyntheticID(registry.TypeVendor, v)
		d.VendorID = &id
		if ps := g.vendorProducts[v]; len(ps) > 0 && r.IntN(100) < 60 {
			p := int(ps[r.IntN(len(ps))])
			pid := SyntheticID(registry.TypeProduct, p)
			d.ProductID = &pid
			tech = int(g.productTech[p])
		}
	}
	if tech < 0 {
		tech = g.leaf(r)
	}
	d.TechnologyID = SyntheticID(registry.TypeTechnology, tech)
	d.StartDate, d.EndDate = dateRange(r, 85, 30)
	d.Location = maybe(r, 60, func() string { return place(r) })
	d.Description = maybe(r, 90, func() string { return paragraph(r, 2, 5) })
	return d
}

func (g *synth) abuse(r *rand.Rand, i int) *registry.Abuse {
	state := g.states.pick(r)
	a := &registry.Abuse{Title: fmt.Sprintf("Synthetic abuse %06d: %s", i, phrase(r, 4, 8)), Summary: paragraph(r, 2, 6),
		StateID: SyntheticID(registry.TypeState, state), Confidence: pickWeighted(r, confidences)}
	cats := registry.EnumValues("AbuseCategory")
	for range 1 + r.IntN(3) {
		c := registry.AbuseCategory(cats[r.IntN(len(cats))])
		if !slices.Contains(a.Categories, c) {
			a.Categories = append(a.Categories, c)
		}
	}
	a.StartDate, a.EndDate = dateRange(r, 80, 35)
	a.Location = maybe(r, 70, func() string { return place(r) })
	as := g.stateAgencies[state]
	a.AgencyIDs = distinctIDs(registry.TypeAgency, min(len(as), r.IntN(3)), func() int { return int(as[r.IntN(len(as))]) })
	a.CommunityIDs = distinctIDs(registry.TypeCommunity, 1+r.IntN(2), func() int { return g.communities.pick(r) })
	ds := g.stateDeployments[state]
	a.DeploymentIDs = distinctIDs(registry.TypeDeployment, min(len(ds), r.IntN(4)), func() int { return int(ds[r.IntN(len(ds))]) })
	return a
}

// revise turns an entry's first version into its second: prose gains a
// sentence, a deployment's confidence moves, a designation may be lifted.
func (g *synth) revise(e registry.Entry, r *rand.Rand) {
	note := "Revised: " + sentence(r, 6, 12)
	switch x := e.(type) {
	case *registry.State:
		x.Summary = appendNote(x.Summary, note)
	case *registry.Agency:
		x.Description = appendNote(x.Description, note)
	case *registry.Vendor:
		x.Description = appendNote(x.Description, note)
	case *registry.Technology:
		x.Description = appendNote(x.Description, note)
	case *registry.Product:
		x.Description = appendNote(x.Description, note)
	case *registry.Community:
		x.Description = appendNote(x.Description, note)
	case *registry.ControlListEntry:
		x.Description = appendNote(x.Description, note)
	case *registry.Deployment:
		x.Description = appendNote(x.Description, note)
		if x.Confidence == registry.ConfidenceConfirmed {
			x.Confidence = registry.ConfidenceCredible
		} else {
			x.Confidence = registry.ConfidenceConfirmed
		}
	case *registry.Abuse:
		x.Summary += " " + note
	case *registry.DesignationList:
		x.Name += " (revised)"
	case *registry.Designation:
		if x.RemovedOn == nil {
			d := dateAfter(r, x.ListedOn)
			x.RemovedOn = &d
		} else {
			x.Reason = appendNote(x.Reason, note)
		}
	case *registry.Source:
		from := registry.PartialDate("2020")
		if x.PublishedOn != nil {
			from = *x.PublishedOn
		}
		d := dateAfter(r, from)
		x.AccessedOn = &d
	}
}

func appendNote(p *string, note string) *string {
	if p == nil {
		return &note
	}
	s := *p + " " + note
	return &s
}

// citations returns the citations of entry i of type t. Counts vary from
// entry to entry but add up to the type's share exactly: entries 2k and 2k+1
// share 2*base citations, unevenly.
func (g *synth) citations(t registry.EntryType, i int) []registry.Citation {
	n := g.size.Count(t)
	total := g.citationTotals[t]
	if n == 0 || total == 0 {
		return []registry.Citation{}
	}
	base, rem := total/n, total%n
	count := base
	if i < rem {
		count++
	}
	if base >= 2 && i/2*2+1 < n {
		d := rng(t, i/2, streamPair).IntN(base)
		if i%2 == 0 {
			count += d
		} else {
			count -= d
		}
	}
	r := rng(t, i, streamCitations)
	fields := citedFields[t]
	out := make([]registry.Citation, count)
	for k := range out {
		c := registry.Citation{ID: syntheticCitationID(t, i, k+1), SourceID: SyntheticID(registry.TypeSource, g.sources.pick(r)),
			Stance: registry.StanceSupports}
		c.Locator = maybe(r, 50, func() string { return "p. " + strconv.Itoa(1+r.IntN(300)) })
		c.Quote = maybe(r, 85, func() string { return paragraph(r, 1, 2) })
		if len(fields) > 0 && r.IntN(100) < 25 {
			f := fields[r.IntN(len(fields))]
			c.Field = &f
		}
		if r.IntN(100) < 5 {
			c.Stance = registry.StanceContradicts
		}
		out[k] = c
	}
	return out
}

// ---- Values ----

func maybe(r *rand.Rand, pct int, f func() string) *string {
	if r.IntN(100) >= pct {
		return nil
	}
	s := f()
	return &s
}

func distinctIDs(t registry.EntryType, n int, pick func() int) []uuid.UUID {
	out := []uuid.UUID{}
	for range n {
		id := SyntheticID(t, pick())
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

type weighted[T any] struct {
	v T
	w int
}

func pickWeighted[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	k := r.IntN(total)
	for _, c := range choices {
		if k < c.w {
			return c.v
		}
		k -= c.w
	}
	return choices[len(choices)-1].v
}

var confidences = []weighted[registry.Confidence]{
	{registry.ConfidenceConfirmed, 20}, {registry.ConfidenceCredible, 50},
	{registry.ConfidenceAlleged, 22}, {registry.ConfidenceDisputed, 8},
}

var sourceKinds = []weighted[registry.SourceKind]{
	{"NEWS", 30}, {"NGO_REPORT", 20}, {"GOVERNMENT_DOCUMENT", 12}, {"ACADEMIC", 10}, {"TECHNICAL_ANALYSIS", 8},
	{"CORPORATE_DOCUMENT", 6}, {"LEGAL_INSTRUMENT", 5}, {"COURT_RECORD", 3}, {"LEAKED_DOCUMENT", 2},
	{"TESTIMONY", 2}, {"OTHER", 2},
}

var languages = []weighted[string]{{"en", 70}, {"fr", 8}, {"es", 7}, {"ar", 5}, {"zh", 5}, {"ru", 5}}

// partialDate returns a date between the years, of year (25%), month (35%)
// or day (40%) precision.
func partialDate(r *rand.Rand, from, to int) registry.PartialDate {
	y := from + r.IntN(to-from+1)
	switch k := r.IntN(100); {
	case k < 25:
		return registry.PartialDate(fmt.Sprintf("%04d", y))
	case k < 60:
		return registry.PartialDate(fmt.Sprintf("%04d-%02d", y, 1+r.IntN(12)))
	}
	m := 1 + r.IntN(12)
	days := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return registry.PartialDate(fmt.Sprintf("%04d-%02d-%02d", y, m, 1+r.IntN(days)))
}

// dateAfter returns a date in a later year than d, so that it is after d
// whatever the two precisions.
func dateAfter(r *rand.Rand, d registry.PartialDate) registry.PartialDate {
	y, _ := strconv.Atoi(string(d[:4]))
	from := y + 1
	return partialDate(r, from, from+r.IntN(max(1, 2026-from)))
}

// dateRange returns a start date (in startPct percent of cases) and, for
// endPct percent of those, a later end date.
func dateRange(r *rand.Rand, startPct, endPct int) (*registry.PartialDate, *registry.PartialDate) {
	if r.IntN(100) >= startPct {
		return nil, nil
	}
	start := partialDate(r, 2005, 2024)
	if r.IntN(100) >= endPct {
		return &start, nil
	}
	end := dateAfter(r, start)
	return &start, &end
}

func place(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("District %03d", 1+r.IntN(500))
	}
	return fmt.Sprintf("Region %02d, City %03d", 1+r.IntN(40), 1+r.IntN(900))
}

// words is the vocabulary of synthetic prose: lorem ipsum, with the domain's
// common terms ("surveillance", "camera", "spyware"...) for search to find.
var words = strings.Fields(`surveillance camera spyware facial recognition biometric network data police
monitoring system platform analysis interception device database tracking sensor report contract
procurement agency region district city province border checkpoint worship community registry evidence
lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt labore dolore
magna aliqua enim minim veniam quis nostrud exercitation ullamco laboris nisi aliquip commodo consequat
duis aute irure reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat`)

// phrase returns between min and max words, lower case, without a full stop.
func phrase(r *rand.Rand, lo, hi int) string {
	var b strings.Builder
	for k := range lo + r.IntN(hi-lo+1) {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// sentence returns a capitalised phrase with a full stop.
func sentence(r *rand.Rand, lo, hi int) string {
	p := phrase(r, lo, hi)
	return strings.ToUpper(p[:1]) + p[1:] + "."
}

// paragraph returns between lo and hi sentences.
func paragraph(r *rand.Rand, lo, hi int) string {
	n := lo + r.IntN(hi-lo+1)
	s := make([]string, n)
	for k := range s {
		s[k] = sentence(r, 6, 16)
	}
	return strings.Join(s, " ")
}

var (
	vendorSuffixes  = []string{"Systems", "Technologies", "Security", "Analytics", "Networks", "Solutions", "Vision", "Labs"}
	productSuffixes = []string{"Suite", "Platform", "Analytics", "Tracker", "Camera", "Probe", "Gateway", "Monitor"}
	agencyNames     = []string{"Police Directorate", "Interior Office", "Intelligence Service", "Border Authority", "Security Bureau", "Cyber Unit"}
	agencyKinds     = []string{"police", "ministry", "intelligence", "military", "regulator"}
	techTopics      = []string{"camera", "biometric", "spyware", "network", "data", "sensor", "interception", "tracking"}
)

// citedFields are the fields a citation of each type may point at.
var citedFields = map[registry.EntryType][]string{
	registry.TypeState:            {"summary", "name"},
	registry.TypeAgency:           {"description", "kind", "stateId"},
	registry.TypeVendor:           {"description", "countryCode", "parentId"},
	registry.TypeTechnology:       {"description"},
	registry.TypeProduct:          {"description", "vendorId", "technologyIds"},
	registry.TypeDeployment:       {"startDate", "endDate", "location", "vendorId", "technologyId", "confidence", "description"},
	registry.TypeAbuse:            {"summary", "startDate", "location", "categories", "communityIds"},
	registry.TypeCommunity:        {"description", "religion"},
	registry.TypeDesignationList:  {"authority", "url"},
	registry.TypeDesignation:      {"listedOn", "removedOn", "legalReference", "subject"},
	registry.TypeControlListEntry: {"title", "description", "technologyIds"},
}

// syntheticCountryCodes are the codes real states use, so synthetic states
// pass the same checks.
var syntheticCountryCodes = registry.CountryCodes()
