package catalog

import (
	"time"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// The read side's own records: views over entries that are not entries.

// SearchHit is an entry that matched a search.
type SearchHit struct {
	EntryID   uuid.UUID          `db:"entry_id"`
	EntryType registry.EntryType `db:"entry_type"`
	Score     float64            `db:"score"`
	Snippet   *string            `db:"snippet"`
}

// EvidenceRow is one supply relationship (vendor × state × technology ×
// product) drawn from published deployments, with what bears on it.
type EvidenceRow struct {
	VendorID            uuid.UUID           `db:"vendor_id"`
	StateID             uuid.UUID           `db:"state_id"`
	TechnologyID        uuid.UUID           `db:"technology_id"`
	ProductID           *uuid.UUID          `db:"product_id"`
	DeploymentIDs       []uuid.UUID         `db:"deployment_ids"`
	StrongestConfidence registry.Confidence `db:"strongest_confidence"`
	CitationCount       int                 `db:"citation_count"`
}

// ChangeEvent is a published change, for the change feed.
type ChangeEvent struct {
	ID        int64               `db:"id"`
	EntryID   uuid.UUID           `db:"entry_id"`
	EntryType registry.EntryType  `db:"entry_type"`
	Version   int                 `db:"version"`
	Kind      registry.ChangeKind `db:"kind"`
	At        time.Time           `db:"at"`
	Summary   *string             `db:"summary"`
}
