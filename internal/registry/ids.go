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
// It is called for every object a response names, so it builds the ID in
// one allocation: the plain text on the stack, only the encoding on the heap.
func GlobalID(typeName string, id uuid.UUID) string {
	var plain [64]byte // the longest type name (18) + ":" + 36
	n := copy(plain[:], typeName)
	if n+1+36 > len(plain) {
		return base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + id.String()))
	}
	plain[n] = ':'
	n++
	encodeUUID(plain[n:n+36], id)
	n += 36
	var enc [88]byte // base64 of 64 bytes
	return string(base64.RawURLEncoding.AppendEncode(enc[:0], plain[:n]))
}

// encodeUUID writes id in its canonical form (as uuid.UUID.String does) into
// dst, which must hold 36 bytes.
func encodeUUID(dst []byte, id uuid.UUID) {
	const hexDigits = "0123456789abcdef"
	j := 0
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hexDigits[b>>4]
		dst[j+1] = hexDigits[b&0x0f]
		j += 2
	}
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
