package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// FormatName and FormatVersion identify the ndjson format (see FORMAT.md).
// The version changes when a reader written for the previous one would
// misread a file: a field renamed, removed or given another meaning.
const (
	FormatName    = "oversight-ndjson"
	FormatVersion = 1
)

// viewer is who exports are made for: the anonymous reader, whatever the
// caller's role, so a file handed on never carries confidential details.
var viewer = registry.Anonymous

// DB is what exports read from and imports write to: a pool or a connection.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Exporter writes the published registry in the bulk formats.
type Exporter struct{ db DB }

// NewExporter returns an exporter over db.
func NewExporter(db DB) *Exporter { return &Exporter{db: db} }

// Stamp identifies a state of the published registry: every publication
// (create, update, correction, retraction) appends a change event, so the
// last event's ID and the number of events change whenever an export would.
type Stamp struct {
	LastEventID  int64
	Events       int64
	LastModified time.Time // zero for an empty registry
}

// ETag is the strong entity tag of the named export file in this state.
func (s Stamp) ETag(name string) string {
	return fmt.Sprintf(`"%s-v%d-%d-%d"`, name, FormatVersion, s.LastEventID, s.Events)
}

// View is one consistent view of the registry: every file written from it
// describes the same state, whatever is published meanwhile.
type View struct {
	tx           pgx.Tx
	stamp        Stamp
	confidential map[uuid.UUID]bool
}

// Stamp is the state the view shows.
func (v *View) Stamp() Stamp { return v.stamp }

// Read runs fn on a consistent, read-only view of the registry (one
// REPEATABLE READ transaction). Anyone may call it: a view holds published
// data only, redacted for the anonymous reader.
func (x *Exporter) Read(ctx context.Context, fn func(v *View) error) error {
	return pgx.BeginTxFunc(ctx, x.db, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		v := &View{tx: tx, confidential: map[uuid.UUID]bool{}}
		var last *time.Time
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0), count(*), max(at) FROM change_events`).
			Scan(&v.stamp.LastEventID, &v.stamp.Events, &last); err != nil {
			return fmt.Errorf("export stamp: %w", err)
		}
		if last != nil {
			v.stamp.LastModified = last.UTC()
		}
		// Which sources are confidential now decides what is redacted in the
		// whole history (registry.RedactVersion). The set holds confidential
		// sources only, which stay few.
		rows, err := tx.Query(ctx, `SELECT id FROM sources WHERE confidential`)
		if err != nil {
			return fmt.Errorf("confidential sources: %w", err)
		}
		var id uuid.UUID
		if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { v.confidential[id] = true; return nil }); err != nil {
			return fmt.Errorf("confidential sources: %w", err)
		}
		return fn(v)
	})
}

// Header is the first line of an ndjson export.
type Header struct {
	Format       string         `json:"format"`
	Version      int            `json:"version"`
	LastEventID  int64          `json:"lastEventId"`
	Events       int64          `json:"events"`
	LastModified *string        `json:"lastModified"`
	Counts       map[string]int `json:"counts"`
}

// Entry is one entry line of an ndjson export: the entry as it stands, its
// citations and its whole published history.
type Entry struct {
	Type             registry.EntryType   `json:"type"`
	ID               uuid.UUID            `json:"id"`
	GlobalID         string               `json:"globalId"`
	Version          int                  `json:"version"`
	Status           registry.EntryStatus `json:"status"`
	RetractionReason *string              `json:"retractionReason"`
	PublishedAt      string               `json:"publishedAt"`
	UpdatedAt        string               `json:"updatedAt"`
	Fields           json.RawMessage      `json:"fields"`
	Citations        []Citation           `json:"citations"`
	History          []Version            `json:"history"`

	entry registry.Entry // Fields decoded, for the FtM mapping
}

// Citation is a citation of an entry's current version.
type Citation struct {
	ID       uuid.UUID               `json:"id"`
	SourceID uuid.UUID               `json:"sourceId"`
	Locator  *string                 `json:"locator"`
	Quote    *string                 `json:"quote"`
	Field    *string                 `json:"field"`
	Stance   registry.CitationStance `json:"stance"`
}

// Version is one published version of an entry and the change events that announced it.
type Version struct {
	Version   int             `json:"version"`
	CreatedAt string          `json:"createdAt"`
	Summary   *string         `json:"summary"`
	Snapshot  json.RawMessage `json:"snapshot"`
	Changes   json.RawMessage `json:"changes"`
	Events    []Event         `json:"events"`
}

// Event is a change event of the public change feed.
type Event struct {
	ID      int64   `json:"id"`
	Kind    string  `json:"kind"`
	At      string  `json:"at"`
	Summary *string `json:"summary"`
}

// timestamp writes a time the same way whatever the server's time zone:
// UTC, microseconds (PostgreSQL's precision), so exports are byte-stable.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// canonical rewrites a JSON value with sorted object keys, no insignificant
// space and no HTML escaping, so equal values are equal bytes.
func canonical(raw []byte) (json.RawMessage, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return marshal(v)
}

func marshal(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

const entriesQuery = `
SELECT e.id, e.version, e.status, e.retraction_reason, e.published_at, e.updated_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'sourceId', c.source_id, 'locator', c.locator,
      'quote', c.quote, 'field', c.field, 'stance', c.stance) ORDER BY c.position), '[]'::jsonb)
   FROM citations c WHERE c.entry_id = e.id),
  (SELECT coalesce(jsonb_agg(jsonb_build_object('version', v.version, 'createdAt', v.created_at, 'summary', v.summary,
      'snapshot', v.snapshot, 'changes', v.changes,
      'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', ce.id, 'kind', ce.kind, 'at', ce.at, 'summary', ce.summary)
          ORDER BY ce.id), '[]'::jsonb)
        FROM change_events ce WHERE ce.entry_id = v.entry_id AND ce.version = v.version)) ORDER BY v.version), '[]'::jsonb)
   FROM entry_versions v WHERE v.entry_id = e.id)
FROM entries e WHERE e.entry_type = $1 ORDER BY e.id`

// entries streams the entries of one type, in ID order, redacted. Rows are
// read as they arrive: memory holds one entry (and its history) at a time.
func (v *View) entries(ctx context.Context, t *entryTable, fn func(*Entry) error) error {
	rows, err := v.tx.Query(ctx, entriesQuery, string(t.typ))
	if err != nil {
		return fmt.Errorf("export %s: %w", t.table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                    Entry
			published, updated   time.Time
			citations, histories []byte
		)
		if err := rows.Scan(&e.ID, &e.Version, &e.Status, &e.RetractionReason, &published, &updated, &citations, &histories); err != nil {
			return fmt.Errorf("export %s: %w", t.table, err)
		}
		e.Type, e.GlobalID = t.typ, GlobalID(t.typ, e.ID)
		e.PublishedAt, e.UpdatedAt = timestamp(published), timestamp(updated)
		if err := v.build(&e, citations, histories); err != nil {
			return fmt.Errorf("export %s %s: %w", t.typ, e.ID, err)
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", t.table, err)
	}
	return nil
}

// build decodes an entry's citations and history and redacts them as for
// the anonymous reader.
func (v *View) build(e *Entry, citations, histories []byte) error {
	if err := json.Unmarshal(citations, &e.Citations); err != nil {
		return fmt.Errorf("citations: %w", err)
	}
	for i := range e.Citations {
		// Redacted as the domain's citation, every field copied there and
		// back, so that whatever registry.RedactCitation withholds is
		// withheld here too.
		c := &e.Citations[i]
		rc := registry.Citation{ID: c.ID, SourceID: c.SourceID, Locator: c.Locator, Quote: c.Quote, Field: c.Field, Stance: c.Stance}
		viewer.RedactCitation(&rc, v.confidential[c.SourceID])
		*c = Citation{ID: rc.ID, SourceID: rc.SourceID, Locator: rc.Locator, Quote: rc.Quote, Field: rc.Field, Stance: rc.Stance}
	}
	var hist []struct {
		Version   int                    `json:"version"`
		CreatedAt time.Time              `json:"createdAt"`
		Summary   *string                `json:"summary"`
		Snapshot  json.RawMessage        `json:"snapshot"`
		Changes   []registry.FieldChange `json:"changes"`
		Events    []struct {
			ID      int64     `json:"id"`
			Kind    string    `json:"kind"`
			At      time.Time `json:"at"`
			Summary *string   `json:"summary"`
		} `json:"events"`
	}
	if err := json.Unmarshal(histories, &hist); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	var current json.RawMessage
	e.History = make([]Version, 0, len(hist))
	for _, h := range hist {
		ev := registry.EntryVersion{EntryID: e.ID, EntryType: e.Type, Version: h.Version, Snapshot: h.Snapshot, Changes: h.Changes}
		if err := registry.RedactVersion(&ev, e.Type, func(id uuid.UUID) bool { return v.confidential[id] }); err != nil {
			return err
		}
		out := Version{Version: h.Version, CreatedAt: timestamp(h.CreatedAt), Summary: h.Summary, Events: []Event{}}
		var err error
		if out.Snapshot, err = canonical(ev.Snapshot); err != nil {
			return fmt.Errorf("version %d: %w", h.Version, err)
		}
		changes := ev.Changes
		if changes == nil {
			changes = []registry.FieldChange{}
		}
		raw, err := json.Marshal(changes)
		if err != nil {
			return err
		}
		if out.Changes, err = canonical(raw); err != nil {
			return fmt.Errorf("version %d: %w", h.Version, err)
		}
		for _, x := range h.Events {
			out.Events = append(out.Events, Event{ID: x.ID, Kind: x.Kind, At: timestamp(x.At), Summary: x.Summary})
		}
		e.History = append(e.History, out)
		if h.Version == e.Version {
			current = ev.Snapshot
		}
	}
	if current == nil {
		return fmt.Errorf("no snapshot of current version %d", e.Version)
	}
	// The fields are those of the current version, read into the domain type
	// (which drops citations, status and reason: they have their own keys).
	entry, err := registry.NewEntry(e.Type)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(current, entry); err != nil {
		return fmt.Errorf("current snapshot: %w", err)
	}
	if s, ok := entry.(*registry.Source); ok {
		viewer.RedactSource(s)
	}
	m := entry.EntryMeta()
	m.ID, m.Version, m.Status, m.RetractionReason = e.ID, e.Version, e.Status, e.RetractionReason
	raw, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	if e.Fields, err = canonical(raw); err != nil {
		return err
	}
	e.entry = entry
	return nil
}

// counts returns how many entries of each type the view holds.
func (v *View) counts(ctx context.Context) (map[string]int, error) {
	rows, err := v.tx.Query(ctx, `SELECT entry_type, count(*) FROM entries GROUP BY entry_type`)
	if err != nil {
		return nil, fmt.Errorf("count entries: %w", err)
	}
	out := map[string]int{}
	for _, t := range entryTables {
		out[string(t.typ)] = 0
	}
	var t string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&t, &n}, func() error { out[t] = n; return nil }); err != nil {
		return nil, fmt.Errorf("count entries: %w", err)
	}
	return out, nil
}

// WriteNDJSON writes the ndjson export (FORMAT.md): a header line, then one
// line per entry, by type in dependency order, then by ID.
func (v *View) WriteNDJSON(ctx context.Context, w io.Writer) error {
	counts, err := v.counts(ctx)
	if err != nil {
		return err
	}
	h := Header{Format: FormatName, Version: FormatVersion, LastEventID: v.stamp.LastEventID, Events: v.stamp.Events, Counts: counts}
	if !v.stamp.LastModified.IsZero() {
		s := timestamp(v.stamp.LastModified)
		h.LastModified = &s
	}
	if err := writeLine(w, h); err != nil {
		return err
	}
	for i := range entryTables {
		err := v.entries(ctx, &entryTables[i], func(e *Entry) error { return writeLine(w, e) })
		if err != nil {
			return err
		}
	}
	return nil
}

func writeLine(w io.Writer, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
