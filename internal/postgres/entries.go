package postgres

import (
	"encoding/json"
	"fmt"
	"reflect"
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
// (ID excluded), and the join tables it owns, all from its type's
// description (registry.Fields), so a field added to the struct is written
// with nothing to add here.
func row(e registry.Entry) (table string, cols []string, vals []any, links []link, err error) {
	t := registry.TypeOf(e)
	fs, err := registry.Fields(t)
	if err != nil {
		return "", nil, nil, nil, fmt.Errorf("no table for %T: %w", e, err)
	}
	for i, v := range registry.Values(e) {
		f := fs[i]
		if f.Join != nil {
			ids, _ := v.([]uuid.UUID)
			links = append(links, link{f.Join.Table, f.Join.Owner, f.Join.Other, ids})
			continue
		}
		cols, vals = append(cols, f.Column), append(vals, storable(f.Kind, v))
	}
	return registry.Table(t), cols, vals, links, nil
}

// storable is a field's value as the writer sends it: the registry's named
// string types (codes, dates, URLs, enums) as plain strings, so pgx needs
// no reflection to encode them, and text lists never nil, as their columns
// are NOT NULL.
func storable(k registry.FieldKind, v any) any {
	rv := reflect.ValueOf(v)
	switch k {
	case registry.KindText:
		if rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return (*string)(nil)
			}
			s := rv.Elem().String()
			return &s
		}
		return rv.String()
	case registry.KindTextList:
		out := make([]string, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).String()
		}
		return out
	}
	return v
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
