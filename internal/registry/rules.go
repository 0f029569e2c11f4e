package registry

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// NewEntry returns an empty entry of type t, for decoding a snapshot into.
func NewEntry(t EntryType) (Entry, error) {
	switch t {
	case TypeState:
		return &State{}, nil
	case TypeAgency:
		return &Agency{}, nil
	case TypeVendor:
		return &Vendor{}, nil
	case TypeProduct:
		return &Product{}, nil
	case TypeTechnology:
		return &Technology{}, nil
	case TypeDeployment:
		return &Deployment{}, nil
	case TypeAbuse:
		return &Abuse{}, nil
	case TypeCommunity:
		return &Community{}, nil
	case TypeDesignationList:
		return &DesignationList{}, nil
	case TypeDesignation:
		return &Designation{}, nil
	case TypeControlListEntry:
		return &ControlListEntry{}, nil
	case TypeSource:
		return &Source{}, nil
	case TypeVendorResponse:
		return &VendorResponse{}, nil
	}
	return nil, fmt.Errorf("unknown entry type %q", t)
}

// TypeOf returns an entry's type.
func TypeOf(e Entry) EntryType {
	switch e.(type) {
	case *State:
		return TypeState
	case *Agency:
		return TypeAgency
	case *Vendor:
		return TypeVendor
	case *Product:
		return TypeProduct
	case *Technology:
		return TypeTechnology
	case *Deployment:
		return TypeDeployment
	case *Abuse:
		return TypeAbuse
	case *Community:
		return TypeCommunity
	case *DesignationList:
		return TypeDesignationList
	case *Designation:
		return TypeDesignation
	case *ControlListEntry:
		return TypeControlListEntry
	case *Source:
		return TypeSource
	case *VendorResponse:
		return TypeVendorResponse
	}
	return ""
}

// MustCite reports whether entries of type t must carry at least one
// citation before they can be submitted: the factual claims of the registry.
func MustCite(t EntryType) bool {
	return t == TypeDeployment || t == TypeAbuse || t == TypeDesignation
}

// Reference is a field of an entry that points at other entries.
type Reference struct {
	Field string    // the snapshot's (and the API input's) field name
	Type  EntryType // "" when it may point at an entry of any type
	IDs   []uuid.UUID
}

func one(field string, t EntryType, id *uuid.UUID) []Reference {
	if id == nil {
		return nil
	}
	return []Reference{{Field: field, Type: t, IDs: []uuid.UUID{*id}}}
}

func many(field string, t EntryType, ids []uuid.UUID) []Reference {
	if len(ids) == 0 {
		return nil
	}
	return []Reference{{Field: field, Type: t, IDs: ids}}
}

// References lists the entries e points at, field by field (citations'
// sources not included: see Citation.SourceID).
func References(e Entry) []Reference {
	var refs []Reference
	add := func(r ...[]Reference) {
		for _, x := range r {
			refs = append(refs, x...)
		}
	}
	switch x := e.(type) {
	case *Agency:
		add(one("stateId", TypeState, &x.StateID))
	case *Vendor:
		add(one("parentId", TypeVendor, x.ParentID))
	case *Technology:
		add(one("parentId", TypeTechnology, x.ParentID))
	case *Product:
		add(one("vendorId", TypeVendor, &x.VendorID), many("technologyIds", TypeTechnology, x.TechnologyIDs),
			many("controlListEntryIds", TypeControlListEntry, x.ControlListEntryIDs))
	case *Deployment:
		add(one("stateId", TypeState, &x.StateID), one("agencyId", TypeAgency, x.AgencyID), one("vendorId", TypeVendor, x.VendorID),
			one("productId", TypeProduct, x.ProductID), one("technologyId", TypeTechnology, &x.TechnologyID))
	case *Abuse:
		add(one("stateId", TypeState, &x.StateID), many("agencyIds", TypeAgency, x.AgencyIDs),
			many("communityIds", TypeCommunity, x.CommunityIDs), many("deploymentIds", TypeDeployment, x.DeploymentIDs))
	case *Designation:
		add(one("listId", TypeDesignationList, &x.ListID), one("vendorId", TypeVendor, x.VendorID),
			one("stateId", TypeState, x.StateID), one("agencyId", TypeAgency, x.AgencyID))
	case *ControlListEntry:
		add(many("technologyIds", TypeTechnology, x.TechnologyIDs))
	case *VendorResponse:
		add(one("vendorId", TypeVendor, &x.VendorID), one("aboutId", "", x.AboutID), one("sourceId", TypeSource, x.SourceID))
	}
	return refs
}

// FieldError is a problem with one field of a proposed entry.
type FieldError struct {
	Field   []string // path within the entry, e.g. ["citations", "0", "quote"]
	Message string
	Code    Code
}

// Limits on text fields; the database enforces the same ones.
const (
	MaxName        = 300
	MaxText        = 20000
	MaxQuote       = 5000
	MaxShort       = 500
	MaxAliases     = 100
	MaxAuthors     = 200
	MaxCitations   = 200
	MaxLinks       = 1000
	maxSlug        = 100
	maxCountryName = 200
)

var (
	slugPattern       = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	listCodePattern   = regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)*$`)
	wikidataPattern   = regexp.MustCompile(`^Q[1-9][0-9]*$`)
	sha256Pattern     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	languagePattern   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	citeFieldPattern  = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	nonSlugCharacters = regexp.MustCompile(`[^a-z0-9]+`)
)

// Slugify makes a slug from a name: "Hangzhou Hikvision Digital" becomes
// "hangzhou-hikvision-digital". Accents are dropped; other scripts leave
// nothing, and the caller must then ask for a slug.
func Slugify(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	s := strings.Trim(nonSlugCharacters.ReplaceAllString(b.String(), "-"), "-")
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	return s
}

// validator gathers every problem with an entry, so one answer lists them all.
type validator struct{ errs []FieldError }

func (v *validator) add(code Code, msg string, path ...string) {
	v.errs = append(v.errs, FieldError{Field: path, Message: msg, Code: code})
}

func (v *validator) text(field string, s string, required bool, max int) {
	if strings.TrimSpace(s) == "" {
		if required {
			v.add(CodeInvalid, field+" is required", field)
		}
		return
	}
	if utf8.RuneCountInString(s) > max {
		v.add(CodeInvalid, fmt.Sprintf("%s is longer than %d characters", field, max), field)
	}
	if !utf8.ValidString(s) {
		v.add(CodeInvalid, field+" is not valid UTF-8", field)
	}
}

func (v *validator) optText(field string, s *string, max int) {
	if s != nil {
		v.text(field, *s, false, max)
	}
}

func (v *validator) pattern(field, s string, re *regexp.Regexp, what string) {
	if !re.MatchString(s) {
		v.add(CodeInvalid, fmt.Sprintf("%s %q is not %s", field, s, what), field)
	}
}

func (v *validator) enum(field, enum, value string) {
	if !ValidEnum(enum, value) {
		v.add(CodeInvalid, fmt.Sprintf("%s %q is not one of %s", field, value, strings.Join(EnumValues(enum), ", ")), field)
	}
}

func (v *validator) date(field string, d *PartialDate) {
	if d == nil {
		return
	}
	if _, err := ParsePartialDate(string(*d)); err != nil {
		v.add(CodeInvalid, field+": "+err.Error(), field)
	}
}

func (v *validator) period(startField string, start *PartialDate, endField string, end *PartialDate) {
	v.date(startField, start)
	v.date(endField, end)
	if start == nil || end == nil {
		return
	}
	if _, err := ParsePartialDate(string(*start)); err != nil {
		return
	}
	if _, err := ParsePartialDate(string(*end)); err != nil {
		return
	}
	if start.Start().After(end.End()) {
		v.add(CodeInvalid, fmt.Sprintf("%s %s is after %s %s", startField, *start, endField, *end), endField)
	}
}

func (v *validator) url(field string, u *URL) {
	if u == nil {
		return
	}
	if _, err := ParseURL(string(*u)); err != nil {
		v.add(CodeInvalid, field+": "+err.Error(), field)
	}
}

func (v *validator) country(field string, c *CountryCode, required bool) {
	if c == nil || *c == "" {
		if required {
			v.add(CodeInvalid, field+" is required", field)
		}
		return
	}
	if _, err := ParseCountryCode(string(*c)); err != nil {
		v.add(CodeInvalid, field+": "+err.Error(), field)
	}
}

func (v *validator) ids(field string, ids []uuid.UUID) {
	if len(ids) > MaxLinks {
		v.add(CodeInvalid, fmt.Sprintf("%s has more than %d IDs", field, MaxLinks), field)
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range ids {
		if seen[id] {
			v.add(CodeInvalid, fmt.Sprintf("%s lists %s twice", field, id), field)
		}
		seen[id] = true
	}
}

// Validate checks an entry's fields and citations against the registry's
// formats and rules, without the database: required fields, lengths, enum
// values, scalar formats, dates in order. References and uniqueness are the
// editorial service's to check.
func Validate(e Entry, citations []Citation) []FieldError {
	v := &validator{}
	switch x := e.(type) {
	case *State:
		cc := x.CountryCode
		v.country("countryCode", &cc, true)
		v.text("name", x.Name, true, maxCountryName)
		v.optText("summary", x.Summary, MaxText)
	case *Agency:
		v.text("name", x.Name, true, MaxName)
		v.optText("kind", x.Kind, 200)
		v.optText("description", x.Description, MaxText)
	case *Vendor:
		v.text("name", x.Name, true, MaxName)
		if x.Slug == "" {
			v.add(CodeInvalid, "slug is required: give one, or a name it can be made from", "slug")
		} else {
			v.pattern("slug", x.Slug, slugPattern, "a slug (lower-case letters, digits and single hyphens)")
		}
		if len(x.Aliases) > MaxAliases {
			v.add(CodeInvalid, fmt.Sprintf("aliases has more than %d names", MaxAliases), "aliases")
		}
		for i, a := range x.Aliases {
			if strings.TrimSpace(a) == "" || utf8.RuneCountInString(a) > MaxName {
				v.add(CodeInvalid, fmt.Sprintf("alias %d is empty or longer than %d characters", i, MaxName), "aliases", fmt.Sprint(i))
			}
		}
		v.country("countryCode", x.CountryCode, false)
		v.url("website", x.Website)
		if x.WikidataID != nil {
			v.pattern("wikidataId", *x.WikidataID, wikidataPattern, "a Wikidata item ID such as Q123")
		}
		v.optText("description", x.Description, MaxText)
		if x.ParentID != nil && *x.ParentID == x.ID {
			v.add(CodeInvalid, "a vendor cannot be its own parent", "parentId")
		}
	case *Technology:
		v.text("name", x.Name, true, MaxName)
		if x.Slug == "" {
			v.add(CodeInvalid, "slug is required: give one, or a name it can be made from", "slug")
		} else {
			v.pattern("slug", x.Slug, slugPattern, "a slug (lower-case letters, digits and single hyphens)")
		}
		v.optText("description", x.Description, MaxText)
		if x.ParentID != nil && *x.ParentID == x.ID {
			v.add(CodeInvalid, "a technology cannot be its own parent", "parentId")
		}
	case *Product:
		v.text("name", x.Name, true, MaxName)
		if len(x.TechnologyIDs) == 0 {
			v.add(CodeInvalid, "technologyIds: a product needs at least one technology", "technologyIds")
		}
		v.ids("technologyIds", x.TechnologyIDs)
		v.ids("controlListEntryIds", x.ControlListEntryIDs)
		v.optText("description", x.Description, MaxText)
	case *Deployment:
		v.period("startDate", x.StartDate, "endDate", x.EndDate)
		v.optText("location", x.Location, MaxShort)
		v.optText("description", x.Description, MaxText)
		v.enum("confidence", "Confidence", string(x.Confidence))
	case *Abuse:
		v.text("title", x.Title, true, MaxShort)
		v.text("summary", x.Summary, true, MaxText)
		if len(x.Categories) == 0 {
			v.add(CodeInvalid, "categories: an abuse needs at least one category", "categories")
		}
		for i, c := range x.Categories {
			if !ValidEnum("AbuseCategory", string(c)) {
				v.add(CodeInvalid, fmt.Sprintf("categories: %q is not an abuse category", c), "categories", fmt.Sprint(i))
			}
		}
		v.period("startDate", x.StartDate, "endDate", x.EndDate)
		v.optText("location", x.Location, MaxShort)
		v.enum("confidence", "Confidence", string(x.Confidence))
		v.ids("agencyIds", x.AgencyIDs)
		v.ids("communityIds", x.CommunityIDs)
		v.ids("deploymentIds", x.DeploymentIDs)
	case *Community:
		v.text("name", x.Name, true, MaxName)
		v.optText("religion", x.Religion, 200)
		v.optText("description", x.Description, MaxText)
	case *DesignationList:
		v.pattern("code", x.Code, listCodePattern, "a list code (upper-case letters, digits and hyphens, such as US-ENTITY-LIST)")
		v.text("name", x.Name, true, MaxName)
		v.text("authority", x.Authority, true, MaxName)
		v.text("jurisdiction", x.Jurisdiction, true, 100)
		v.url("url", x.URL)
	case *Designation:
		n := 0
		for _, id := range []*uuid.UUID{x.VendorID, x.StateID, x.AgencyID} {
			if id != nil {
				n++
			}
		}
		if n != 1 {
			v.add(CodeInvalid, "a designation's subject is exactly one vendor, state or agency", "subjectId")
		}
		listed := x.ListedOn
		if listed == "" {
			v.add(CodeInvalid, "listedOn is required", "listedOn")
		} else {
			v.period("listedOn", &listed, "removedOn", x.RemovedOn)
		}
		v.optText("legalReference", x.LegalReference, MaxShort)
		v.optText("reason", x.Reason, MaxText)
	case *ControlListEntry:
		v.enum("regime", "ControlRegime", string(x.Regime))
		v.text("code", x.Code, true, 200)
		v.text("title", x.Title, true, MaxShort)
		v.optText("description", x.Description, MaxText)
		v.ids("technologyIds", x.TechnologyIDs)
	case *Source:
		v.text("title", x.Title, true, 1000)
		v.enum("kind", "SourceKind", string(x.Kind))
		v.optText("publisher", x.Publisher, MaxShort)
		if len(x.Authors) > MaxAuthors {
			v.add(CodeInvalid, fmt.Sprintf("authors has more than %d names", MaxAuthors), "authors")
		}
		for i, a := range x.Authors {
			if strings.TrimSpace(a) == "" || utf8.RuneCountInString(a) > MaxName {
				v.add(CodeInvalid, fmt.Sprintf("author %d is empty or longer than %d characters", i, MaxName), "authors", fmt.Sprint(i))
			}
		}
		v.url("url", x.URL)
		v.url("archiveUrl", x.ArchiveURL)
		v.date("publishedOn", x.PublishedOn)
		v.date("accessedOn", x.AccessedOn)
		if x.Language != nil {
			v.pattern("language", *x.Language, languagePattern, "a language tag such as en or zh-Hans")
		}
		if x.ContentSha256 != nil {
			v.pattern("contentSha256", *x.ContentSha256, sha256Pattern, "a lower-case hex SHA-256")
		}
	case *VendorResponse:
		v.date("requestedOn", x.RequestedOn)
		v.date("respondedOn", x.RespondedOn)
		if x.RequestedOn != nil && x.RespondedOn != nil {
			v.period("requestedOn", x.RequestedOn, "respondedOn", x.RespondedOn)
		}
		v.enum("replyStatus", "ReplyStatus", string(x.ReplyStatus))
		v.optText("summary", x.Summary, MaxText)
	}
	if len(citations) > MaxCitations {
		v.add(CodeInvalid, fmt.Sprintf("citations: at most %d", MaxCitations), "citations")
	}
	for i, c := range citations {
		at := fmt.Sprint(i)
		if c.Stance != "" && !ValidEnum("CitationStance", string(c.Stance)) {
			v.add(CodeInvalid, fmt.Sprintf("stance %q is not SUPPORTS or CONTRADICTS", c.Stance), "citations", at, "stance")
		}
		if c.Locator != nil && utf8.RuneCountInString(*c.Locator) > MaxShort {
			v.add(CodeInvalid, fmt.Sprintf("locator is longer than %d characters", MaxShort), "citations", at, "locator")
		}
		if c.Quote != nil && utf8.RuneCountInString(*c.Quote) > MaxQuote {
			v.add(CodeInvalid, fmt.Sprintf("quote is longer than %d characters", MaxQuote), "citations", at, "quote")
		}
		if c.Field != nil && !citeFieldPattern.MatchString(*c.Field) {
			v.add(CodeInvalid, fmt.Sprintf("field %q is not a field name", *c.Field), "citations", at, "field")
		}
	}
	return v.errs
}
