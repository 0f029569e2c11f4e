package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/graph/generated"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/metrics"
	"oversight/internal/ratelimit"
	"oversight/internal/request"
)

// Config assembles the GraphQL API and the Atom feed; internal/server
// mounts them.
type Config struct {
	// Catalog reads the registry for mutations (which must see their own
	// writes) and, when ReadCatalog is nil, for everything else.
	Catalog *catalog.Catalog
	// ReadCatalog, when set, serves the read-only work: every query
	// operation and the feed. It is meant for a streaming replica, so what
	// it returns may lag a just-merged change by the replica's delay.
	ReadCatalog *catalog.Catalog
	Editorial   *editorial.Service
	Logger      *slog.Logger
	// LoaderWait is how long a loader's batch waits for one more key before
	// it queries (at most 100 ms in all); zero means 5 ms, enough for the
	// fields of one list level to join one batch even on a busy machine.
	LoaderWait time.Duration
	// Limits bound each operation's cost; nil means DefaultLimits.
	Limits *Limits
	// CacheMaxAge is how long shared caches (a CDN, a reverse proxy) may
	// keep the answer to an anonymous GET query; zero means 60 s, and a
	// negative value forbids public caching.
	CacheMaxAge time.Duration
	// PublicURL is where clients reach the server: the scheme, host and
	// any path prefix a proxy adds, such as https://oversight.example.org.
	// The feed's absolute links are built from it, never from a request's
	// Host or X-Forwarded-* headers (see NewFeed). Its query and fragment
	// are ignored. nil means http://localhost:8080.
	PublicURL *url.URL
	// Metrics counts and times each operation; nil does none of it.
	// internal/server sets the server's.
	Metrics *metrics.Metrics
	// RateLimit, when set, learns the persisted queries, so that a mutation
	// sent by its hash alone meets the mutation limit too; internal/server
	// sets the server's.
	RateLimit *ratelimit.Limiter
	// GQLGenOnly answers every query with gqlgen's executor, never the
	// direct path (direct.go); the tests that compare the two set it.
	GQLGenOnly bool
}

// publicURL is PublicURL without its query, fragment or a trailing slash,
// or its default.
func (cfg Config) publicURL() url.URL {
	if cfg.PublicURL == nil {
		return url.URL{Scheme: "http", Host: "localhost:8080"}
	}
	return url.URL{Scheme: cfg.PublicURL.Scheme, Host: cfg.PublicURL.Host, Path: strings.TrimRight(cfg.PublicURL.Path, "/")}
}

// logger is Logger, or slog's default when it is nil.
func (cfg Config) logger() *slog.Logger {
	if cfg.Logger != nil {
		return cfg.Logger
	}
	return slog.Default()
}

// readCatalog is the catalog for read-only work.
func (cfg Config) readCatalog() *catalog.Catalog {
	if cfg.ReadCatalog != nil {
		return cfg.ReadCatalog
	}
	return cfg.Catalog
}

// parserTokenLimit bounds the size of a query document before it is parsed,
// so a huge document cannot cost the parser more than a normal one.
const parserTokenLimit = 15000

// Bounds of the per-process caches: parsed and validated documents, and the
// automatic persisted queries (hash → query text). Both are LRU, so a client
// sending endless distinct queries evicts old ones rather than growing them.
const (
	queryCacheSize          = 1000
	persistedQueryCacheSize = 1000
)

// defaultCacheMaxAge is Config.CacheMaxAge's zero value.
const defaultCacheMaxAge = 60 * time.Second

// NewGraphQLHandler returns the GraphQL endpoint, without any middleware
// (internal/server mounts it behind its chain): GraphQL over HTTP (see
// httpTransport) with automatic persisted queries, introspection on (the API
// is public and documented through it), errors through presentError, and the
// request's loaders.
func NewGraphQLHandler(cfg Config) http.Handler {
	maxAge := cfg.CacheMaxAge
	if maxAge == 0 {
		maxAge = defaultCacheMaxAge
	}
	srv := handler.New(executableSchema(cfg))
	srv.AddTransport(httpTransport{maxAge: maxAge})
	queryCache := lru.New[*ast.QueryDocument](queryCacheSize)
	srv.SetQueryCache(queryCache)
	srv.SetValidationRulesFn(validationRules)
	srv.Use(extension.Introspection{})
	// Clients send a query's SHA-256 instead of its text once the server
	// knows it, which makes GET URLs short and stable enough to cache.
	persisted := lru.New[string](persistedQueryCacheSize)
	srv.Use(extension.AutomaticPersistedQuery{Cache: persisted})
	if cfg.RateLimit != nil {
		// A mutation sent by its hash alone must meet the mutation limit too.
		cfg.RateLimit.UsePersistedQueries(persisted)
	}
	if cfg.Metrics != nil {
		srv.Use(cfg.Metrics.Extension())
	}
	limits := DefaultLimits
	if cfg.Limits != nil {
		limits = *cfg.Limits
	}
	// After the persisted queries (it needs the query's text), before
	// gqlgen parses and validates it.
	srv.Use(newGuard(limits, queryCache, parserTokenLimit))
	srv.SetParserTokenLimit(parserTokenLimit)
	srv.SetErrorPresenter(presentError(cfg.logger()))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		cfg.logger().ErrorContext(ctx, "panic in resolver", "request_id", request.ID(ctx), "panic", v)
		return &gqlerror.Error{
			Message:    "internal error; request ID " + request.ID(ctx),
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": request.ID(ctx)},
		}
	})
	wait := cfg.LoaderWait
	if wait == 0 {
		wait = 5 * time.Millisecond
	}
	return withLoaders(srv, wait)
}

// executableSchema returns the schema over the primary catalog, or, with a
// read catalog configured, one that runs queries over the read catalog and
// mutations over the primary.
func executableSchema(cfg Config) graphql.ExecutableSchema {
	primary := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{Catalog: cfg.Catalog, Editorial: cfg.Editorial}})
	readCatalog, read := cfg.Catalog, primary
	if cfg.ReadCatalog != nil && cfg.ReadCatalog != cfg.Catalog {
		readCatalog = cfg.ReadCatalog
		read = generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{Catalog: cfg.ReadCatalog, Editorial: cfg.Editorial}})
	}
	if !cfg.GQLGenOnly {
		read = newDirectSchema(read, readCatalog, cfg.Logger)
	}
	return routedSchema{ExecutableSchema: primary, read: read}
}

// routedSchema executes query operations with read and everything else with
// the embedded (primary) schema. The two differ only in their resolvers'
// catalog: parsing, validation and the limits see one schema, and the
// operation's type is known by the time Exec is called. A whole operation
// runs on one side, so a mutation's payload is read from the primary and
// shows the mutation's own writes.
type routedSchema struct {
	graphql.ExecutableSchema
	read graphql.ExecutableSchema
}

// Exec implements graphql.ExecutableSchema.
func (s routedSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Query {
			return s.read.Exec(ctx)
		}
	}
	return s.ExecutableSchema.Exec(ctx)
}

// GraphQL over HTTP, as the GraphQL-over-HTTP specification
// (https://graphql.github.io/graphql-over-http/draft/) describes it.
// gqlgen's GET and POST transports come close but answer parse and
// validation errors with 422 to application/json clients, write "data": null
// on request errors, refuse a GET mutation with 406 rather than 405, and
// leave caching to the caller; this transport does all of it in one place.

// Media types of a GraphQL response.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// allowedMethods is the Allow header of OPTIONS and of a 405.
const allowedMethods = "GET, POST, OPTIONS"

// httpTransport serves GraphQL over HTTP:
//
//   - GET runs queries (parameters in the URL: query, operationName, and
//     variables and extensions as JSON); a mutation over GET is refused with
//     405 and Allow: POST, so a link or a prefetch can never write.
//   - POST takes an application/json body (utf-8) and runs any operation;
//     another content type gets 415.
//   - The response is application/graphql-response+json when the client's
//     Accept prefers it, application/json otherwise (no Accept, */* or
//     application/json); an Accept that allows neither gets 406.
//   - A request that is not well-formed GraphQL over HTTP (bad JSON, a
//     variables that is not an object, no query) gets 400. Parse,
//     validation and variable errors, and the operation limits, get 200
//     for application/json, as the specification asks, and 400 for
//     application/graphql-response+json; either way without a data entry.
//   - The answer to an anonymous GET query without errors may be kept by
//     shared caches for maxAge, with a strong ETag and 304 for a matching
//     If-None-Match; every other response is private, no-store.
type httpTransport struct {
	// maxAge is how long shared caches may keep an anonymous GET query's
	// answer; zero or less means they may not keep it at all.
	maxAge time.Duration
}

var _ graphql.Transport = httpTransport{}

// Supports implements graphql.Transport: every request but a protocol upgrade
// (websockets are not served), so that wrong methods and media types get
// their proper status here rather than gqlgen's generic 400.
func (httpTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") == "" }

// Do implements graphql.Transport.
func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	h := w.Header()
	// The answer depends on who asks and in which media type; until a
	// response earns public caching, nothing may store it.
	h.Add("Vary", "Authorization, Accept")
	h.Set("Cache-Control", "private, no-store")
	switch r.Method {
	case http.MethodGet, http.MethodPost:
	case http.MethodOptions:
		h.Set("Allow", allowedMethods)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", allowedMethods)
		writeRequestError(w, mediaJSON, &requestError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			r.Method + " is not allowed: send queries with GET or POST, mutations with POST"})
		return
	}
	media, ok := negotiate(strings.Join(r.Header.Values("Accept"), ","))
	if !ok {
		writeRequestError(w, mediaJSON, &requestError{http.StatusNotAcceptable, "NOT_ACCEPTABLE",
			"the response is application/graphql-response+json or application/json, and the Accept header allows neither"})
		return
	}
	var params *graphql.RawParams
	var reqErr *requestError
	if r.Method == http.MethodGet {
		params, reqErr = paramsFromURL(r.URL.RawQuery)
	} else {
		params, reqErr = paramsFromBody(r)
	}
	if reqErr != nil {
		writeRequestError(w, media, reqErr)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		t.write(w, r, media, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		h.Set("Allow", http.MethodPost)
		writeRequestError(w, media, &requestError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
			fmt.Sprintf("GET runs queries only; send this %s with POST", opCtx.Operation.Operation)})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		// The request's context ended before the operation started.
		writeRequestError(w, media, &requestError{http.StatusServiceUnavailable, "REQUEST_CANCELLED",
			"the request was cancelled or timed out before it ran"})
		return
	}
	t.write(w, r, media, resp)
}

// httpResponse is a GraphQL response as it is written: unlike
// graphql.Response, it has no data entry when there is no data (a request
// error), as the specification asks.
type httpResponse struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// encode writes resp as httpResponse would marshal, but splices the data in
// as it is: the executor wrote it as compact JSON already, and json.Marshal
// would scan and copy the whole of it (a megabyte for a wide query) twice to
// validate and compact it.
func (resp httpResponse) encode() ([]byte, error) {
	head, err := json.Marshal(httpResponse{Errors: resp.Errors, Extensions: resp.Extensions})
	if err != nil || len(resp.Data) == 0 {
		return head, err
	}
	body := make([]byte, 0, len(head)+len(resp.Data)+len(`,"data":`))
	body = append(body, head[:len(head)-1]...) // without its closing brace
	if len(head) > 2 {
		body = append(body, ',')
	}
	body = append(body, `"data":`...)
	body = append(body, resp.Data...)
	return append(body, '}'), nil
}

// write sends a GraphQL response with its status and caching headers.
func (t httpTransport) write(w http.ResponseWriter, r *http.Request, media string, resp *graphql.Response) {
	h := w.Header()
	status := responseStatus(media, resp)
	data := resp.Data
	if status == http.StatusServiceUnavailable {
		// The database's outage left nothing of the operation: the answer
		// is the outage alone, without the "data": null of an operation
		// that ran (see responseStatus).
		data = nil
		h.Set("Retry-After", request.RetryAfterOutage)
	}
	body, err := httpResponse{Errors: resp.Errors, Data: data, Extensions: resp.Extensions}.encode()
	if err != nil {
		writeRequestError(w, media, &requestError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
			"internal error; request ID " + request.ID(r.Context())})
		return
	}
	h.Set("Content-Type", media+"; charset=utf-8")
	if status == http.StatusOK && t.publiclyCacheable(r, resp) {
		// Strong: the same bytes in the same media type give the same tag.
		sum := sha256.Sum256(append([]byte(media+"\n"), body...))
		etag := `"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int64((t.maxAge+time.Second-1)/time.Second)))
		if etagMatches(r.Header.Values("If-None-Match"), etag) {
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// publiclyCacheable reports whether shared caches may keep resp: an
// anonymous GET (so a query) that succeeded. Anything read with a token may
// show what only its holder may see, and errors carry request IDs and may be
// passing.
func (t httpTransport) publiclyCacheable(r *http.Request, resp *graphql.Response) bool {
	return t.maxAge > 0 && r.Method == http.MethodGet && len(r.Header.Values("Authorization")) == 0 &&
		len(resp.Errors) == 0 && len(resp.Data) > 0
}

// responseStatus is the status of a GraphQL response: 200 for
// application/json (the specification's advice for clients that may not
// understand anything else), and for application/graphql-response+json 200
// when there is data, else 400 for a request the client got wrong or 500
// when the server failed.
//
// A database outage is the exception, for both media types: when an error
// is SERVICE_UNAVAILABLE and there is no data (none, or null), it is 503,
// which write sends with Retry-After and without the null data. Nothing
// of the operation could run; load balancers, caches and retrying clients
// act on a 503 and its Retry-After, and would take a 200 for an answer.
// For application/graphql-response+json that is what the specification
// asks of a response without data (4xx or 5xx); for application/json it
// allows a 5xx, though it advises 200, and a client that mistrusts a
// non-200 body loses nothing: the body says only to come back later. With
// partial data (some field has a value), it stays 200: the specification
// requires it for both media types, and the errors, coded
// SERVICE_UNAVAILABLE, say which fields the outage cost.
func responseStatus(media string, resp *graphql.Response) int {
	noData := len(resp.Data) == 0 || string(resp.Data) == "null"
	if noData && hasCode(resp.Errors, request.CodeUnavailable) {
		return http.StatusServiceUnavailable
	}
	if media == mediaJSON || len(resp.Data) > 0 {
		return http.StatusOK
	}
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code == "INTERNAL_SERVER_ERROR" {
			return http.StatusInternalServerError
		}
	}
	return http.StatusBadRequest
}

// hasCode reports whether an error in errs has the extensions.code code.
func hasCode(errs gqlerror.List, code string) bool {
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); c == code {
			return true
		}
	}
	return false
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110, 13.1.2).
func etagMatches(ifNoneMatch []string, etag string) bool {
	for _, v := range ifNoneMatch {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == etag {
				return true
			}
		}
	}
	return false
}

// negotiate picks the response's media type from an Accept header (RFC
// 9110, 12.5.1: the most specific range sets a type's quality). Without an
// Accept header, or when only wildcards match, it is application/json, as
// the specification asks while clients move over; a client that names
// application/graphql-response+json at least as highly as application/json
// gets it. ok is false when the header accepts neither.
func negotiate(accept string) (media string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	type mediaRange struct {
		typ, sub string
		q        float64
	}
	var ranges []mediaRange
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		typ, sub, _ := strings.Cut(mt, "/")
		ranges = append(ranges, mediaRange{typ, sub, q})
	}
	// quality returns a media type's quality and whether a range names it
	// exactly.
	quality := func(media string) (float64, bool) {
		typ, sub, _ := strings.Cut(media, "/")
		q, specificity := 0.0, -1
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.sub == sub:
				s = 2
			case r.typ == typ && r.sub == "*":
				s = 1
			case r.typ == "*" && r.sub == "*":
				s = 0
			}
			if s > specificity {
				q, specificity = r.q, s
			}
		}
		return q, specificity == 2
	}
	qJSON, _ := quality(mediaJSON)
	qGraphQL, named := quality(mediaGraphQLResponse)
	switch {
	case qGraphQL > qJSON || (qGraphQL > 0 && qGraphQL == qJSON && named):
		return mediaGraphQLResponse, true
	case qJSON > 0:
		return mediaJSON, true
	}
	return "", false
}

// requestError is a request that is not well-formed GraphQL over HTTP; it
// is answered before any GraphQL processing.
type requestError struct {
	status  int
	code    string // extensions.code
	message string
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, "BAD_REQUEST", fmt.Sprintf(format, args...)}
}

// writeRequestError answers e as a GraphQL response without data.
func writeRequestError(w http.ResponseWriter, media string, e *requestError) {
	writeError(w, media, e.status, e.message, map[string]any{"code": e.code})
}

// writeError answers one error as a GraphQL response without data.
func writeError(w http.ResponseWriter, media string, status int, message string, extensions map[string]any) {
	request.WriteError(w, media, status, message, extensions)
}

// paramsFromURL reads a GET request's parameters.
func paramsFromURL(rawQuery string) (*graphql.RawParams, *requestError) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, badRequest("the URL's query string does not parse: %v", err)
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	var reqErr *requestError
	if v := q.Get("variables"); v != "" {
		if p.Variables, reqErr = jsonObject("variables", []byte(v)); reqErr != nil {
			return nil, reqErr
		}
	}
	if v := q.Get("extensions"); v != "" {
		if p.Extensions, reqErr = jsonObject("extensions", []byte(v)); reqErr != nil {
			return nil, reqErr
		}
	}
	return p, needQuery(p)
}

// paramsFromBody reads a POST request's parameters from its JSON body.
func paramsFromBody(r *http.Request) (*graphql.RawParams, *requestError) {
	mt, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != mediaJSON {
		return nil, &requestError{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request body as application/json"}
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, &requestError{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", "send the request body in utf-8"}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return nil, &requestError{http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE",
				fmt.Sprintf("the request body is over %d bytes", tooLarge.Limit)}
		}
		return nil, badRequest("could not read the request body: %v", err)
	}
	var in struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if body = bytes.TrimSpace(body); len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &in) != nil {
		return nil, badRequest("the request body is not a JSON object")
	}
	p := &graphql.RawParams{}
	var reqErr *requestError
	if p.Query, reqErr = jsonString("query", in.Query); reqErr != nil {
		return nil, reqErr
	}
	if p.OperationName, reqErr = jsonString("operationName", in.OperationName); reqErr != nil {
		return nil, reqErr
	}
	if p.Variables, reqErr = jsonObject("variables", in.Variables); reqErr != nil {
		return nil, reqErr
	}
	if p.Extensions, reqErr = jsonObject("extensions", in.Extensions); reqErr != nil {
		return nil, reqErr
	}
	return p, needQuery(p)
}

// needQuery refuses a request with neither a query nor a persisted query's
// hash.
func needQuery(p *graphql.RawParams) *requestError {
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return badRequest("the request has no query")
	}
	return nil
}

// jsonString decodes an optional string parameter.
func jsonString(name string, raw json.RawMessage) (string, *requestError) {
	var s *string
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", badRequest("%s must be a string", name)
		}
	}
	if s == nil {
		return "", nil
	}
	return *s, nil
}

// jsonObject decodes an optional object parameter, its numbers kept as
// json.Number for the scalars to parse.
func jsonObject(name string, raw []byte) (map[string]any, *requestError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if raw[0] != '{' || dec.Decode(&m) != nil || dec.More() {
		return nil, badRequest("%s must be a JSON object", name)
	}
	return m, nil
}
