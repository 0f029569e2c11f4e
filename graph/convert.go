package graph

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"oversight/graph/model"
	"oversight/internal/catalog"
	"oversight/internal/registry"
)

// Page sizes: the contract's default, and the largest page one request may ask for.
const (
	defaultFirst = 20
	maxFirst     = 100
)

// pageArgs turns first/after into a catalog page, refusing sizes out of range
// and cursors this API did not make. It counts the list only when the query
// selected totalCount.
func pageArgs(ctx context.Context, first *int, after *string) (catalog.Page, error) {
	p, err := newPage(first, after)
	if err != nil {
		return p, err
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			p.WantTotal = true
		}
	}
	return p, nil
}

// newPage checks a page's arguments; pageArgs adds whether the query asks
// for the total.
func newPage(first *int, after *string) (catalog.Page, error) {
	p := catalog.Page{First: defaultFirst}
	if first != nil {
		if *first < 0 || *first > maxFirst {
			return p, badInput(fmt.Errorf("first must be between 0 and %d, got %d", maxFirst, *first))
		}
		p.First = *first
	}
	if after != nil {
		c, err := decodeCursor(*after)
		if err != nil {
			return p, badInput(err)
		}
		p.After = c
	}
	return p, nil
}

// nodeFields names the fields a connection's query asks of its nodes, under
// nodes or edges { node }, whatever the fragments.
func nodeFields(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		sels := []ast.SelectionSet{}
		switch f.Name {
		case "nodes":
			sels = append(sels, f.Selections)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, nil) {
				if e.Name == "node" {
					sels = append(sels, e.Selections)
				}
			}
		}
		for _, sel := range sels {
			for _, n := range graphql.CollectFields(oc, sel, nil) {
				out[n.Name] = true
			}
		}
	}
	return out
}

// pageKey identifies a nested page's arguments, so that parents asking for the
// same page of their children share one loader and one statement.
func pageKey(name string, p catalog.Page, filter any) string {
	f, _ := json.Marshal(filter)
	after := ""
	if p.After != nil {
		after = p.After.Sort + "\x00" + p.After.ID.String()
	}
	return fmt.Sprintf("%s|%d|%t|%q|%s", name, p.First, p.WantTotal, after, f)
}

// connection turns a catalog page into the parts every connection type has;
// edge builds the type's own edge. A missing page (a parent with no entries)
// is an empty one.
func connection[T, E any](c *catalog.Conn[T], p catalog.Page, edge func(cursor string, node *T) E) (edges []E, nodes []*T, pi *model.PageInfo, total int) {
	if c == nil {
		c = &catalog.Conn[T]{}
	}
	nodes = c.Items
	if nodes == nil {
		nodes = []*T{}
	}
	edges = make([]E, len(nodes))
	pi = &model.PageInfo{HasNextPage: c.HasNext, HasPreviousPage: p.After != nil}
	for i, n := range nodes {
		cur := encodeCursor(c.Cursors[i])
		edges[i] = edge(cur, n)
		if i == 0 {
			pi.StartCursor = &cur
		}
		if i == len(nodes)-1 {
			pi.EndCursor = &cur
		}
	}
	return edges, nodes, pi, c.Total
}

func stateConn(c *catalog.Conn[registry.State], p catalog.Page) *model.StateConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.State) *model.StateEdge { return &model.StateEdge{Cursor: cur, Node: n} })
	return &model.StateConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func vendorConn(c *catalog.Conn[registry.Vendor], p catalog.Page) *model.VendorConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Vendor) *model.VendorEdge { return &model.VendorEdge{Cursor: cur, Node: n} })
	return &model.VendorConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func productConn(c *catalog.Conn[registry.Product], p catalog.Page) *model.ProductConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Product) *model.ProductEdge {
		return &model.ProductEdge{Cursor: cur, Node: n}
	})
	return &model.ProductConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func deploymentConn(c *catalog.Conn[registry.Deployment], p catalog.Page) *model.DeploymentConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Deployment) *model.DeploymentEdge {
		return &model.DeploymentEdge{Cursor: cur, Node: n}
	})
	return &model.DeploymentConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func abuseConn(c *catalog.Conn[registry.Abuse], p catalog.Page) *model.AbuseConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Abuse) *model.AbuseEdge { return &model.AbuseEdge{Cursor: cur, Node: n} })
	return &model.AbuseConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func designationConn(c *catalog.Conn[registry.Designation], p catalog.Page) *model.DesignationConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Designation) *model.DesignationEdge {
		return &model.DesignationEdge{Cursor: cur, Node: n}
	})
	return &model.DesignationConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func sourceConn(c *catalog.Conn[registry.Source], p catalog.Page) *model.SourceConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Source) *model.SourceEdge { return &model.SourceEdge{Cursor: cur, Node: n} })
	return &model.SourceConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func citationConn(c *catalog.Conn[registry.Citation], p catalog.Page) *model.CitationConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.Citation) *model.CitationEdge {
		return &model.CitationEdge{Cursor: cur, Node: n}
	})
	return &model.CitationConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

func versionConn(c *catalog.Conn[registry.EntryVersion], p catalog.Page) *model.EntryVersionConnection {
	e, n, pi, total := connection(c, p, func(cur string, n *registry.EntryVersion) *model.EntryVersionEdge {
		return &model.EntryVersionEdge{Cursor: cur, Node: n}
	})
	return &model.EntryVersionConnection{Edges: e, Nodes: n, PageInfo: pi, TotalCount: total}
}

// Filters: the API's inputs become the catalog's, with IDs decoded.

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func flag(o graphql.Omittable[*bool]) bool {
	v := o.Value()
	return v != nil && *v
}

func stateFilter(in *model.StateFilter) catalog.StateFilter {
	if in == nil {
		return catalog.StateFilter{}
	}
	return catalog.StateFilter{CountryCodes: strs(in.CountryCodes.Value()), HasAbuses: in.HasAbuses.Value(), IncludeRetracted: flag(in.IncludeRetracted)}
}

func vendorFilter(in *model.VendorFilter) catalog.VendorFilter {
	if in == nil {
		return catalog.VendorFilter{}
	}
	return catalog.VendorFilter{
		CountryCodes:         strs(in.CountryCodes.Value()),
		SuppliesCountryCodes: strs(in.SuppliesCountryCodes.Value()),
		TechnologySlugs:      in.TechnologySlugs.Value(),
		Designated:           in.Designated.Value(),
		DesignationListCodes: in.DesignationListCodes.Value(),
		IncludeRetracted:     flag(in.IncludeRetracted),
	}
}

func productFilter(in *model.ProductFilter) (catalog.ProductFilter, error) {
	if in == nil {
		return catalog.ProductFilter{}, nil
	}
	vendors, err := decodeEntryIDs("filter.vendorIds", registry.TypeVendor, in.VendorIds.Value())
	return catalog.ProductFilter{
		VendorIDs:        vendors,
		TechnologySlugs:  in.TechnologySlugs.Value(),
		Controlled:       in.Controlled.Value(),
		IncludeRetracted: flag(in.IncludeRetracted),
	}, err
}

func deploymentFilter(in *model.DeploymentFilter) (catalog.DeploymentFilter, error) {
	if in == nil {
		return catalog.DeploymentFilter{}, nil
	}
	vendors, err := decodeEntryIDs("filter.vendorIds", registry.TypeVendor, in.VendorIds.Value())
	return catalog.DeploymentFilter{
		CountryCodes:     strs(in.CountryCodes.Value()),
		VendorIDs:        vendors,
		TechnologySlugs:  in.TechnologySlugs.Value(),
		Confidence:       strs(in.Confidence.Value()),
		From:             in.From.Value(),
		To:               in.To.Value(),
		IncludeRetracted: flag(in.IncludeRetracted),
	}, err
}

func abuseFilter(in *model.AbuseFilter) (catalog.AbuseFilter, error) {
	if in == nil {
		return catalog.AbuseFilter{}, nil
	}
	vendors, err := decodeEntryIDs("filter.vendorIds", registry.TypeVendor, in.VendorIds.Value())
	if err != nil {
		return catalog.AbuseFilter{}, err
	}
	communities, err := decodeEntryIDs("filter.communityIds", registry.TypeCommunity, in.CommunityIds.Value())
	return catalog.AbuseFilter{
		CountryCodes:     strs(in.CountryCodes.Value()),
		CommunityIDs:     communities,
		Categories:       strs(in.Categories.Value()),
		TechnologySlugs:  in.TechnologySlugs.Value(),
		VendorIDs:        vendors,
		Confidence:       strs(in.Confidence.Value()),
		From:             in.From.Value(),
		To:               in.To.Value(),
		IncludeRetracted: flag(in.IncludeRetracted),
	}, err
}

func designationFilter(in *model.DesignationFilter) catalog.DesignationFilter {
	if in == nil {
		return catalog.DesignationFilter{}
	}
	return catalog.DesignationFilter{ListCodes: in.ListCodes.Value(), ActiveOn: in.ActiveOn.Value(), IncludeRetracted: flag(in.IncludeRetracted)}
}

func sourceFilter(in *model.SourceFilter) catalog.SourceFilter {
	if in == nil {
		return catalog.SourceFilter{}
	}
	return catalog.SourceFilter{Kinds: strs(in.Kinds.Value()), Publisher: in.Publisher.Value(), IncludeRetracted: flag(in.IncludeRetracted)}
}

// entryByID loads an entry of a known type, as the value the API's Node,
// Entry and DesignationSubject interfaces resolve to; nil when there is none.
func (r *Resolver) entryByID(ctx context.Context, t registry.EntryType, id uuid.UUID) (any, error) {
	c := r.Catalog
	switch t {
	case registry.TypeState:
		return nilIfAbsent(load(ctx, "State", c.States, id))
	case registry.TypeAgency:
		return nilIfAbsent(load(ctx, "Agency", c.Agencies, id))
	case registry.TypeVendor:
		return nilIfAbsent(load(ctx, "Vendor", c.Vendors, id))
	case registry.TypeProduct:
		return nilIfAbsent(load(ctx, "Product", c.Products, id))
	case registry.TypeTechnology:
		return nilIfAbsent(load(ctx, "Technology", c.Technologies, id))
	case registry.TypeDeployment:
		return nilIfAbsent(load(ctx, "Deployment", c.Deployments, id))
	case registry.TypeAbuse:
		return nilIfAbsent(load(ctx, "Abuse", c.Abuses, id))
	case registry.TypeCommunity:
		return nilIfAbsent(load(ctx, "Community", c.Communities, id))
	case registry.TypeDesignationList:
		return nilIfAbsent(load(ctx, "DesignationList", c.DesignationLists, id))
	case registry.TypeDesignation:
		return nilIfAbsent(load(ctx, "Designation", c.Designations, id))
	case registry.TypeControlListEntry:
		return nilIfAbsent(load(ctx, "ControlListEntry", c.ControlListEntries, id))
	case registry.TypeSource:
		return nilIfAbsent(load(ctx, "Source", c.Sources, id))
	case registry.TypeVendorResponse:
		return nilIfAbsent(load(ctx, "VendorResponse", c.VendorResponses, id))
	}
	return nil, fmt.Errorf("unknown entry type %q", t)
}

// nilIfAbsent turns a typed nil pointer into an untyped nil, so an interface
// field (Node, Entry) resolves to null rather than to a nil of some type.
func nilIfAbsent[T any](v *T, err error) (any, error) {
	if err != nil || v == nil {
		return nil, err
	}
	return v, nil
}

// entryAnyType loads an entry whose type is known only by its ID.
func (r *Resolver) entryAnyType(ctx context.Context, id uuid.UUID) (any, error) {
	t, err := load(ctx, "EntryType", r.Catalog.EntryTypes, id)
	if err != nil || t == "" {
		return nil, err
	}
	return r.entryByID(ctx, t, id)
}

// nodeByID resolves any global ID: an entry, or an editorial record the
// viewer may see; null otherwise (a citation is not a Node).
func (r *Resolver) nodeByID(ctx context.Context, typeName string, id uuid.UUID) (any, error) {
	if t := entryTypes[typeName]; t != "" {
		return r.entryByID(ctx, t, id)
	}
	return r.editorialNode(ctx, typeName, id)
}
