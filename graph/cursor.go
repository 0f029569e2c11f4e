package graph

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"oversight/internal/catalog"
)

// Cursors are opaque: base64url of a JSON pair [sort value, id]. They are
// keyset positions, valid across requests and unaffected by entries added
// before them.

// maxCursor bounds a decoded cursor: the longest sort value (a 1000-character
// title of 4-byte characters) with room to spare.
const maxCursor = 8 << 10

func encodeCursor(c catalog.Cursor) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" as itself, not \u003c: shorter cursors
	_ = enc.Encode([]string{c.Sort, c.ID.String()})
	return base64.RawURLEncoding.EncodeToString(bytes.TrimRight(buf.Bytes(), "\n"))
}

func decodeCursor(s string) (*catalog.Cursor, error) {
	if len(s) > base64.RawURLEncoding.EncodedLen(maxCursor) {
		return nil, fmt.Errorf("after: not a cursor from this API (too long)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
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
