package bulk

import (
	"github.com/google/uuid"

	"oversight/internal/registry"
)

// kind is how a column's value is written: in CSV, and into PostgreSQL on restore.
type kind int

const (
	kText      kind = iota // text, or a PartialDate, URL or enum kept as text
	kUUID                  // a reference to another entry
	kTextArray             // text[]: JSON array in CSV
	kBool
)

// column maps a snapshot field (the API's name) to its table column (and CSV header).
type column struct {
	name  string // column of the type's table and header of its CSV file
	field string // field of the snapshot and of the ndjson "fields"
	kind  kind
}

// link is a join table an entry type owns, filled from one of its ID-list fields.
type link struct {
	table, owner, other string
	field               string
}

// entryTable describes how one entry type is stored and exported.
type entryTable struct {
	typ     registry.EntryType
	table   string // also the CSV file name, without .csv
	columns []column
	links   []link
}

func c(name, field string, k kind) column { return column{name, field, k} }

// entryTables lists the entry types in dependency order: an entry only refers
// to entries of its own type or of types listed before it (sources first,
// since every type cites them; vendor responses last, since they may be about
// any entry). Exports follow this order, then entry ID, so they are byte-stable.
var entryTables = []entryTable{
	{typ: registry.TypeSource, table: "sources", columns: []column{
		c("title", "title", kText), c("kind", "kind", kText), c("publisher", "publisher", kText),
		c("authors", "authors", kTextArray), c("url", "url", kText), c("archive_url", "archiveUrl", kText),
		c("published_on", "publishedOn", kText), c("accessed_on", "accessedOn", kText), c("language", "language", kText),
		c("content_sha256", "contentSha256", kText), c("confidential", "confidential", kBool)}},
	{typ: registry.TypeState, table: "states", columns: []column{
		c("country_code", "countryCode", kText), c("name", "name", kText), c("summary", "summary", kText)}},
	{typ: registry.TypeAgency, table: "agencies", columns: []column{
		c("state_id", "stateId", kUUID), c("name", "name", kText), c("kind", "kind", kText), c("description", "description", kText)}},
	{typ: registry.TypeVendor, table: "vendors", columns: []column{
		c("slug", "slug", kText), c("name", "name", kText), c("aliases", "aliases", kTextArray),
		c("country_code", "countryCode", kText), c("website", "website", kText), c("wikidata_id", "wikidataId", kText),
		c("description", "description", kText), c("parent_id", "parentId", kUUID)}},
	{typ: registry.TypeTechnology, table: "technologies", columns: []column{
		c("slug", "slug", kText), c("name", "name", kText), c("description", "description", kText), c("parent_id", "parentId", kUUID)}},
	{typ: registry.TypeControlListEntry, table: "control_list_entries", columns: []column{
		c("regime", "regime", kText), c("code", "code", kText), c("title", "title", kText), c("description", "description", kText)},
		links: []link{{"control_list_entry_technologies", "control_list_entry_id", "technology_id", "technologyIds"}}},
	{typ: registry.TypeProduct, table: "products", columns: []column{
		c("vendor_id", "vendorId", kUUID), c("name", "name", kText), c("description", "description", kText)},
		links: []link{
			{"product_technologies", "product_id", "technology_id", "technologyIds"},
			{"product_control_list_entries", "product_id", "control_list_entry_id", "controlListEntryIds"}}},
	{typ: registry.TypeCommunity, table: "communities", columns: []column{
		c("name", "name", kText), c("religion", "religion", kText), c("description", "description", kText)}},
	{typ: registry.TypeDeployment, table: "deployments", columns: []column{
		c("state_id", "stateId", kUUID), c("agency_id", "agencyId", kUUID), c("vendor_id", "vendorId", kUUID),
		c("product_id", "productId", kUUID), c("technology_id", "technologyId", kUUID), c("start_date", "startDate", kText),
		c("end_date", "endDate", kText), c("location", "location", kText), c("description", "description", kText),
		c("confidence", "confidence", kText)}},
	{typ: registry.TypeAbuse, table: "abuses", columns: []column{
		c("title", "title", kText), c("summary", "summary", kText), c("state_id", "stateId", kUUID),
		c("categories", "categories", kTextArray), c("start_date", "startDate", kText), c("end_date", "endDate", kText),
		c("location", "location", kText), c("confidence", "confidence", kText)},
		links: []link{
			{"abuse_agencies", "abuse_id", "agency_id", "agencyIds"},
			{"abuse_communities", "abuse_id", "community_id", "communityIds"},
			{"abuse_deployments", "abuse_id", "deployment_id", "deploymentIds"}}},
	{typ: registry.TypeDesignationList, table: "designation_lists", columns: []column{
		c("code", "code", kText), c("name", "name", kText), c("authority", "authority", kText),
		c("jurisdiction", "jurisdiction", kText), c("url", "url", kText)}},
	{typ: registry.TypeDesignation, table: "designations", columns: []column{
		c("list_id", "listId", kUUID), c("vendor_id", "vendorId", kUUID), c("state_id", "stateId", kUUID),
		c("agency_id", "agencyId", kUUID), c("listed_on", "listedOn", kText), c("removed_on", "removedOn", kText),
		c("legal_reference", "legalReference", kText), c("reason", "reason", kText)}},
	{typ: registry.TypeVendorResponse, table: "vendor_responses", columns: []column{
		c("vendor_id", "vendorId", kUUID), c("about_id", "aboutId", kUUID), c("requested_on", "requestedOn", kText),
		c("reply_status", "replyStatus", kText), c("responded_on", "respondedOn", kText), c("summary", "summary", kText),
		c("source_id", "sourceId", kUUID)}},
}

func tableOf(t registry.EntryType) *entryTable {
	for i := range entryTables {
		if entryTables[i].typ == t {
			return &entryTables[i]
		}
	}
	return nil
}

// allLinks lists every link table, in the order of entryTables.
func allLinks() []link {
	var out []link
	for _, t := range entryTables {
		out = append(out, t.links...)
	}
	return out
}

// GlobalID is the API's ID of an entry.
func GlobalID(t registry.EntryType, id uuid.UUID) string { return registry.EntryGlobalID(t, id) }

// SubmissionGlobalID is the API's ID of a submission.
func SubmissionGlobalID(id uuid.UUID) string { return registry.GlobalID("Submission", id) }
