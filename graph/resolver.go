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
	fetch := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*catalog.Conn[registry.Deployment], error) {
		return r.Catalog.DeploymentPages(ctx, of, ids, f, p)
	}
	c, err := load(ctx, pageKey(name, p, f), fetch, id)
	return deploymentConn(c, p), err
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
