package graph_test

// Who may do what in the editorial API: every mutation as each role, the
// token failures, and what each role reads of submissions and users. The
// helpers at the top (accounts with tokens, the API with authentication and
// the editorial service, requests as a user) serve the other editorial tests
// of the package too.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/registry"
	"oversight/internal/server"
)

// account is a user of the editorial API with a token that never expires.
type account struct {
	name, email string
	role        registry.Role
	userID      uuid.UUID
	token       string
	tokenID     uuid.UUID
	gid         string // the global ID, as me { id } gives it
}

// anon makes requests without an Authorization header.
var anon = &account{name: "anonymous"}

// logBuffer collects the server's log lines; the handler writes from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// editorialAPI is the fixture's registry behind the whole API: tokens,
// editorial mutations, and a debug-level log kept for inspection.
type editorialAPI struct {
	*fixture
	api   http.Handler
	store *auth.Store
	logs  *logBuffer
}

func newEditorialAPI(t *testing.T) *editorialAPI {
	t.Helper()
	f := newFixture(t)
	logs := &logBuffer{}
	store := auth.NewStore(f.pool)
	return &editorialAPI{fixture: f, store: store, logs: logs, api: newServer(graph.Config{
		Catalog:   catalog.New(f.pool),
		Editorial: editorial.New(f.pool),
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, server.Config{
		Auth: store,
	})}
}

// addAccount adds a user and gives them a token that never expires.
func (e *editorialAPI) addAccount(t *testing.T, name, email string, role registry.Role) *account {
	t.Helper()
	ctx := t.Context()
	id, err := e.store.AddUser(ctx, name, email, role)
	if err != nil {
		t.Fatalf("AddUser(%s) error = %v", role, err)
	}
	token, info, err := e.store.CreateToken(ctx, email, 0)
	if err != nil {
		t.Fatalf("CreateToken(%s) error = %v", role, err)
	}
	a := &account{name: name, email: email, role: role, userID: id, token: token, tokenID: info.ID}
	var out struct {
		Me struct{ ID string } `json:"me"`
	}
	e.mustQueryAs(t, a, `{ me { id } }`, nil, &out)
	if out.Me.ID == "" {
		t.Fatalf("me as a new %s = %+v, want the user", role, out)
	}
	a.gid = out.Me.ID
	return a
}

// requestAs sends one GraphQL request to h as a, and returns the response
// and its HTTP status.
func requestAs(t *testing.T, h http.Handler, a *account, query string, vars map[string]any) (response, int) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if a != nil && a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{body: rec.Body.String(), query: query, vars: vars}
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("POST as %s %s (vars %v): status %d, body %q is not a GraphQL response: %v", a.name, query, vars, rec.Code, rec.Body.String(), err)
	}
	return r, rec.Code
}

func (e *editorialAPI) as(t *testing.T, a *account, query string, vars map[string]any) response {
	t.Helper()
	r, _ := requestAs(t, e.api, a, query, vars)
	return r
}

// mustQueryAs posts as a and decodes data into out, failing on any error.
func (e *editorialAPI) mustQueryAs(t *testing.T, a *account, query string, vars map[string]any, out any) response {
	t.Helper()
	r, status := requestAs(t, e.api, a, query, vars)
	if status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("as %s: %s\nvariables %v\ngot status %d, body %s; want data and no errors", a.name, query, vars, status, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("as %s: %s: decode data %s: %v", a.name, query, r.Data, err)
		}
	}
	return r
}

// editorialPayload is a SubmissionPayload or ChangePayload, selected with changePayloadFields.
type editorialPayload struct {
	Change *struct {
		ID          string          `json:"id"`
		Operation   string          `json:"operation"`
		EntryType   string          `json:"entryType"`
		EntryID     string          `json:"entryId"`
		BaseVersion *int            `json:"baseVersion"`
		Reason      *string         `json:"reason"`
		Proposed    json.RawMessage `json:"proposed"`
	} `json:"change"`
	Submission *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"submission"`
	UserErrors []struct {
		Field   []string `json:"field"`
		Message string   `json:"message"`
		Code    string   `json:"code"`
	} `json:"userErrors"`
}

const submissionPayloadFields = `submission { id status } userErrors { field message code }`
const changePayloadFields = `change { id operation entryType entryId baseVersion reason proposed } ` + submissionPayloadFields

// mutate runs a mutation whose one field is aliased m, and returns its payload
// (nil when the field is null) and the response.
func (e *editorialAPI) mutate(t *testing.T, a *account, query string, vars map[string]any) (*editorialPayload, response) {
	t.Helper()
	r := e.as(t, a, query, vars)
	var out struct {
		M *editorialPayload `json:"m"`
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatalf("as %s: %s: decode data %s: %v", a.name, query, r.Data, err)
		}
	}
	return out.M, r
}

// mustMutate is mutate that fails the test on errors and userErrors.
func (e *editorialAPI) mustMutate(t *testing.T, a *account, query string, vars map[string]any) *editorialPayload {
	t.Helper()
	p, r := e.mutate(t, a, query, vars)
	if len(r.Errors) > 0 || p == nil || len(p.UserErrors) > 0 {
		t.Fatalf("as %s: %s\nvariables %v\ngot %s; want no errors and no userErrors", a.name, query, vars, r.body)
	}
	return p
}

// Mutations of the workflow, each aliased m, as the editorial tests use them.
const (
	createSubmissionMutation = `mutation($in: SubmissionInput!) { m: createSubmission(input: $in) { ` + submissionPayloadFields + ` } }`
	proposeSourceMutation    = `mutation($s: ID!, $id: ID, $in: SourceInput!) { m: proposeSource(submissionId: $s, id: $id, input: $in) { ` + changePayloadFields + ` } }`
	submitMutation           = `mutation($id: ID!) { m: submitSubmission(id: $id) { ` + submissionPayloadFields + ` } }`
	reviewMutation           = `mutation($id: ID!, $d: ReviewDecision!, $c: String) { m: reviewSubmission(id: $id, decision: $d, comment: $c) { ` + submissionPayloadFields + ` } }`
	withdrawMutation         = `mutation($id: ID!) { m: withdrawSubmission(id: $id) { ` + submissionPayloadFields + ` } }`
	withdrawChangeMutation   = `mutation($id: ID!) { m: withdrawChange(changeId: $id) { ` + submissionPayloadFields + ` } }`
	retractionMutation       = `mutation($s: ID!, $e: ID!, $r: String!) { m: proposeRetraction(submissionId: $s, entryId: $e, reason: $r) { ` + changePayloadFields + ` } }`
)

// proposeMutation is the propose* mutation of an entry type, named as in the schema.
func proposeMutation(typeName string) string {
	return fmt.Sprintf(`mutation($s: ID!, $id: ID, $in: %sInput!) { m: propose%s(submissionId: $s, id: $id, input: $in) { %s } }`,
		typeName, typeName, changePayloadFields)
}

// draft opens a submission as a and returns its ID.
func (e *editorialAPI) draft(t *testing.T, a *account, title string) string {
	t.Helper()
	p := e.mustMutate(t, a, createSubmissionMutation, map[string]any{"in": map[string]any{"title": title}})
	return p.Submission.ID
}

// proposeSource adds a new public source to submission sub, returning the change.
func (e *editorialAPI) proposeSource(t *testing.T, a *account, sub, title string) *editorialPayload {
	t.Helper()
	return e.mustMutate(t, a, proposeSourceMutation, map[string]any{"s": sub, "in": map[string]any{"title": title, "kind": "NEWS"}})
}

// submitted opens a submission with one change, submitted for review.
func (e *editorialAPI) submitted(t *testing.T, a *account, title string) string {
	t.Helper()
	sub := e.draft(t, a, title)
	e.proposeSource(t, a, sub, title+" source")
	e.mustMutate(t, a, submitMutation, map[string]any{"id": sub})
	return sub
}

// submissionState is what the author sees of a submission, to compare before
// and after a refused mutation.
func (e *editorialAPI) submissionState(t *testing.T, a *account, sub string) string {
	t.Helper()
	r := e.mustQueryAs(t, a, `query($id: ID!) { node(id: $id) { ... on Submission { status submittedAt mergedAt
		changes { id operation entryId proposed } reviews { id decision comment } } } }`, map[string]any{"id": sub}, nil)
	return string(r.Data)
}

// The outcomes a mutation can have in the matrix.
const (
	outcomeAllowed         = "allowed"
	outcomeUnauthenticated = "UNAUTHENTICATED"
	outcomeForbidden       = "FORBIDDEN"
	outcomeSelfReview      = "userError SELF_REVIEW"
)

// mutationCase is one mutation of the schema: what its target needs, the
// request, and what success looks like.
type mutationCase struct {
	name string
	// target prepares what the mutation acts on, owned by owner, and returns
	// the variables of the request and the submission acted on ("" for
	// createSubmission).
	target func(t *testing.T, e *editorialAPI, owner *account) (vars map[string]any, submission string)
	query  string
	// succeeded checks the payload of an allowed call.
	succeeded func(t *testing.T, p *editorialPayload)
}

// mutationCases lists every mutation of the schema.
func mutationCases(w *world) []mutationCase {
	cite := []map[string]any{{"sourceId": w.id("src-01"), "locator": "p. 1"}}
	inputs := []struct {
		typeName, entryType string
		input               map[string]any
	}{
		{"State", "STATE", map[string]any{"countryCode": "FR", "name": "France"}},
		{"Agency", "AGENCY", map[string]any{"stateId": w.id("CN"), "name": "Matrix agency"}},
		{"Vendor", "VENDOR", map[string]any{"name": "Matrix vendor", "countryCode": "FR"}},
		{"Technology", "TECHNOLOGY", map[string]any{"name": "Matrix technology", "parentId": w.id("spyware")}},
		{"Product", "PRODUCT", map[string]any{"vendorId": w.id("hikcam"), "name": "Matrix product", "technologyIds": []string{w.id("facial-recognition")}}},
		{"Deployment", "DEPLOYMENT", map[string]any{"stateId": w.id("CN"), "technologyId": w.id("imsi-catcher"), "confidence": "ALLEGED", "citations": cite}},
		{"Abuse", "ABUSE", map[string]any{"title": "Matrix abuse", "summary": "A summary", "stateId": w.id("CN"), "categories": []string{"OTHER"},
			"confidence": "ALLEGED", "citations": cite}},
		{"Community", "COMMUNITY", map[string]any{"name": "Matrix community"}},
		{"DesignationList", "DESIGNATION_LIST", map[string]any{"code": "MATRIX-LIST", "name": "Matrix list", "authority": "Matrix authority", "jurisdiction": "FR"}},
		{"Designation", "DESIGNATION", map[string]any{"listId": w.id("dl-watch"), "subjectId": w.id("nsoft"), "listedOn": "2024", "citations": cite}},
		{"ControlListEntry", "CONTROL_LIST_ENTRY", map[string]any{"regime": "OTHER", "code": "MATRIX-1", "title": "Matrix control"}},
		{"Source", "SOURCE", map[string]any{"title": "Matrix source", "kind": "NEWS"}},
		{"VendorResponse", "VENDOR_RESPONSE", map[string]any{"vendorId": w.id("nsoft"), "replyStatus": "PENDING"}},
	}
	draftOf := func(t *testing.T, e *editorialAPI, owner *account) string { return e.draft(t, owner, "Matrix draft") }
	var cases []mutationCase
	cases = append(cases, mutationCase{
		name: "createSubmission",
		target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
			return map[string]any{"in": map[string]any{"title": "Matrix submission " + uuid.NewString()}}, ""
		},
		query: createSubmissionMutation,
		succeeded: func(t *testing.T, p *editorialPayload) {
			if p.Submission == nil || p.Submission.Status != "DRAFT" {
				t.Errorf("createSubmission = %+v, want a DRAFT submission", p.Submission)
			}
		},
	})
	for _, in := range inputs {
		cases = append(cases, mutationCase{
			name: "propose" + in.typeName,
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := draftOf(t, e, owner)
				return map[string]any{"s": sub, "in": in.input}, sub
			},
			query: proposeMutation(in.typeName),
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Change == nil || p.Change.Operation != "CREATE" || p.Change.EntryType != in.entryType || p.Change.EntryID == "" ||
					p.Submission == nil || p.Submission.Status != "DRAFT" {
					t.Errorf("propose%s = change %+v, submission %+v; want a CREATE of a %s in a DRAFT", in.typeName, p.Change, p.Submission, in.entryType)
				}
			},
		})
	}
	cases = append(cases,
		mutationCase{
			name: "proposeRetraction",
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := draftOf(t, e, owner)
				return map[string]any{"s": sub, "e": w.id("d-ns-04"), "r": "The matrix says so"}, sub
			},
			query: retractionMutation,
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Change == nil || p.Change.Operation != "RETRACT" || p.Change.EntryID != w.id("d-ns-04") || deref(p.Change.Reason) != "The matrix says so" {
					t.Errorf("proposeRetraction = change %+v, want a RETRACT of d-ns-04 with its reason", p.Change)
				}
			},
		},
		mutationCase{
			name: "withdrawChange",
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := draftOf(t, e, owner)
				return map[string]any{"id": e.proposeSource(t, owner, sub, "Withdrawn matrix source").Change.ID}, sub
			},
			query: withdrawChangeMutation,
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Submission == nil || p.Submission.Status != "DRAFT" {
					t.Errorf("withdrawChange = %+v, want its DRAFT submission", p.Submission)
				}
			},
		},
		mutationCase{
			name: "submitSubmission",
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := draftOf(t, e, owner)
				e.proposeSource(t, owner, sub, "Submitted matrix source")
				return map[string]any{"id": sub}, sub
			},
			query: submitMutation,
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Submission == nil || p.Submission.Status != "SUBMITTED" {
					t.Errorf("submitSubmission = %+v, want SUBMITTED", p.Submission)
				}
			},
		},
		mutationCase{
			name: "reviewSubmission",
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := e.submitted(t, owner, "Reviewed matrix submission "+uuid.NewString())
				return map[string]any{"id": sub, "d": "APPROVE", "c": "Looks right"}, sub
			},
			query: reviewMutation,
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Submission == nil || p.Submission.Status != "MERGED" {
					t.Errorf("reviewSubmission(APPROVE) = %+v, want MERGED", p.Submission)
				}
			},
		},
		mutationCase{
			name: "withdrawSubmission",
			target: func(t *testing.T, e *editorialAPI, owner *account) (map[string]any, string) {
				sub := e.submitted(t, owner, "Withdrawn matrix submission")
				return map[string]any{"id": sub}, sub
			},
			query: withdrawMutation,
			succeeded: func(t *testing.T, p *editorialPayload) {
				if p.Submission == nil || p.Submission.Status != "WITHDRAWN" {
					t.Errorf("withdrawSubmission = %+v, want WITHDRAWN", p.Submission)
				}
			},
		},
	)
	return cases
}

// roleAccounts adds a contributor, two editors and an admin.
func roleAccounts(t *testing.T, e *editorialAPI) (contributor, editor, editor2, admin *account) {
	t.Helper()
	return e.addAccount(t, "Casey Contributor", "casey@example.org", registry.RoleContributor),
		e.addAccount(t, "Eden Editor", "eden@example.org", registry.RoleEditor),
		e.addAccount(t, "Emery Editor", "emery@example.org", registry.RoleEditor),
		e.addAccount(t, "Ari Admin", "ari@example.org", registry.RoleAdmin)
}

// TestEditorialPermissionMatrix runs every mutation as each role, on the
// actor's own submission and on someone else's, and checks the exact outcome.
func TestEditorialPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEditorialAPI(t)
	contributor, editor, editor2, admin := roleAccounts(t, e)

	// want gives the outcome of mutation m by actor on owner's target.
	type actorCase struct {
		name         string
		actor, owner *account
		want         func(m string) string
	}
	ownWork := func(m string) string {
		if m == "reviewSubmission" {
			return outcomeSelfReview
		}
		return outcomeAllowed
	}
	actors := []actorCase{
		{"anonymous", anon, contributor, func(string) string { return outcomeUnauthenticated }},
		{"contributor on own", contributor, contributor, func(m string) string {
			if m == "reviewSubmission" {
				return outcomeForbidden
			}
			return outcomeAllowed
		}},
		{"contributor on an editor's", contributor, editor, func(m string) string {
			if m == "createSubmission" {
				return outcomeAllowed
			}
			// The contract: permission failures are GraphQL errors coded
			// FORBIDDEN, not userErrors.
			return outcomeForbidden
		}},
		{"editor on own", editor, editor, ownWork},
		{"editor on a contributor's", editor, contributor, func(m string) string {
			if m == "createSubmission" || m == "reviewSubmission" {
				return outcomeAllowed
			}
			return outcomeForbidden
		}},
		{"editor on another editor's", editor2, editor, func(m string) string {
			if m == "createSubmission" || m == "reviewSubmission" {
				return outcomeAllowed
			}
			return outcomeForbidden
		}},
		{"admin on own", admin, admin, ownWork},
		{"admin on a contributor's", admin, contributor, func(m string) string {
			if m == "createSubmission" || m == "reviewSubmission" {
				return outcomeAllowed
			}
			return outcomeForbidden
		}},
	}

	for _, mc := range mutationCases(e.world) {
		t.Run(mc.name, func(t *testing.T) {
			t.Parallel()
			for _, ac := range actors {
				t.Run(ac.name, func(t *testing.T) {
					t.Parallel()
					want := ac.want(mc.name)
					vars, sub := mc.target(t, e, ac.owner)
					var before string
					if sub != "" && want != outcomeAllowed {
						before = e.submissionState(t, ac.owner, sub)
					}
					p, r := e.mutate(t, ac.actor, mc.query, vars)
					checkOutcome(t, mc.name, ac.actor, r, p, want)
					if want == outcomeAllowed && p != nil {
						mc.succeeded(t, p)
					}
					if sub != "" && want != outcomeAllowed {
						if after := e.submissionState(t, ac.owner, sub); after != before {
							t.Errorf("%s refused as %s, yet the submission changed:\nbefore %s\nafter  %s", mc.name, ac.actor.name, before, after)
						}
					}
					if mc.name == "createSubmission" && want != outcomeAllowed {
						var n int
						title := vars["in"].(map[string]any)["title"]
						if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions WHERE title = $1`, title).Scan(&n); err != nil || n != 0 {
							t.Errorf("createSubmission refused as %s, yet %d submissions have its title (%v)", ac.actor.name, n, err)
						}
					}
				})
			}
		})
	}
}

// checkOutcome compares a mutation's response with the wanted outcome.
func checkOutcome(t *testing.T, mutation string, actor *account, r response, p *editorialPayload, want string) {
	t.Helper()
	switch want {
	case outcomeAllowed:
		if len(r.Errors) > 0 || p == nil || len(p.UserErrors) > 0 {
			t.Errorf("%s as %s = %s; want success with no errors and no userErrors", mutation, actor.name, r.body)
		}
	case outcomeUnauthenticated, outcomeForbidden:
		if len(r.Errors) != 1 || r.Errors[0].code() != want || p != nil {
			t.Errorf("%s as %s = %s; want one GraphQL error coded %s and no editorialPayload", mutation, actor.name, r.body, want)
		}
		if len(r.Errors) > 0 && r.Errors[0].Message == "" {
			t.Errorf("%s as %s: the %s error has no message", mutation, actor.name, want)
		}
	default:
		code := strings.TrimPrefix(want, "userError ")
		if len(r.Errors) > 0 || p == nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != code {
			t.Errorf("%s as %s = %s; want no GraphQL error and exactly one userError coded %s", mutation, actor.name, r.body, code)
		}
		if p != nil && (p.Change != nil || (p.Submission != nil && code != "CONFLICT")) {
			t.Errorf("%s as %s = %s; want a editorialPayload with userErrors only", mutation, actor.name, r.body)
		}
	}
}

// TestRefusedTokens: a token that does not authenticate gets HTTP 401 and the
// same GraphQL-shaped error whatever the reason, never an anonymous answer.
func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	e := newEditorialAPI(t)
	ctx := t.Context()
	live := e.addAccount(t, "Tess Token", "tess@example.org", registry.RoleEditor)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	newToken := func(t *testing.T, email string) (string, uuid.UUID) {
		t.Helper()
		tok, info, err := e.store.CreateToken(ctx, email, 0)
		if err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		return tok, info.ID
	}
	tests := []struct {
		name   string
		header func(t *testing.T) string
	}{
		{"unknown token", func(*testing.T) string { return "Bearer ovs_00000000_" + strings.Repeat("A", 43) }},
		{"garbage token", func(*testing.T) string { return "Bearer hunter2" }},
		{"right prefix, wrong secret", func(*testing.T) string { return "Bearer " + live.token[:13] + strings.Repeat("B", 43) }},
		{"expired token", func(t *testing.T) string {
			tok, id := newToken(t, live.email)
			exec(`UPDATE tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`, id)
			return "Bearer " + tok
		}},
		{"revoked token", func(t *testing.T) string {
			tok, _ := newToken(t, live.email)
			if err := e.store.RevokeToken(ctx, tok); err != nil {
				t.Fatalf("RevokeToken() error = %v", err)
			}
			return "Bearer " + tok
		}},
		{"token of a disabled user", func(t *testing.T) string {
			e.addAccount(t, "Dale Disabled", "dale@example.org", registry.RoleAdmin)
			tok, _ := newToken(t, "dale@example.org")
			exec(`UPDATE users SET disabled_at = now() WHERE email = 'dale@example.org'`)
			return "Bearer " + tok
		}},
		{"Basic scheme", func(*testing.T) string { return "Basic " + live.token }},
		{"Bearer without a token", func(*testing.T) string { return "Bearer " }},
	}
	var bodies []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header(t)
			for _, query := range []string{`{ me { id name } }`, `{ states(first: 1) { nodes { name } } }`,
				`mutation { createSubmission(input: {title: "sneaky"}) { submission { id } } }`} {
				body, _ := json.Marshal(map[string]any{"query": query})
				req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", header)
				rec := httptest.NewRecorder()
				e.api.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("%s with %s = HTTP %d %s, want 401", query, tt.name, rec.Code, rec.Body)
				}
				var got struct {
					Data   *json.RawMessage `json:"data"`
					Errors []struct {
						Message    string         `json:"message"`
						Extensions map[string]any `json:"extensions"`
					} `json:"errors"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatalf("%s with %s: body %q is not JSON: %v", query, tt.name, rec.Body, err)
				}
				if got.Data != nil || len(got.Errors) != 1 || got.Errors[0].Message == "" ||
					len(got.Errors[0].Extensions) != 1 || got.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
					t.Errorf("%s with %s = %s, want {\"errors\":[{\"message\":...,\"extensions\":{\"code\":\"UNAUTHENTICATED\"}}]}", query, tt.name, rec.Body)
				}
				bodies = append(bodies, rec.Body.String())
			}
		})
	}
	// One answer for every reason, so a caller learns nothing about the token.
	if distinct := slices.Compact(slices.Sorted(slices.Values(bodies))); len(distinct) != 1 {
		t.Errorf("refused tokens got %d different bodies, want one: %q", len(distinct), distinct)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM submissions WHERE title = 'sneaky'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("createSubmission with refused tokens made %d submissions (%v), want none", n, err)
	}
	// The live token still works after all that.
	var out struct {
		Me struct{ Name, Role string } `json:"me"`
	}
	e.mustQueryAs(t, live, `{ me { name role } }`, nil, &out)
	if out.Me.Name != live.name || out.Me.Role != "EDITOR" {
		t.Errorf("me with a live token = %+v, want %s, EDITOR", out.Me, live.name)
	}
}

// TestEditorialReads: me, submissions, node of submissions, changes, reviews
// and users, and User.name, as each role.
func TestEditorialReads(t *testing.T) {
	t.Parallel()
	e := newEditorialAPI(t)
	contributor, editor, editor2, admin := roleAccounts(t, e)
	other := e.addAccount(t, "Olive Other", "olive@example.org", registry.RoleContributor)

	// The contributor's submission: sent back by an editor, so it has a change and a review.
	mine := e.submitted(t, contributor, "Contributor's submission")
	e.mustMutate(t, editor, reviewMutation, map[string]any{"id": mine, "d": "REQUEST_CHANGES", "c": "Cite a second source"})
	mineDraft := e.draft(t, contributor, "Contributor's second draft")
	othersDraft := e.draft(t, other, "Other contributor's draft")
	editorsDraft := e.draft(t, editor2, "Editor's draft")
	var sub struct {
		Node struct {
			Changes []struct{ ID string } `json:"changes"`
			Reviews []struct {
				ID       string `json:"id"`
				Reviewer struct{ ID, Name string }
			} `json:"reviews"`
		} `json:"node"`
	}
	e.mustQueryAs(t, contributor, `query($id: ID!) { node(id: $id) { ... on Submission { changes { id } reviews { id reviewer { id name } } } } }`,
		map[string]any{"id": mine}, &sub)
	if len(sub.Node.Changes) != 1 || len(sub.Node.Reviews) != 1 {
		t.Fatalf("the contributor's submission has %d changes, %d reviews; want 1 and 1", len(sub.Node.Changes), len(sub.Node.Reviews))
	}
	changeID, reviewID := sub.Node.Changes[0].ID, sub.Node.Reviews[0].ID
	if got := sub.Node.Reviews[0].Reviewer; got.ID != editor.gid || got.Name != "An editor" {
		t.Errorf("reviewer seen by the contributor = %+v, want the editor's ID and the label %q, not the name", got, "An editor")
	}

	t.Run("me", func(t *testing.T) {
		t.Parallel()
		r := e.as(t, anon, `{ me { id name role } }`, nil)
		if len(r.Errors) > 0 || string(r.Data) != `{"me":null}` {
			t.Errorf("me as anonymous = %s, want null", r.body)
		}
		for _, a := range []*account{contributor, editor, admin} {
			var out struct {
				Me struct{ ID, Name, Role string } `json:"me"`
			}
			e.mustQueryAs(t, a, `{ me { id name role } }`, nil, &out)
			if out.Me.ID != a.gid || out.Me.Name != a.name || out.Me.Role != string(a.role) {
				t.Errorf("me as %s = %+v, want %s, %q, %s", a.name, out.Me, a.gid, a.name, a.role)
			}
		}
	})

	t.Run("submissions", func(t *testing.T) {
		t.Parallel()
		r := e.as(t, anon, `{ submissions { totalCount nodes { id title } } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].code() != outcomeUnauthenticated || strings.Contains(r.body, "draft") {
			t.Errorf("submissions as anonymous = %s, want one UNAUTHENTICATED error and no data", r.body)
		}
		list := func(a *account, status ...string) []string {
			t.Helper()
			var out struct {
				Submissions struct {
					TotalCount int
					Nodes      []struct{ ID string }
				}
			}
			vars := map[string]any{}
			q := `{ submissions(first: 100) { totalCount nodes { id } } }`
			if len(status) > 0 {
				q = `query($s: [SubmissionStatus!]) { submissions(first: 100, status: $s) { totalCount nodes { id } } }`
				vars["s"] = status
			}
			e.mustQueryAs(t, a, q, vars, &out)
			ids := idNodes(out.Submissions.Nodes).ids()
			if out.Submissions.TotalCount != len(ids) {
				t.Errorf("submissions as %s: totalCount %d, %d nodes", a.name, out.Submissions.TotalCount, len(ids))
			}
			slices.Sort(ids)
			return ids
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		// Editors see every submission, those that built the fixture too.
		all := sorted(append([]string{mine, mineDraft, othersDraft, editorsDraft}, e.pub.submissionIDs()...)...)
		for _, tt := range []struct {
			who    *account
			status []string
			want   []string
		}{
			{contributor, nil, sorted(mine, mineDraft)},
			{contributor, []string{"DRAFT"}, sorted(mineDraft)},
			{other, nil, sorted(othersDraft)},
			{editor, nil, all},
			{editor2, []string{"DRAFT"}, sorted(mineDraft, othersDraft, editorsDraft)},
			{admin, nil, all},
			{admin, []string{"CHANGES_REQUESTED"}, sorted(mine)},
		} {
			if got := list(tt.who, tt.status...); !slices.Equal(got, tt.want) {
				t.Errorf("submissions(status %v) as %s = %v, want %v", tt.status, tt.who.name, got, tt.want)
			}
		}
	})

	t.Run("node", func(t *testing.T) {
		t.Parallel()
		const q = `query($id: ID!) { node(id: $id) { id __typename } }`
		nullFor := func(what, id string, a *account) {
			t.Helper()
			r := e.as(t, a, q, map[string]any{"id": id})
			if len(r.Errors) > 0 || string(r.Data) != `{"node":null}` {
				t.Errorf("node(%s) as %s = %s, want null", what, a.name, r.body)
			}
			r = e.as(t, a, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{id}})
			if len(r.Errors) > 0 || string(r.Data) != `{"nodes":[null]}` {
				t.Errorf("nodes([%s]) as %s = %s, want [null]", what, a.name, r.body)
			}
		}
		for _, tt := range []struct {
			what, id string
			sees     []*account
			blind    []*account
		}{
			{"submission", mine, []*account{contributor, editor, editor2, admin}, []*account{anon, other}},
			{"another contributor's draft", othersDraft, []*account{other, editor, admin}, []*account{anon, contributor}},
			{"an editor's draft", editorsDraft, []*account{editor2, editor, admin}, []*account{anon, contributor, other}},
			{"user", editor.gid, []*account{contributor, other, editor, admin}, []*account{anon}},
		} {
			for _, a := range tt.sees {
				r := e.as(t, a, q, map[string]any{"id": tt.id})
				var out struct{ Node *struct{ ID string } }
				if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || out.Node == nil || out.Node.ID != tt.id {
					t.Errorf("node(%s) as %s = %s, want it", tt.what, a.name, r.body)
				}
			}
			for _, a := range tt.blind {
				nullFor(tt.what, tt.id, a)
			}
		}
		// Changes and reviews are not Nodes in the contract: node() finds
		// none of them, for anyone, and never fails on their IDs. Those who
		// may see them reach them through their submission.
		for _, a := range []*account{anon, other, contributor, editor, admin} {
			nullFor("change", changeID, a)
			nullFor("review", reviewID, a)
		}
		const through = `query($id: ID!) { node(id: $id) { ... on Submission { changes { id } reviews { id } } } }`
		for _, a := range []*account{contributor, editor, editor2, admin} {
			r := e.as(t, a, through, map[string]any{"id": mine})
			if len(r.Errors) > 0 || !strings.Contains(r.body, changeID) || !strings.Contains(r.body, reviewID) {
				t.Errorf("the submission's changes and reviews as %s = %s, want change %s and review %s", a.name, r.body, changeID, reviewID)
			}
		}
		for _, a := range []*account{anon, other} {
			r := e.as(t, a, through, map[string]any{"id": mine})
			if strings.Contains(r.body, changeID) || strings.Contains(r.body, reviewID) {
				t.Errorf("the submission's changes and reviews as %s = %s, want nothing", a.name, r.body)
			}
		}
	})

	t.Run("User.name", func(t *testing.T) {
		t.Parallel()
		const q = `query($id: ID!) { node(id: $id) { ... on User { name role } } }`
		for _, tt := range []struct {
			viewer, user *account
			want         string
		}{
			{contributor, editor, "An editor"},
			{contributor, admin, "An admin"},
			{contributor, other, "A contributor"},
			{contributor, contributor, contributor.name},
			{other, editor2, "An editor"},
			{editor, contributor, contributor.name},
			{editor, editor2, editor2.name},
			{admin, editor, editor.name},
		} {
			var out struct {
				Node struct{ Name, Role string }
			}
			e.mustQueryAs(t, tt.viewer, q, map[string]any{"id": tt.user.gid}, &out)
			if out.Node.Name != tt.want || out.Node.Role != string(tt.user.role) {
				t.Errorf("User.name of %s seen by %s = %q (role %s), want %q", tt.user.name, tt.viewer.name, out.Node.Name, out.Node.Role, tt.want)
			}
		}
		// Through the submission too: author and reviewer as the contributor sees them.
		r := e.mustQueryAs(t, contributor, `query($id: ID!) { node(id: $id) { ... on Submission { author { name } reviews { reviewer { name } } } } }`,
			map[string]any{"id": mine}, nil)
		if strings.Contains(r.body, editor.name) || !strings.Contains(r.body, contributor.name) {
			t.Errorf("the contributor's submission seen by them = %s, want their own name and no editor's", r.body)
		}
	})
}
