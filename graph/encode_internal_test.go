package graph

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// encode splices the data in instead of marshalling it; the result must be
// the same JSON that json.Marshal gives for every shape a response takes.
func TestHTTPResponseEncodeMatchesMarshal(t *testing.T) {
	data := json.RawMessage(`{"states":{"nodes":[{"id":"U3RhdGU6MQ","name":"\u00e9\"x"}]}}`)
	errs := gqlerror.List{{Message: "boom", Extensions: map[string]any{"code": "INTERNAL"}}}
	ext := map[string]any{"cost": 3}
	for name, resp := range map[string]httpResponse{
		"data only":            {Data: data},
		"null data":            {Data: json.RawMessage(`null`)},
		"errors only":          {Errors: errs},
		"errors and data":      {Errors: errs, Data: data},
		"data and extensions":  {Data: data, Extensions: ext},
		"everything":           {Errors: errs, Data: data, Extensions: ext},
		"nothing":              {},
		"extensions, no data":  {Extensions: ext},
		"errors and null data": {Errors: errs, Data: json.RawMessage(`null`)},
	} {
		got, err := resp.encode()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: encode wrote invalid JSON %s: %v", name, got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: encode = %s, json.Marshal = %s", name, got, want)
		}
	}
}
