// Package graph is Oversight's GraphQL transport: resolvers, global IDs and
// cursors, loaders and the HTTP handler. Resolvers stay thin: they decode
// arguments, call the catalog through a loader and return domain types.
package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"oversight/graph/model"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/registry"
)

//go:generate go tool gqlgen generate

// Resolver is the root of the resolvers; it holds the services they call.
type Resolver struct {
	Catalog   *catalog.Catalog
	Editorial *editorial.Service
}

// list loads a relation through the request's loader and never returns a nil
// slice, which the API would report as a null in a non-null list.
func list[T any](ctx context.Context, name string, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID][]*T, error), id uuid.UUID) ([]*T, error) {
	v, err := load(ctx, name, fetch, id)
	if v == nil {
		v = []*T{}
	}
	return v, err
}

// one loads a referenced entry; a nil ID is no reference.
func one[T any](ctx context.Context, name string, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]*T, error), id *uuid.UUID) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return load(ctx, name, fetch, *id)
}

// The fields every entry type has.

func (r *Resolver) citations(ctx context.Context, id uuid.UUID) ([]*registry.Citation, error) {
	return list(ctx, "citations", r.Catalog.CitationsByEntry, id)
}

func (r *Resolver) history(ctx context.Context, id uuid.UUID, first *int, after *string) (*model.EntryVersionConnection, error) {
	p, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	fetch := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*catalog.Conn[registry.EntryVersion], error) {
		return r.Catalog.VersionPages(ctx, ids, p)
	}
	c, err := load(ctx, pageKey("history", p, nil), fetch, id)
	return versionConn(c, p), err
}

func (r *Resolver) versionAt(ctx context.Context, id uuid.UUID, at time.Time) (*registry.EntryVersion, error) {
	return load(ctx, "versionAt", r.Catalog.VersionsAt, catalog.VersionAtKey{EntryID: id, At: at})
}

func (r *Resolver) deployments(ctx context.Context, of catalog.Nested, name string, id uuid.UUID, first *int, after *string, filter *model.DeploymentFilter) (*model.DeploymentConnection, error) {
	p, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	f, err := deploymentFilter(filter)
	if err != nil {
		return nil, err
	}
	fields := nodeFields(ctx)
	fetch := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*catalog.Conn[registry.Deployment], error) {
		m, err := r.Catalog.DeploymentPages(ctx, of, ids, f, p)
		if err == nil {
			r.fetchDeploymentFields(ctx, fields, m)
		}
		return m, err
	}
	c, err := load(ctx, pageKey(name, p, f), fetch, id)
	return deploymentConn(c, p), err
}

// fetchDeploymentFields starts loading, in one batch each, what the fields
// asked of a page of deployments will need: every parent's page is here, so
// the whole next level is known. Left to the fields' own resolvers, the
// keys would reach each loader from a goroutine per deployment, over a time
// that grows with the page (and the machine's load), and a level could take
// several batches.
func (r *Resolver) fetchDeploymentFields(ctx context.Context, fields map[string]bool, pages map[uuid.UUID]*catalog.Conn[registry.Deployment]) {
	var ids, states, techs, vendors, products, agencies []uuid.UUID
	for _, c := range pages {
		for _, d := range c.Items {
			ids = append(ids, d.ID)
			states = append(states, d.StateID)
			techs = append(techs, d.TechnologyID)
			if d.VendorID != nil {
				vendors = append(vendors, *d.VendorID)
			}
			if d.ProductID != nil {
				products = append(products, *d.ProductID)
			}
			if d.AgencyID != nil {
				agencies = append(agencies, *d.AgencyID)
			}
		}
	}
	// The loaders' names and fetch functions are the resolvers' own (see
	// deploymentResolver), so that the values land where they look.
	if fields["citations"] {
		loaderFor(ctx, "citations", r.Catalog.CitationsByEntry).Fetch(ctx, ids)
	}
	if fields["state"] {
		loaderFor(ctx, "State", r.Catalog.States).Fetch(ctx, states)
	}
	if fields["technology"] {
		loaderFor(ctx, "Technology", r.Catalog.Technologies).Fetch(ctx, techs)
	}
	if fields["vendor"] {
		loaderFor(ctx, "Vendor", r.Catalog.Vendors).Fetch(ctx, vendors)
	}
	if fields["product"] {
		loaderFor(ctx, "Product", r.Catalog.Products).Fetch(ctx, products)
	}
	if fields["agency"] {
		loaderFor(ctx, "Agency", r.Catalog.Agencies).Fetch(ctx, agencies)
	}
	if fields["abuses"] {
		loaderFor(ctx, "abusesByDeployment", r.Catalog.AbusesByDeployment).Fetch(ctx, ids)
	}
}

// fetchEvidenceFields starts loading, in one batch each, what the fields
// asked of a page of evidence rows will need, as fetchDeploymentFields
// does for deployments: the page is all here, so the loaders need not wait
// for the rows' resolvers to trickle their keys in (a pause of the loader's
// idle time, 5 ms, for a 40 ms request). The loaders' names and fetch
// functions are the evidenceRowResolver's own.
func (r *Resolver) fetchEvidenceFields(ctx context.Context, fields map[string]bool, rows []*catalog.EvidenceRow) {
	var vendors, states, techs, products, deployments []uuid.UUID
	supplies := make([]catalog.Supply, 0, len(rows))
	keys := make([]catalog.EvidenceKey, 0, len(rows))
	for _, row := range rows {
		vendors = append(vendors, row.VendorID)
		states = append(states, row.StateID)
		techs = append(techs, row.TechnologyID)
		if row.ProductID != nil {
			products = append(products, *row.ProductID)
		}
		deployments = append(deployments, row.DeploymentIDs...)
		supplies = append(supplies, row.Supply())
		keys = append(keys, row.Key())
	}
	if fields["vendor"] {
		loaderFor(ctx, "Vendor", r.Catalog.Vendors).Fetch(ctx, vendors)
	}
	if fields["state"] {
		loaderFor(ctx, "State", r.Catalog.States).Fetch(ctx, states)
	}
	if fields["technology"] {
		loaderFor(ctx, "Technology", r.Catalog.Technologies).Fetch(ctx, techs)
	}
	if fields["product"] {
		loaderFor(ctx, "Product", r.Catalog.Products).Fetch(ctx, products)
	}
	if fields["deployments"] {
		loaderFor(ctx, "Deployment", r.Catalog.Deployments).Fetch(ctx, deployments)
	}
	if fields["controlListEntries"] {
		loaderFor(ctx, "evidenceControlListEntries", r.Catalog.EvidenceControlListEntries).Fetch(ctx, supplies)
	}
	if fields["designations"] {
		loaderFor(ctx, "designationsByVendor", r.Catalog.DesignationsByVendor).Fetch(ctx, vendors)
	}
	if fields["abuses"] {
		loaderFor(ctx, "evidenceAbuses", r.Catalog.EvidenceAbuses).Fetch(ctx, keys)
	}
}

func (r *Resolver) abuses(ctx context.Context, of catalog.Nested, name string, id uuid.UUID, first *int, after *string, filter *model.AbuseFilter) (*model.AbuseConnection, error) {
	p, err := pageArgs(ctx, first, after)
	if err != nil {
		return nil, err
	}
	f, err := abuseFilter(filter)
	if err != nil {
		return nil, err
	}
	fetch := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*catalog.Conn[registry.Abuse], error) {
		return r.Catalog.AbusePages(ctx, of, ids, f, p)
	}
	c, err := load(ctx, pageKey(name, p, f), fetch, id)
	return abuseConn(c, p), err
}
