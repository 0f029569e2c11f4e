package registry

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PartialDate is an ISO 8601 calendar date of year, month or day precision:
// "2019", "2019-10" or "2019-10-09". Evidence is often dated only to a month
// or a year, and the registry must not pretend to more precision than its sources.
type PartialDate string

var partialDatePattern = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)

// ParsePartialDate checks s and returns it as a PartialDate.
func ParsePartialDate(s string) (PartialDate, error) {
	if !partialDatePattern.MatchString(s) {
		return "", fmt.Errorf("%q is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	switch len(s) {
	case 7:
		if m, _ := strconv.Atoi(s[5:7]); m < 1 || m > 12 {
			return "", fmt.Errorf("%q has no month %s", s, s[5:7])
		}
	case 10:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "", fmt.Errorf("%q is not a calendar date", s)
		}
	}
	return PartialDate(s), nil
}

// Start is the first day the date covers: "2019" starts on 2019-01-01.
func (d PartialDate) Start() time.Time {
	switch len(d) {
	case 4:
		y, _ := strconv.Atoi(string(d))
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case 7:
		y, _ := strconv.Atoi(string(d[:4]))
		m, _ := strconv.Atoi(string(d[5:7]))
		return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	}
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}

// End is the last day the date covers: "2019-02" ends on 2019-02-28.
func (d PartialDate) End() time.Time {
	switch len(d) {
	case 4:
		return d.Start().AddDate(1, 0, -1)
	case 7:
		return d.Start().AddDate(0, 1, -1)
	}
	return d.Start()
}

// UnmarshalGQL implements the GraphQL scalar input.
func (d *PartialDate) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Invalid(fmt.Errorf("PartialDate must be a string, got %T", v))
	}
	p, err := ParsePartialDate(s)
	if err != nil {
		return Invalid(err)
	}
	*d = p
	return nil
}

// MarshalGQL implements the GraphQL scalar output.
func (d PartialDate) MarshalGQL(w io.Writer) { writeQuoted(w, string(d)) }

// CountryCode is an ISO 3166-1 alpha-2 code, upper case, or XK (Kosovo).
type CountryCode string

// ParseCountryCode checks s against the ISO 3166-1 list.
func ParseCountryCode(s string) (CountryCode, error) {
	if len(s) != 2 || strings.ToUpper(s) != s {
		return "", fmt.Errorf("%q is not an upper-case two-letter ISO 3166-1 country code", s)
	}
	if _, ok := countryCodes[s]; !ok {
		return "", fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code", s)
	}
	return CountryCode(s), nil
}

// UnmarshalGQL implements the GraphQL scalar input.
func (c *CountryCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Invalid(fmt.Errorf("CountryCode must be a string, got %T", v))
	}
	p, err := ParseCountryCode(s)
	if err != nil {
		return Invalid(err)
	}
	*c = p
	return nil
}

// MarshalGQL implements the GraphQL scalar output.
func (c CountryCode) MarshalGQL(w io.Writer) { writeQuoted(w, string(c)) }

// URL is an absolute http or https URL.
type URL string

// MaxURLLength bounds stored URLs; the database enforces the same limit.
const MaxURLLength = 2048

// ParseURL checks that s is an absolute http or https URL with a host.
func ParseURL(s string) (URL, error) {
	if len(s) > MaxURLLength {
		return "", fmt.Errorf("URL is longer than %d characters", MaxURLLength)
	}
	// url.Parse lets control characters through in a fragment, and a URL
	// shown to readers as evidence must not hide anything in one.
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return "", fmt.Errorf("%q is not a URL: it contains white space or a control character at byte %d", s, i)
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", s)
	}
	return URL(s), nil
}

// UnmarshalGQL implements the GraphQL scalar input.
func (u *URL) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return Invalid(fmt.Errorf("URL must be a string, got %T", v))
	}
	p, err := ParseURL(s)
	if err != nil {
		return Invalid(err)
	}
	*u = p
	return nil
}

// MarshalGQL implements the GraphQL scalar output.
func (u URL) MarshalGQL(w io.Writer) { writeQuoted(w, string(u)) }
