package registry

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// SubmissionStatus is where a submission stands in review.
type SubmissionStatus string

// Submission statuses.
const (
	SubmissionDraft            SubmissionStatus = "DRAFT"
	SubmissionSubmitted        SubmissionStatus = "SUBMITTED"
	SubmissionChangesRequested SubmissionStatus = "CHANGES_REQUESTED"
	SubmissionMerged           SubmissionStatus = "MERGED"
	SubmissionRejected         SubmissionStatus = "REJECTED"
	SubmissionWithdrawn        SubmissionStatus = "WITHDRAWN"
)

// Open reports whether the author may still change the submission's changes.
func (s SubmissionStatus) Open() bool {
	return s == SubmissionDraft || s == SubmissionChangesRequested
}

// ChangeOperation is what a change does to its entry.
type ChangeOperation string

// Change operations.
const (
	OpCreate  ChangeOperation = "CREATE"
	OpUpdate  ChangeOperation = "UPDATE"
	OpRetract ChangeOperation = "RETRACT"
)

// ReviewDecision is an editor's verdict on a submission.
type ReviewDecision string

// Review decisions.
const (
	DecisionApprove        ReviewDecision = "APPROVE"
	DecisionRequestChanges ReviewDecision = "REQUEST_CHANGES"
	DecisionReject         ReviewDecision = "REJECT"
)

// Submission is a set of proposed changes reviewed and merged together.
type Submission struct {
	ID          uuid.UUID        `db:"id"`
	Title       string           `db:"title"`
	Description *string          `db:"description"`
	Correction  bool             `db:"correction"`
	Status      SubmissionStatus `db:"status"`
	AuthorID    uuid.UUID        `db:"author_id"`
	CreatedAt   time.Time        `db:"created_at"`
	UpdatedAt   time.Time        `db:"updated_at"`
	SubmittedAt *time.Time       `db:"submitted_at"`
	MergedAt    *time.Time       `db:"merged_at"`
}

// Change proposes one entry's next state. Proposed is the complete snapshot
// the merge will publish (see Snapshot).
type Change struct {
	ID           uuid.UUID       `db:"id"`
	SubmissionID uuid.UUID       `db:"submission_id"`
	Position     int             `db:"position"`
	Operation    ChangeOperation `db:"operation"`
	EntryType    EntryType       `db:"entry_type"`
	EntryID      uuid.UUID       `db:"entry_id"`
	BaseVersion  *int            `db:"base_version"`
	Proposed     json.RawMessage `db:"proposed"`
	Reason       *string         `db:"reason"`
	CreatedAt    time.Time       `db:"created_at"`
	WithdrawnAt  *time.Time      `db:"withdrawn_at"`
}

// Review is an editor's decision on a submission.
type Review struct {
	ID           uuid.UUID      `db:"id"`
	SubmissionID uuid.UUID      `db:"submission_id"`
	ReviewerID   uuid.UUID      `db:"reviewer_id"`
	Decision     ReviewDecision `db:"decision"`
	Comment      *string        `db:"comment"`
	CreatedAt    time.Time      `db:"created_at"`
}

// User is an account, as the API shows it: never its email.
type User struct {
	ID   uuid.UUID `db:"id"`
	Name string    `db:"name"`
	Role Role      `db:"role"`
}
