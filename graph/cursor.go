package graph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"oversight/internal/catalog"
)

// Cursors are opaque: base64url of a JSON pair [sort value, id]. They are
// keyset positions, valid across requests and unaffected by entries added
// before them.

func encodeCursor(c catalog.Cursor) string {
	b, _ := json.Marshal([]string{c.Sort, c.ID.String()})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*catalog.Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 1024 {
		return nil, fmt.Errorf("after: %q is not a cursor from this API", s)
	}
	var parts []string
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 2 {
		return nil, fmt.Errorf("after: %q is not a cursor from this API", s)
	}
	id, err := uuid.Parse(parts[1])
	if err != nil {
		return nil, fmt.Errorf("after: %q is not a cursor from this API", s)
	}
	return &catalog.Cursor{Sort: parts[0], ID: id}, nil
}
