package registry

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParsePartialDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2019", true},
		{"2019-10", true},
		{"2019-10-09", true},
		{"2019-01", true},
		{"2019-12", true},
		{"2020-02-29", true}, // leap day
		{"2000-02-29", true}, // divisible by 400
		{"0001", true},
		{"2019-13", false},
		{"2019-00", false},
		{"2019-02-30", false},
		{"2019-02-29", false}, // not a leap year
		{"1900-02-29", false}, // divisible by 100 only
		{"2019-04-31", false},
		{"2019-10-00", false},
		{"2019-10-32", false},
		{"19", false},
		{"201", false},
		{"20190", false},
		{"2019-1", false},
		{"2019-1-09", false},
		{"2019-10-9", false},
		{"2019/10/09", false},
		{"2019-10-09T00:00:00Z", false},
		{" 2019", false},
		{"2019 ", false},
		{"2019\n", false},
		{"", false},
		{"abcd", false},
		{"-2019", false},
		{"+2019", false},
		{"２０１９", false}, // full-width digits
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePartialDate(tc.in)
			if tc.ok {
				if err != nil || string(got) != tc.in {
					t.Errorf("ParsePartialDate(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.in)
				}
				return
			}
			if err == nil {
				t.Errorf("ParsePartialDate(%q) = %q, nil; want an error", tc.in, got)
			} else if !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
				t.Errorf("ParsePartialDate(%q) error %q does not name the value", tc.in, err)
			}
		})
	}
}

func TestPartialDateStartEnd(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		in         PartialDate
		start, end string
	}{
		{"2019", "2019-01-01", "2019-12-31"},
		{"2019-02", "2019-02-01", "2019-02-28"},
		{"2020-02", "2020-02-01", "2020-02-29"},
		{"2019-12", "2019-12-01", "2019-12-31"},
		{"2019-04", "2019-04-01", "2019-04-30"},
		{"2019-10-09", "2019-10-09", "2019-10-09"},
	} {
		if got := tc.in.Start(); !got.Equal(day(tc.start)) {
			t.Errorf("PartialDate(%q).Start() = %s, want %s", tc.in, got.Format(time.DateOnly), tc.start)
		}
		if got := tc.in.End(); !got.Equal(day(tc.end)) {
			t.Errorf("PartialDate(%q).End() = %s, want %s", tc.in, got.Format(time.DateOnly), tc.end)
		}
	}
}

func TestDesignationActiveOn(t *testing.T) {
	t.Parallel()
	removed := func(s PartialDate) *PartialDate { return &s }
	for _, tc := range []struct {
		listed  PartialDate
		removed *PartialDate
		day     PartialDate
		want    bool
	}{
		{"2019-10-09", nil, "2019-10-09", true},
		{"2019-10-09", nil, "2019-10-08", false},
		{"2019-10", nil, "2019-10-01", true},
		{"2019-10", nil, "2019", true}, // some day of 2019 it was in force
		{"2019", removed("2020"), "2020-12-31", true},
		{"2019", removed("2020"), "2021-01-01", false},
		{"2016-03", removed("2019-12-31"), "2019-12-31", true},
		{"2016-03", removed("2019-12-31"), "2020", false},
		{"2016-03", removed("2019-12-31"), "2016-02", false},
	} {
		d := &Designation{ListedOn: tc.listed, RemovedOn: tc.removed}
		if got := d.ActiveOn(tc.day); got != tc.want {
			t.Errorf("Designation{listed %s, removed %v}.ActiveOn(%s) = %v, want %v", tc.listed, tc.removed, tc.day, got, tc.want)
		}
	}
}

func TestParseCountryCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"CN", true},
		{"US", true},
		{"XK", true}, // Kosovo, user-assigned but in common use
		{"AX", true},
		{"ZW", true},
		{"ZZ", false},
		{"XX", false},
		{"UK", false}, // reserved, not assigned: the code is GB
		{"EU", false},
		{"cn", false},
		{"Cn", false},
		{"CHN", false},
		{"C", false},
		{"", false},
		{"C1", false},
		{" CN", false},
		{"ＣＮ", false}, // full-width letters
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCountryCode(tc.in)
			if tc.ok {
				if err != nil || string(got) != tc.in {
					t.Errorf("ParseCountryCode(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.in)
				}
				return
			}
			if err == nil {
				t.Errorf("ParseCountryCode(%q) = %q, nil; want an error", tc.in, got)
			} else if !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
				t.Errorf("ParseCountryCode(%q) error %q does not name the value", tc.in, err)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"https://example.org", true},
		{"http://example.org/a/b?c=d#e", true},
		{"https://example.org:8443/path", true},
		{"https://例え.jp/", true},
		{"https://[2001:db8::1]/x", true},
		{"ftp://x", false},
		{"ftp://example.org/file", false},
		{"/relative", false},
		{"relative/path", false},
		{"https://", false},
		{"http://", false},
		{"https:///path", false},
		{"https://:443/", false},
		{"javascript:alert(1)", false},
		{"JAVASCRIPT:alert(1)", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"mailto:a@example.org", false},
		{"//example.org/x", false},
		{"https://exa mple.org", false},
		{"https://example.org/\n", false},
		{"", false},
		{"https://example.org/" + strings.Repeat("a", MaxURLLength), false},
	} {
		name := tc.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseURL(tc.in)
			if tc.ok {
				if err != nil || string(got) != tc.in {
					t.Errorf("ParseURL(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.in)
				}
				return
			}
			if err == nil {
				t.Errorf("ParseURL(%q) = %q, nil; want an error", tc.in, got)
			}
		})
	}
}

// Scalars read from GraphQL refuse what their parsers refuse, with an
// INVALID error, and refuse values that are not strings.
func TestScalarsUnmarshalGQL(t *testing.T) {
	t.Parallel()
	type unmarshaler interface{ UnmarshalGQL(any) error }
	for _, tc := range []struct {
		name string
		new  func() unmarshaler
		in   any
		ok   bool
	}{
		{"PartialDate ok", func() unmarshaler { return new(PartialDate) }, "2019-10", true},
		{"PartialDate bad", func() unmarshaler { return new(PartialDate) }, "2019-13", false},
		{"PartialDate number", func() unmarshaler { return new(PartialDate) }, int64(2019), false},
		{"PartialDate null", func() unmarshaler { return new(PartialDate) }, nil, false},
		{"CountryCode ok", func() unmarshaler { return new(CountryCode) }, "XK", true},
		{"CountryCode bad", func() unmarshaler { return new(CountryCode) }, "ZZ", false},
		{"CountryCode list", func() unmarshaler { return new(CountryCode) }, []any{"CN"}, false},
		{"URL ok", func() unmarshaler { return new(URL) }, "https://example.org", true},
		{"URL bad", func() unmarshaler { return new(URL) }, "javascript:alert(1)", false},
		{"URL bool", func() unmarshaler { return new(URL) }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.new().UnmarshalGQL(tc.in)
			if tc.ok && err != nil {
				t.Errorf("UnmarshalGQL(%#v) = %v, want nil", tc.in, err)
			}
			if !tc.ok && ErrorCode(err) != CodeInvalid {
				t.Errorf("UnmarshalGQL(%#v) = %v (code %q), want an INVALID error", tc.in, err, ErrorCode(err))
			}
		})
	}
}

// FuzzParsePartialDate checks that whatever the parser accepts is a real
// date whose span is well-formed.
func FuzzParsePartialDate(f *testing.F) {
	for _, s := range []string{"2019", "2019-10", "2019-10-09", "2019-13", "2019-02-30", "19", "2019-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParsePartialDate(s)
		if err != nil {
			return
		}
		if string(d) != s || d.Start().After(d.End()) || d.Start().Format(time.DateOnly)[:len(s)] != s && len(s) == 10 {
			t.Errorf("ParsePartialDate(%q) = %q with span %s..%s", s, d, d.Start(), d.End())
		}
	})
}
