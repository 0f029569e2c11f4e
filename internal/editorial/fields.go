package editorial

import (
	"fmt"
	"slices"
	"strings"

	"oversight/internal/registry"
)

// CheckFields refuses what a proposal of an entry of type t may not set,
// whichever door it comes through: a status or retraction reason (a
// retraction sets those, proposeRetraction or a RETRACTED line of an
// import), and any name that is neither one of the type's fields nor its
// citations. GraphQL's input types refuse unknown
// names before a proposal reaches the service; an import file has no schema
// but this, so a misspelt field (webiste) is refused there too rather than
// silently dropped. Paths are under "input", as the API's userErrors are.
func CheckFields(t registry.EntryType, fields Fields) Errors {
	names, err := registry.FieldNames(t)
	if err != nil {
		return Errors{{Field: []string{"type"}, Message: err.Error(), Code: registry.CodeInvalid}}
	}
	var errs Errors
	for _, k := range slices.Sorted(mapKeys(fields)) {
		switch {
		case k == "status" || k == "retractionReason":
			errs.add(registry.CodeInvalid, k+" is set by a retraction (proposeRetraction), not by a proposal", "input", k)
		case k != "citations" && !slices.Contains(names, k):
			errs.add(registry.CodeInvalid, fmt.Sprintf("a %s has no field %q; its fields are %s",
				strings.ToLower(strings.ReplaceAll(string(t), "_", " ")), k, strings.Join(names, ", ")), "input", k)
		}
	}
	return errs
}

func mapKeys(f Fields) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range f {
			if !yield(k) {
				return
			}
		}
	}
}
