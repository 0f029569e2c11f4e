package graph

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// Versions are stored with references as the database's UUIDs, which stay
// valid whatever the API does with its IDs; they are served with the same
// global IDs the rest of the API uses, so a reader can follow a reference in
// an old version with node(id:).

// referenceTypes names the entry type each reference field of a snapshot
// points at. parentId points at the entry's own type; aboutId at any type.
var referenceTypes = map[string]registry.EntryType{
	"stateId":             registry.TypeState,
	"agencyId":            registry.TypeAgency,
	"agencyIds":           registry.TypeAgency,
	"vendorId":            registry.TypeVendor,
	"productId":           registry.TypeProduct,
	"technologyId":        registry.TypeTechnology,
	"technologyIds":       registry.TypeTechnology,
	"communityIds":        registry.TypeCommunity,
	"deploymentIds":       registry.TypeDeployment,
	"listId":              registry.TypeDesignationList,
	"sourceId":            registry.TypeSource,
	"controlListEntryIds": registry.TypeControlListEntry,
}

// publicValue rewrites one field of a snapshot for the API.
func (r *Resolver) publicValue(ctx context.Context, entryType registry.EntryType, field string, v json.RawMessage) (json.RawMessage, error) {
	if len(v) == 0 || string(v) == "null" {
		return v, nil
	}
	if field == "citations" {
		var cs []map[string]json.RawMessage
		if err := json.Unmarshal(v, &cs); err != nil {
			return nil, fmt.Errorf("citations: %w", err)
		}
		for _, c := range cs {
			s, err := r.publicValue(ctx, entryType, "sourceId", c["sourceId"])
			if err != nil {
				return nil, err
			}
			c["sourceId"] = s
		}
		return json.Marshal(cs)
	}
	t, ok := referenceTypes[field]
	switch {
	case field == "parentId":
		t, ok = entryType, true
	case field == "aboutId":
		ok = true
	}
	if !ok {
		return v, nil
	}
	encode := func(raw string) (string, error) {
		id, err := uuid.Parse(raw)
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		typ := t
		if field == "aboutId" {
			if typ, err = load(ctx, "EntryType", r.Catalog.EntryTypes, id); err != nil {
				return "", err
			}
		}
		return entryID(typ, id), nil
	}
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		g, err := encode(one)
		if err != nil {
			return nil, err
		}
		return json.Marshal(g)
	}
	var many []string
	if err := json.Unmarshal(v, &many); err != nil {
		return nil, fmt.Errorf("%s: not an ID or a list of IDs", field)
	}
	for i, s := range many {
		g, err := encode(s)
		if err != nil {
			return nil, err
		}
		many[i] = g
	}
	return json.Marshal(many)
}

func (r *Resolver) publicSnapshot(ctx context.Context, v *registry.EntryVersion) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v.Snapshot, &m); err != nil {
		return nil, fmt.Errorf("snapshot of %s version %d: %w", v.EntryID, v.Version, err)
	}
	for k, val := range m {
		pub, err := r.publicValue(ctx, v.EntryType, k, val)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s version %d: %w", v.EntryID, v.Version, err)
		}
		m[k] = pub
	}
	return json.Marshal(m)
}

func (r *Resolver) publicChanges(ctx context.Context, v *registry.EntryVersion) ([]*registry.FieldChange, error) {
	out := make([]*registry.FieldChange, len(v.Changes))
	for i, c := range v.Changes {
		before, err := r.publicValue(ctx, v.EntryType, c.Field, c.Before)
		if err != nil {
			return nil, fmt.Errorf("changes of %s version %d: %w", v.EntryID, v.Version, err)
		}
		after, err := r.publicValue(ctx, v.EntryType, c.Field, c.After)
		if err != nil {
			return nil, fmt.Errorf("changes of %s version %d: %w", v.EntryID, v.Version, err)
		}
		out[i] = &registry.FieldChange{Field: c.Field, Before: before, After: after}
	}
	return out, nil
}
