package seed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/postgres"
	"oversight/internal/registry"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// namespace makes seed entry IDs deterministic: the same key gives the same
// ID on every machine, which is what lets seeding be repeated safely.
var namespace = uuid.MustParse("6f0d6c1e-4b1a-4c55-9d8e-3f2a1b7c9e10")

// ID returns the ID a seed entry of the given type and key is stored under.
func ID(t registry.EntryType, key string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(string(t)+":"+key))
}

// Summary is the history summary of every seeded entry's first version.
const Summary = "Seeded from the Oversight seed dataset (seed/registry.json)"

// Result says what a load did.
type Result struct {
	Inserted int // entries written
	Existing int // entries already present, left untouched
}

// DB is what the loader writes through.
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Load writes the dataset's entries that the registry does not have yet, in
// one transaction, with their citations, a first version in history and a
// CREATED change event each. It validates the whole dataset first and writes
// nothing if any entry is invalid.
func Load(ctx context.Context, db DB, d *Dataset) (Result, error) {
	p, err := plan(d)
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// Two servers starting on one empty database must not both seed it.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('oversight-seed'))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		existing := map[uuid.UUID]bool{}
		rows, err := tx.Query(ctx, `SELECT id FROM entries WHERE id = ANY($1)`, p.ids())
		if err != nil {
			return fmt.Errorf("existing entries: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return fmt.Errorf("existing entries: %w", err)
		}
		for _, id := range ids {
			existing[id] = true
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		batch := &pgx.Batch{}
		for _, e := range p.entries {
			if existing[e.id] {
				res.Existing++
				continue
			}
			if err := e.queue(batch, now); err != nil {
				return err
			}
			res.Inserted++
		}
		if batch.Len() == 0 {
			return nil
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("write seed entries: %w", err)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	return res, nil
}

// planned is one entry ready to write, with its links and citations.
type planned struct {
	typ       registry.EntryType
	id        uuid.UUID
	key       string
	entry     registry.Entry
	citations []registry.Citation
}

func (e *planned) queue(b *pgx.Batch, now time.Time) error {
	m := e.entry.EntryMeta()
	m.ID, m.Version, m.Status, m.PublishedAt, m.UpdatedAt = e.id, 1, registry.StatusPublished, now, now
	snapshot, err := registry.Snapshot(e.entry, e.citations)
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.typ, e.key, err)
	}
	changes, err := registry.Diff(nil, snapshot)
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.typ, e.key, err)
	}
	err = postgres.QueueCreate(b, postgres.Version{Entry: e.entry, Citations: e.citations, Number: 1,
		Snapshot: snapshot, Changes: changes, Summary: Summary, Kind: "CREATED", At: now})
	if err != nil {
		return fmt.Errorf("%s %s: %w", e.typ, e.key, err)
	}
	return nil
}

type loadPlan struct {
	entries []*planned
}

func (p *loadPlan) ids() []uuid.UUID {
	out := make([]uuid.UUID, len(p.entries))
	for i, e := range p.entries {
		out[i] = e.id
	}
	return out
}

// checker gathers every problem in the dataset, so one run reports them all.
type checker struct {
	errs  []string
	known map[registry.EntryType]map[string]bool
}

func (c *checker) fail(where string, format string, args ...any) {
	c.errs = append(c.errs, where+": "+fmt.Sprintf(format, args...))
}

func (c *checker) ref(where string, t registry.EntryType, key string) uuid.UUID {
	if !c.known[t][key] {
		c.fail(where, "refers to %s %q, which the dataset does not define", strings.ToLower(string(t)), key)
	}
	return ID(t, key)
}

func (c *checker) optRef(where string, t registry.EntryType, key *string) *uuid.UUID {
	if key == nil {
		return nil
	}
	id := c.ref(where, t, *key)
	return &id
}

func (c *checker) date(where, field string, s *string) *registry.PartialDate {
	if s == nil {
		return nil
	}
	d, err := registry.ParsePartialDate(*s)
	if err != nil {
		c.fail(where, "%s: %v", field, err)
		return nil
	}
	return &d
}

func (c *checker) url(where, field string, s *string) *registry.URL {
	if s == nil {
		return nil
	}
	u, err := registry.ParseURL(*s)
	if err != nil {
		c.fail(where, "%s: %v", field, err)
		return nil
	}
	return &u
}

func (c *checker) enum(where, enum, value string) {
	if !registry.ValidEnum(enum, value) {
		c.fail(where, "%q is not a %s", value, enum)
	}
}

func (c *checker) required(where, field, value string) {
	if strings.TrimSpace(value) == "" {
		c.fail(where, "%s is required", field)
	}
}

func (c *checker) citations(where string, owner string, cs []Citation, mustCite bool) []registry.Citation {
	if mustCite && len(cs) == 0 {
		c.fail(where, "has no citation; deployments, abuses and designations must be sourced")
	}
	out := make([]registry.Citation, 0, len(cs))
	for i, ci := range cs {
		w := fmt.Sprintf("%s citation %d", where, i+1)
		stance := ci.Stance
		if stance == "" {
			stance = string(registry.StanceSupports)
		}
		c.enum(w, "CitationStance", stance)
		if ci.Quote == nil || strings.TrimSpace(*ci.Quote) == "" {
			c.fail(w, "has no quote; every seed citation carries the passage it relies on")
		}
		out = append(out, registry.Citation{
			ID:       uuid.NewSHA1(namespace, []byte(fmt.Sprintf("citation:%s:%d", owner, i+1))),
			SourceID: c.ref(w, registry.TypeSource, ci.Source),
			Locator:  ci.Locator, Quote: ci.Quote, Field: ci.Field,
			Stance: registry.CitationStance(stance),
		})
	}
	return out
}

// plan checks the dataset and turns it into rows, parents before children.
func plan(d *Dataset) (*loadPlan, error) {
	c := &checker{known: map[registry.EntryType]map[string]bool{}}
	p := &loadPlan{}
	define := func(t registry.EntryType, key string) {
		if c.known[t] == nil {
			c.known[t] = map[string]bool{}
		}
		if key == "" {
			c.fail(strings.ToLower(string(t)), "an entry has no key")
		}
		if c.known[t][key] {
			c.fail(fmt.Sprintf("%s %q", strings.ToLower(string(t)), key), "key defined twice")
		}
		c.known[t][key] = true
	}
	for _, x := range d.Sources {
		define(registry.TypeSource, x.Key)
	}
	for _, x := range d.States {
		define(registry.TypeState, x.Key)
	}
	for _, x := range d.Agencies {
		define(registry.TypeAgency, x.Key)
	}
	for _, x := range d.Technologies {
		define(registry.TypeTechnology, x.Key)
	}
	for _, x := range d.Vendors {
		define(registry.TypeVendor, x.Key)
	}
	for _, x := range d.ControlListEntries {
		define(registry.TypeControlListEntry, x.Key)
	}
	for _, x := range d.Products {
		define(registry.TypeProduct, x.Key)
	}
	for _, x := range d.Communities {
		define(registry.TypeCommunity, x.Key)
	}
	for _, x := range d.Deployments {
		define(registry.TypeDeployment, x.Key)
	}
	for _, x := range d.Abuses {
		define(registry.TypeAbuse, x.Key)
	}
	for _, x := range d.DesignationLists {
		define(registry.TypeDesignationList, x.Key)
	}
	for _, x := range d.Designations {
		define(registry.TypeDesignation, x.Key)
	}
	for _, x := range d.VendorResponses {
		define(registry.TypeVendorResponse, x.Key)
	}
	add := func(e *planned) {
		// The same rules as an editor's proposal, so seed data is no exception.
		for _, fe := range registry.Validate(e.entry, e.citations) {
			c.fail(fmt.Sprintf("%s %q", strings.ToLower(string(e.typ)), e.key), "%s: %s", strings.Join(fe.Field, "."), fe.Message)
		}
		p.entries = append(p.entries, e)
	}
	where := func(t registry.EntryType, key string) string {
		return fmt.Sprintf("%s %q", strings.ToLower(string(t)), key)
	}

	for _, x := range d.Sources {
		w := where(registry.TypeSource, x.Key)
		c.required(w, "title", x.Title)
		c.enum(w, "SourceKind", x.Kind)
		authors := x.Authors
		if authors == nil {
			authors = []string{}
		}
		s := &registry.Source{Title: x.Title, Kind: registry.SourceKind(x.Kind), Publisher: x.Publisher, Authors: authors,
			URL: c.url(w, "url", x.URL), ArchiveURL: c.url(w, "archiveUrl", x.ArchiveURL),
			PublishedOn: c.date(w, "publishedOn", x.PublishedOn), AccessedOn: c.date(w, "accessedOn", x.AccessedOn),
			Language: x.Language, Confidential: x.Confidential}
		add(&planned{typ: registry.TypeSource, id: ID(registry.TypeSource, x.Key), key: x.Key, entry: s})
	}
	for _, x := range d.States {
		w := where(registry.TypeState, x.Key)
		cc, err := registry.ParseCountryCode(x.CountryCode)
		if err != nil {
			c.fail(w, "countryCode: %v", err)
		}
		c.required(w, "name", x.Name)
		s := &registry.State{CountryCode: cc, Name: x.Name, Summary: x.Summary}
		add(&planned{typ: registry.TypeState, id: ID(registry.TypeState, x.Key), key: x.Key, entry: s,
			citations: c.citations(w, "state:"+x.Key, x.Citations, false)})
	}
	for _, x := range d.Agencies {
		w := where(registry.TypeAgency, x.Key)
		c.required(w, "name", x.Name)
		a := &registry.Agency{StateID: c.ref(w, registry.TypeState, x.State), Name: x.Name, Kind: x.Kind, Description: x.Description}
		add(&planned{typ: registry.TypeAgency, id: ID(registry.TypeAgency, x.Key), key: x.Key, entry: a,
			citations: c.citations(w, "agency:"+x.Key, x.Citations, false)})
	}
	for _, x := range sortParentsFirst(d.Technologies, func(t Technology) (string, *string) { return t.Key, t.Parent }) {
		w := where(registry.TypeTechnology, x.Key)
		c.required(w, "name", x.Name)
		c.required(w, "slug", x.Slug)
		t := &registry.Technology{Slug: x.Slug, Name: x.Name, Description: x.Description, ParentID: c.optRef(w, registry.TypeTechnology, x.Parent)}
		add(&planned{typ: registry.TypeTechnology, id: ID(registry.TypeTechnology, x.Key), key: x.Key, entry: t,
			citations: c.citations(w, "technology:"+x.Key, x.Citations, false)})
	}
	for _, x := range d.ControlListEntries {
		w := where(registry.TypeControlListEntry, x.Key)
		c.enum(w, "ControlRegime", x.Regime)
		c.required(w, "code", x.Code)
		c.required(w, "title", x.Title)
		e := &registry.ControlListEntry{Regime: registry.ControlRegime(x.Regime), Code: x.Code, Title: x.Title, Description: x.Description}
		pl := &planned{typ: registry.TypeControlListEntry, id: ID(registry.TypeControlListEntry, x.Key), key: x.Key, entry: e,
			citations: c.citations(w, "control-list-entry:"+x.Key, x.Citations, false)}
		// The links to technologies are written with the control-list entry,
		// which comes after the technologies.
		for _, t := range d.Technologies {
			for _, k := range t.ControlListEntries {
				if k == x.Key {
					tid := ID(registry.TypeTechnology, t.Key)
					e.TechnologyIDs = append(e.TechnologyIDs, tid)
				}
			}
		}
		add(pl)
	}
	for _, t := range d.Technologies {
		for _, k := range t.ControlListEntries {
			c.ref(where(registry.TypeTechnology, t.Key), registry.TypeControlListEntry, k)
		}
	}
	for _, x := range sortParentsFirst(d.Vendors, func(v Vendor) (string, *string) { return v.Key, v.Parent }) {
		w := where(registry.TypeVendor, x.Key)
		c.required(w, "name", x.Name)
		c.required(w, "slug", x.Slug)
		var cc *registry.CountryCode
		if x.CountryCode != nil {
			v, err := registry.ParseCountryCode(*x.CountryCode)
			if err != nil {
				c.fail(w, "countryCode: %v", err)
			}
			cc = &v
		}
		aliases := x.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		v := &registry.Vendor{Slug: x.Slug, Name: x.Name, Aliases: aliases, CountryCode: cc, Website: c.url(w, "website", x.Website),
			WikidataID: x.WikidataID, Description: x.Description, ParentID: c.optRef(w, registry.TypeVendor, x.Parent)}
		add(&planned{typ: registry.TypeVendor, id: ID(registry.TypeVendor, x.Key), key: x.Key, entry: v,
			citations: c.citations(w, "vendor:"+x.Key, x.Citations, false)})
	}
	for _, x := range d.Products {
		w := where(registry.TypeProduct, x.Key)
		c.required(w, "name", x.Name)
		if len(x.Technologies) == 0 {
			c.fail(w, "technologies: a product needs at least one")
		}
		pr := &registry.Product{VendorID: c.ref(w, registry.TypeVendor, x.Vendor), Name: x.Name, Description: x.Description}
		pl := &planned{typ: registry.TypeProduct, id: ID(registry.TypeProduct, x.Key), key: x.Key, entry: pr,
			citations: c.citations(w, "product:"+x.Key, x.Citations, false)}
		for _, t := range x.Technologies {
			tid := c.ref(w, registry.TypeTechnology, t)
			pr.TechnologyIDs = append(pr.TechnologyIDs, tid)
		}
		for _, e := range x.ControlListEntries {
			eid := c.ref(w, registry.TypeControlListEntry, e)
			pr.ControlListEntryIDs = append(pr.ControlListEntryIDs, eid)
		}
		add(pl)
	}
	for _, x := range d.Communities {
		w := where(registry.TypeCommunity, x.Key)
		c.required(w, "name", x.Name)
		cm := &registry.Community{Name: x.Name, Religion: x.Religion, Description: x.Description}
		add(&planned{typ: registry.TypeCommunity, id: ID(registry.TypeCommunity, x.Key), key: x.Key, entry: cm,
			citations: c.citations(w, "community:"+x.Key, x.Citations, false)})
	}
	for _, x := range d.Deployments {
		w := where(registry.TypeDeployment, x.Key)
		c.enum(w, "Confidence", x.Confidence)
		dp := &registry.Deployment{StateID: c.ref(w, registry.TypeState, x.State), AgencyID: c.optRef(w, registry.TypeAgency, x.Agency),
			VendorID: c.optRef(w, registry.TypeVendor, x.Vendor), ProductID: c.optRef(w, registry.TypeProduct, x.Product),
			TechnologyID: c.ref(w, registry.TypeTechnology, x.Technology), StartDate: c.date(w, "startDate", x.StartDate),
			EndDate: c.date(w, "endDate", x.EndDate), Location: x.Location, Description: x.Description, Confidence: registry.Confidence(x.Confidence)}
		add(&planned{typ: registry.TypeDeployment, id: ID(registry.TypeDeployment, x.Key), key: x.Key, entry: dp,
			citations: c.citations(w, "deployment:"+x.Key, x.Citations, true)})
	}
	for _, x := range d.Abuses {
		w := where(registry.TypeAbuse, x.Key)
		c.required(w, "title", x.Title)
		c.required(w, "summary", x.Summary)
		c.enum(w, "Confidence", x.Confidence)
		if len(x.Categories) == 0 {
			c.fail(w, "categories: an abuse needs at least one")
		}
		cats := make([]registry.AbuseCategory, len(x.Categories))
		for i, k := range x.Categories {
			c.enum(w, "AbuseCategory", k)
			cats[i] = registry.AbuseCategory(k)
		}
		ab := &registry.Abuse{Title: x.Title, Summary: x.Summary, StateID: c.ref(w, registry.TypeState, x.State), Categories: cats,
			StartDate: c.date(w, "startDate", x.StartDate), EndDate: c.date(w, "endDate", x.EndDate), Location: x.Location,
			Confidence: registry.Confidence(x.Confidence)}
		pl := &planned{typ: registry.TypeAbuse, id: ID(registry.TypeAbuse, x.Key), key: x.Key, entry: ab,
			citations: c.citations(w, "abuse:"+x.Key, x.Citations, true)}
		for _, k := range x.Agencies {
			id := c.ref(w, registry.TypeAgency, k)
			ab.AgencyIDs = append(ab.AgencyIDs, id)
		}
		for _, k := range x.Communities {
			id := c.ref(w, registry.TypeCommunity, k)
			ab.CommunityIDs = append(ab.CommunityIDs, id)
		}
		for _, k := range x.Deployments {
			id := c.ref(w, registry.TypeDeployment, k)
			ab.DeploymentIDs = append(ab.DeploymentIDs, id)
		}
		add(pl)
	}
	for _, x := range d.DesignationLists {
		w := where(registry.TypeDesignationList, x.Key)
		for _, f := range [][2]string{{"code", x.Code}, {"name", x.Name}, {"authority", x.Authority}, {"jurisdiction", x.Jurisdiction}} {
			c.required(w, f[0], f[1])
		}
		l := &registry.DesignationList{Code: x.Code, Name: x.Name, Authority: x.Authority, Jurisdiction: x.Jurisdiction, URL: c.url(w, "url", x.URL)}
		add(&planned{typ: registry.TypeDesignationList, id: ID(registry.TypeDesignationList, x.Key), key: x.Key, entry: l,
			citations: c.citations(w, "designation-list:"+x.Key, x.Citations, false)})
	}
	for _, x := range d.Designations {
		w := where(registry.TypeDesignation, x.Key)
		n := 0
		for _, s := range []*string{x.Subject.Vendor, x.Subject.State, x.Subject.Agency} {
			if s != nil {
				n++
			}
		}
		if n != 1 {
			c.fail(w, "subject: name exactly one of vendor, state and agency")
		}
		listed := c.date(w, "listedOn", &x.ListedOn)
		dg := &registry.Designation{ListID: c.ref(w, registry.TypeDesignationList, x.List),
			VendorID: c.optRef(w, registry.TypeVendor, x.Subject.Vendor), StateID: c.optRef(w, registry.TypeState, x.Subject.State),
			AgencyID: c.optRef(w, registry.TypeAgency, x.Subject.Agency), RemovedOn: c.date(w, "removedOn", x.RemovedOn),
			LegalReference: x.LegalReference, Reason: x.Reason}
		if listed != nil {
			dg.ListedOn = *listed
		}
		add(&planned{typ: registry.TypeDesignation, id: ID(registry.TypeDesignation, x.Key), key: x.Key, entry: dg,
			citations: c.citations(w, "designation:"+x.Key, x.Citations, true)})
	}
	for _, x := range d.VendorResponses {
		w := where(registry.TypeVendorResponse, x.Key)
		c.enum(w, "ReplyStatus", x.ReplyStatus)
		var about *uuid.UUID
		if x.About != nil {
			t, k, ok := strings.Cut(*x.About, ":")
			if !ok || !registry.ValidEnum("EntryType", strings.ToUpper(t)) {
				c.fail(w, "about: %q is not of the form type:key", *x.About)
			} else {
				id := c.ref(w, registry.EntryType(strings.ToUpper(t)), k)
				about = &id
			}
		}
		r := &registry.VendorResponse{VendorID: c.ref(w, registry.TypeVendor, x.Vendor), AboutID: about,
			RequestedOn: c.date(w, "requestedOn", x.RequestedOn), ReplyStatus: registry.ReplyStatus(x.ReplyStatus),
			RespondedOn: c.date(w, "respondedOn", x.RespondedOn), Summary: x.Summary, SourceID: c.optRef(w, registry.TypeSource, x.Source)}
		add(&planned{typ: registry.TypeVendorResponse, id: ID(registry.TypeVendorResponse, x.Key), key: x.Key, entry: r,
			citations: c.citations(w, "vendor-response:"+x.Key, x.Citations, false)})
	}
	if len(c.errs) > 0 {
		return nil, errors.New("invalid seed dataset:\n  " + strings.Join(c.errs, "\n  "))
	}
	return p, nil
}

// sortParentsFirst orders a tree's nodes so that every parent precedes its
// children, as the foreign keys require.
func sortParentsFirst[T any](items []T, keyParent func(T) (string, *string)) []T {
	byKey := map[string]T{}
	for _, it := range items {
		k, _ := keyParent(it)
		byKey[k] = it
	}
	done := map[string]bool{}
	var out []T
	var visit func(T, int)
	visit = func(it T, depth int) {
		k, parent := keyParent(it)
		if done[k] || depth > len(items) {
			return
		}
		if parent != nil {
			if p, ok := byKey[*parent]; ok {
				visit(p, depth+1)
			}
		}
		if !done[k] {
			done[k] = true
			out = append(out, it)
		}
	}
	for _, it := range items {
		visit(it, 0)
	}
	return out
}
