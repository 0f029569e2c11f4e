package graph

import (
	"fmt"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// Global IDs (see registry.GlobalID) name records in the API.

var typeNames = registry.TypeNames

// citationType names citations in global IDs; they are not entries.
const citationType = "Citation"

var entryTypes = func() map[string]registry.EntryType {
	m := make(map[string]registry.EntryType, len(typeNames))
	for t, n := range typeNames {
		m[n] = t
	}
	return m
}()

// globalID encodes an ID of the named GraphQL type.
func globalID(typeName string, id uuid.UUID) string { return registry.GlobalID(typeName, id) }

// entryID encodes the global ID of an entry.
func entryID(t registry.EntryType, id uuid.UUID) string { return globalID(typeNames[t], id) }

// decodeID splits a global ID into its type name and UUID.
func decodeID(s string) (string, uuid.UUID, error) {
	typeName, id, err := registry.ParseGlobalID(s)
	if err != nil || (!editorialTypes[typeName] && entryTypes[typeName] == "") {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	return typeName, id, nil
}

// decodeEntryIDs decodes IDs that must all be of one entry type, for filters
// such as vendorIds; arg names the argument in the error.
func decodeEntryIDs(arg string, want registry.EntryType, ids []string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(ids))
	for _, s := range ids {
		typeName, id, err := decodeID(s)
		if err != nil {
			return nil, badInput(fmt.Errorf("%s: %w", arg, err))
		}
		if entryTypes[typeName] != want {
			return nil, badInput(fmt.Errorf("%s: %q is the ID of a %s, not of a %s", arg, s, typeName, typeNames[want]))
		}
		out = append(out, id)
	}
	return out, nil
}
