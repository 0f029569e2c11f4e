package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// GraphiQL, served by us rather than by gqlgen's playground.Handler, for two
// reasons. That page hard-codes shouldPersistHeaders: true, so the Bearer
// token an editor pastes into the headers pane (as the README tells them to)
// stays in the browser's localStorage after they leave. And its code is an
// inline script, so no Content-Security-Policy could protect the page
// without 'unsafe-inline', which would let any injected script run with the
// token at hand.
//
// Here the page holds markup only: its script and stylesheet are served from
// our origin under /graphiql/, GraphiQL's own from the CDN, pinned to the
// versions and integrity hashes gqlgen's page uses. A later version serves
// those from the binary too, under /graphiql/, and drops the CDN from
// graphiQLPolicy.

// graphiQLPath is where the page is served; its own assets are under
// graphiQLPath+"/".
const graphiQLPath = "/graphiql"

// cdnAsset is a file of GraphiQL's that the page loads from the CDN, checked
// against its Subresource Integrity hash.
type cdnAsset struct {
	URL       string
	Integrity string
}

// The CDN assets, as in gqlgen v0.17.98's playground.Handler. The hashes
// are those of the files in the graphiql, react and react-dom npm packages,
// which the CDN serves unchanged.
var (
	graphiQLScripts = []cdnAsset{
		{"https://cdn.jsdelivr.net/npm/react@18.2.0/umd/react.production.min.js", "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="},
		{"https://cdn.jsdelivr.net/npm/react-dom@18.2.0/umd/react-dom.production.min.js", "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="},
		{"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.js", "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="},
	}
	graphiQLStyles = []cdnAsset{
		{"https://cdn.jsdelivr.net/npm/graphiql@4.1.2/graphiql.min.css", "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="},
	}
)

// graphiQLPolicy is the page's Content-Security-Policy, one value for every
// answer of the handler. Serving GraphiQL from the binary only shrinks it:
// the CDN's URLs leave script-src and style-src.
//
//   - script-src and style-src name the CDN's files one by one, not its
//     origin, which serves every npm package there is. No 'unsafe-inline'
//     for either: the page has no inline script, style or handler.
//     GraphiQL styles itself through its stylesheet and the DOM's style
//     properties, which a policy does not govern. What it does write
//     inline is refused, and nothing needs it: the <style> element with
//     which its dialogs lock the page's scrolling (the page does not
//     scroll) and the text-align of table cells in Markdown descriptions.
//   - connect-src: the page talks to the API on its own origin only.
//   - img-src and font-src data:: GraphiQL's stylesheet embeds its icons
//     and fonts as data: URLs.
//   - frame-ancestors, base-uri and form-action 'none': no framing (a
//     click-jacked editor), no <base> rewriting where the scripts come
//     from, no form to post anything anywhere.
var graphiQLPolicy = "default-src 'none'" +
	"; script-src 'self'" + cdnURLs(graphiQLScripts) +
	"; style-src 'self'" + cdnURLs(graphiQLStyles) +
	"; connect-src 'self'" +
	"; img-src 'self' data:" +
	"; font-src data:" +
	"; frame-ancestors 'none'" +
	"; base-uri 'none'" +
	"; form-action 'none'"

func cdnURLs(assets []cdnAsset) string {
	var b strings.Builder
	for _, a := range assets {
		b.WriteString(" " + a.URL)
	}
	return b.String()
}

// graphiQLScript starts GraphiQL on the page. It reads the endpoint from the
// page, so it is the same file for every server, and it is what the
// gqlgen page's inline script did, but for the headers: GraphiQL does not
// persist the headers pane (shouldPersistHeaders: false, which also hides
// the setting that would turn it on), and the storage it is given drops
// headers from everything it keeps. The second is needed because GraphiQL 4
// saves the headers of each query it runs in its history (and favourites)
// whatever shouldPersistHeaders says; and it wipes the tokens that the
// gqlgen page left in the browser.
const graphiQLScript = `// Oversight's GraphiQL: see graph/graphiql.go.
(function () {
  'use strict';

  const root = document.getElementById('graphiql');
  const url = new URL(root.dataset.endpoint, location.href).href;

  // GraphiQL prefixes every key it stores with its namespace.
  const namespace = 'graphiql:';
  // Entries never stored: the headers pane, and the wish to keep it.
  const dropped = new Set(['headers', 'shouldPersistHeaders']);
  // Entries stored with every "headers" field nulled: the open tabs, the
  // history and the favourites each keep the headers of their queries.
  const scrubbed = new Set(['tabState', 'queries', 'favorites']);

  function withoutHeaders(key, value) {
    if (value === null || value === undefined || !key.startsWith(namespace)) {
      return value;
    }
    const name = key.slice(namespace.length);
    if (dropped.has(name)) {
      return null;
    }
    if (!scrubbed.has(name)) {
      return value;
    }
    try {
      return JSON.stringify(JSON.parse(value), (k, v) => (k === 'headers' ? null : v));
    } catch (e) {
      return null; // unreadable: better lost than kept with a token
    }
  }

  // localStorage, or memory where the browser refuses it (GraphiQL then
  // forgets everything on reload, but works).
  let backing;
  try {
    backing = window.localStorage;
    backing.getItem(namespace);
  } catch (e) {
    const m = new Map();
    backing = {
      getItem: (k) => (m.has(k) ? m.get(k) : null),
      setItem: (k, v) => { m.set(k, String(v)); },
      removeItem: (k) => { m.delete(k); },
      key: (i) => Array.from(m.keys())[i] ?? null,
      get length() { return m.size; },
    };
  }

  function keys() {
    const out = [];
    for (let i = 0; i < backing.length; i++) {
      const k = backing.key(i);
      if (k !== null && k.startsWith(namespace)) {
        out.push(k);
      }
    }
    return out;
  }

  const storage = {
    getItem: (key) => withoutHeaders(key, backing.getItem(key)),
    setItem(key, value) {
      const v = withoutHeaders(key, value);
      if (v === null || v === undefined) {
        backing.removeItem(key);
      } else {
        backing.setItem(key, v);
      }
    },
    removeItem: (key) => { backing.removeItem(key); },
    clear() {
      for (const key of keys()) {
        backing.removeItem(key);
      }
    },
    key: (i) => keys()[i] ?? null,
    get length() { return keys().length; },
  };

  // What an earlier page stored, headers and all, stored again without them.
  for (const key of keys()) {
    storage.setItem(key, backing.getItem(key));
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url }),
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      storage: storage,
      plugins: [],
      inputValueDeprecation: true,
    }),
  );
})();
`

// graphiQLStyle is what the gqlgen page's inline <style> held.
const graphiQLStyle = `body {
  margin: 0;
}

#graphiql {
  height: 100vh;
}

.loading {
  height: 100%;
  display: flex;
  align-items: center;
  justify-content: center;
  font-size: 4rem;
}
`

// graphiQLPage is the page: markup only, so that script-src and style-src
// need nothing inline.
var graphiQLPage = template.Must(template.New("graphiql").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Oversight GraphQL</title>
<link rel="stylesheet" href="{{.Style}}">
{{- range .Styles}}
<link rel="stylesheet" href="{{.URL}}" integrity="{{.Integrity}}" crossorigin="anonymous">
{{- end}}
{{- range .Scripts}}
<script src="{{.URL}}" integrity="{{.Integrity}}" crossorigin="anonymous"></script>
{{- end}}
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}"><div class="loading">Loading…</div></div>
<script src="{{.Script}}"></script>
</body>
</html>
`))

// staticFile is one answer of the handler, the same for every request.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
	// version is what the page appends to the file's URL (?v=), so a new
	// release's page never meets an old release's file in a cache.
	version string
}

func newStaticFile(body []byte, contentType string) staticFile {
	sum := sha256.Sum256(body)
	version := hex.EncodeToString(sum[:8])
	return staticFile{body: body, contentType: contentType, etag: `"` + version + `"`, version: version}
}

// url is where the page loads f from.
func (f staticFile) url(path string) string { return path + "?v=" + f.version }

// NewGraphiQL serves GraphiQL querying endpoint (a path on this origin,
// such as "/graphql"): the page at /graphiql, its script at
// /graphiql/graphiql.js and its stylesheet at /graphiql/graphiql.css. Mount
// it on both "GET /graphiql" and "GET /graphiql/".
func NewGraphiQL(endpoint string) http.Handler {
	const scriptPath, stylePath = graphiQLPath + "/graphiql.js", graphiQLPath + "/graphiql.css"
	script := newStaticFile([]byte(graphiQLScript), "application/javascript; charset=utf-8")
	style := newStaticFile([]byte(graphiQLStyle), "text/css; charset=utf-8")
	var page bytes.Buffer
	err := graphiQLPage.Execute(&page, map[string]any{
		"Endpoint": endpoint,
		"Script":   script.url(scriptPath),
		"Style":    style.url(stylePath),
		"Scripts":  graphiQLScripts,
		"Styles":   graphiQLStyles,
	})
	if err != nil {
		// The template and its data are fixed: a failure is a bug here.
		panic(fmt.Errorf("render the GraphiQL page: %w", err))
	}
	files := map[string]staticFile{
		graphiQLPath: newStaticFile(page.Bytes(), "text/html; charset=utf-8"),
		scriptPath:   script,
		stylePath:    style,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Content-Security-Policy", graphiQLPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY") // frame-ancestors, for browsers that predate it
		// The CDN learns nothing of who reads the registry. Note that a
		// browser then sends Origin: null with the page's own POSTs to
		// the API: a cross-origin check there must go by Sec-Fetch-Site,
		// as http.CrossOriginProtection does (or this policy turn to
		// same-origin, which keeps the Origin on our own requests).
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("ETag", f.etag)
		if r.URL.Path != graphiQLPath && r.URL.Query().Get("v") == f.version {
			// The URL names this content, which never changes.
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			// The page (or a file asked for without its version): kept,
			// but checked at each use, which costs a 304 until a release
			// changes it and then shows the new policy and files at once.
			h.Set("Cache-Control", "no-cache")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}
