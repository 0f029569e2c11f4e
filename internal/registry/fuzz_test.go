package registry

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The fuzz targets below check what the parsers promise, not only that they
// do not panic. `go test` runs their seeds and testdata/fuzz corpora as
// ordinary tests; `go test -run '^$' -fuzz '^FuzzX$'` explores further.

// FuzzPartialDate checks that an accepted date has one of the three
// documented shapes, is a real calendar date, and covers the span
// Start..End of its precision; and that Start and End never panic, even on
// an unchecked value.
func FuzzPartialDate(f *testing.F) {
	for _, s := range []string{
		"2019", "2019-10", "2019-10-09", "0000", "9999-12-31", "0001-01-01",
		"2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", "2019-02",
		"2019-00", "2019-13", "2019-12", "2019-01-00", "2019-01-32", "2019-04-31",
		"19", "201", "20190", "2019-1", "2019-1-1", "2019-10-9", "2019/10/09",
		"２０１９", "٢٠١٩-١٠", "2019-10-09\n", " 2019", "2019\x00", "\x00", "",
		"2019-10-09T00:00:00Z", "+2019", "-001", "2019-", "2019--10",
		strings.Repeat("9", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Unchecked values reach Start and End too (a scanned column, a
		// decoded snapshot): they must not panic whatever the string.
		_, _ = PartialDate(s).Start(), PartialDate(s).End()

		d, err := ParsePartialDate(s)
		if err != nil {
			if d != "" {
				t.Fatalf("ParsePartialDate(%q) = %q, %v: want an empty date with the error", s, d, err)
			}
			return
		}
		if string(d) != s {
			t.Fatalf("ParsePartialDate(%q) = %q, want the input unchanged", s, d)
		}
		if len(s) != 4 && len(s) != 7 && len(s) != 10 {
			t.Fatalf("ParsePartialDate(%q) accepted a string of length %d, want YYYY, YYYY-MM or YYYY-MM-DD", s, len(s))
		}
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case i == 4 || i == 7:
				if c != '-' {
					t.Fatalf("ParsePartialDate(%q): byte %d is %q, want '-'", s, i, c)
				}
			case c < '0' || c > '9':
				t.Fatalf("ParsePartialDate(%q): byte %d is %q, want an ASCII digit", s, i, c)
			}
		}
		start, end := d.Start(), d.End()
		if start.Location() != time.UTC || end.Location() != time.UTC {
			t.Fatalf("%q: Start, End = %v, %v: want UTC", s, start, end)
		}
		if end.Before(start) {
			t.Fatalf("%q: End %v is before Start %v", s, end, start)
		}
		year, _ := strconv.Atoi(s[:4])
		if start.Year() != year || end.Year() != year {
			t.Fatalf("%q: Start, End years = %d, %d, want %d", s, start.Year(), end.Year(), year)
		}
		if h, m, sec := start.Clock(); h != 0 || m != 0 || sec != 0 || start.Nanosecond() != 0 {
			t.Fatalf("%q: Start %v is not midnight", s, start)
		}
		if h, m, sec := end.Clock(); h != 0 || m != 0 || sec != 0 || end.Nanosecond() != 0 {
			t.Fatalf("%q: End %v is not midnight", s, end)
		}
		// Start is the first day of the period: its text begins with s.
		if got := start.Format(time.DateOnly); !strings.HasPrefix(got, s) {
			t.Fatalf("%q: Start = %s, want a day that begins with %s", s, got, s)
		}
		// End is the last day of the period: the next day is outside it.
		if got := end.Format(time.DateOnly); !strings.HasPrefix(got, s) {
			t.Fatalf("%q: End = %s, want a day that begins with %s", s, got, s)
		}
		if next := end.AddDate(0, 0, 1).Format(time.DateOnly); strings.HasPrefix(next, s) {
			t.Fatalf("%q: End = %s, but the day after (%s) is still in the period", s, end.Format(time.DateOnly), next)
		}
		if prev := start.AddDate(0, 0, -1).Format(time.DateOnly); strings.HasPrefix(prev, s) {
			t.Fatalf("%q: Start = %s, but the day before (%s) is still in the period", s, start.Format(time.DateOnly), prev)
		}
		switch len(s) {
		case 4:
			if start.Month() != time.January || start.Day() != 1 || end.Month() != time.December || end.Day() != 31 {
				t.Fatalf("%q: Start..End = %v..%v, want the whole year", s, start, end)
			}
		case 7:
			month, _ := strconv.Atoi(s[5:7])
			if month < 1 || month > 12 {
				t.Fatalf("ParsePartialDate(%q) accepted month %d", s, month)
			}
		case 10:
			if !start.Equal(end) {
				t.Fatalf("%q: Start %v != End %v for a day", s, start, end)
			}
		}
		// Parsing is idempotent.
		if d2, err := ParsePartialDate(string(d)); err != nil || d2 != d {
			t.Fatalf("ParsePartialDate(%q) = %q, %v; want %q again", d, d2, err, d)
		}
	})
}

// FuzzParseCountryCode checks that only two upper-case ASCII letters in the
// ISO 3166-1 list (plus XK) are accepted.
func FuzzParseCountryCode(f *testing.F) {
	for _, s := range []string{
		"DE", "FR", "XK", "US", "GB", "de", "De", "UK", "EU", "ZZ", "AA", "D",
		"DEU", "", "D\x00", "\x00\x00", "Ä", "ÄÖ", "ǅ", "ＤＥ", "1A", " D", "DE ",
		strings.Repeat("A", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCountryCode(s)
		if err != nil {
			if c != "" {
				t.Fatalf("ParseCountryCode(%q) = %q, %v: want an empty code with the error", s, c, err)
			}
			return
		}
		if string(c) != s {
			t.Fatalf("ParseCountryCode(%q) = %q, want the input unchanged", s, c)
		}
		if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
			t.Fatalf("ParseCountryCode(%q) accepted something other than two upper-case ASCII letters", s)
		}
		if _, ok := countryCodes[s]; !ok {
			t.Fatalf("ParseCountryCode(%q) accepted a code not in the ISO 3166-1 list", s)
		}
	})
}

// FuzzParseURL checks that an accepted URL is absolute http or https with a
// host, within MaxURLLength, free of white space and control characters,
// and parses the same way again.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"https://example.org/a?b=c#d", "http://example.org", "HTTPS://EXAMPLE.ORG/",
		"https://", "http://", "https:///path", "https://:443/", "https://user@/",
		"https://user:pass@example.org:8080/x", "https://[::1]:8080/", "https://[::1/",
		"https://bücher.example/", "https://xn--bcher-kva.example/", "https://例え.jp/パス",
		"javascript:alert(1)", "JaVaScRiPt://example.org/%0aalert(1)", "data:text/html,<b>x</b>",
		"ftp://example.org/", "mailto:a@example.org", "//example.org/path", "/relative", "example.org",
		"https://example.org/a b", "https://example.org/\tx", "https://exa\x00mple.org/",
		"https://example.org/\x7f", "https://example.org/%zz", "https://%41.example/", "http:example.org",
		"https://example.org:99999/", "https://example.org:port/", "https://<script>/",
		"https://example.org/" + strings.Repeat("a", MaxURLLength-20),
		"https://example.org/" + strings.Repeat("a", MaxURLLength),
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			if u != "" {
				t.Fatalf("ParseURL(%q) = %q, %v: want an empty URL with the error", s, u, err)
			}
			return
		}
		if string(u) != s {
			t.Fatalf("ParseURL(%q) = %q, want the input unchanged", s, u)
		}
		if len(s) > MaxURLLength {
			t.Fatalf("ParseURL accepted a URL of %d bytes, more than %d", len(s), MaxURLLength)
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c == 0x7f {
				t.Fatalf("ParseURL(%q) accepted white space or a control character at byte %d", s, i)
			}
		}
		p, err := url.Parse(s)
		if err != nil {
			t.Fatalf("ParseURL(%q) accepted what url.Parse refuses: %v", s, err)
		}
		if p.Scheme != "http" && p.Scheme != "https" {
			t.Fatalf("ParseURL(%q) accepted scheme %q", s, p.Scheme)
		}
		if p.Host == "" || p.Hostname() == "" || p.Opaque != "" {
			t.Fatalf("ParseURL(%q) accepted a URL without a host (host %q, opaque %q)", s, p.Host, p.Opaque)
		}
		if l := strings.ToLower(s); !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
			t.Fatalf("ParseURL(%q) accepted a URL that does not start with http:// or https://", s)
		}
		// What it prints parses to the same URL again.
		if _, err := ParseURL(p.String()); err != nil && len(p.String()) <= MaxURLLength {
			t.Fatalf("ParseURL(%q) accepted, but refuses its normal form %q: %v", s, p.String(), err)
		}
	})
}

// FuzzGlobalID checks both directions of the global ID encoding: any ID
// ParseGlobalID accepts names a type and a UUID that GlobalID encodes back
// to an ID naming the same record; and GlobalID(typeName, id) parses back to
// exactly typeName and id for every type name without a colon.
func FuzzGlobalID(f *testing.F) {
	id := uuid.MustParse("0b9e3ab2-5a4c-4c0e-9d4e-3f8c6b2a1d00")
	for _, s := range []string{
		GlobalID("Vendor", id), GlobalID("Vendor", id) + "==", GlobalID("", id), GlobalID("Citation", uuid.Nil),
		GlobalID("A:B", id), "", "=", "====", "!!!!", "VmVuZG9y", "VmVuZG9yOg", "VmVuZG9yOg==",
		"VmVuZG9yOjBiOWUzYWIyLTVhNGMtNGMwZS05ZDRlLTNmOGM2YjJhMWQwMA",   // canonical
		"VmVuZG9yOjBiOWUzYWIyLTVhNGMtNGMwZS05ZDRlLTNmOGM2YjJhMWQwMB",   // non-zero padding bits
		"VmVuZG9yOjBCOUUzQUIyLTVBNEMtNEMwRS05RDRFLTNGOEM2QjJBMUQwMA",   // upper-case UUID
		"VmVuZG9yOnswYjllM2FiMi01YTRjLTRjMGUtOWQ0ZS0zZjhjNmIyYTFkMDB9", // {uuid}
		"VmVuZG9yOjBiOWUzYWIyNWE0YzRjMGU5ZDRlM2Y4YzZiMmExZDAw",         // uuid without hyphens
		"VmVuZG9y+jBiOWUz/WIy", "VmVuZG9y\x00", strings.Repeat("QUFB", 2500),
	} {
		f.Add(s, "Vendor", id[:])
	}
	f.Add("", "", []byte{})
	f.Add("", "Source:x", []byte{1, 2, 3})
	f.Add("", strings.Repeat("T", 70), id[:])
	f.Add("", "\x00\xff", id[:])
	f.Fuzz(func(t *testing.T, s, typeName string, raw []byte) {
		// Decoding whatever a client sends.
		typ, got, err := ParseGlobalID(s)
		if err != nil {
			if typ != "" || got != uuid.Nil {
				t.Fatalf("ParseGlobalID(%q) = %q, %v, %v: want zero values with the error", s, typ, got, err)
			}
		} else {
			if strings.Contains(typ, ":") {
				t.Fatalf("ParseGlobalID(%q) = type %q, which holds a colon", s, typ)
			}
			again := GlobalID(typ, got)
			typ2, got2, err := ParseGlobalID(again)
			if err != nil || typ2 != typ || got2 != got {
				t.Fatalf("ParseGlobalID(GlobalID(ParseGlobalID(%q))) = %q, %v, %v; want %q, %v", s, typ2, got2, err, typ, got)
			}
			if GlobalID(typ2, got2) != again {
				t.Fatalf("GlobalID is not stable for %q, %v", typ, got)
			}
		}

		// Encoding what the server names: every type name without a colon,
		// within the 100-byte bound on a decoded ID.
		var id uuid.UUID
		copy(id[:], raw)
		if strings.Contains(typeName, ":") || len(typeName)+1+36 > 100 {
			return
		}
		enc := GlobalID(typeName, id)
		typ, got, err = ParseGlobalID(enc)
		if err != nil || typ != typeName || got != id {
			t.Fatalf("ParseGlobalID(GlobalID(%q, %v)) = %q, %v, %v", typeName, id, typ, got, err)
		}
		if strings.ContainsAny(enc, "+/=") {
			t.Fatalf("GlobalID(%q, %v) = %q: want unpadded base64url", typeName, id, enc)
		}
	})
}

// TestCountryCodesAreWellFormed guards the list the country fuzz target trusts.
func TestCountryCodesAreWellFormed(t *testing.T) {
	for c := range countryCodes {
		if len(c) != 2 || !utf8.ValidString(c) || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
			t.Errorf("countryCodes holds %q, want two upper-case ASCII letters", c)
		}
	}
}
