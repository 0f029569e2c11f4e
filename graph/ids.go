package graph

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// Global IDs are opaque to clients: base64url("Type:uuid"), where Type is the
// GraphQL type name. Carrying the type lets `node` find a record in one
// lookup; hiding it behind base64 keeps clients from building IDs by hand.

var typeNames = map[registry.EntryType]string{
	registry.TypeState:            "State",
	registry.TypeAgency:           "Agency",
	registry.TypeVendor:           "Vendor",
	registry.TypeProduct:          "Product",
	registry.TypeTechnology:       "Technology",
	registry.TypeDeployment:       "Deployment",
	registry.TypeAbuse:            "Abuse",
	registry.TypeCommunity:        "ReligiousCommunity",
	registry.TypeDesignationList:  "DesignationList",
	registry.TypeDesignation:      "Designation",
	registry.TypeControlListEntry: "ControlListEntry",
	registry.TypeSource:           "Source",
	registry.TypeVendorResponse:   "VendorResponse",
}

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
func globalID(typeName string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + id.String()))
}

// entryID encodes the global ID of an entry.
func entryID(t registry.EntryType, id uuid.UUID) string { return globalID(typeNames[t], id) }

// decodeID splits a global ID into its type name and UUID.
func decodeID(s string) (string, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(raw) > 100 {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	typeName, rest, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	id, err := uuid.Parse(rest)
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
