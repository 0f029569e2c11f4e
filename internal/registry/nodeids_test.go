package registry

import (
	"encoding/base64"
	"testing"

	"github.com/google/uuid"
)

// GlobalID builds IDs by hand to save allocations; it must still be exactly
// base64url("Type:uuid"), as clients and exports have always seen it.
func TestGlobalIDIsBase64OfTypeAndUUID(t *testing.T) {
	ids := []uuid.UUID{uuid.Nil, uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e"), uuid.Max}
	for _, typeName := range []string{"", "State", "ReligiousCommunity", "Citation", "A:B", "a-type-name-longer-than-any-the-api-has"} {
		for _, id := range ids {
			want := base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + id.String()))
			if got := GlobalID(typeName, id); got != want {
				t.Errorf("GlobalID(%q, %s) = %q, want %q", typeName, id, got, want)
			}
		}
	}
}

// Every entry type's NodeID names it with its API type name.
func TestNodeIDsUseTheAPITypeNames(t *testing.T) {
	id := uuid.MustParse("0f8fad5b-d9cb-469f-a165-70867728950e")
	m := Meta{ID: id}
	nodes := map[EntryType]interface{ NodeID() string }{
		TypeState: &State{Meta: m}, TypeAgency: &Agency{Meta: m}, TypeVendor: &Vendor{Meta: m},
		TypeProduct: &Product{Meta: m}, TypeTechnology: &Technology{Meta: m}, TypeDeployment: &Deployment{Meta: m},
		TypeAbuse: &Abuse{Meta: m}, TypeCommunity: &Community{Meta: m}, TypeDesignationList: &DesignationList{Meta: m},
		TypeDesignation: &Designation{Meta: m}, TypeControlListEntry: &ControlListEntry{Meta: m},
		TypeSource: &Source{Meta: m}, TypeVendorResponse: &VendorResponse{Meta: m},
	}
	if len(nodes) != len(TypeNames) {
		t.Fatalf("test covers %d entry types, the registry has %d", len(nodes), len(TypeNames))
	}
	for typ, n := range nodes {
		if got, want := n.NodeID(), EntryGlobalID(typ, id); got != want {
			t.Errorf("%s NodeID = %q, want %q", typ, got, want)
		}
	}
	if got, want := (&Citation{ID: id}).NodeID(), GlobalID("Citation", id); got != want {
		t.Errorf("Citation NodeID = %q, want %q", got, want)
	}
}
