package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// Version is one published version of an entry, ready to be written: the
// entry's state (Meta.ID set), its citations, and what history records.
type Version struct {
	Entry        registry.Entry
	Citations    []registry.Citation
	Number       int // 1 for a new entry
	Snapshot     json.RawMessage
	Changes      []registry.FieldChange
	Summary      string
	Kind         string // CREATED, UPDATED, CORRECTED or RETRACTED
	At           time.Time
	SubmissionID *uuid.UUID
}

// link is a join table an entry owns: its rows are replaced with the entry.
type link struct {
	table, owner, other string
	ids                 []uuid.UUID
}

// row says how an entry is stored: its table, its columns and their values
// (ID excluded), and the join tables it owns.
func row(e registry.Entry) (table string, cols []string, vals []any, links []link, err error) {
	switch x := e.(type) {
	case *registry.State:
		return "states", []string{"country_code", "name", "summary"},
			[]any{string(x.CountryCode), x.Name, x.Summary}, nil, nil
	case *registry.Agency:
		return "agencies", []string{"state_id", "name", "kind", "description"},
			[]any{x.StateID, x.Name, x.Kind, x.Description}, nil, nil
	case *registry.Vendor:
		aliases := x.Aliases
		if aliases == nil {
			aliases = []string{}
		}
		return "vendors", []string{"slug", "name", "aliases", "country_code", "website", "wikidata_id", "description", "parent_id"},
			[]any{x.Slug, x.Name, aliases, x.CountryCode, x.Website, x.WikidataID, x.Description, x.ParentID}, nil, nil
	case *registry.Technology:
		return "technologies", []string{"slug", "name", "description", "parent_id"},
			[]any{x.Slug, x.Name, x.Description, x.ParentID}, nil, nil
	case *registry.Product:
		return "products", []string{"vendor_id", "name", "description"},
			[]any{x.VendorID, x.Name, x.Description}, []link{
				{"product_technologies", "product_id", "technology_id", x.TechnologyIDs},
				{"product_control_list_entries", "product_id", "control_list_entry_id", x.ControlListEntryIDs},
			}, nil
	case *registry.Deployment:
		return "deployments", []string{"state_id", "agency_id", "vendor_id", "product_id", "technology_id", "start_date", "end_date", "location", "description", "confidence"},
			[]any{x.StateID, x.AgencyID, x.VendorID, x.ProductID, x.TechnologyID, x.StartDate, x.EndDate, x.Location, x.Description, string(x.Confidence)}, nil, nil
	case *registry.Abuse:
		return "abuses", []string{"title", "summary", "state_id", "categories", "start_date", "end_date", "location", "confidence"},
			[]any{x.Title, x.Summary, x.StateID, categories(x.Categories), x.StartDate, x.EndDate, x.Location, string(x.Confidence)}, []link{
				{"abuse_agencies", "abuse_id", "agency_id", x.AgencyIDs},
				{"abuse_communities", "abuse_id", "community_id", x.CommunityIDs},
				{"abuse_deployments", "abuse_id", "deployment_id", x.DeploymentIDs},
			}, nil
	case *registry.Community:
		return "communities", []string{"name", "religion", "description"},
			[]any{x.Name, x.Religion, x.Description}, nil, nil
	case *registry.DesignationList:
		return "designation_lists", []string{"code", "name", "authority", "jurisdiction", "url"},
			[]any{x.Code, x.Name, x.Authority, x.Jurisdiction, x.URL}, nil, nil
	case *registry.Designation:
		return "designations", []string{"list_id", "vendor_id", "state_id", "agency_id", "listed_on", "removed_on", "legal_reference", "reason"},
			[]any{x.ListID, x.VendorID, x.StateID, x.AgencyID, string(x.ListedOn), x.RemovedOn, x.LegalReference, x.Reason}, nil, nil
	case *registry.ControlListEntry:
		return "control_list_entries", []string{"regime", "code", "title", "description"},
			[]any{string(x.Regime), x.Code, x.Title, x.Description}, []link{
				{"control_list_entry_technologies", "control_list_entry_id", "technology_id", x.TechnologyIDs},
			}, nil
	case *registry.Source:
		authors := x.Authors
		if authors == nil {
			authors = []string{}
		}
		return "sources", []string{"title", "kind", "publisher", "authors", "url", "archive_url", "published_on", "accessed_on", "language", "content_sha256", "confidential"},
			[]any{x.Title, string(x.Kind), x.Publisher, authors, x.URL, x.ArchiveURL, x.PublishedOn, x.AccessedOn, x.Language, x.ContentSha256, x.Confidential}, nil, nil
	case *registry.VendorResponse:
		return "vendor_responses", []string{"vendor_id", "about_id", "requested_on", "reply_status", "responded_on", "summary", "source_id"},
			[]any{x.VendorID, x.AboutID, x.RequestedOn, string(x.ReplyStatus), x.RespondedOn, x.Summary, x.SourceID}, nil, nil
	}
	return "", nil, nil, nil, fmt.Errorf("no table for %T", e)
}

func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(p, ", ")
}

// QueueCreate queues the statements that publish a new entry: its entries
// row, its row, its links and citations, version 1 and a change event.
func QueueCreate(b *pgx.Batch, v Version) error {
	m := v.Entry.EntryMeta()
	table, cols, vals, links, err := row(v.Entry)
	if err != nil {
		return err
	}
	b.Queue(`INSERT INTO entries (id, entry_type, version, status, published_at, updated_at) VALUES ($1, $2, $3, 'PUBLISHED', $4, $4)`,
		m.ID, string(registry.TypeOf(v.Entry)), v.Number, v.At)
	b.Queue(`INSERT INTO `+table+` (id, `+strings.Join(cols, ", ")+`) VALUES ($1, `+placeholders(2, len(cols))+`)`,
		append([]any{m.ID}, vals...)...)
	queueLinksAndCitations(b, m.ID, links, v.Citations, false)
	queueHistory(b, v)
	return nil
}

// QueueUpdate queues the statements that publish a new version of an
// existing entry: its row, links and citations replaced, the version bumped.
func QueueUpdate(b *pgx.Batch, v Version) error {
	m := v.Entry.EntryMeta()
	table, cols, vals, links, err := row(v.Entry)
	if err != nil {
		return err
	}
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = fmt.Sprintf("%s = $%d", c, i+2)
	}
	b.Queue(`UPDATE entries SET version = $2, updated_at = $3 WHERE id = $1`, m.ID, v.Number, v.At)
	b.Queue(`UPDATE `+table+` SET `+strings.Join(set, ", ")+` WHERE id = $1`, append([]any{m.ID}, vals...)...)
	queueLinksAndCitations(b, m.ID, links, v.Citations, true)
	queueHistory(b, v)
	return nil
}

// QueueRetract queues the statements that retract an entry: it keeps its
// row, citations and history, and gains a version that records the reason.
func QueueRetract(b *pgx.Batch, v Version) {
	m := v.Entry.EntryMeta()
	b.Queue(`UPDATE entries SET status = 'RETRACTED', retraction_reason = $2, version = $3, updated_at = $4 WHERE id = $1`,
		m.ID, m.RetractionReason, v.Number, v.At)
	queueHistory(b, v)
}

func queueLinksAndCitations(b *pgx.Batch, id uuid.UUID, links []link, citations []registry.Citation, replace bool) {
	for _, l := range links {
		if replace {
			b.Queue(`DELETE FROM `+l.table+` WHERE `+l.owner+` = $1`, id)
		}
		if len(l.ids) > 0 {
			b.Queue(`INSERT INTO `+l.table+` (`+l.owner+`, `+l.other+`) SELECT $1, unnest($2::uuid[])`, id, l.ids)
		}
	}
	if replace {
		b.Queue(`DELETE FROM citations WHERE entry_id = $1`, id)
	}
	for i, c := range citations {
		cid := c.ID
		if cid == uuid.Nil {
			cid = uuid.New()
		}
		stance := c.Stance
		if stance == "" {
			stance = registry.StanceSupports
		}
		b.Queue(`INSERT INTO citations (id, entry_id, source_id, position, locator, quote, field, stance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			cid, id, c.SourceID, i+1, c.Locator, c.Quote, c.Field, string(stance))
	}
}

func queueHistory(b *pgx.Batch, v Version) {
	m := v.Entry.EntryMeta()
	changes := v.Changes
	if changes == nil {
		changes = []registry.FieldChange{}
	}
	b.Queue(`INSERT INTO entry_versions (entry_id, version, created_at, summary, snapshot, changes, submission_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.ID, v.Number, v.At, v.Summary, string(v.Snapshot), changes, v.SubmissionID)
	b.Queue(`INSERT INTO change_events (entry_id, entry_type, version, kind, at, summary) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.ID, string(registry.TypeOf(v.Entry)), v.Number, v.Kind, v.At, v.Summary)
}

func categories(cs []registry.AbuseCategory) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
