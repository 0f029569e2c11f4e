package database

import (
	"unsafe"

	"github.com/jackc/pgx/v5/pgtype"

	"oversight/internal/registry"
)

// tryRegistryString gives pgx a plan for the registry's string types
// (EntryType, PartialDate, URL...) that scans them as the strings they are.
// Left to itself, pgx finds their underlying type by reflection and
// converts each value with reflect.Value.Convert: for a dossier's thousands
// of rows, a tenth of the Go time of a read.
func tryRegistryString(target any) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	switch t := target.(type) {
	case *registry.EntryType:
		return as(t)
	case *registry.EntryStatus:
		return as(t)
	case *registry.Confidence:
		return as(t)
	case *registry.AbuseCategory:
		return as(t)
	case *registry.ControlRegime:
		return as(t)
	case *registry.SourceKind:
		return as(t)
	case *registry.CitationStance:
		return as(t)
	case *registry.ReplyStatus:
		return as(t)
	case *registry.ChangeKind:
		return as(t)
	case *registry.PartialDate:
		return as(t)
	case *registry.CountryCode:
		return as(t)
	case *registry.URL:
		return as(t)
	case *registry.Role:
		return as(t)
	case *registry.SubmissionStatus:
		return as(t)
	case *registry.ChangeOperation:
		return as(t)
	case *registry.ReviewDecision:
		return as(t)
	case *registry.Code:
		return as(t)
	}
	return nil, nil, false
}

func as[T ~string](t *T) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	return &stringScan[T]{}, asString(t), true
}

// asString is t as a *string: T's underlying type is string, so the two
// have one layout (Go allows the conversion for a named T, not for a type
// parameter, hence unsafe).
func asString[T ~string](t *T) *string { return (*string)(unsafe.Pointer(t)) }

// stringScan scans into a *T through the plan for a *string.
type stringScan[T ~string] struct{ next pgtype.ScanPlan }

func (p *stringScan[T]) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *stringScan[T]) Scan(src []byte, dst any) error {
	return p.next.Scan(src, asString(dst.(*T)))
}
