package registry

// The permission rules of the editorial workflow. Every service method asks
// one of these before it acts; the API translates the errors to
// UNAUTHENTICATED and FORBIDDEN.

// MayContribute is nil when v may open submissions and propose changes:
// any signed-in user.
func (v Viewer) MayContribute() error {
	if !v.SignedIn() {
		return Unauthenticated("sign in with an API token to propose changes")
	}
	return nil
}

// MayEdit is nil when v may change submission s: its author only, so that
// what an editor reviews is exactly what its author proposed.
func (v Viewer) MayEdit(s *Submission) error {
	if err := v.MayContribute(); err != nil {
		return err
	}
	if s.AuthorID != v.UserID {
		return Forbidden("only the author of a submission may change it")
	}
	return nil
}

// MayReview is nil when v may review submissions: editors and admins. That
// nobody reviews their own submission is a separate rule (SELF_REVIEW), told
// to the user as a mistake in the request, not as a lack of rights.
func (v Viewer) MayReview() error {
	if !v.SignedIn() {
		return Unauthenticated("sign in with an API token to review")
	}
	if v.Role != RoleEditor && v.Role != RoleAdmin {
		return Forbidden("only editors and admins review submissions")
	}
	return nil
}

// MaySee reports whether v may read submission s, its changes and reviews:
// editors and admins see all, contributors their own, anonymous readers none.
func (v Viewer) MaySee(s *Submission) bool {
	return v.SeesAllSubmissions() || (v.SignedIn() && s.AuthorID == v.UserID)
}
