package graph

import (
	"github.com/google/uuid"

	"oversight/internal/registry"
)

// EntryIDForTest exposes entryID to the external tests, so that fixtures can
// name entries by their seed keys without depending on the ID format.
func EntryIDForTest(t registry.EntryType, id uuid.UUID) string { return entryID(t, id) }
