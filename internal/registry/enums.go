package registry

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// EntryType names a kind of entry, as the API's EntryType enum does.
type EntryType string

// The entry types of the registry.
const (
	TypeState            EntryType = "STATE"
	TypeAgency           EntryType = "AGENCY"
	TypeVendor           EntryType = "VENDOR"
	TypeProduct          EntryType = "PRODUCT"
	TypeTechnology       EntryType = "TECHNOLOGY"
	TypeDeployment       EntryType = "DEPLOYMENT"
	TypeAbuse            EntryType = "ABUSE"
	TypeCommunity        EntryType = "COMMUNITY"
	TypeDesignationList  EntryType = "DESIGNATION_LIST"
	TypeDesignation      EntryType = "DESIGNATION"
	TypeControlListEntry EntryType = "CONTROL_LIST_ENTRY"
	TypeSource           EntryType = "SOURCE"
	TypeVendorResponse   EntryType = "VENDOR_RESPONSE"
)

// EntryTypes lists every entry type, in the API's order.
var EntryTypes = []EntryType{TypeState, TypeAgency, TypeVendor, TypeProduct, TypeTechnology,
	TypeDeployment, TypeAbuse, TypeCommunity, TypeDesignationList, TypeDesignation,
	TypeControlListEntry, TypeSource, TypeVendorResponse}

// EntryStatus is PUBLISHED or RETRACTED; drafts are never entries.
type EntryStatus string

// Entry statuses.
const (
	StatusPublished EntryStatus = "PUBLISHED"
	StatusRetracted EntryStatus = "RETRACTED"
)

// Confidence says how well a factual claim is established.
type Confidence string

// Confidence levels, strongest first.
const (
	ConfidenceConfirmed Confidence = "CONFIRMED"
	ConfidenceCredible  Confidence = "CREDIBLE"
	ConfidenceAlleged   Confidence = "ALLEGED"
	ConfidenceDisputed  Confidence = "DISPUTED"
)

// AbuseCategory classifies a documented abuse.
type AbuseCategory string

// ControlRegime is the export-control regime a control-list entry belongs to.
type ControlRegime string

// SourceKind classifies a source document.
type SourceKind string

// CitationStance says whether a citation supports or contradicts its entry.
type CitationStance string

// Citation stances.
const (
	StanceSupports    CitationStance = "SUPPORTS"
	StanceContradicts CitationStance = "CONTRADICTS"
)

// ReplyStatus is where a vendor's right of reply stands.
type ReplyStatus string

var enumValues = map[string][]string{
	"EntryType":        {"STATE", "AGENCY", "VENDOR", "PRODUCT", "TECHNOLOGY", "DEPLOYMENT", "ABUSE", "COMMUNITY", "DESIGNATION_LIST", "DESIGNATION", "CONTROL_LIST_ENTRY", "SOURCE", "VENDOR_RESPONSE"},
	"EntryStatus":      {"PUBLISHED", "RETRACTED"},
	"Confidence":       {"CONFIRMED", "CREDIBLE", "ALLEGED", "DISPUTED"},
	"AbuseCategory":    {"MASS_SURVEILLANCE", "SURVEILLANCE_OF_WORSHIP", "BIOMETRIC_COLLECTION", "RELIGIOUS_OR_ETHNIC_PROFILING", "ARBITRARY_DETENTION", "FORCED_DISAPPEARANCE", "TORTURE_OR_ILL_TREATMENT", "RESTRICTION_OF_RELIGIOUS_PRACTICE", "CENSORSHIP", "HARASSMENT_OR_INTIMIDATION", "TRANSNATIONAL_REPRESSION", "TARGETED_SPYWARE", "OTHER"},
	"ControlRegime":    {"WASSENAAR", "EU_DUAL_USE", "US_CCL", "OTHER"},
	"SourceKind":       {"GOVERNMENT_DOCUMENT", "LEGAL_INSTRUMENT", "COURT_RECORD", "NGO_REPORT", "ACADEMIC", "NEWS", "CORPORATE_DOCUMENT", "TECHNICAL_ANALYSIS", "LEAKED_DOCUMENT", "TESTIMONY", "OTHER"},
	"CitationStance":   {"SUPPORTS", "CONTRADICTS"},
	"ReplyStatus":      {"PENDING", "RESPONDED", "DECLINED", "NO_RESPONSE"},
	"Role":             {"CONTRIBUTOR", "EDITOR", "ADMIN"},
	"SubmissionStatus": {"DRAFT", "SUBMITTED", "CHANGES_REQUESTED", "MERGED", "REJECTED", "WITHDRAWN"},
	"ChangeOperation":  {"CREATE", "UPDATE", "RETRACT"},
	"ReviewDecision":   {"APPROVE", "REQUEST_CHANGES", "REJECT"},
	"UserErrorCode":    {"INVALID", "NOT_FOUND", "CONFLICT", "UNSOURCED", "SELF_REVIEW", "INVALID_STATE"},
	"ChangeKind":       {"CREATED", "UPDATED", "CORRECTED", "RETRACTED"},
}

// ChangeKind is what a published change did to its entry.
type ChangeKind string

// Change kinds.
const (
	ChangeCreated   ChangeKind = "CREATED"
	ChangeUpdated   ChangeKind = "UPDATED"
	ChangeCorrected ChangeKind = "CORRECTED"
	ChangeRetracted ChangeKind = "RETRACTED"
)

// ValidEnum reports whether value is one of the values of the named enum.
func ValidEnum(enum, value string) bool { return slices.Contains(enumValues[enum], value) }

// EnumValues returns the values of the named enum, in the API's order.
func EnumValues(enum string) []string { return slices.Clone(enumValues[enum]) }

func unmarshalEnum(enum string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", Invalid(fmt.Errorf("%s must be a string, got %T", enum, v))
	}
	if !ValidEnum(enum, s) {
		return "", Invalid(fmt.Errorf("%q is not a valid %s", s, enum))
	}
	return s, nil
}

func writeQuoted(w io.Writer, s string) { _, _ = io.WriteString(w, strconv.Quote(s)) }

// The GraphQL (un)marshalers below let the API bind its enums to these types directly.

// UnmarshalGQL implements the GraphQL enum input.
func (e *EntryType) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("EntryType", v)
	*e = EntryType(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e EntryType) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *EntryStatus) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("EntryStatus", v)
	*e = EntryStatus(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e EntryStatus) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *Confidence) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("Confidence", v)
	*e = Confidence(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e Confidence) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// Rank orders confidence levels: CONFIRMED is 4, DISPUTED 1, unknown 0.
func (e Confidence) Rank() int {
	switch e {
	case ConfidenceConfirmed:
		return 4
	case ConfidenceCredible:
		return 3
	case ConfidenceAlleged:
		return 2
	case ConfidenceDisputed:
		return 1
	}
	return 0
}

// UnmarshalGQL implements the GraphQL enum input.
func (e *AbuseCategory) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("AbuseCategory", v)
	*e = AbuseCategory(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e AbuseCategory) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *ControlRegime) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("ControlRegime", v)
	*e = ControlRegime(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e ControlRegime) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *SourceKind) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("SourceKind", v)
	*e = SourceKind(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e SourceKind) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *CitationStance) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("CitationStance", v)
	*e = CitationStance(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e CitationStance) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *ReplyStatus) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("ReplyStatus", v)
	*e = ReplyStatus(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e ReplyStatus) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *Role) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("Role", v)
	*e = Role(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e Role) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *SubmissionStatus) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("SubmissionStatus", v)
	*e = SubmissionStatus(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e SubmissionStatus) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *ChangeOperation) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("ChangeOperation", v)
	*e = ChangeOperation(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e ChangeOperation) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *ReviewDecision) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("ReviewDecision", v)
	*e = ReviewDecision(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e ReviewDecision) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *Code) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("UserErrorCode", v)
	*e = Code(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e Code) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }

// UnmarshalGQL implements the GraphQL enum input.
func (e *ChangeKind) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum("ChangeKind", v)
	*e = ChangeKind(s)
	return err
}

// MarshalGQL implements the GraphQL enum output.
func (e ChangeKind) MarshalGQL(w io.Writer) { writeQuoted(w, string(e)) }
