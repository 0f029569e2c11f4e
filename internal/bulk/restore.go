package bulk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"oversight/internal/registry"
)

// maxLine bounds one line of an ndjson file: an entry with its whole history.
const maxLine = 64 << 20

// flushRows is how many rows restore buffers before copying them out.
const flushRows = 5000

// RestoreResult says what a restore loaded.
type RestoreResult struct {
	Entries, Versions, Events, Citations int
}

// ErrNotEmpty is returned by Restore when the registry already has entries or history.
var ErrNotEmpty = errors.New("the registry is not empty: restore loads an export into an empty registry only")

// staged is a table restore fills: rows are copied into a temporary table
// without constraints as they are read, then moved into the real table with
// one INSERT ... SELECT each, in dependency order, once the file is read.
// One statement per table lets references within a table (a vendor's
// parent) and forward references across the file resolve, since PostgreSQL
// checks foreign keys at the end of each statement.
type staged struct {
	table    string
	cols     []string
	override bool // the table's id is GENERATED ALWAYS
	rows     [][]any
}

// Restore loads an ndjson export into an empty registry, keeping IDs,
// versions, timestamps, citations, history and change events, in one
// transaction: nothing is written when any line is wrong. It refuses
// (ErrNotEmpty) a registry that has entries, versions or change events.
// Operators only (the CLI): it bypasses the editorial workflow.
//
// Versions' links to submissions are not exported, so restored versions
// have none; confidential details were redacted by the export and stay so.
func Restore(ctx context.Context, db DB, r io.Reader) (RestoreResult, error) {
	var res RestoreResult
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		// The seed loader takes the same lock: a server starting on the same
		// empty database must not seed it while it is being restored.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('oversight-seed'))`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var nonEmpty bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM entries) OR EXISTS (SELECT 1 FROM entry_versions)
			OR EXISTS (SELECT 1 FROM change_events)`).Scan(&nonEmpty); err != nil {
			return fmt.Errorf("check the registry is empty: %w", err)
		}
		if nonEmpty {
			return ErrNotEmpty
		}
		tables := restoreTables()
		for _, s := range tables {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE bulk_`+s.table+` ON COMMIT DROP AS SELECT `+strings.Join(s.cols, ", ")+
				` FROM `+s.table+` WITH NO DATA`); err != nil {
				return fmt.Errorf("stage %s: %w", s.table, err)
			}
		}
		byName := map[string]*staged{}
		for _, s := range tables {
			byName[s.table] = s
		}
		buffered := 0
		flush := func() error {
			for _, s := range tables {
				if len(s.rows) == 0 {
					continue
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bulk_" + s.table}, s.cols, pgx.CopyFromRows(s.rows)); err != nil {
					return fmt.Errorf("copy %s: %w", s.table, err)
				}
				s.rows = s.rows[:0]
			}
			buffered = 0
			return nil
		}

		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), maxLine)
		line := 0
		var header *Header
		seen := map[string]int{}
		for sc.Scan() {
			line++
			b := sc.Bytes()
			if len(strings.TrimSpace(string(b))) == 0 {
				continue
			}
			if header == nil {
				h, err := readHeader(b)
				if err != nil {
					return fmt.Errorf("line %d: %w", line, err)
				}
				header = h
				continue
			}
			var e Entry
			if err := json.Unmarshal(b, &e); err != nil {
				return fmt.Errorf("line %d: not an entry: %w", line, err)
			}
			n, err := stageEntry(&e, byName)
			if err != nil {
				return fmt.Errorf("line %d: %s %s: %w", line, e.Type, e.ID, err)
			}
			seen[string(e.Type)]++
			res.Entries++
			res.Versions += len(e.History)
			res.Citations += len(e.Citations)
			for _, v := range e.History {
				res.Events += len(v.Events)
			}
			if buffered += n; buffered >= flushRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("line %d: %w", line+1, err)
		}
		if header == nil {
			return fmt.Errorf("the file is empty: want an %s export", FormatName)
		}
		// The header's counts catch a truncated file.
		for t, want := range header.Counts {
			if seen[t] != want {
				return fmt.Errorf("the header announces %d entries of type %s, the file has %d: is it truncated?", want, t, seen[t])
			}
		}
		if err := flush(); err != nil {
			return err
		}
		for _, s := range tables {
			cols := strings.Join(s.cols, ", ")
			override := ""
			if s.override {
				override = " OVERRIDING SYSTEM VALUE"
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s.table+` (`+cols+`)`+override+` SELECT `+cols+` FROM bulk_`+s.table); err != nil {
				return fmt.Errorf("restore %s: %w", s.table, err)
			}
		}
		// New change events continue after the restored ones.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('change_events', 'id'), max(id)) FROM change_events`); err != nil {
			return fmt.Errorf("restore change event IDs: %w", err)
		}
		return nil
	})
	if err != nil {
		return RestoreResult{}, fmt.Errorf("restore: %w", err)
	}
	return res, nil
}

func readHeader(b []byte) (*Header, error) {
	var h Header
	if err := json.Unmarshal(b, &h); err != nil || h.Format != FormatName {
		return nil, fmt.Errorf("not an %s file: the first line must be its header", FormatName)
	}
	if h.Version != FormatVersion {
		return nil, fmt.Errorf("%s version %d is not supported (this program reads version %d)", FormatName, h.Version, FormatVersion)
	}
	return &h, nil
}

// restoreTables lists the staged tables in the order they are filled.
func restoreTables() []*staged {
	out := []*staged{{table: "entries", cols: []string{"id", "entry_type", "version", "status", "retraction_reason", "published_at", "updated_at"}}}
	for _, t := range entryTables {
		cols := []string{"id"}
		for _, c := range t.columns {
			cols = append(cols, c.name)
		}
		out = append(out, &staged{table: t.table, cols: cols})
	}
	for _, l := range allLinks() {
		out = append(out, &staged{table: l.table, cols: []string{l.owner, l.other}})
	}
	return append(out,
		&staged{table: "citations", cols: []string{"id", "entry_id", "source_id", "position", "locator", "quote", "field", "stance"}},
		&staged{table: "entry_versions", cols: []string{"entry_id", "version", "created_at", "summary", "snapshot", "changes"}},
		&staged{table: "change_events", cols: []string{"id", "entry_id", "entry_type", "version", "kind", "at", "summary"}, override: true})
}

// stageEntry adds an entry's rows to the staged tables and returns how many.
func stageEntry(e *Entry, tables map[string]*staged) (int, error) {
	t := tableOf(e.Type)
	if t == nil {
		return 0, fmt.Errorf("unknown entry type %q", e.Type)
	}
	if e.ID == uuid.Nil {
		return 0, errors.New("id is missing")
	}
	published, err := time.Parse(time.RFC3339Nano, e.PublishedAt)
	if err != nil {
		return 0, fmt.Errorf("publishedAt: %w", err)
	}
	updated, err := time.Parse(time.RFC3339Nano, e.UpdatedAt)
	if err != nil {
		return 0, fmt.Errorf("updatedAt: %w", err)
	}
	n := 0
	add := func(table string, row ...any) {
		tables[table].rows = append(tables[table].rows, row)
		n++
	}
	add("entries", e.ID, string(e.Type), e.Version, string(e.Status), e.RetractionReason, published, updated)

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(e.Fields, &fields); err != nil {
		return 0, fmt.Errorf("fields: %w", err)
	}
	row := []any{e.ID}
	for _, c := range t.columns {
		v, err := value(fields[c.field], c.kind)
		if err != nil {
			return 0, fmt.Errorf("fields.%s: %w", c.field, err)
		}
		row = append(row, v)
	}
	add(t.table, row...)
	for _, l := range t.links {
		var ids []uuid.UUID
		if raw := fields[l.field]; len(raw) > 0 && string(raw) != "null" {
			if err := json.Unmarshal(raw, &ids); err != nil {
				return 0, fmt.Errorf("fields.%s: %w", l.field, err)
			}
		}
		for _, id := range ids {
			add(l.table, e.ID, id)
		}
	}
	for i, c := range e.Citations {
		stance := c.Stance
		if stance == "" {
			stance = registry.StanceSupports
		}
		add("citations", c.ID, e.ID, c.SourceID, i+1, c.Locator, c.Quote, c.Field, string(stance))
	}
	current := false
	for _, v := range e.History {
		created, err := time.Parse(time.RFC3339Nano, v.CreatedAt)
		if err != nil {
			return 0, fmt.Errorf("history version %d: createdAt: %w", v.Version, err)
		}
		changes := v.Changes
		if len(changes) == 0 {
			changes = json.RawMessage("[]")
		}
		add("entry_versions", e.ID, v.Version, created, v.Summary, v.Snapshot, changes)
		current = current || v.Version == e.Version
		for _, ev := range v.Events {
			at, err := time.Parse(time.RFC3339Nano, ev.At)
			if err != nil {
				return 0, fmt.Errorf("history version %d: event %d: at: %w", v.Version, ev.ID, err)
			}
			add("change_events", ev.ID, e.ID, string(e.Type), v.Version, ev.Kind, at, ev.Summary)
		}
	}
	if !current {
		return 0, fmt.Errorf("history lacks the current version %d", e.Version)
	}
	return n, nil
}

// value converts a field's JSON value to what its column takes.
func value(raw json.RawMessage, k kind) (any, error) {
	null := len(raw) == 0 || string(raw) == "null"
	switch k {
	case kTextArray:
		out := []string{}
		if !null {
			if err := json.Unmarshal(raw, &out); err != nil {
				return nil, err
			}
		}
		return out, nil
	case kBool:
		var b bool
		if !null {
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	if null {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if k == kUUID {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, err
		}
		return id, nil
	}
	return s, nil
}
