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
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
	"oversight/internal/metrics"
	"oversight/internal/ratelimit"
)

// Config assembles the HTTP side of the API.
type Config struct {
	// Catalog reads the registry for mutations (which must see their own
	// writes) and, when ReadCatalog is nil, for everything else.
	Catalog *catalog.Catalog
	// ReadCatalog, when set, serves the read-only work: every query
	// operation and the feed. It is meant for a streaming replica, so what
	// it returns may lag a just-merged change by the replica's delay.
	ReadCatalog *catalog.Catalog
	Editorial   *editorial.Service
	// Auth authenticates API tokens; nil serves anonymous readers only.
	Auth   *auth.Store
	Logger *slog.Logger
	// Ready reports whether the server can answer queries (database reachable,
	// schema migrated); /readyz calls it.
	Ready func(ctx context.Context) error
	// LoaderWait is how long a loader's batch waits for one more key before
	// it queries (at most 100 ms in all); zero means 5 ms, enough for the
	// fields of one list level to join one batch even on a busy machine.
	LoaderWait time.Duration
	// Limits bound each operation's cost; nil means DefaultLimits.
	Limits *Limits
	// RequestTimeout bounds each request, SQL included (the context is
	// cancelled, and pgx cancels the running statement); zero means 15 s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request's body; zero means 1 MiB.
	MaxBodyBytes int64
	// CacheMaxAge is how long shared caches (a CDN, a reverse proxy) may
	// keep the answer to an anonymous GET query; zero means 60 s, and a
	// negative value forbids public caching.
	CacheMaxAge time.Duration
	// PublicURL is where clients reach the server: the scheme, host and
	// any path prefix a proxy adds, such as https://oversight.example.org.
	// The feed's absolute links are built from it, never from a request's
	// Host or X-Forwarded-* headers (see newFeed). Its query and fragment
	// are ignored. nil means http://localhost:8080.
	PublicURL *url.URL
	// Export serves the bulk downloads under /export/; nil serves none.
	// Build it with bulk.Handler and RouteFailure, so that it answers
	// failures as the other routes do.
	Export http.Handler
	// Metrics counts, times and logs each request; nil does none of it.
	Metrics *metrics.Metrics
	// RateLimit limits each client's requests; nil limits none.
	RateLimit *ratelimit.Limiter
	// MaxConcurrent is how many GraphQL and feed requests, together,
	// execute at once, the rest waiting their turn; the exports may run as
	// many again (see newChain). Zero means 2 per CPU, negative means no
	// limit.
	MaxConcurrent int
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

// NewGraphQLHandler returns the GraphQL endpoint: GraphQL over HTTP (see
// httpTransport) with automatic persisted queries, introspection on (the API
// is public and documented through it), errors through presentError, behind
// the middleware chain every route goes through (see chain), with an
// admission of its own. NewServer serves it with the other routes, sharing
// one chain.
func NewGraphQLHandler(cfg Config) http.Handler {
	c := newChain(cfg)
	return c.wrap(c.graphQLRoute(), newGraphQL(cfg))
}

// newGraphQL is the GraphQL endpoint without the middleware chain: gqlgen
// and the request's loaders.
func newGraphQL(cfg Config) http.Handler {
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
		cfg.logger().ErrorContext(ctx, "panic in resolver", "request_id", requestID(ctx), "panic", v)
		return &gqlerror.Error{
			Message:    "internal error; request ID " + requestID(ctx),
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": requestID(ctx)},
		}
	})
	wait := cfg.LoaderWait
	if wait == 0 {
		wait = 5 * time.Millisecond
	}
	return withLoaders(srv, wait)
}

// chain is the middleware every public route goes through: /graphql, the
// feed and the exports meet the same deadline, body bound, rate limits
// (one set of buckets: a client's feed requests and queries draw from the
// same one), authentication and admission. One chain serves one server, so
// that its routes share its admission: GraphQL and the feed together, not
// each on its own, execute at most MaxConcurrent requests at once.
//
// From the outside in: the request ID, metrics and the request's log line
// (they see every answer, refusals included), the deadline and body limit,
// a rate limit per address before tokens are checked (a flood of made-up
// tokens would each cost a lookup), authentication, the rate limit per
// user or address and for mutations (it needs the viewer), the admission
// queue, then the route's handler.
//
// Nothing in it is GraphQL's: it is meant to move, with NewServer's route
// table, to a package of its own (internal/server).
type chain struct {
	metrics *metrics.Metrics
	limiter *ratelimit.Limiter
	auth    *auth.Store
	logger  *slog.Logger
	// fail answers a request that failed before its answer started.
	fail    func(http.ResponseWriter, *http.Request, error)
	timeout time.Duration
	maxBody int64
	// shared admits GraphQL and the feed; exports admits the exports.
	shared, exports *admission
}

// route is what differs between the routes of a chain.
type route struct {
	// metric labels the route's metrics; "" for GraphQL, whose label is
	// the operation's name.
	metric string
	// deadline applies the request timeout. Without it the route bounds its
	// own time, and waits in the admission queue at most the timeout.
	deadline  bool
	admission *admission
}

func newChain(cfg Config) *chain {
	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody == 0 {
		maxBody = 1 << 20
	}
	concurrent := cfg.MaxConcurrent
	if concurrent == 0 {
		concurrent = defaultConcurrency()
	}
	return &chain{
		metrics: cfg.Metrics,
		limiter: cfg.RateLimit,
		auth:    cfg.Auth,
		logger:  cfg.logger(),
		fail:    RouteFailure(cfg.logger()),
		timeout: timeout,
		maxBody: maxBody,
		shared:  newAdmission(concurrent),
		// An export takes as long as its client reads, minutes for a slow
		// one: in the shared admission a few slow downloads would stall the
		// API. In their own, as large, they can only stall each other, and
		// still take no more than their share of the database's
		// connections (each holds one for its snapshot).
		exports: newAdmission(concurrent),
	}
}

func (c *chain) graphQLRoute() route { return route{deadline: true, admission: c.shared} }

func (c *chain) feedRoute() route {
	return route{metric: "/changes.atom", deadline: true, admission: c.shared}
}

// exportRoute has no deadline: the exports stream the whole registry, and
// set their own write deadline (internal/bulk).
func (c *chain) exportRoute() route { return route{metric: "/export/", admission: c.exports} }

// wrap puts h behind the chain, as rt.
func (c *chain) wrap(rt route, h http.Handler) http.Handler {
	var maxWait time.Duration
	if !rt.deadline {
		maxWait = c.timeout
	}
	h = rt.admission.wrap(h, maxWait)
	if c.limiter != nil {
		h = c.limiter.Middleware(h)
	}
	if c.auth != nil {
		h = auth.Middleware(c.auth, c.logger, c.fail)(h)
		if c.limiter != nil {
			h = c.limiter.PreAuth(h)
		}
	}
	timeout := c.timeout
	if !rt.deadline {
		timeout = 0
	}
	h = withBounds(h, timeout, c.maxBody)
	if c.metrics != nil {
		if rt.metric == "" {
			h = c.metrics.Middleware(h)
		} else {
			h = c.metrics.Route(rt.metric, h)
		}
	}
	return withRequestID(h)
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

// NewServer returns every route the server answers: /graphql, the feed
// (/changes.atom) and the exports (/export/, when configured) behind one
// middleware chain, /graphiql, and /healthz (the process is up) and /readyz
// (it can serve queries).
func NewServer(cfg Config) http.Handler {
	c := newChain(cfg)
	mux := http.NewServeMux()
	mux.Handle("/graphql", c.wrap(c.graphQLRoute(), newGraphQL(cfg)))
	// GraphiQL's page, and its own script and stylesheet under /graphiql/
	// (graphiql.go): not behind the chain, as they read nothing of the
	// registry, and a browser loads them once.
	gq := graphiQLHandler("/graphql")
	mux.Handle("GET /graphiql", gq)
	mux.Handle("GET /graphiql/", gq)
	// The health checks skip the chain. Load balancers and orchestrators
	// probe them often, from a few addresses: rate limits would refuse the
	// probes and have a healthy server taken out of service, and /readyz
	// queued behind a busy admission would time out, and have it restarted,
	// exactly when it is loaded. They cost a constant and a one-row query.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if cfg.Ready != nil {
			if err := cfg.Ready(ctx); err != nil {
				cfg.logger().WarnContext(ctx, "not ready", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("not ready\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if cfg.Export != nil {
		mux.Handle("GET /export/", c.wrap(c.exportRoute(), cfg.Export))
	}
	// The Atom feed of changes (public, like the data it announces).
	mux.Handle("GET /changes.atom", c.wrap(c.feedRoute(), newFeed(cfg, c.fail)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphiql", http.StatusFound)
	})
	return mux
}

// withBounds limits a request's time (none when timeout is zero) and body.
// The deadline reaches PostgreSQL through the context: pgx cancels a
// statement still running when it passes, so a slow query is stopped rather
// than left to run.
func withBounds(next http.Handler, timeout time.Duration, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if timeout <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
		h.Set("Retry-After", retryAfterOutage)
	}
	body, err := httpResponse{Errors: resp.Errors, Data: data, Extensions: resp.Extensions}.encode()
	if err != nil {
		writeRequestError(w, media, &requestError{http.StatusInternalServerError, "INTERNAL_SERVER_ERROR",
			"internal error; request ID " + requestID(r.Context())})
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
	if noData && hasCode(resp.Errors, codeUnavailable) {
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
	body, _ := json.Marshal(httpResponse{Errors: gqlerror.List{{Message: message, Extensions: extensions}}})
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
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
