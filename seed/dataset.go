// Package seed holds Oversight's seed dataset (registry.json, written from
// ../shared/data/seed-facts.json; see README.md beside it) and loads it into
// a registry. Loading is idempotent: entries already present are left as
// they are, so re-seeding never rewrites published history.
package seed

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed registry.json
var registryJSON []byte

// Dataset is the seed file: entries of every type, referring to each other by key.
type Dataset struct {
	Sources            []Source           `json:"sources"`
	States             []State            `json:"states"`
	Agencies           []Agency           `json:"agencies"`
	Technologies       []Technology       `json:"technologies"`
	Vendors            []Vendor           `json:"vendors"`
	ControlListEntries []ControlListEntry `json:"controlListEntries"`
	Products           []Product          `json:"products"`
	Communities        []Community        `json:"communities"`
	Deployments        []Deployment       `json:"deployments"`
	Abuses             []Abuse            `json:"abuses"`
	DesignationLists   []DesignationList  `json:"designationLists"`
	Designations       []Designation      `json:"designations"`
	VendorResponses    []VendorResponse   `json:"vendorResponses"`
}

// Common is what every seed entry has: its key, its citations and the
// seed-facts fact IDs it was written from.
type Common struct {
	Key       string     `json:"key"`
	Citations []Citation `json:"citations"`
	Facts     []string   `json:"facts"`
}

// Citation cites a source by key.
type Citation struct {
	Source  string  `json:"source"`
	Locator *string `json:"locator"`
	Quote   *string `json:"quote"`
	Field   *string `json:"field"`
	Stance  string  `json:"stance"`
}

// Source is a seed source document.
type Source struct {
	Key          string   `json:"key"`
	Title        string   `json:"title"`
	Kind         string   `json:"kind"`
	Publisher    *string  `json:"publisher"`
	Authors      []string `json:"authors"`
	URL          *string  `json:"url"`
	ArchiveURL   *string  `json:"archiveUrl"`
	PublishedOn  *string  `json:"publishedOn"`
	AccessedOn   *string  `json:"accessedOn"`
	Language     *string  `json:"language"`
	Confidential bool     `json:"confidential"`
	Facts        []string `json:"facts"`
}

// State is a seed state; its key is its country code.
type State struct {
	Common
	CountryCode string  `json:"countryCode"`
	Name        string  `json:"name"`
	Summary     *string `json:"summary"`
}

// Agency is a seed agency.
type Agency struct {
	Common
	State       string  `json:"state"`
	Name        string  `json:"name"`
	Kind        *string `json:"kind"`
	Description *string `json:"description"`
}

// Technology is a seed technology.
type Technology struct {
	Common
	Slug               string   `json:"slug"`
	Name               string   `json:"name"`
	Description        *string  `json:"description"`
	Parent             *string  `json:"parent"`
	ControlListEntries []string `json:"controlListEntries"`
}

// Vendor is a seed vendor.
type Vendor struct {
	Common
	Slug        string   `json:"slug"`
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases"`
	CountryCode *string  `json:"countryCode"`
	Website     *string  `json:"website"`
	WikidataID  *string  `json:"wikidataId"`
	Description *string  `json:"description"`
	Parent      *string  `json:"parent"`
}

// ControlListEntry is a seed export-control entry.
type ControlListEntry struct {
	Common
	Regime      string  `json:"regime"`
	Code        string  `json:"code"`
	Title       string  `json:"title"`
	Description *string `json:"description"`
}

// Product is a seed product.
type Product struct {
	Common
	Vendor             string   `json:"vendor"`
	Name               string   `json:"name"`
	Technologies       []string `json:"technologies"`
	Description        *string  `json:"description"`
	ControlListEntries []string `json:"controlListEntries"`
}

// Community is a seed religious community.
type Community struct {
	Common
	Name        string  `json:"name"`
	Religion    *string `json:"religion"`
	Description *string `json:"description"`
}

// Deployment is a seed deployment.
type Deployment struct {
	Common
	State       string  `json:"state"`
	Agency      *string `json:"agency"`
	Vendor      *string `json:"vendor"`
	Product     *string `json:"product"`
	Technology  string  `json:"technology"`
	StartDate   *string `json:"startDate"`
	EndDate     *string `json:"endDate"`
	Location    *string `json:"location"`
	Description *string `json:"description"`
	Confidence  string  `json:"confidence"`
}

// Abuse is a seed abuse.
type Abuse struct {
	Common
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	State       string   `json:"state"`
	Agencies    []string `json:"agencies"`
	Communities []string `json:"communities"`
	Categories  []string `json:"categories"`
	StartDate   *string  `json:"startDate"`
	EndDate     *string  `json:"endDate"`
	Location    *string  `json:"location"`
	Confidence  string   `json:"confidence"`
	Deployments []string `json:"deployments"`
}

// DesignationList is a seed designation list.
type DesignationList struct {
	Common
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	Authority    string  `json:"authority"`
	Jurisdiction string  `json:"jurisdiction"`
	URL          *string `json:"url"`
}

// Subject names a designation's subject: exactly one of the three.
type Subject struct {
	Vendor *string `json:"vendor"`
	State  *string `json:"state"`
	Agency *string `json:"agency"`
}

// Designation is a seed designation.
type Designation struct {
	Common
	List           string  `json:"list"`
	Subject        Subject `json:"subject"`
	ListedOn       string  `json:"listedOn"`
	RemovedOn      *string `json:"removedOn"`
	LegalReference *string `json:"legalReference"`
	Reason         *string `json:"reason"`
}

// VendorResponse is a seed vendor response.
type VendorResponse struct {
	Common
	Vendor      string  `json:"vendor"`
	About       *string `json:"about"` // "type:key", e.g. "deployment:hikvision-moyu-mosques"
	RequestedOn *string `json:"requestedOn"`
	ReplyStatus string  `json:"replyStatus"`
	RespondedOn *string `json:"respondedOn"`
	Summary     *string `json:"summary"`
	Source      *string `json:"source"`
}

// Registry returns the embedded seed dataset.
func Registry() (*Dataset, error) { return Parse(registryJSON) }

// Parse reads a dataset, refusing unknown fields so a typo cannot silently drop data.
func Parse(b []byte) (*Dataset, error) {
	var d Dataset
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parse seed dataset: %w", err)
	}
	return &d, nil
}
