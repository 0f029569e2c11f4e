package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"

	"oversight/graph/model"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/registry"
)

// Global ID type names of the editorial records, which are Nodes but not entries.
const (
	submissionType = "Submission"
	changeType     = "Change"
	reviewType     = "Review"
	userType       = "User"
)

// editorialTypes are the non-entry type names a global ID may carry.
var editorialTypes = map[string]bool{citationType: true, submissionType: true, changeType: true, reviewType: true, userType: true}

// inputFields turns a propose* input into the fields the editorial service
// takes: named as in the input, omitted fields left out (so an update keeps
// them) and explicit nulls kept (so an update clears them), global IDs
// decoded to UUIDs. Every input type has the same shape, so one walk over
// the struct serves all thirteen. A bad ID is the user's mistake, returned
// as a field error with its path.
func inputFields(t registry.EntryType, input any) (editorial.Fields, []*registry.FieldError) {
	out := editorial.Fields{}
	var errs []*registry.FieldError
	rv := reflect.ValueOf(input)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	for i := 0; i < rv.NumField(); i++ {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		fv := rv.Field(i)
		if set := fv.MethodByName("IsSet"); set.IsValid() {
			if !set.Call(nil)[0].Bool() {
				continue
			}
			fv = fv.MethodByName("Value").Call(nil)[0]
		}
		value := fv.Interface()
		switch {
		case name == "citations":
			cits, cerrs := citationFields(value.([]*model.CitationInput))
			errs = append(errs, cerrs...)
			out[name] = mustMarshal(cits)
		case name == "subjectId":
			// One ID names a vendor, a state or an agency; the entry keeps
			// it in the column of its type.
			for _, k := range []string{"vendorId", "stateId", "agencyId"} {
				out[k] = json.RawMessage("null")
			}
			typeName, id, err := decodeID(value.(string))
			subject := map[registry.EntryType]string{registry.TypeVendor: "vendorId", registry.TypeState: "stateId", registry.TypeAgency: "agencyId"}[entryTypes[typeName]]
			if err != nil || subject == "" {
				errs = append(errs, &registry.FieldError{Field: []string{"input", name}, Code: registry.CodeNotFound,
					Message: "subjectId: the subject of a designation is a vendor, a state or an agency"})
				continue
			}
			out[subject] = mustMarshal(id)
		case isReference(name):
			want, ok := referenceTypes[name]
			if name == "parentId" {
				want, ok = t, true
			}
			ids, err := decodeReference(name, want, ok, value)
			if err != nil {
				errs = append(errs, &registry.FieldError{Field: []string{"input", name}, Code: registry.CodeNotFound, Message: err.Error()})
				continue
			}
			out[name] = mustMarshal(ids)
		default:
			out[name] = mustMarshal(value)
		}
	}
	return out, errs
}

func isReference(name string) bool {
	return strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids")
}

// decodeReference decodes a reference field: one ID (string or *string) or
// a list. typed says whether the field names the type it must point at.
func decodeReference(name string, want registry.EntryType, typed bool, value any) (any, error) {
	one := func(s string) (uuid.UUID, error) {
		typeName, id, err := decodeID(s)
		t := entryTypes[typeName]
		if err != nil || t == "" || (typed && t != want) {
			what := "an entry"
			if typed {
				what = "a " + typeNames[want]
			}
			return uuid.Nil, fmt.Errorf("%s: %q is not the ID of %s", name, s, what)
		}
		return id, nil
	}
	switch v := value.(type) {
	case string:
		return one(v)
	case *string:
		if v == nil {
			return nil, nil
		}
		return one(*v)
	case []string:
		ids := make([]uuid.UUID, len(v))
		for i, s := range v {
			id, err := one(s)
			if err != nil {
				return nil, err
			}
			ids[i] = id
		}
		return ids, nil
	}
	return nil, fmt.Errorf("%s: not an ID", name)
}

func citationFields(in []*model.CitationInput) ([]registry.Citation, []*registry.FieldError) {
	out := make([]registry.Citation, 0, len(in))
	var errs []*registry.FieldError
	for i, c := range in {
		typeName, id, err := decodeID(c.SourceID)
		if err != nil || entryTypes[typeName] != registry.TypeSource {
			errs = append(errs, &registry.FieldError{Field: []string{"input", "citations", fmt.Sprint(i), "sourceId"}, Code: registry.CodeNotFound,
				Message: fmt.Sprintf("citations[%d].sourceId: %q is not the ID of a Source", i, c.SourceID)})
			continue
		}
		cit := registry.Citation{SourceID: id, Locator: c.Locator.Value(), Quote: c.Quote.Value(), Field: c.Field.Value(), Stance: registry.StanceSupports}
		if s := c.Stance.Value(); s != nil {
			cit.Stance = *s
		}
		out = append(out, cit)
	}
	return out, errs
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("graph: marshal %T: %v", v, err))
	}
	return b
}

func fieldErrors(errs editorial.Errors) []*registry.FieldError {
	out := make([]*registry.FieldError, len(errs))
	for i := range errs {
		out[i] = &errs[i]
	}
	return out
}

// propose runs one propose* mutation: decode, call the service, shape the payload.
func (r *Resolver) propose(ctx context.Context, t registry.EntryType, submissionID string, id *string, input any) (*model.ChangePayload, error) {
	v := registry.ViewerFrom(ctx)
	if err := v.MayContribute(); err != nil {
		return nil, err
	}
	sub, ok := decodeOf(submissionType, submissionID)
	if !ok {
		return &model.ChangePayload{UserErrors: []*registry.FieldError{notFound("submissionId", "no such submission")}}, nil
	}
	var entry *uuid.UUID
	if id != nil {
		eid, ok := decodeOf(typeNames[t], *id)
		if !ok {
			return &model.ChangePayload{UserErrors: []*registry.FieldError{notFound("id", "not the ID of a "+typeNames[t])}}, nil
		}
		entry = &eid
	}
	fields, ferrs := inputFields(t, input)
	if len(ferrs) > 0 {
		return &model.ChangePayload{UserErrors: ferrs}, nil
	}
	p, errs, err := r.Editorial.Propose(ctx, v, sub, t, entry, fields)
	return changePayload(p, errs, err)
}

func changePayload(p *editorial.Proposal, errs editorial.Errors, err error) (*model.ChangePayload, error) {
	if err != nil {
		return nil, err
	}
	out := &model.ChangePayload{UserErrors: fieldErrors(errs)}
	if p != nil {
		out.Change, out.Submission = p.Change, p.Submission
	}
	return out, nil
}

func submissionPayload(sub *registry.Submission, errs editorial.Errors, err error) (*model.SubmissionPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.SubmissionPayload{Submission: sub, UserErrors: fieldErrors(errs)}, nil
}

func notFound(field, msg string) *registry.FieldError {
	return &registry.FieldError{Field: []string{field}, Code: registry.CodeNotFound, Message: field + ": " + msg}
}

// decodeOf decodes a global ID that must be of the named type.
func decodeOf(typeName, s string) (uuid.UUID, bool) {
	t, id, err := decodeID(s)
	return id, err == nil && t == typeName
}

// submissionVisible loads a submission and says whether the viewer may see it.
func (r *Resolver) submissionVisible(ctx context.Context, id uuid.UUID) (*registry.Submission, error) {
	sub, err := load(ctx, "Submission", r.Catalog.Submissions, id)
	if err != nil || sub == nil || !registry.ViewerFrom(ctx).MaySee(sub) {
		return nil, err
	}
	return sub, nil
}

// editorialNode resolves a global ID of a submission or a user, null for a
// viewer who may not see it (and for changes and reviews, which are not Nodes).
func (r *Resolver) editorialNode(ctx context.Context, typeName string, id uuid.UUID) (any, error) {
	v := registry.ViewerFrom(ctx)
	switch typeName {
	case submissionType:
		return nilIfAbsent(r.submissionVisible(ctx, id))
	case changeType, reviewType:
		// Changes and reviews are reached through their submission; they
		// are not Nodes, so node() answers null for their IDs.
		return nil, nil
	case userType:
		// Users are visible to signed-in users; their names only as User.name allows.
		if !v.SignedIn() {
			return nil, nil
		}
		return nilIfAbsent(load(ctx, "User", r.Catalog.Users, id))
	}
	return nil, nil
}

// roleLabel is what a user who may not see another's name sees instead.
func roleLabel(role registry.Role) string {
	switch role {
	case registry.RoleAdmin:
		return "An admin"
	case registry.RoleEditor:
		return "An editor"
	}
	return "A contributor"
}

// changeDiff compares a change's proposal with the entry's current published
// version, or, once merged, with the version it was based on.
func (r *Resolver) changeDiff(ctx context.Context, c *registry.Change) ([]*registry.FieldChange, error) {
	var before json.RawMessage
	if c.Operation != registry.OpCreate {
		sub, err := load(ctx, "Submission", r.Catalog.Submissions, c.SubmissionID)
		if err != nil {
			return nil, err
		}
		key := catalog.VersionKey{EntryID: c.EntryID}
		if sub != nil && sub.Status == registry.SubmissionMerged && c.BaseVersion != nil {
			key.Version = *c.BaseVersion
		}
		if before, err = load(ctx, "Snapshot", r.Catalog.Snapshots, key); err != nil {
			return nil, err
		}
	}
	changes, err := registry.Diff(before, c.Proposed)
	if err != nil {
		return nil, err
	}
	v := &registry.EntryVersion{EntryID: c.EntryID, EntryType: c.EntryType, Snapshot: c.Proposed, Changes: changes}
	if err := r.Catalog.RedactVersions(ctx, []*registry.EntryVersion{v}); err != nil {
		return nil, err
	}
	return r.publicChanges(ctx, v)
}

// changeProposal serves a change's proposed state like a version's snapshot:
// confidential details redacted for the viewer, references as global IDs.
func (r *Resolver) changeProposal(ctx context.Context, c *registry.Change) (json.RawMessage, error) {
	v := &registry.EntryVersion{EntryID: c.EntryID, EntryType: c.EntryType, Snapshot: c.Proposed}
	if err := r.Catalog.RedactVersions(ctx, []*registry.EntryVersion{v}); err != nil {
		return nil, err
	}
	return r.publicSnapshot(ctx, v)
}

// onSubmission runs a mutation that acts on one submission (or one change):
// check the viewer may act at all, decode the ID, call the service.
func (r *Resolver) onSubmission(ctx context.Context, typeName, field, id string, may func(registry.Viewer) error,
	act func(context.Context, registry.Viewer, uuid.UUID) (*registry.Submission, editorial.Errors, error)) (*model.SubmissionPayload, error) {
	v := registry.ViewerFrom(ctx)
	if err := may(v); err != nil {
		return nil, err
	}
	uid, ok := decodeOf(typeName, id)
	if !ok {
		return &model.SubmissionPayload{UserErrors: []*registry.FieldError{notFound(field, "no such "+strings.ToLower(typeName))}}, nil
	}
	return submissionPayload(act(ctx, v, uid))
}

// conflicts counts the CONFLICT errors of a review: an approval that applied nothing.
func conflicts(errs editorial.Errors) int {
	n := 0
	for _, e := range errs {
		if e.Code == registry.CodeConflict {
			n++
		}
	}
	return n
}
