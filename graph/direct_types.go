package graph

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"oversight/graph/scalars"
	"oversight/internal/catalog"
	"oversight/internal/registry"
)

// directTypes are the types and fields the direct path answers (see
// direct.go); a query touching anything else is gqlgen's. Each relation
// makes the catalog call its resolver's loader makes (entries.resolvers.go),
// with every parent's key at once.
func directTypes() map[string]*dtype {
	citationsOf := func(get func(*catalog.Catalog, context.Context, []uuid.UUID) (map[uuid.UUID][]*registry.Citation, error)) func(context.Context, *catalog.Catalog, []any, dargs) ([]any, error) {
		return listOf(func(x registry.Entry) uuid.UUID { return x.EntryMeta().ID }, get)
	}
	full, brief := citationsOf((*catalog.Catalog).CitationsByEntry), citationsOf((*catalog.Catalog).CitationsWithSourceTitles)
	citations := &dlink{kind: linkList, typ: "Citation", narrow: briefSources,
		fetch: func(ctx context.Context, cat *catalog.Catalog, parents []any, a dargs) ([]any, error) {
			if a.sourceBrief {
				return brief(ctx, cat, parents, a)
			}
			return full(ctx, cat, parents, a)
		}}
	types := []*dtype{
		{
			name: "Query",
			links: map[string]*dlink{
				"states": {kind: linkConn, typ: "State", args: []string{"first", "after", "filter"},
					fetch: func(ctx context.Context, cat *catalog.Catalog, _ []any, a dargs) ([]any, error) {
						c, err := cat.ListStates(ctx, stateFilter(nil), a.page)
						return []any{toConn(c, a.page)}, err
					}},
				"exportControlEvidence": {kind: linkConn, typ: "EvidenceRow", conn: "Evidence", args: []string{"first", "after", "filter"}, filter: evidenceFilter,
					fetch: func(ctx context.Context, cat *catalog.Catalog, _ []any, a dargs) ([]any, error) {
						c, err := cat.ExportControlEvidence(ctx, a.evidence, a.page)
						return []any{toConn(c, a.page)}, err
					}},
				"search": {kind: linkConn, typ: "SearchHit", conn: "Search", args: []string{"query", "types", "first", "after"},
					fetch: func(ctx context.Context, cat *catalog.Catalog, _ []any, a dargs) ([]any, error) {
						c, err := cat.Search(ctx, a.search, a.types, a.page)
						return []any{toConn(c, a.page)}, err
					}},
				"vendor": {kind: linkOne, typ: "Vendor", args: []string{"slug"},
					fetch: func(ctx context.Context, cat *catalog.Catalog, _ []any, a dargs) ([]any, error) {
						v, err := cat.VendorBySlug(ctx, a.slug)
						if v == nil {
							return []any{nil}, err
						}
						return []any{v}, err
					}},
			},
		},
		entryType("State", map[string]func(*jw, *registry.State){
			"countryCode": func(w *jw, x *registry.State) { x.CountryCode.MarshalGQL(w) },
			"name":        func(w *jw, x *registry.State) { w.str(x.Name) },
			"summary":     func(w *jw, x *registry.State) { w.strp(x.Summary) },
		}, map[string]*dlink{
			"citations":   citations,
			"deployments": deploymentsOf(catalog.DeploymentsOfState, func(x *registry.State) uuid.UUID { return x.ID }),
		}),
		entryType("Vendor", map[string]func(*jw, *registry.Vendor){
			"slug":        func(w *jw, x *registry.Vendor) { w.str(x.Slug) },
			"name":        func(w *jw, x *registry.Vendor) { w.str(x.Name) },
			"aliases":     func(w *jw, x *registry.Vendor) { w.strs(x.Aliases) },
			"countryCode": func(w *jw, x *registry.Vendor) { opt(w, x.CountryCode) },
			"website":     func(w *jw, x *registry.Vendor) { opt(w, x.Website) },
			"wikidataId":  func(w *jw, x *registry.Vendor) { w.strp(x.WikidataID) },
			"description": func(w *jw, x *registry.Vendor) { w.strp(x.Description) },
		}, map[string]*dlink{
			"citations":    citations,
			"parent":       {kind: linkOne, typ: "Vendor", fetch: oneOf(func(x *registry.Vendor) *uuid.UUID { return x.ParentID }, (*catalog.Catalog).Vendors)},
			"products":     {kind: linkList, typ: "Product", fetch: listOf(func(x *registry.Vendor) uuid.UUID { return x.ID }, (*catalog.Catalog).ProductsByVendor)},
			"designations": {kind: linkList, typ: "Designation", fetch: listOf(func(x *registry.Vendor) uuid.UUID { return x.ID }, (*catalog.Catalog).DesignationsByVendor)},
			"deployments":  deploymentsOf(catalog.DeploymentsOfVendor, func(x *registry.Vendor) uuid.UUID { return x.ID }),
		}),
		entryType("Agency", map[string]func(*jw, *registry.Agency){
			"name":        func(w *jw, x *registry.Agency) { w.str(x.Name) },
			"kind":        func(w *jw, x *registry.Agency) { w.strp(x.Kind) },
			"description": func(w *jw, x *registry.Agency) { w.strp(x.Description) },
		}, map[string]*dlink{
			"citations": citations,
			"state":     {kind: linkOne, typ: "State", nonNull: true, fetch: oneOf(func(x *registry.Agency) *uuid.UUID { return &x.StateID }, (*catalog.Catalog).States)},
		}),
		entryType("ReligiousCommunity", map[string]func(*jw, *registry.Community){
			"name":        func(w *jw, x *registry.Community) { w.str(x.Name) },
			"religion":    func(w *jw, x *registry.Community) { w.strp(x.Religion) },
			"description": func(w *jw, x *registry.Community) { w.strp(x.Description) },
		}, map[string]*dlink{"citations": citations}),
		entryType("VendorResponse", map[string]func(*jw, *registry.VendorResponse){
			"requestedOn": func(w *jw, x *registry.VendorResponse) { opt(w, x.RequestedOn) },
			"replyStatus": func(w *jw, x *registry.VendorResponse) { x.ReplyStatus.MarshalGQL(w) },
			"respondedOn": func(w *jw, x *registry.VendorResponse) { opt(w, x.RespondedOn) },
			"summary":     func(w *jw, x *registry.VendorResponse) { w.strp(x.Summary) },
		}, map[string]*dlink{
			"citations": citations,
			"vendor":    {kind: linkOne, typ: "Vendor", nonNull: true, fetch: oneOf(func(x *registry.VendorResponse) *uuid.UUID { return &x.VendorID }, (*catalog.Catalog).Vendors)},
		}),
		entryType("Technology", map[string]func(*jw, *registry.Technology){
			"slug":        func(w *jw, x *registry.Technology) { w.str(x.Slug) },
			"name":        func(w *jw, x *registry.Technology) { w.str(x.Name) },
			"description": func(w *jw, x *registry.Technology) { w.strp(x.Description) },
		}, map[string]*dlink{
			"citations": citations,
			"parent":    {kind: linkOne, typ: "Technology", fetch: oneOf(func(x *registry.Technology) *uuid.UUID { return x.ParentID }, (*catalog.Catalog).Technologies)},
		}),
		entryType("Product", map[string]func(*jw, *registry.Product){
			"name":        func(w *jw, x *registry.Product) { w.str(x.Name) },
			"description": func(w *jw, x *registry.Product) { w.strp(x.Description) },
		}, map[string]*dlink{
			"citations":   citations,
			"vendor":      {kind: linkOne, typ: "Vendor", nonNull: true, fetch: oneOf(func(x *registry.Product) *uuid.UUID { return &x.VendorID }, (*catalog.Catalog).Vendors)},
			"deployments": deploymentsOf(catalog.DeploymentsOfProduct, func(x *registry.Product) uuid.UUID { return x.ID }),
		}),
		entryType("Deployment", map[string]func(*jw, *registry.Deployment){
			"startDate":   func(w *jw, x *registry.Deployment) { opt(w, x.StartDate) },
			"endDate":     func(w *jw, x *registry.Deployment) { opt(w, x.EndDate) },
			"location":    func(w *jw, x *registry.Deployment) { w.strp(x.Location) },
			"description": func(w *jw, x *registry.Deployment) { w.strp(x.Description) },
			"confidence":  func(w *jw, x *registry.Deployment) { x.Confidence.MarshalGQL(w) },
		}, map[string]*dlink{
			"citations":  citations,
			"state":      {kind: linkOne, typ: "State", nonNull: true, fetch: oneOf(func(x *registry.Deployment) *uuid.UUID { return &x.StateID }, (*catalog.Catalog).States)},
			"technology": {kind: linkOne, typ: "Technology", nonNull: true, fetch: oneOf(func(x *registry.Deployment) *uuid.UUID { return &x.TechnologyID }, (*catalog.Catalog).Technologies)},
			"vendor":     {kind: linkOne, typ: "Vendor", fetch: oneOf(func(x *registry.Deployment) *uuid.UUID { return x.VendorID }, (*catalog.Catalog).Vendors)},
			"product":    {kind: linkOne, typ: "Product", fetch: oneOf(func(x *registry.Deployment) *uuid.UUID { return x.ProductID }, (*catalog.Catalog).Products)},
			"abuses":     {kind: linkList, typ: "Abuse", fetch: listOf(func(x *registry.Deployment) uuid.UUID { return x.ID }, (*catalog.Catalog).AbusesByDeployment)},
		}),
		entryType("Abuse", map[string]func(*jw, *registry.Abuse){
			"title":      func(w *jw, x *registry.Abuse) { w.str(x.Title) },
			"summary":    func(w *jw, x *registry.Abuse) { w.str(x.Summary) },
			"categories": func(w *jw, x *registry.Abuse) { marshalers(w, x.Categories) },
			"startDate":  func(w *jw, x *registry.Abuse) { opt(w, x.StartDate) },
			"endDate":    func(w *jw, x *registry.Abuse) { opt(w, x.EndDate) },
			"location":   func(w *jw, x *registry.Abuse) { w.strp(x.Location) },
			"confidence": func(w *jw, x *registry.Abuse) { x.Confidence.MarshalGQL(w) },
		}, map[string]*dlink{
			"citations": citations,
			"state":     {kind: linkOne, typ: "State", nonNull: true, fetch: oneOf(func(x *registry.Abuse) *uuid.UUID { return &x.StateID }, (*catalog.Catalog).States)},
		}),
		entryType("Designation", map[string]func(*jw, *registry.Designation){
			"listedOn":       func(w *jw, x *registry.Designation) { x.ListedOn.MarshalGQL(w) },
			"removedOn":      func(w *jw, x *registry.Designation) { opt(w, x.RemovedOn) },
			"legalReference": func(w *jw, x *registry.Designation) { w.strp(x.LegalReference) },
			"reason":         func(w *jw, x *registry.Designation) { w.strp(x.Reason) },
		}, map[string]*dlink{
			"citations": citations,
			"list":      {kind: linkOne, typ: "DesignationList", nonNull: true, fetch: oneOf(func(x *registry.Designation) *uuid.UUID { return &x.ListID }, (*catalog.Catalog).DesignationLists)},
		}),
		entryType("DesignationList", map[string]func(*jw, *registry.DesignationList){
			"code":         func(w *jw, x *registry.DesignationList) { w.str(x.Code) },
			"name":         func(w *jw, x *registry.DesignationList) { w.str(x.Name) },
			"authority":    func(w *jw, x *registry.DesignationList) { w.str(x.Authority) },
			"jurisdiction": func(w *jw, x *registry.DesignationList) { w.str(x.Jurisdiction) },
			"url":          func(w *jw, x *registry.DesignationList) { opt(w, x.URL) },
		}, map[string]*dlink{"citations": citations}),
		entryType("Source", map[string]func(*jw, *registry.Source){
			"title":        func(w *jw, x *registry.Source) { w.str(x.Title) },
			"kind":         func(w *jw, x *registry.Source) { x.Kind.MarshalGQL(w) },
			"publisher":    func(w *jw, x *registry.Source) { w.strp(x.Publisher) },
			"authors":      func(w *jw, x *registry.Source) { w.strs(x.Authors) },
			"url":          func(w *jw, x *registry.Source) { opt(w, x.URL) },
			"archiveUrl":   func(w *jw, x *registry.Source) { opt(w, x.ArchiveURL) },
			"publishedOn":  func(w *jw, x *registry.Source) { opt(w, x.PublishedOn) },
			"accessedOn":   func(w *jw, x *registry.Source) { opt(w, x.AccessedOn) },
			"language":     func(w *jw, x *registry.Source) { w.strp(x.Language) },
			"confidential": func(w *jw, x *registry.Source) { w.boolean(x.Confidential) },
		}, map[string]*dlink{"citations": citations}),
		{
			name: "EvidenceRow",
			scalars: scalarsOf(map[string]func(*jw, *catalog.EvidenceRow){
				"strongestConfidence": func(w *jw, x *catalog.EvidenceRow) { x.StrongestConfidence.MarshalGQL(w) },
				"citationCount":       func(w *jw, x *catalog.EvidenceRow) { w.WriteString(strconv.Itoa(x.CitationCount)) },
			}),
			links: map[string]*dlink{
				"vendor":             {kind: linkOne, typ: "Vendor", nonNull: true, fetch: oneOf(func(x *catalog.EvidenceRow) *uuid.UUID { return &x.VendorID }, (*catalog.Catalog).Vendors)},
				"state":              {kind: linkOne, typ: "State", nonNull: true, fetch: oneOf(func(x *catalog.EvidenceRow) *uuid.UUID { return &x.StateID }, (*catalog.Catalog).States)},
				"technology":         {kind: linkOne, typ: "Technology", nonNull: true, fetch: oneOf(func(x *catalog.EvidenceRow) *uuid.UUID { return &x.TechnologyID }, (*catalog.Catalog).Technologies)},
				"product":            {kind: linkOne, typ: "Product", fetch: oneOf(func(x *catalog.EvidenceRow) *uuid.UUID { return x.ProductID }, (*catalog.Catalog).Products)},
				"deployments":        {kind: linkList, typ: "Deployment", fetch: evidenceDeployments},
				"controlListEntries": {kind: linkList, typ: "ControlListEntry", fetch: listOf(func(x *catalog.EvidenceRow) catalog.Supply { return x.Supply() }, (*catalog.Catalog).EvidenceControlListEntries)},
				"designations":       {kind: linkList, typ: "Designation", fetch: listOf(func(x *catalog.EvidenceRow) uuid.UUID { return x.VendorID }, (*catalog.Catalog).DesignationsByVendor)},
				"abuses":             {kind: linkList, typ: "Abuse", fetch: listOf(func(x *catalog.EvidenceRow) catalog.EvidenceKey { return x.Key() }, (*catalog.Catalog).EvidenceAbuses)},
			},
		},
		entryType("ControlListEntry", map[string]func(*jw, *registry.ControlListEntry){
			"regime":      func(w *jw, x *registry.ControlListEntry) { x.Regime.MarshalGQL(w) },
			"code":        func(w *jw, x *registry.ControlListEntry) { w.str(x.Code) },
			"title":       func(w *jw, x *registry.ControlListEntry) { w.str(x.Title) },
			"description": func(w *jw, x *registry.ControlListEntry) { w.strp(x.Description) },
		}, map[string]*dlink{"citations": citations}),
		{
			name: "SearchHit",
			scalars: scalarsOf(map[string]func(*jw, *catalog.SearchHit){
				"entryType": func(w *jw, x *catalog.SearchHit) { x.EntryType.MarshalGQL(w) },
				"score":     func(w *jw, x *catalog.SearchHit) { fmt.Fprintf(w, "%g", x.Score) }, // as graphql.MarshalFloatContext
				"snippet":   func(w *jw, x *catalog.SearchHit) { w.strp(x.Snippet) },
			}),
			links: map[string]*dlink{
				"entry": {kind: linkOne, typ: "Entry", abstract: true, nonNull: true, fetch: searchHitEntries},
			},
		},
		{
			name: "Citation",
			scalars: scalarsOf(map[string]func(*jw, *registry.Citation){
				"id":      func(w *jw, x *registry.Citation) { w.str(x.NodeID()) },
				"locator": func(w *jw, x *registry.Citation) { w.strp(x.Locator) },
				"quote":   func(w *jw, x *registry.Citation) { w.strp(x.Quote) },
				"field":   func(w *jw, x *registry.Citation) { w.strp(x.Field) },
				"stance":  func(w *jw, x *registry.Citation) { x.Stance.MarshalGQL(w) },
			}),
			links: map[string]*dlink{
				// The catalog reads each citation's source with it, as the
				// viewer may see it; the resolver returns the same field.
				"source": {kind: linkOne, typ: "Source", nonNull: true,
					fetch: func(_ context.Context, _ *catalog.Catalog, parents []any, _ dargs) ([]any, error) {
						out := make([]any, len(parents))
						for i, p := range parents {
							if s := p.(*registry.Citation).Source; s != nil {
								out[i] = s
							}
						}
						return out, nil
					}},
			},
		},
	}
	m := make(map[string]*dtype, len(types))
	for _, t := range types {
		m[t.name] = t
	}
	return m
}

// briefSource are the Source fields catalog.CitationsWithSourceTitles
// fills.
var briefSource = []string{"id", "title", "kind", "confidential"}

// briefSources marks a list of citations whose sources are asked for
// nothing beyond briefSource, which the catalog reads cheaper.
func briefSources(sel []*pnode, a *dargs) {
	for _, n := range sel {
		if n.name != "source" {
			continue
		}
		for _, f := range n.sel {
			if f.kind != kTypename && !slices.Contains(briefSource, f.name) {
				return
			}
		}
	}
	a.sourceBrief = true
}

// nodeEntry is what every entry type's Go value has: its metadata and its
// global ID.
type nodeEntry interface {
	registry.Entry
	NodeID() string
}

// entryType is an entry type: the fields every entry has, then its own.
func entryType[T any, PT interface {
	*T
	nodeEntry
}](name string, own map[string]func(*jw, PT), links map[string]*dlink) *dtype {
	s := scalarsOf(own)
	meta := func(obj any) *registry.Meta { return PT(obj.(*T)).EntryMeta() }
	s["id"] = func(w *jw, obj any) { w.str(PT(obj.(*T)).NodeID()) }
	s["version"] = func(w *jw, obj any) { w.WriteString(strconv.Itoa(meta(obj).Version)) }
	s["status"] = func(w *jw, obj any) { meta(obj).Status.MarshalGQL(w) }
	s["retractionReason"] = func(w *jw, obj any) { w.strp(meta(obj).RetractionReason) }
	s["publishedAt"] = func(w *jw, obj any) { scalars.MarshalDateTime(meta(obj).PublishedAt).MarshalGQL(w) }
	s["updatedAt"] = func(w *jw, obj any) { scalars.MarshalDateTime(meta(obj).UpdatedAt).MarshalGQL(w) }
	return &dtype{name: name, scalars: s, links: links, goType: reflect.TypeFor[*T]()}
}

func scalarsOf[PT any](own map[string]func(*jw, PT)) map[string]func(*jw, any) {
	s := make(map[string]func(*jw, any), len(own)+6)
	for name, f := range own {
		s[name] = func(w *jw, obj any) { f(w, obj.(PT)) }
	}
	return s
}

// opt writes a nullable custom scalar.
func opt[T interface{ MarshalGQL(io.Writer) }](w *jw, v *T) {
	if v == nil {
		w.null()
		return
	}
	(*v).MarshalGQL(w)
}

func marshalers[T interface{ MarshalGQL(io.Writer) }](w *jw, vs []T) {
	w.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			w.WriteByte(',')
		}
		v.MarshalGQL(w)
	}
	w.WriteByte(']')
}

func (w *jw) strs(vs []string) {
	w.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			w.WriteByte(',')
		}
		w.str(v)
	}
	w.WriteByte(']')
}

// oneOf fetches the entry each parent refers to (key nil: none), with one
// call of get for the distinct keys.
func oneOf[P, T any](key func(P) *uuid.UUID, get func(*catalog.Catalog, context.Context, []uuid.UUID) (map[uuid.UUID]*T, error)) func(context.Context, *catalog.Catalog, []any, dargs) ([]any, error) {
	return func(ctx context.Context, cat *catalog.Catalog, parents []any, _ dargs) ([]any, error) {
		ids := distinct(len(parents), func(i int) *uuid.UUID { return key(parents[i].(P)) })
		m, err := get(cat, ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(parents))
		for i, p := range parents {
			if k := key(p.(P)); k != nil {
				if v := m[*k]; v != nil {
					out[i] = v
				}
			}
		}
		return out, nil
	}
}

// listOf fetches each parent's list, with one call of get for the distinct
// keys.
func listOf[P any, K comparable, T any](key func(P) K, get func(*catalog.Catalog, context.Context, []K) (map[K][]*T, error)) func(context.Context, *catalog.Catalog, []any, dargs) ([]any, error) {
	return func(ctx context.Context, cat *catalog.Catalog, parents []any, _ dargs) ([]any, error) {
		m, err := get(cat, ctx, distinct(len(parents), func(i int) *K { k := key(parents[i].(P)); return &k }))
		if err != nil {
			return nil, err
		}
		out := make([]any, len(parents))
		for i, p := range parents {
			xs := m[key(p.(P))]
			items := make([]any, len(xs))
			for j, x := range xs {
				items[j] = x
			}
			out[i] = items
		}
		return out, nil
	}
}

// entriesByType read entries of one type by ID, for the types the direct
// path knows: the calls the resolvers' loaders make (entryByID).
var entriesByType = map[registry.EntryType]func(context.Context, *catalog.Catalog, []uuid.UUID) (map[uuid.UUID]any, error){
	registry.TypeState:            anyOf((*catalog.Catalog).States),
	registry.TypeVendor:           anyOf((*catalog.Catalog).Vendors),
	registry.TypeProduct:          anyOf((*catalog.Catalog).Products),
	registry.TypeTechnology:       anyOf((*catalog.Catalog).Technologies),
	registry.TypeDeployment:       anyOf((*catalog.Catalog).Deployments),
	registry.TypeAbuse:            anyOf((*catalog.Catalog).Abuses),
	registry.TypeDesignationList:  anyOf((*catalog.Catalog).DesignationLists),
	registry.TypeDesignation:      anyOf((*catalog.Catalog).Designations),
	registry.TypeControlListEntry: anyOf((*catalog.Catalog).ControlListEntries),
	registry.TypeSource:           anyOf((*catalog.Catalog).Sources),
	registry.TypeAgency:           anyOf((*catalog.Catalog).Agencies),
	registry.TypeCommunity:        anyOf((*catalog.Catalog).Communities),
	registry.TypeVendorResponse:   anyOf((*catalog.Catalog).VendorResponses),
}

func anyOf[T any](get func(*catalog.Catalog, context.Context, []uuid.UUID) (map[uuid.UUID]*T, error)) func(context.Context, *catalog.Catalog, []uuid.UUID) (map[uuid.UUID]any, error) {
	return func(ctx context.Context, cat *catalog.Catalog, ids []uuid.UUID) (map[uuid.UUID]any, error) {
		m, err := get(cat, ctx, ids)
		out := make(map[uuid.UUID]any, len(m))
		for id, x := range m {
			out[id] = x
		}
		return out, err
	}
}

// searchHitEntries fetches the entry of each search hit, with one call per
// entry type among them. A hit of a type the direct path does not know is
// an error, and gqlgen answers.
func searchHitEntries(ctx context.Context, cat *catalog.Catalog, parents []any, _ dargs) ([]any, error) {
	var types []registry.EntryType
	ids := map[registry.EntryType][]uuid.UUID{}
	for _, p := range parents {
		h := p.(*catalog.SearchHit)
		if _, seen := ids[h.EntryType]; !seen {
			types = append(types, h.EntryType)
		}
		ids[h.EntryType] = append(ids[h.EntryType], h.EntryID)
	}
	got := map[registry.EntryType]map[uuid.UUID]any{}
	for _, t := range types {
		get, ok := entriesByType[t]
		if !ok {
			return nil, fmt.Errorf("direct read: search hit of type %s", t)
		}
		m, err := get(ctx, cat, ids[t])
		if err != nil {
			return nil, err
		}
		got[t] = m
	}
	out := make([]any, len(parents))
	for i, p := range parents {
		h := p.(*catalog.SearchHit)
		if x, ok := got[h.EntryType][h.EntryID]; ok {
			out[i] = x
		}
	}
	return out, nil
}

// evidenceDeployments fetches the deployments of each evidence row, in the
// row's order, with one call for all rows, as the resolver's loader does;
// a deployment the catalog does not return is left out.
func evidenceDeployments(ctx context.Context, cat *catalog.Catalog, parents []any, _ dargs) ([]any, error) {
	var ids []uuid.UUID
	for _, p := range parents {
		ids = append(ids, p.(*catalog.EvidenceRow).DeploymentIDs...)
	}
	m, err := cat.Deployments(ctx, distinct(len(ids), func(i int) *uuid.UUID { return &ids[i] }))
	if err != nil {
		return nil, err
	}
	out := make([]any, len(parents))
	for i, p := range parents {
		row := p.(*catalog.EvidenceRow)
		items := make([]any, 0, len(row.DeploymentIDs))
		for _, id := range row.DeploymentIDs {
			if d := m[id]; d != nil {
				items = append(items, d)
			}
		}
		out[i] = items
	}
	return out, nil
}

// evidenceFilter reads an EvidenceFilter as the resolver does, when it
// holds only what needs no checking beyond GraphQL's own: technology slugs
// and the two flags. IDs, country codes and confidence are gqlgen's.
func evidenceFilter(in map[string]any, a *dargs) bool {
	for name, v := range in {
		if v == nil {
			continue // null: as if absent, as Omittable.Value gives it
		}
		switch name {
		case "technologySlugs":
			list, ok := v.([]any)
			if !ok {
				return false
			}
			slugs := make([]string, len(list))
			for i, x := range list {
				if slugs[i], ok = x.(string); !ok {
					return false
				}
			}
			a.evidence.TechnologySlugs = slugs
		case "controlled", "withAbuses":
			b, ok := v.(bool)
			if !ok {
				return false
			}
			if name == "controlled" {
				a.evidence.Controlled = &b
			} else {
				a.evidence.WithAbuses = &b
			}
		default:
			return false
		}
	}
	return true
}

// deploymentsOf pages each parent's deployments, as the resolvers'
// r.deployments does with no filter.
func deploymentsOf[P any](of catalog.Nested, key func(P) uuid.UUID) *dlink {
	return &dlink{kind: linkConn, typ: "Deployment", args: []string{"first", "after", "filter"},
		fetch: func(ctx context.Context, cat *catalog.Catalog, parents []any, a dargs) ([]any, error) {
			ids := distinct(len(parents), func(i int) *uuid.UUID { k := key(parents[i].(P)); return &k })
			f, err := deploymentFilter(nil)
			if err != nil {
				return nil, err
			}
			m, err := cat.DeploymentPages(ctx, of, ids, f, a.page)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(parents))
			for i, p := range parents {
				out[i] = toConn(m[key(p.(P))], a.page)
			}
			return out, nil
		}}
}

// distinct returns the distinct non-nil keys of n parents, in first-seen
// order.
func distinct[K comparable](n int, key func(int) *K) []K {
	seen := make(map[K]struct{}, n)
	out := make([]K, 0, n)
	for i := range n {
		k := key(i)
		if k == nil {
			continue
		}
		if _, ok := seen[*k]; !ok {
			seen[*k] = struct{}{}
			out = append(out, *k)
		}
	}
	return out
}
