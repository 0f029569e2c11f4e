// Package scalars marshals the API's DateTime and JSON scalars, whose Go
// types (time.Time, json.RawMessage) are not the project's to add methods to.
package scalars

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"oversight/internal/registry"
)

// MarshalDateTime writes t as RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 timestamp.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, registry.Invalid(fmt.Errorf("DateTime must be an RFC 3339 string, got %T", v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, registry.Invalid(fmt.Errorf("%q is not an RFC 3339 timestamp, such as 2024-01-31T12:00:00Z", s))
	}
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		// RFC 3339 has four-digit years: a time that falls outside them in
		// UTC could not be written back.
		return time.Time{}, registry.Invalid(fmt.Errorf("%q is outside the years 0000 to 9999 in UTC", s))
	}
	return t, nil
}

// MarshalJSON writes a JSON value as it is.
func MarshalJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(v) == 0 {
			_, _ = io.WriteString(w, "null")
			return
		}
		_, _ = w.Write(v)
	})
}

// UnmarshalJSON accepts any JSON value.
func UnmarshalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, registry.Invalid(fmt.Errorf("JSON: %w", err))
	}
	return b, nil
}
