package registry

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Global IDs are how records are named outside the database, in the API and
// in bulk exports alike: base64url("Type:uuid"), where Type is the API's
// type name. Carrying the type lets one lookup find a record; base64 keeps
// clients from building IDs by hand.

// TypeNames are the API's type names of the entry types.
var TypeNames = map[EntryType]string{
	TypeState:            "State",
	TypeAgency:           "Agency",
	TypeVendor:           "Vendor",
	TypeProduct:          "Product",
	TypeTechnology:       "Technology",
	TypeDeployment:       "Deployment",
	TypeAbuse:            "Abuse",
	TypeCommunity:        "ReligiousCommunity",
	TypeDesignationList:  "DesignationList",
	TypeDesignation:      "Designation",
	TypeControlListEntry: "ControlListEntry",
	TypeSource:           "Source",
	TypeVendorResponse:   "VendorResponse",
}

// GlobalID encodes the ID of a record of the named API type.
func GlobalID(typeName string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + id.String()))
}

// EntryGlobalID encodes the global ID of an entry.
func EntryGlobalID(t EntryType, id uuid.UUID) string { return GlobalID(TypeNames[t], id) }

// ParseGlobalID splits a global ID into its type name and UUID; it does not
// check that the type exists.
func ParseGlobalID(s string) (string, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(raw) > 100 {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	typeName, rest, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return "", uuid.Nil, fmt.Errorf("%q is not an Oversight ID", s)
	}
	return typeName, id, nil
}
