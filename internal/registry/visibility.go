package registry

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
)

// Role is what a signed-in user may do. The zero Role is the anonymous reader.
type Role string

// Roles, from the least to the most trusted.
const (
	RoleAnonymous   Role = ""
	RoleContributor Role = "CONTRIBUTOR"
	RoleEditor      Role = "EDITOR"
	RoleAdmin       Role = "ADMIN"
)

// Viewer is whoever a read is made for. Every read of the registry takes one,
// so the rules on who sees what live here and nowhere else.
type Viewer struct {
	UserID uuid.UUID // uuid.Nil for the anonymous reader
	Role   Role
}

// SignedIn reports whether v is a user rather than the anonymous reader.
func (v Viewer) SignedIn() bool { return v.Role != RoleAnonymous }

// SeesAllSubmissions reports whether v may read every submission (editors
// and admins) rather than only their own (contributors) or none (anonymous).
func (v Viewer) SeesAllSubmissions() bool { return v.Role == RoleEditor || v.Role == RoleAdmin }

// SeesIdentityOf reports whether v may see the name of user id: their own,
// and everyone's for editors and admins. Editors may be at risk, so nobody
// else learns who reviewed or wrote what.
func (v Viewer) SeesIdentityOf(id uuid.UUID) bool {
	return v.SeesAllSubmissions() || (v.SignedIn() && v.UserID == id)
}

// Anonymous is the public reader: published and retracted entries only,
// without confidential sources' details.
var Anonymous = Viewer{}

// SeesConfidential reports whether v may see the details of a confidential
// source and of the citations to it (ConfidentialSourceFields,
// ConfidentialCitationFields): editors and admins only, since contributors'
// accounts are the easiest to compromise.
func (v Viewer) SeesConfidential() bool { return v.Role == RoleEditor || v.Role == RoleAdmin }

// A confidential source is evidence the registry relies on but cannot show:
// a witness's statement, a leaked document. Readers who may not see it learn
// that it exists, what kind of document it is, the title its editors gave it
// and which entries rest on it: enough to weigh a claim, nothing taken from
// the document itself. Whoever holds candidate documents (a vendor, a state)
// could tell them apart by any detail of the document (its authors, where it
// is, who issued it and when, its language, a hash of its content) or of
// where a citation points in it (a page, a timestamp), and so learn which
// one the registry has, and who gave it. SECURITY.md states the rule.
//
// Those details are listed here once. Every path that shows a source or a
// citation blanks exactly these: as structs (RedactSource, RedactCitation:
// the catalog's reads, and through them the API, search hits and exports'
// current fields) and as JSON (RedactVersion: history snapshots and diffs,
// editorial proposals, exports' history).

// withheld is one detail of a source or a citation that viewers who may not
// see confidential details get blank.
type withheld[T any] struct {
	field string          // its name in the API, snapshots and diffs
	blank json.RawMessage // how it reads when withheld: null, or [] for a list the API never makes null
	clear func(*T)        // blanks it in the domain struct
}

var (
	jsonNull      = json.RawMessage("null")
	jsonEmptyList = json.RawMessage("[]")
)

// confidentialSourceFields are the details of a confidential source that
// only viewers who SeesConfidential may see. Title, kind and confidential
// stay shown: the editors write the title of a confidential source as a
// description, not the document's own (SECURITY.md).
var confidentialSourceFields = []withheld[Source]{
	{"publisher", jsonNull, func(s *Source) { s.Publisher = nil }},
	{"authors", jsonEmptyList, func(s *Source) { s.Authors = []string{} }},
	{"url", jsonNull, func(s *Source) { s.URL = nil }},
	{"archiveUrl", jsonNull, func(s *Source) { s.ArchiveURL = nil }},
	{"publishedOn", jsonNull, func(s *Source) { s.PublishedOn = nil }},
	{"accessedOn", jsonNull, func(s *Source) { s.AccessedOn = nil }},
	{"language", jsonNull, func(s *Source) { s.Language = nil }},
	{"contentSha256", jsonNull, func(s *Source) { s.ContentSha256 = nil }},
}

// confidentialCitationFields are the details of a citation to a confidential
// source that only viewers who SeesConfidential may see: where it points in
// the document, and what it quotes. Which entry (and field) it supports, and
// whether it supports or contradicts it, stay shown.
var confidentialCitationFields = []withheld[Citation]{
	{"locator", jsonNull, func(c *Citation) { c.Locator = nil }},
	{"quote", jsonNull, func(c *Citation) { c.Quote = nil }},
}

// ConfidentialSourceFields returns the API names of the details of a
// confidential source that only viewers who SeesConfidential may see, for
// the reads that must also keep them from matching (filters, search).
func ConfidentialSourceFields() []string { return names(confidentialSourceFields) }

// ConfidentialCitationFields returns the API names of the details of a
// citation to a confidential source that only viewers who SeesConfidential
// may see.
func ConfidentialCitationFields() []string { return names(confidentialCitationFields) }

func names[T any](fs []withheld[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.field
	}
	return out
}

// RedactSource blanks the details of a confidential source that v may not see.
func (v Viewer) RedactSource(s *Source) {
	if s.Confidential && !v.SeesConfidential() {
		for _, f := range confidentialSourceFields {
			f.clear(s)
		}
	}
}

// RedactCitation blanks the details of a citation to a confidential source
// that v may not see.
func (v Viewer) RedactCitation(c *Citation, sourceConfidential bool) {
	if sourceConfidential && !v.SeesConfidential() {
		for _, f := range confidentialCitationFields {
			f.clear(c)
		}
	}
}

type viewerKey struct{}

// WithViewer returns a context for reads made on behalf of v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer a context was made for; anonymous when none was set,
// so a forgotten viewer fails closed.
func ViewerFrom(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}
