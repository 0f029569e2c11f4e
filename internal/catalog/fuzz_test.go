package catalog

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzParseSearch checks that ParseSearch never panics, and that a query it
// accepts is within the documented limits and well formed: at most
// MaxSearchLength characters, 1 to MaxSearchTerms terms, each with a letter
// or digit and taken from the query, no empty OR group, and a word to search
// for on every side of an OR; and that the SQL built from it has one
// parameter per term.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		"hikvision", "facial recognition", `"facial recognition" china`, "cameras -dahua",
		"hikvision OR dahua", "a b OR c", "OR", "or hikvision", "hikvision OR", "a OR OR b", "a or b",
		`"or"`, "-or", "-", "- -", "--", "-a", "-a b", "a -b OR -c", "a OR -b", `-"a b"`, `"`, `"""`,
		`"unbalanced quote`, `a "b`, `"a" "b"`, `""`, `"  "`, `-""`, `a"b"c`, "...", "!!! ???", "\x00",
		"\x00a", "a\x00b", "\xff\xfe", "ｈｉｋｖｉｓｉｏｎ", "٣٤٥", "海康威视", "naïve café", "\u00a0a\u2003b\u3000",
		"a\u200bb", "🙂", "a🙂", "   ", "\t\n", "",
		strings.Repeat("a ", 20), strings.Repeat("a ", 21), strings.Repeat("a OR ", 30) + "a",
		strings.Repeat("-a ", 20) + "b", strings.Repeat("x", 200), strings.Repeat("x", 201),
		strings.Repeat("é", 200), strings.Repeat("a", 10000), strings.Repeat(`"`, 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseSearch(s)
		if err != nil {
			if q.groups != nil {
				t.Fatalf("ParseSearch(%q) = %+v, %v: want an empty query with the error", s, q, err)
			}
			if err.Error() == "" {
				t.Fatalf("ParseSearch(%q): empty error message", s)
			}
			return
		}
		if n := utf8.RuneCountInString(s); n > MaxSearchLength {
			t.Fatalf("ParseSearch accepted %d characters, more than %d", n, MaxSearchLength)
		}
		if strings.TrimSpace(s) == "" {
			t.Fatalf("ParseSearch(%q) accepted a blank query", s)
		}
		if len(q.groups) == 0 {
			t.Fatalf("ParseSearch(%q) accepted a query without terms", s)
		}
		terms := 0
		for i, g := range q.groups {
			if len(g) == 0 {
				t.Fatalf("ParseSearch(%q): OR group %d is empty", s, i)
			}
			positive := false
			for _, term := range g {
				terms++
				positive = positive || !term.exclude
				if !strings.ContainsFunc(term.text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
					t.Fatalf("ParseSearch(%q): term %q has no letter or digit", s, term.text)
				}
				// Invalid UTF-8 reads as U+FFFD, byte by byte; a GraphQL
				// string is always valid UTF-8.
				if !strings.Contains(string([]rune(s)), term.text) {
					t.Fatalf("ParseSearch(%q): term %q is not from the query", s, term.text)
				}
				if strings.Contains(term.text, `"`) {
					t.Fatalf("ParseSearch(%q): term %q holds a quote", s, term.text)
				}
			}
			if !positive {
				t.Fatalf("ParseSearch(%q): OR group %d has only exclusions", s, i)
			}
		}
		if terms < 1 || terms > MaxSearchTerms {
			t.Fatalf("ParseSearch(%q) accepted %d terms, want 1 to %d", s, terms, MaxSearchTerms)
		}
		if len(q.positive())+len(q.excluded()) != terms || len(q.positive()) == 0 {
			t.Fatalf("ParseSearch(%q): %d positive and %d excluded terms of %d", s, len(q.positive()), len(q.excluded()), terms)
		}
		var a args
		if sql := q.tsquery(&a); sql == "" || len(a) != terms {
			t.Fatalf("ParseSearch(%q).tsquery() = %q with %d parameters, want %d", s, sql, len(a), terms)
		}
		var r args
		if sql := q.required(&r); sql == "" || len(r) != len(q.positive()) {
			t.Fatalf("ParseSearch(%q).required() = %q with %d parameters, want %d", s, sql, len(r), len(q.positive()))
		}
		// Parsing is deterministic.
		if q2, err := ParseSearch(s); err != nil || len(q2.groups) != len(q.groups) {
			t.Fatalf("ParseSearch(%q) a second time = %+v, %v", s, q2, err)
		}
	})
}
