package registry

import (
	"context"

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

// SeesConfidential reports whether v may see a confidential source's URL,
// archive URL, authors and the quotes that cite it: editors and admins only,
// since contributors' accounts are the easiest to compromise.
func (v Viewer) SeesConfidential() bool { return v.Role == RoleEditor || v.Role == RoleAdmin }

// RedactSource blanks the details of a confidential source that v may not see.
func (v Viewer) RedactSource(s *Source) {
	if s.Confidential && !v.SeesConfidential() {
		s.URL, s.ArchiveURL, s.Authors = nil, nil, []string{}
	}
}

// RedactCitation blanks the quote of a citation to a confidential source that v may not see.
func (v Viewer) RedactCitation(c *Citation, sourceConfidential bool) {
	if sourceConfidential && !v.SeesConfidential() {
		c.Quote = nil
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
