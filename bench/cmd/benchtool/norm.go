package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"oversight/internal/registry"
)

func bodyCmd(args []string) error {
	if len(args) != 2 {
		return errors.New("want QUERY.graphql VARIABLES_JSON")
	}
	q, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var vars map[string]any
	if err := json.Unmarshal([]byte(args[1]), &vars); err != nil {
		return fmt.Errorf("variables: %w", err)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"query": string(q), "variables": vars})
}

// normCmd prints a response with PostGraphile's and Oversight's naming
// differences removed, IDs as bare UUIDs, connections as lists and every list
// sorted, so that the same data gives the same bytes from either server.
func normCmd(args []string) error {
	if len(args) != 1 {
		return errors.New("want FILE")
	}
	v, err := readResponse(args[0])
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(normalise(v), "", " ")
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(out))
	return err
}

func readResponse(name string) (map[string]any, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var resp map[string]any
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if e, ok := resp["errors"]; ok && e != nil {
		return nil, fmt.Errorf("%s has errors: %.500v", name, e)
	}
	data, ok := resp["data"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s has no data", name)
	}
	return data, nil
}

// renames maps PostGraphile amber's inferred names to Oversight's.
var renames = map[string]string{
	"rowId":                    "id",
	"allStates":                "states",
	"vendorBySlug":             "vendor",
	"deploymentsByStateId":     "deployments",
	"deploymentsByVendorId":    "deployments",
	"productsByVendorId":       "products",
	"designationsByVendorId":   "designations",
	"technologyByTechnologyId": "technology",
	"vendorByVendorId":         "vendor",
	"productByProductId":       "product",
	"sourceBySourceId":         "source",
	"stateByStateId":           "state",
	"designationListByListId":  "list",
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// bareID turns an Oversight global ID (base64url of "Type:uuid") into the UUID.
func bareID(s string) string {
	if uuidRE.MatchString(s) && len(s) == 36 {
		return s
	}
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		if i := strings.LastIndexByte(string(b), ':'); i >= 0 && uuidRE.MatchString(string(b[i+1:])) {
			return string(b[i+1:])
		}
	}
	return s
}

func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			switch k {
			case "entryByRowIdAndEntryType":
				// PostGraphile reaches citations through the shared entries row.
				if m, ok := val.(map[string]any); ok {
					out["citations"] = normalise(m["citationsByEntryId"])
				}
				continue
			case "abuseDeploymentsByDeploymentId":
				var abuses []any
				for _, n := range nodes(val) {
					if m, ok := n.(map[string]any); ok {
						abuses = append(abuses, m["abuseByAbuseId"])
					}
				}
				out["abuses"] = normalise(abuses)
				continue
			case "id":
				if s, ok := val.(string); ok {
					out["id"] = bareID(s)
					continue
				}
			}
			if r, ok := renames[k]; ok {
				k = r
			}
			out[k] = normalise(val)
		}
		// Oversight withholds a confidential source's details, and the
		// locators and quotes of the citations to it, from anonymous readers
		// (registry.ConfidentialSourceFields, ConfidentialCitationFields);
		// PostGraphile has no such rule, so the withheld values are left out
		// of the comparison on both sides.
		blank := func(fields []string) {
			for _, f := range fields {
				if _, ok := out[f]; ok {
					out[f] = nil
				}
			}
		}
		if out["confidential"] == true {
			blank(registry.ConfidentialSourceFields())
		}
		if src, ok := out["source"].(map[string]any); ok && src["confidential"] == true {
			blank(registry.ConfidentialCitationFields())
		}
		// A connection becomes its list of nodes.
		if n, ok := out["nodes"]; ok && len(out) == 1 {
			return n
		}
		return out
	case []any:
		out := make([]any, len(x))
		keys := make([]string, len(x))
		for i, e := range x {
			out[i] = normalise(e)
			b, _ := json.Marshal(out[i])
			keys[i] = string(b)
		}
		sort.Sort(byKey{out, keys})
		if out == nil {
			return []any{}
		}
		return out
	}
	return v
}

func nodes(v any) []any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	n, _ := m["nodes"].([]any)
	return n
}

type byKey struct {
	v    []any
	keys []string
}

func (b byKey) Len() int           { return len(b.v) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.v[i], b.v[j] = b.v[j], b.v[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

// answerIDs lists the distinct UUIDs of every "id" in a normalised answer.
func answerIDs(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "id" && uuidRE.MatchString(s) {
				into[s] = true
			}
			answerIDs(val, into)
		}
	case []any:
		for _, e := range x {
			answerIDs(e, into)
		}
	}
}
