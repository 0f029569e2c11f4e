package bulk

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// entryColumns are the columns every entry file starts with.
var entryColumns = []string{"id", "global_id", "version", "status", "retraction_reason", "published_at", "updated_at"}

// CSVFiles lists the CSV files of an export, without ".csv": one per entry
// type (in dependency order), the citations, the link tables and the change events.
func CSVFiles() []string {
	var out []string
	for _, t := range entryTables {
		out = append(out, t.table)
	}
	out = append(out, "citations")
	for _, l := range allLinks() {
		out = append(out, l.table)
	}
	return append(out, "change_events")
}

// CSVHeader returns the header of a CSV file, or nil when there is no such file.
func CSVHeader(name string) []string {
	for _, t := range entryTables {
		if t.table == name {
			h := append([]string{}, entryColumns...)
			for _, c := range t.columns {
				h = append(h, c.name)
			}
			return h
		}
	}
	for _, l := range allLinks() {
		if l.table == name {
			return []string{l.owner, l.other}
		}
	}
	switch name {
	case "citations":
		return []string{"id", "entry_id", "entry_type", "source_id", "position", "locator", "quote", "field", "stance"}
	case "change_events":
		return []string{"id", "entry_id", "entry_type", "version", "kind", "at", "summary"}
	}
	return nil
}

// newCSV returns a writer of RFC 4180 records, UTF-8 without a byte-order
// mark, lines ending in LF (see FORMAT.md: CRLF would rewrite the line
// breaks inside quoted text).
func newCSV(w io.Writer) *csv.Writer { return csv.NewWriter(w) }

// WriteCSV writes one CSV file of the export (a name of CSVFiles), rows
// streamed from the database as they come.
func (v *View) WriteCSV(ctx context.Context, w io.Writer, name string) error {
	header := CSVHeader(name)
	if header == nil {
		return fmt.Errorf("no export file %q", name)
	}
	cw := newCSV(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	var err error
	switch {
	case name == "citations":
		err = v.citationsCSV(ctx, cw)
	case name == "change_events":
		err = v.eventsCSV(ctx, cw)
	case tableByName(name) != nil:
		t := tableByName(name)
		err = v.entries(ctx, t, func(e *Entry) error {
			rec, err := entryRecord(t, e)
			if err != nil {
				return err
			}
			return cw.Write(rec)
		})
	default:
		err = v.linkCSV(ctx, cw, name)
	}
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func tableByName(name string) *entryTable {
	for i := range entryTables {
		if entryTables[i].table == name {
			return &entryTables[i]
		}
	}
	return nil
}

func entryRecord(t *entryTable, e *Entry) ([]string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(e.Fields, &fields); err != nil {
		return nil, err
	}
	rec := []string{e.ID.String(), e.GlobalID, strconv.Itoa(e.Version), string(e.Status), deref(e.RetractionReason), e.PublishedAt, e.UpdatedAt}
	for _, c := range t.columns {
		s, err := cell(fields[c.field], c.kind)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %s: %w", e.Type, e.ID, c.field, err)
		}
		rec = append(rec, s)
	}
	return rec, nil
}

// cell writes a field's value: empty for null, lists as JSON arrays.
func cell(raw json.RawMessage, k kind) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		if k == kTextArray {
			return "[]", nil
		}
		return "", nil
	}
	switch k {
	case kTextArray:
		return string(raw), nil // already canonical JSON
	case kBool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (v *View) citationsCSV(ctx context.Context, cw *csv.Writer) error {
	rows, err := v.tx.Query(ctx, `SELECT c.id, c.entry_id, e.entry_type, c.source_id, c.position, c.locator, c.quote, c.field, c.stance
		FROM citations c JOIN entries e ON e.id = c.entry_id ORDER BY c.entry_id, c.position`)
	if err != nil {
		return fmt.Errorf("export citations: %w", err)
	}
	var (
		c        registry.Citation
		position int
	)
	_, err = pgx.ForEachRow(rows, []any{&c.ID, &c.EntryID, &c.EntryType, &c.SourceID, &position, &c.Locator, &c.Quote, &c.Field, &c.Stance}, func() error {
		viewer.RedactCitation(&c, v.confidential[c.SourceID])
		return cw.Write([]string{c.ID.String(), c.EntryID.String(), string(c.EntryType), c.SourceID.String(), strconv.Itoa(position),
			deref(c.Locator), deref(c.Quote), deref(c.Field), string(c.Stance)})
	})
	if err != nil {
		return fmt.Errorf("export citations: %w", err)
	}
	return nil
}

func (v *View) eventsCSV(ctx context.Context, cw *csv.Writer) error {
	rows, err := v.tx.Query(ctx, `SELECT id, entry_id, entry_type, version, kind, at, summary FROM change_events ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export change events: %w", err)
	}
	var (
		id, version     int64
		entryID         uuid.UUID
		entryType, kind string
		at              time.Time
		summary         *string
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &entryID, &entryType, &version, &kind, &at, &summary}, func() error {
		return cw.Write([]string{strconv.FormatInt(id, 10), entryID.String(), entryType, strconv.FormatInt(version, 10), kind, timestamp(at), deref(summary)})
	})
	if err != nil {
		return fmt.Errorf("export change events: %w", err)
	}
	return nil
}

func (v *View) linkCSV(ctx context.Context, cw *csv.Writer, name string) error {
	for _, l := range allLinks() {
		if l.table != name {
			continue
		}
		// Table and column names come from allLinks, never from the request.
		rows, err := v.tx.Query(ctx, `SELECT `+l.owner+`, `+l.other+` FROM `+l.table+` ORDER BY 1, 2`)
		if err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		var a, b uuid.UUID
		if _, err := pgx.ForEachRow(rows, []any{&a, &b}, func() error { return cw.Write([]string{a.String(), b.String()}) }); err != nil {
			return fmt.Errorf("export %s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("no export file %q", name)
}

// WriteCSVDir writes every CSV file of the export into dir (created if
// missing; files of the same names are replaced).
func (v *View) WriteCSVDir(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range CSVFiles() {
		if err := WriteFile(filepath.Join(dir, name+".csv"), func(w io.Writer) error { return v.WriteCSV(ctx, w, name) }); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes path through a temporary file renamed into place, so a
// failed export never leaves a truncated file under the final name.
func WriteFile(path string, fn func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
