package bulk

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// FtMEntity is a FollowTheMoney entity as the OpenSanctions tools (ftm,
// nomenklatura, yente) read it: every property a list of strings.
type FtMEntity struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Properties map[string][]string `json:"properties"`
}

// FtMSchemas are the only schemas the FtM export writes (FORMAT.md has the mapping).
var FtMSchemas = []string{"PublicBody", "Company", "Ownership", "Sanction", "Document", "Documentation"}

// FtMID is the FtM ID of an entry: "oversight-" and its UUID.
func FtMID(id uuid.UUID) string { return "oversight-" + id.String() }

func (e *FtMEntity) add(prop string, values ...string) {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			e.Properties[prop] = append(e.Properties[prop], v)
		}
	}
}

func (e *FtMEntity) opt(prop string, v *string) {
	if v != nil {
		e.add(prop, *v)
	}
}

func newFtM(id, schema string) *FtMEntity {
	return &FtMEntity{ID: id, Schema: schema, Properties: map[string][]string{}}
}

// ftmCountry is a country code as FtM writes them (lower case), or "" when s is not one.
func ftmCountry(s string) string {
	if _, err := registry.ParseCountryCode(s); err != nil {
		return ""
	}
	return strings.ToLower(s)
}

type ftmList struct {
	code, name, authority, jurisdiction string
	url                                 *string
}

// WriteFtM writes the FollowTheMoney export: one entity per line, in the
// order of the ndjson export. Retracted entries are left out, and so is
// anything that points at one: screening tools have no way to show that a
// claim was withdrawn. Types FtM has no schema for (technologies, products,
// deployments, abuses, communities, control-list entries, vendor responses)
// are left out rather than forced into one.
func (v *View) WriteFtM(ctx context.Context, w io.Writer) error {
	retracted := map[uuid.UUID]bool{}
	rows, err := v.tx.Query(ctx, `SELECT id FROM entries WHERE status = 'RETRACTED'`)
	if err != nil {
		return fmt.Errorf("retracted entries: %w", err)
	}
	var id uuid.UUID
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { retracted[id] = true; return nil }); err != nil {
		return fmt.Errorf("retracted entries: %w", err)
	}
	// States and designation lists are few (one per country, one per list):
	// agencies and designations take their country and authority from them.
	countries := map[uuid.UUID]string{}
	rows, err = v.tx.Query(ctx, `SELECT id, country_code FROM states`)
	if err != nil {
		return fmt.Errorf("states: %w", err)
	}
	var cc string
	if _, err := pgx.ForEachRow(rows, []any{&id, &cc}, func() error { countries[id] = cc; return nil }); err != nil {
		return fmt.Errorf("states: %w", err)
	}
	lists := map[uuid.UUID]ftmList{}
	rows, err = v.tx.Query(ctx, `SELECT id, code, name, authority, jurisdiction, url FROM designation_lists`)
	if err != nil {
		return fmt.Errorf("designation lists: %w", err)
	}
	var l ftmList
	if _, err := pgx.ForEachRow(rows, []any{&id, &l.code, &l.name, &l.authority, &l.jurisdiction, &l.url}, func() error { lists[id] = l; return nil }); err != nil {
		return fmt.Errorf("designation lists: %w", err)
	}

	emit := func(e *FtMEntity) error {
		if len(e.Properties) == 0 {
			return nil
		}
		return writeLine(w, e)
	}
	for i := range entryTables {
		t := &entryTables[i]
		switch t.typ {
		case registry.TypeSource, registry.TypeState, registry.TypeAgency, registry.TypeVendor, registry.TypeDesignation:
		default:
			continue
		}
		err := v.entries(ctx, t, func(x *Entry) error {
			if x.Status == registry.StatusRetracted {
				return nil
			}
			var out []*FtMEntity
			switch e := x.entry.(type) {
			case *registry.Source:
				d := newFtM(FtMID(x.ID), "Document")
				d.add("title", e.Title)
				d.add("name", e.Title)
				d.opt("publisher", e.Publisher)
				d.add("author", e.Authors...)
				if e.URL != nil {
					d.add("sourceUrl", string(*e.URL))
				}
				if e.PublishedOn != nil {
					d.add("publishedAt", string(*e.PublishedOn))
				}
				out = append(out, d)
			case *registry.State:
				p := newFtM(FtMID(x.ID), "PublicBody")
				p.add("name", e.Name)
				p.add("country", ftmCountry(string(e.CountryCode)))
				p.add("jurisdiction", ftmCountry(string(e.CountryCode)))
				p.opt("description", e.Summary)
				out = append(out, p)
			case *registry.Agency:
				if retracted[e.StateID] {
					return nil
				}
				p := newFtM(FtMID(x.ID), "PublicBody")
				p.add("name", e.Name)
				p.add("country", ftmCountry(countries[e.StateID]))
				p.add("jurisdiction", ftmCountry(countries[e.StateID]))
				p.opt("classification", e.Kind)
				p.opt("description", e.Description)
				out = append(out, p)
			case *registry.Vendor:
				p := newFtM(FtMID(x.ID), "Company")
				p.add("name", e.Name)
				p.add("alias", e.Aliases...)
				if e.CountryCode != nil {
					p.add("country", ftmCountry(string(*e.CountryCode)))
				}
				if e.Website != nil {
					p.add("website", string(*e.Website))
				}
				p.opt("wikidataId", e.WikidataID)
				p.opt("description", e.Description)
				out = append(out, p)
				if e.ParentID != nil && !retracted[*e.ParentID] {
					o := newFtM("oversight-ownership-"+x.ID.String(), "Ownership")
					o.add("owner", FtMID(*e.ParentID))
					o.add("asset", FtMID(x.ID))
					o.add("role", "parent company")
					out = append(out, o)
				}
			case *registry.Designation:
				subject := e.VendorID
				if subject == nil {
					subject = e.StateID
				}
				if subject == nil {
					subject = e.AgencyID
				}
				list, ok := lists[e.ListID]
				if subject == nil || retracted[*subject] || retracted[e.ListID] || !ok {
					return nil
				}
				s := newFtM(FtMID(x.ID), "Sanction")
				s.add("entity", FtMID(*subject))
				s.add("authority", list.authority)
				s.add("program", list.name)
				s.add("country", ftmCountry(list.jurisdiction))
				s.add("startDate", string(e.ListedOn))
				if e.RemovedOn != nil {
					s.add("endDate", string(*e.RemovedOn))
				}
				s.opt("reason", e.Reason)
				s.opt("sourceUrl", (*string)(list.url))
				out = append(out, s)
			}
			// Citations of the entities FtM knows as Things become
			// Documentation links to the source documents.
			if x.Type == registry.TypeState || x.Type == registry.TypeAgency || x.Type == registry.TypeVendor {
				for _, c := range x.Citations {
					if retracted[c.SourceID] {
						continue
					}
					d := newFtM("oversight-citation-"+c.ID.String(), "Documentation")
					d.add("document", FtMID(c.SourceID))
					d.add("entity", FtMID(x.ID))
					d.add("role", strings.ToLower(string(c.Stance)))
					d.opt("summary", c.Quote)
					out = append(out, d)
				}
			}
			for _, e := range out {
				if err := emit(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
