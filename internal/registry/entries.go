package registry

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Meta is what every entry carries, whatever its type: its identity, its
// version and whether it stands or was retracted.
type Meta struct {
	ID               uuid.UUID   `db:"id" json:"-"`
	Version          int         `db:"version" json:"-"`
	Status           EntryStatus `db:"status" json:"-"`
	RetractionReason *string     `db:"retraction_reason" json:"-"`
	PublishedAt      time.Time   `db:"published_at" json:"-"`
	UpdatedAt        time.Time   `db:"updated_at" json:"-"`
}

// EntryMeta returns the shared part of an entry; every entry type has it
// through embedding, which makes it an Entry.
func (m *Meta) EntryMeta() *Meta { return m }

// Entry is any curated record of the registry.
type Entry interface {
	EntryMeta() *Meta
}

// State is a country whose government deploys, supplies, designates or is designated.
type State struct {
	Meta
	CountryCode CountryCode `db:"country_code" json:"countryCode"`
	Name        string      `db:"name" json:"name"`
	Summary     *string     `db:"summary" json:"summary"`
}

// Agency is a government body of a state: a police force, a ministry, an intelligence service.
type Agency struct {
	Meta
	StateID     uuid.UUID `db:"state_id" json:"stateId"`
	Name        string    `db:"name" json:"name"`
	Kind        *string   `db:"kind" json:"kind"`
	Description *string   `db:"description" json:"description"`
}

// Vendor is a company that makes or sells surveillance technology.
type Vendor struct {
	Meta
	Slug        string       `db:"slug" json:"slug"`
	Name        string       `db:"name" json:"name"`
	Aliases     []string     `db:"aliases" json:"aliases"`
	CountryCode *CountryCode `db:"country_code" json:"countryCode"`
	Website     *URL         `db:"website" json:"website"`
	WikidataID  *string      `db:"wikidata_id" json:"wikidataId"`
	Description *string      `db:"description" json:"description"`
	ParentID    *uuid.UUID   `db:"parent_id" json:"parentId"`
}

// Technology is a kind of surveillance technology, in a tree.
type Technology struct {
	Meta
	Slug        string     `db:"slug" json:"slug"`
	Name        string     `db:"name" json:"name"`
	Description *string    `db:"description" json:"description"`
	ParentID    *uuid.UUID `db:"parent_id" json:"parentId"`
}

// Product is a vendor's product, classed by technology.
type Product struct {
	Meta
	VendorID    uuid.UUID `db:"vendor_id" json:"vendorId"`
	Name        string    `db:"name" json:"name"`
	Description *string   `db:"description" json:"description"`
	// The links a product owns, kept in its versions like an abuse's.
	TechnologyIDs       []uuid.UUID `db:"-" json:"technologyIds" join:"product_technologies product_id technology_id"`
	ControlListEntryIDs []uuid.UUID `db:"-" json:"controlListEntryIds" join:"product_control_list_entries product_id control_list_entry_id"`
}

// Deployment is a state (or one of its agencies) using a technology, supplied by a vendor.
type Deployment struct {
	Meta
	StateID      uuid.UUID    `db:"state_id" json:"stateId"`
	AgencyID     *uuid.UUID   `db:"agency_id" json:"agencyId"`
	VendorID     *uuid.UUID   `db:"vendor_id" json:"vendorId"`
	ProductID    *uuid.UUID   `db:"product_id" json:"productId"`
	TechnologyID uuid.UUID    `db:"technology_id" json:"technologyId"`
	StartDate    *PartialDate `db:"start_date" json:"startDate"`
	EndDate      *PartialDate `db:"end_date" json:"endDate"`
	Location     *string      `db:"location" json:"location"`
	Description  *string      `db:"description" json:"description"`
	Confidence   Confidence   `db:"confidence" json:"confidence"`
}

// Abuse is a documented abuse of freedom of religion or belief.
type Abuse struct {
	Meta
	Title      string          `db:"title" json:"title"`
	Summary    string          `db:"summary" json:"summary"`
	StateID    uuid.UUID       `db:"state_id" json:"stateId"`
	Categories []AbuseCategory `db:"categories" json:"categories"`
	StartDate  *PartialDate    `db:"start_date" json:"startDate"`
	EndDate    *PartialDate    `db:"end_date" json:"endDate"`
	Location   *string         `db:"location" json:"location"`
	Confidence Confidence      `db:"confidence" json:"confidence"`
	// The links an abuse owns. They are part of its versions (snapshots),
	// not of its row: reads resolve them through the link tables.
	AgencyIDs     []uuid.UUID `db:"-" json:"agencyIds" join:"abuse_agencies abuse_id agency_id"`
	CommunityIDs  []uuid.UUID `db:"-" json:"communityIds" join:"abuse_communities abuse_id community_id"`
	DeploymentIDs []uuid.UUID `db:"-" json:"deploymentIds" join:"abuse_deployments abuse_id deployment_id"`
}

// Community is a religious community.
type Community struct {
	Meta
	Name        string  `db:"name" json:"name"`
	Religion    *string `db:"religion" json:"religion"`
	Description *string `db:"description" json:"description"`
}

// DesignationList is a sanctions, export-control or watch list kept by an authority.
type DesignationList struct {
	Meta
	Code         string `db:"code" json:"code"`
	Name         string `db:"name" json:"name"`
	Authority    string `db:"authority" json:"authority"`
	Jurisdiction string `db:"jurisdiction" json:"jurisdiction"`
	URL          *URL   `db:"url" json:"url"`
}

// Designation is the listing of a vendor, a state or an agency on a designation list.
// Exactly one of VendorID, StateID and AgencyID is set.
type Designation struct {
	Meta
	ListID         uuid.UUID    `db:"list_id" json:"listId"`
	VendorID       *uuid.UUID   `db:"vendor_id" json:"vendorId"`
	StateID        *uuid.UUID   `db:"state_id" json:"stateId"`
	AgencyID       *uuid.UUID   `db:"agency_id" json:"agencyId"`
	ListedOn       PartialDate  `db:"listed_on" json:"listedOn"`
	RemovedOn      *PartialDate `db:"removed_on" json:"removedOn"`
	LegalReference *string      `db:"legal_reference" json:"legalReference"`
	Reason         *string      `db:"reason" json:"reason"`
}

// ActiveOn reports whether the designation was in force at some point of day d.
func (d *Designation) ActiveOn(day PartialDate) bool {
	if d.ListedOn.Start().After(day.End()) {
		return false
	}
	return d.RemovedOn == nil || !d.RemovedOn.End().Before(day.Start())
}

// ControlListEntry is an entry of an export-control list, such as Wassenaar 4A005.
type ControlListEntry struct {
	Meta
	Regime      ControlRegime `db:"regime" json:"regime"`
	Code        string        `db:"code" json:"code"`
	Title       string        `db:"title" json:"title"`
	Description *string       `db:"description" json:"description"`
	// The technologies its control text covers, kept in its versions.
	TechnologyIDs []uuid.UUID `db:"-" json:"technologyIds" join:"control_list_entry_technologies control_list_entry_id technology_id"`
}

// Source is a document that evidence is drawn from.
type Source struct {
	Meta
	Title         string       `db:"title" json:"title"`
	Kind          SourceKind   `db:"kind" json:"kind"`
	Publisher     *string      `db:"publisher" json:"publisher"`
	Authors       []string     `db:"authors" json:"authors"`
	URL           *URL         `db:"url" json:"url"`
	ArchiveURL    *URL         `db:"archive_url" json:"archiveUrl"`
	PublishedOn   *PartialDate `db:"published_on" json:"publishedOn"`
	AccessedOn    *PartialDate `db:"accessed_on" json:"accessedOn"`
	Language      *string      `db:"language" json:"language"`
	ContentSha256 *string      `db:"content_sha256" json:"contentSha256"`
	Confidential  bool         `db:"confidential" json:"confidential"`
}

// VendorResponse is a vendor's reply to what the registry says about it.
type VendorResponse struct {
	Meta
	VendorID    uuid.UUID    `db:"vendor_id" json:"vendorId"`
	AboutID     *uuid.UUID   `db:"about_id" json:"aboutId"`
	RequestedOn *PartialDate `db:"requested_on" json:"requestedOn"`
	ReplyStatus ReplyStatus  `db:"reply_status" json:"replyStatus"`
	RespondedOn *PartialDate `db:"responded_on" json:"respondedOn"`
	Summary     *string      `db:"summary" json:"summary"`
	SourceID    *uuid.UUID   `db:"source_id" json:"sourceId"`
}

// Citation ties an entry to the passage of a source that supports (or contradicts) it.
type Citation struct {
	ID        uuid.UUID      `db:"id" json:"-"`
	EntryID   uuid.UUID      `db:"entry_id" json:"-"`
	EntryType EntryType      `db:"entry_type" json:"-"`
	SourceID  uuid.UUID      `db:"source_id" json:"sourceId"`
	Locator   *string        `db:"locator" json:"locator"`
	Quote     *string        `db:"quote" json:"quote"`
	Field     *string        `db:"field" json:"field"`
	Stance    CitationStance `db:"stance" json:"stance"`
	// SourceConfidential is whether the cited source is confidential, for redaction.
	SourceConfidential bool `db:"source_confidential" json:"-"`
	// Source is the cited source as the viewer may see it; the catalog reads it
	// with the citation.
	Source *Source `db:"-" json:"-"`
}

// EntryVersion is one published version of an entry.
type EntryVersion struct {
	EntryID   uuid.UUID       `db:"entry_id"`
	EntryType EntryType       `db:"entry_type"`
	Version   int             `db:"version"`
	CreatedAt time.Time       `db:"created_at"`
	Summary   *string         `db:"summary"`
	Changes   []FieldChange   `db:"changes"`
	Snapshot  json.RawMessage `db:"snapshot"`
}

// FieldChange is one field's value before and after a version; Before is
// null for the first version.
type FieldChange struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}
