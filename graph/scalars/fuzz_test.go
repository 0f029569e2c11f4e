package scalars

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"oversight/internal/registry"
)

// FuzzUnmarshalDateTime checks that an accepted timestamp is the instant
// time.Parse reads, in UTC, and that MarshalDateTime writes it back as an
// RFC 3339 string UnmarshalDateTime reads as the same instant; and that any
// refusal is an INVALID error.
func FuzzUnmarshalDateTime(f *testing.F) {
	for _, s := range []string{
		"2024-01-31T12:00:00Z", "2024-01-31T12:00:00.123456789Z", "2024-01-31T12:00:00+02:00",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
		"2016-12-31T23:59:60Z", "2024-01-31T24:00:00Z", "2024-01-31 12:00:00Z", "2024-01-31t12:00:00z",
		"2024-01-31T12:00:00", "2024-01-31", "19", "", "\x00",
		"0000-01-01T00:00:00Z", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00",
		"2024-01-31T12:00:00+24:00", "2024-01-31T12:00:00+23:59", "2024-01-31T12:00:00.Z", "2024-01-31T12:00:00,5Z",
		"２０２４-01-31T12:00:00Z", "2024-01-31T12:00:00." + strings.Repeat("9", 10000) + "Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := UnmarshalDateTime(s)
		want, perr := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			if registry.ErrorCode(err) != registry.CodeInvalid {
				t.Fatalf("UnmarshalDateTime(%q) = %v (code %q), want an INVALID error", s, err, registry.ErrorCode(err))
			}
			// Refusing is right only for what time.Parse refuses too, or
			// for an instant whose UTC year has no four-digit form.
			if y := want.UTC().Year(); perr == nil && y >= 0 && y <= 9999 {
				t.Fatalf("UnmarshalDateTime(%q) refused what time.Parse(RFC3339Nano) reads: %v", s, err)
			}
			return
		}
		if perr != nil || !got.Equal(want) {
			t.Fatalf("UnmarshalDateTime(%q) = %v, want the instant %v (%v)", s, got, want, perr)
		}
		if got.Location() != time.UTC {
			t.Fatalf("UnmarshalDateTime(%q) = %v, want UTC", s, got)
		}
		// What the API writes back must be a timestamp it reads.
		var b bytes.Buffer
		MarshalDateTime(got).MarshalGQL(&b)
		out, err := strconv.Unquote(b.String())
		if err != nil {
			t.Fatalf("MarshalDateTime(%v) wrote %s, not a JSON string", got, b.String())
		}
		back, err := UnmarshalDateTime(out)
		if err != nil || !back.Equal(got) {
			t.Fatalf("UnmarshalDateTime(%q) = %v, which MarshalDateTime writes as %q, read back as %v, %v", s, got, out, back, err)
		}
	})
}
