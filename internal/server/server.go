package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/metrics"
	"oversight/internal/postgres"
	"oversight/internal/ratelimit"
	"oversight/internal/request"
)

// Config assembles the server: the GraphQL API and the feed (built from
// Graph), the exports, and the chain they all go through.
type Config struct {
	// Graph configures the GraphQL API and the Atom feed. New sets its
	// Logger, Metrics and RateLimit to the server's, so that the API counts
	// its operations and limits persisted mutations with the same ones the
	// chain uses.
	Graph graph.Config
	// Auth authenticates API tokens; nil serves anonymous readers only.
	Auth *auth.Store
	// Logger logs the server's requests and failures; nil means
	// Graph.Logger, else slog's default.
	Logger *slog.Logger
	// Ready reports whether the server can answer queries (database reachable,
	// schema migrated); /readyz calls it.
	Ready func(ctx context.Context) error
	// RequestTimeout bounds each request, SQL included (the context is
	// cancelled, and pgx cancels the running statement); zero means 15 s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request's body; zero means 1 MiB.
	MaxBodyBytes int64
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
}

// logger is Logger, else the API's (Graph.Logger), else slog's default.
func (cfg Config) logger() *slog.Logger {
	switch {
	case cfg.Logger != nil:
		return cfg.Logger
	case cfg.Graph.Logger != nil:
		return cfg.Graph.Logger
	}
	return slog.Default()
}

// New returns every route the server answers: /graphql, the feed
// (/changes.atom) and the exports (/export/, when configured) behind one
// middleware chain, /graphiql, and /healthz (the process is up) and /readyz
// (it can serve queries).
func New(cfg Config) http.Handler {
	c := newChain(cfg)
	g := cfg.Graph
	g.Logger, g.Metrics, g.RateLimit = cfg.logger(), cfg.Metrics, cfg.RateLimit
	mux := http.NewServeMux()
	mux.Handle("/graphql", c.wrap(c.graphQLRoute(), graph.NewGraphQLHandler(g)))
	// GraphiQL's page, and its own script and stylesheet under /graphiql/:
	// not behind the chain, as they read nothing of the registry, and a
	// browser loads them once.
	gq := graph.NewGraphiQL("/graphql")
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
	mux.Handle("GET /changes.atom", c.wrap(c.feedRoute(), graph.NewFeed(g, c.fail)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphiql", http.StatusFound)
	})
	return mux
}

// chain is the middleware every public route goes through (see the
// package's doc).
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
	return request.WithID(h)
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

// RouteFailure returns how a route other than /graphql (the feed, the
// exports; pass it to bulk.Handler) and the middleware in front of every
// route answer a request that failed before its answer started: a database
// outage (postgres.Unavailable) with 503, Retry-After and the code
// SERVICE_UNAVAILABLE, logged as a warning; anything else with 500 and
// INTERNAL_SERVER_ERROR, logged as an error. Either way the body is a
// GraphQL-shaped error, like the middleware's other refusals, and carries
// the request ID, as the X-Request-ID header does. Nothing in it may be
// cached.
func RouteFailure(logger *slog.Logger) func(w http.ResponseWriter, r *http.Request, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	return func(w http.ResponseWriter, r *http.Request, err error) {
		ctx := r.Context()
		id := request.ID(ctx)
		w.Header().Set("Cache-Control", "no-store")
		if postgres.Unavailable(err) {
			request.LogOutage(ctx, logger, err)
			w.Header().Set("Retry-After", request.RetryAfterOutage)
			request.WriteError(w, request.MediaJSON, http.StatusServiceUnavailable, request.OutageMessage(id), map[string]any{"code": request.CodeUnavailable, "requestId": id})
			return
		}
		logger.ErrorContext(ctx, "request failed", "request_id", id, "path", r.URL.Path, "err", err)
		request.WriteError(w, request.MediaJSON, http.StatusInternalServerError, "internal error; request ID "+id, map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": id})
	}
}
