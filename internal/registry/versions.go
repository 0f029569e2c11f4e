package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Snapshot returns an entry's public fields and citations as one JSON object:
// what a version of the entry said when it was published. Field names are
// those of the API (camelCase); references are entry IDs.
func Snapshot(e Entry, citations []Citation) (json.RawMessage, error) {
	fields, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("snapshot fields: %w", err)
	}
	members, err := topLevelMembers(fields)
	if err != nil {
		return nil, fmt.Errorf("snapshot fields: %w", err)
	}
	if citations == nil {
		citations = []Citation{}
	}
	cits, err := json.Marshal(citations)
	if err != nil {
		return nil, fmt.Errorf("snapshot citations: %w", err)
	}
	// Whether the entry stands is part of what a version says: a retraction
	// is a version whose diff shows the status and the reason.
	meta := e.EntryMeta()
	status := meta.Status
	if status == "" {
		status = StatusPublished
	}
	st, _ := json.Marshal(status)
	reason, _ := json.Marshal(meta.RetractionReason)
	members = setMember(members, "citations", cits)
	members = setMember(members, "status", st)
	members = setMember(members, "retractionReason", reason)
	// Keys in sorted order, so snapshots are stable: the bytes a map of the
	// members would marshal to, without decoding and re-encoding every value
	// (an import builds one snapshot per change).
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	n := 2
	for _, m := range members {
		n += len(m.key) + len(m.value) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendQuote(out, m.key)
		out = append(out, ':')
		out = append(out, m.value...)
	}
	return append(out, '}'), nil
}

// member is one name and value of a JSON object.
type member struct {
	key   string
	value []byte
}

func setMember(ms []member, key string, value []byte) []member {
	for i := range ms {
		if ms[i].key == key {
			ms[i].value = value
			return ms
		}
	}
	return append(ms, member{key, value})
}

// topLevelMembers splits a compact JSON object as json.Marshal writes it
// into its members, the values left as they are. Keys are a struct's JSON
// names, which need no escaping; anything else is refused.
func topLevelMembers(obj []byte) ([]member, error) {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("not a JSON object: %.40q", obj)
	}
	var out []member
	i, end := 1, len(obj)-1
	for i < end {
		if obj[i] != '"' {
			return nil, fmt.Errorf("expected a key at %d", i)
		}
		k := bytes.IndexByte(obj[i+1:end], '"')
		if k < 0 || bytes.IndexByte(obj[i+1:i+1+k], '\\') >= 0 || i+k+2 >= end || obj[i+k+2] != ':' {
			return nil, fmt.Errorf("unexpected key at %d", i)
		}
		key := string(obj[i+1 : i+1+k])
		start := i + k + 3
		j, depth, inString := start, 0, false
		for ; j < end; j++ {
			c := obj[j]
			if inString {
				switch c {
				case '\\':
					j++
				case '"':
					inString = false
				}
				continue
			}
			switch c {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			if depth == 0 && c == ',' {
				break
			}
		}
		out = append(out, member{key, obj[start:j]})
		i = j + 1
	}
	return out, nil
}

// Diff compares two snapshots field by field. A nil before means the entry is
// new: every field is a change from null. Fields are reported in name order.
func Diff(before, after json.RawMessage) ([]FieldChange, error) {
	var b, a map[string]json.RawMessage
	if before != nil {
		if err := json.Unmarshal(before, &b); err != nil {
			return nil, fmt.Errorf("diff: before: %w", err)
		}
	}
	if err := json.Unmarshal(after, &a); err != nil {
		return nil, fmt.Errorf("diff: after: %w", err)
	}
	var names []string
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	changes := []FieldChange{}
	for _, k := range names {
		bv, av := b[k], a[k]
		if isEmpty(bv) && isEmpty(av) {
			continue // null and [] both say "none"
		}
		if bytes.Equal(compact(bv), compact(av)) {
			continue
		}
		changes = append(changes, FieldChange{Field: k, Before: nullIfEmpty(bv), After: nullIfEmpty(av)})
	}
	return changes, nil
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(v) == "null" }

func isEmpty(v json.RawMessage) bool { return isNull(v) || string(compact(v)) == "[]" }

func nullIfEmpty(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("null")
	}
	return v
}

// compact gives a JSON value one canonical form, so that the same value
// read back from PostgreSQL (jsonb reorders object keys) and built in Go
// compare equal.
func compact(v json.RawMessage) []byte {
	var x any
	if json.Unmarshal(v, &x) != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, v) != nil {
			return v
		}
		return buf.Bytes()
	}
	b, err := json.Marshal(x)
	if err != nil {
		return v
	}
	return b
}

// RedactVersion removes from a published version what a viewer who may not
// see confidential details may not see: the details of a confidential source
// (confidentialSourceFields) and of the citations to confidential sources
// (confidentialCitationFields), in the snapshot and in the diff alike. A
// change that redaction leaves with nothing to show is left out: it would
// still tell that a withheld detail was set or changed.
// confidential reports whether a source is confidential now: a source made
// confidential later is hidden in its whole history.
func RedactVersion(v *EntryVersion, entryType EntryType, confidential func(uuid.UUID) bool) error {
	selfConfidential := entryType == TypeSource && confidential(v.EntryID)
	snap, err := redactObject(v.Snapshot, selfConfidential, confidential)
	if err != nil {
		return fmt.Errorf("redact version %d of %s: %w", v.Version, v.EntryID, err)
	}
	v.Snapshot = snap
	if v.Changes == nil {
		return nil
	}
	changes := make([]FieldChange, 0, len(v.Changes))
	for _, c := range v.Changes {
		if selfConfidential && isWithheld(confidentialSourceFields, c.Field) {
			continue // blank before and after: no change to show
		}
		if c.Field == "citations" {
			var hidBefore, hidAfter bool
			if c.Before, hidBefore, err = redactCitations(c.Before, confidential); err != nil {
				return fmt.Errorf("redact version %d of %s: before: %w", v.Version, v.EntryID, err)
			}
			if c.After, hidAfter, err = redactCitations(c.After, confidential); err != nil {
				return fmt.Errorf("redact version %d of %s: after: %w", v.Version, v.EntryID, err)
			}
			if (hidBefore || hidAfter) && bytes.Equal(compact(c.Before), compact(c.After)) {
				continue // only withheld details of the citations changed
			}
		}
		changes = append(changes, c)
	}
	v.Changes = changes
	return nil
}

func isWithheld[T any](fs []withheld[T], field string) bool {
	for _, f := range fs {
		if f.field == field {
			return true
		}
	}
	return false
}

// blankWithheld sets each withheld field that m has to its blank value.
func blankWithheld[T any](m map[string]json.RawMessage, fs []withheld[T]) {
	for _, f := range fs {
		if _, ok := m[f.field]; ok {
			m[f.field] = f.blank
		}
	}
}

func redactObject(raw json.RawMessage, selfConfidential bool, confidential func(uuid.UUID) bool) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if selfConfidential {
		blankWithheld(m, confidentialSourceFields)
	}
	if c, ok := m["citations"]; ok {
		var err error
		if m["citations"], _, err = redactCitations(c, confidential); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m)
}

// redactCitations blanks the withheld details of the citations to
// confidential sources in a JSON list of citations, and reports whether
// there were any.
func redactCitations(raw json.RawMessage, confidential func(uuid.UUID) bool) (json.RawMessage, bool, error) {
	if isNull(raw) {
		return raw, false, nil
	}
	var cs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &cs); err != nil {
		return nil, false, fmt.Errorf("citations: %w", err)
	}
	redacted := false
	for _, c := range cs {
		var id uuid.UUID
		if err := json.Unmarshal(c["sourceId"], &id); err == nil && confidential(id) {
			blankWithheld(c, confidentialCitationFields)
			redacted = true
		}
	}
	out, err := json.Marshal(cs)
	return out, redacted, err
}
