package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"oversight/internal/pgtest"
)

// TestEditorialWorkflowEndToEnd does what a new operator and their editors
// would: add users and tokens with the CLI, start the server, and take a
// deployment from proposal to publication over HTTP.
func TestEditorialWorkflowEndToEnd(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	environ := env(map[string]string{"DATABASE_URL": dbURL})

	oversight := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, args, environ, &stdout, &stderr); err != nil {
			t.Fatalf("oversight %s = %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
	people := []struct{ name, email, role string }{
		{"Wren Contributor", "wren@example.org", "contributor"},
		{"Ines Editor", "ines@example.org", "editor"},
		{"Jo Editor", "jo@example.org", "editor"},
	}
	tokens := map[string]string{}
	for _, p := range people {
		oversight("user", "add", "--name", p.name, "--email", p.email, "--role", p.role)
		tokens[p.email] = lastLine(oversight("token", "create", "--email", p.email))
	}
	contributor, editorA, editorB := tokens["wren@example.org"], tokens["ines@example.org"], tokens["jo@example.org"]

	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, environ, &stdout, &stderr) }()
	endpoint := ""
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/graphql`)
	for deadline := time.Now().Add(30 * time.Second); endpoint == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			endpoint = "http://" + m[1] + "/graphql"
		}
	}
	if endpoint == "" {
		t.Fatalf("serve did not say where it listens; stdout %q stderr %q", stdout.String(), stderr.String())
	}

	// gql posts a query with a token ("" for anonymous) and decodes its data.
	gql := func(token, query string, vars map[string]any, out any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", query, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []any           `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("POST %s\nvariables %v\n= %d %s; want data and no errors", query, vars, resp.StatusCode, raw)
		}
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
		if strings.Contains(string(raw), `"userErrors":[{`) {
			t.Fatalf("POST %s\nvariables %v\n= %s; want no userErrors", query, vars, raw)
		}
	}
	type payload struct {
		Change     struct{ EntryID string }
		Submission struct{ ID, Status string }
	}
	var m struct{ M payload }
	const fields = `submission { id status } userErrors { code message }`
	const changeFields = `change { entryId } ` + fields

	// The seeded registry's China and a technology to refer to.
	var refs struct {
		State        struct{ ID string }
		Technologies []struct{ ID, Slug string }
	}
	gql("", `{ state(countryCode: "CN") { id } technologies { id slug } }`, nil, &refs)
	if refs.State.ID == "" || len(refs.Technologies) == 0 {
		t.Fatalf("the seeded registry has no China or no technologies: %+v", refs)
	}

	gql(contributor, `mutation { m: createSubmission(input: {title: "Cameras at a mosque in Kashgar"}) { `+fields+` } }`, nil, &m)
	sub := m.M.Submission.ID
	gql(contributor, `mutation($s: ID!) { m: proposeSource(submissionId: $s, input: {title: "Kashgar mosque report", kind: NGO_REPORT, url: "https://example.org/kashgar"}) { `+changeFields+` } }`,
		map[string]any{"s": sub}, &m)
	source := m.M.Change.EntryID
	deployment := func(id any, location string) {
		t.Helper()
		gql(contributor, `mutation($s: ID!, $id: ID, $in: DeploymentInput!) { m: proposeDeployment(submissionId: $s, id: $id, input: $in) { `+changeFields+` } }`,
			map[string]any{"s": sub, "id": id, "in": map[string]any{"stateId": refs.State.ID, "technologyId": refs.Technologies[0].ID,
				"confidence": "ALLEGED", "location": location, "citations": []map[string]any{{"sourceId": source, "locator": "p. 3"}}}}, &m)
	}
	deployment(nil, "Kashgar")
	dep := m.M.Change.EntryID
	review := func(token, decision, want string) {
		t.Helper()
		gql(token, `mutation($id: ID!, $d: ReviewDecision!) { m: reviewSubmission(id: $id, decision: $d, comment: "checked") { `+fields+` } }`,
			map[string]any{"id": sub, "d": decision}, &m)
		if m.M.Submission.Status != want {
			t.Fatalf("review %s by an editor left the submission %s, want %s", decision, m.M.Submission.Status, want)
		}
	}
	submit := func() {
		t.Helper()
		gql(contributor, `mutation($id: ID!) { m: submitSubmission(id: $id) { `+fields+` } }`, map[string]any{"id": sub}, &m)
	}
	submit()
	review(editorA, "REQUEST_CHANGES", "CHANGES_REQUESTED")
	deployment(dep, "Id Kah Mosque, Kashgar")
	submit()
	review(editorB, "APPROVE", "MERGED")

	var pub struct {
		Node struct {
			Status, Location string
			Citations        []struct{ Source struct{ ID, Title string } }
		}
	}
	gql("", `query($id: ID!) { node(id: $id) { ... on Deployment { status location citations { source { id title } } } } }`, map[string]any{"id": dep}, &pub)
	if pub.Node.Status != "PUBLISHED" || pub.Node.Location != "Id Kah Mosque, Kashgar" || len(pub.Node.Citations) != 1 ||
		pub.Node.Citations[0].Source.ID != source || pub.Node.Citations[0].Source.Title != "Kashgar mosque report" {
		t.Errorf("the merged deployment as anonymous = %+v, want it published as amended, citing the new source", pub.Node)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel = %v, want a clean shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down within 20 s of cancellation")
	}
	logs := stderr.String()
	for _, p := range people {
		if strings.Contains(logs, p.email) || strings.Contains(logs, p.name) || strings.Contains(logs, tokens[p.email][13:]) {
			t.Errorf("the server's log names %s or holds their token:\n%s", p.email, logs)
		}
	}
}
