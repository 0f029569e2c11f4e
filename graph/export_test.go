package graph

import (
	"context"
	"sync/atomic"

	"github.com/google/uuid"

	"oversight/internal/registry"
)

// EntryIDForTest exposes entryID to the external tests, so that fixtures can
// name entries by their seed keys without depending on the ID format.
func EntryIDForTest(t registry.EntryType, id uuid.UUID) string { return entryID(t, id) }

// WithDirectProbe returns ctx with answered, which the direct read path sets
// when it answers the request (direct.go).
func WithDirectProbe(ctx context.Context, answered *atomic.Bool) context.Context {
	return context.WithValue(ctx, directProbeKey{}, answered)
}
