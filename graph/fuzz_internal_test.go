package graph

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"oversight/internal/catalog"
)

// maxSortRunes is the longest sort value a list can hand out: lists sort by
// lower(title) of sources, whose titles may have 1000 characters (see
// registry.Validate); names have at most registry.MaxName.
const maxSortRunes = 1000

// FuzzCursor checks the cursor codec both ways: every cursor the API can
// hand out (a sort value as PostgreSQL text, so valid UTF-8 without NUL, of
// at most maxSortRunes characters, and an ID) decodes to itself; and any
// string a client sends either decodes to a cursor that re-encodes to an
// equivalent one, or is refused with an error, never a panic.
func FuzzCursor(f *testing.F) {
	id := uuid.MustParse("0b9e3ab2-5a4c-4c0e-9d4e-3f8c6b2a1d00")
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		encodeCursor(catalog.Cursor{Sort: "hikvision", ID: id}),
		encodeCursor(catalog.Cursor{Sort: "", ID: uuid.Nil}),
		encodeCursor(catalog.Cursor{Sort: "~0.5", ID: id}),
		b64([]byte(`["a","`+id.String()+`"]`)) + "==",      // padded
		b64([]byte(`["a","` + id.String() + `","extra"]`)), // three parts
		b64([]byte(`["a"]`)), // one part
		b64([]byte(`{"sort":"a","id":"` + id.String() + `"}`)), // an object
		b64([]byte(`[1,"` + id.String() + `"]`)),               // a number
		b64([]byte(`[null,"` + id.String() + `"]`)),            // null sort
		b64([]byte(`["a",null]`)),                              // null ID
		b64([]byte(`"a"`)), b64([]byte(`null`)), b64([]byte(`[]`)), b64([]byte(``)),
		b64([]byte(`["a","not-a-uuid"]`)),
		b64([]byte(`["a","{` + id.String() + `}"]`)),          // braced UUID
		b64([]byte(`["a","urn:uuid:` + id.String() + `"]`)),   // URN UUID
		b64([]byte(`["\u0000\ud800","` + id.String() + `"]`)), // NUL, lone surrogate
		b64([]byte("[\"\xff\",\"" + id.String() + "\"]")),     // invalid UTF-8
		b64([]byte(`["a","` + id.String() + `"] trailing`)),   // trailing garbage
		b64([]byte(`["` + strings.Repeat("x", 2000) + `","` + id.String() + `"]`)),
		"", "=", "!!!", "a", "ab", "abc", "abc+/", "WyJhIiwi\x00", strings.Repeat("A", 10000),
	} {
		f.Add(s, "", id[:])
	}
	for _, sort := range []string{
		"hikvision", "2019-10-09", "0000000003", "~0.0607927", "0.1", "<script>&</script>",
		"\u2028\u2029", "\"\\", "日本語のベンダー", "emoji 🙂",
		strings.Repeat("a", maxSortRunes),
		strings.Repeat("<", 300), // a name of registry.MaxName characters that JSON escapes
		strings.Repeat("ü", 600), // a title of two-byte characters
		strings.Repeat("𝔸", 300), // a name of four-byte characters
	} {
		f.Add("", sort, id[:])
	}
	f.Fuzz(func(t *testing.T, s, sort string, raw []byte) {
		// Decoding whatever a client sends.
		if c, err := decodeCursor(s); err != nil {
			if c != nil {
				t.Fatalf("decodeCursor(%q) = %+v, %v: want no cursor with the error", s, c, err)
			}
		} else {
			if c == nil {
				t.Fatalf("decodeCursor(%q) = nil, nil", s)
			}
			again, err := decodeCursor(encodeCursor(*c))
			// encodeCursor writes invalid UTF-8 as U+FFFD (json.Marshal);
			// the database never hands out such a sort value.
			if utf8.ValidString(c.Sort) && (err != nil || *again != *c) {
				t.Fatalf("decodeCursor(%q) = %+v, but decodeCursor(encodeCursor(that)) = %+v, %v", s, *c, again, err)
			}
		}

		// Encoding what the server hands out.
		if !utf8.ValidString(sort) || strings.ContainsRune(sort, 0) || utf8.RuneCountInString(sort) > maxSortRunes {
			return
		}
		var id uuid.UUID
		copy(id[:], raw)
		want := catalog.Cursor{Sort: sort, ID: id}
		enc := encodeCursor(want)
		got, err := decodeCursor(enc)
		if err != nil {
			t.Fatalf("decodeCursor(encodeCursor({Sort: %.40q… (%d characters, %d bytes), ID: %v})) failed: the API refuses its own %d-byte cursor",
				sort, utf8.RuneCountInString(sort), len(sort), id, len(enc))
		}
		if *got != want {
			t.Fatalf("decodeCursor(encodeCursor(%+v)) = %+v", want, *got)
		}
	})
}

// FuzzDirectString checks that the direct read path writes a string exactly
// as gqlgen's String marshaler does, whatever its bytes: control characters,
// quotes, backslashes, multi-byte and invalid UTF-8.
func FuzzDirectString(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", "line\nbreak\r", `"quoted" \back\`, "\x00\x01\x1f\x7f", "Ürümqi 新疆", "\xff\xfe", "a\u2028b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		graphql.MarshalString(s).MarshalGQL(&want)
		var w jw
		w.str(s)
		if got := w.String(); got != want.String() {
			t.Fatalf("str(%q) = %s, gqlgen writes %s", s, got, want.String())
		}
	})
}
