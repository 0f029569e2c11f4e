package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"oversight/graph/generated"
	"oversight/internal/auth"
	"oversight/internal/catalog"
	"oversight/internal/editorial"
)

// Config assembles the HTTP side of the API.
type Config struct {
	Catalog   *catalog.Catalog
	Editorial *editorial.Service
	// Auth authenticates API tokens; nil serves anonymous readers only.
	Auth   *auth.Store
	Logger *slog.Logger
	// Ready reports whether the server can answer queries (database reachable,
	// schema migrated); /readyz calls it.
	Ready func(ctx context.Context) error
	// LoaderWait is how long a loader gathers keys before it queries; zero
	// means 2 ms, enough for the fields of one list level to join one batch.
	LoaderWait time.Duration
	// Limits bound each operation's cost; nil means DefaultLimits.
	Limits *Limits
	// RequestTimeout bounds each request, SQL included (the context is
	// cancelled, and pgx cancels the running statement); zero means 15 s.
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request's body; zero means 1 MiB.
	MaxBodyBytes int64
	// Export serves the bulk downloads under /export/; nil serves none.
	Export http.Handler
}

// parserTokenLimit bounds the size of a query document before it is parsed,
// so a huge document cannot cost the parser more than a normal one.
const parserTokenLimit = 15000

// NewGraphQLHandler returns the GraphQL endpoint: POST and GET, introspection
// on (the API is public and documented through it), errors through presentError.
func NewGraphQLHandler(cfg Config) http.Handler {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{Catalog: cfg.Catalog, Editorial: cfg.Editorial}}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	limits := DefaultLimits
	if cfg.Limits != nil {
		limits = *cfg.Limits
	}
	srv.Use(limits)
	srv.SetParserTokenLimit(parserTokenLimit)
	srv.SetErrorPresenter(presentError(cfg.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		cfg.Logger.ErrorContext(ctx, "panic in resolver", "request_id", requestID(ctx), "panic", v)
		return &gqlerror.Error{
			Message:    "internal error; request ID " + requestID(ctx),
			Path:       graphql.GetPath(ctx),
			Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR", "requestId": requestID(ctx)},
		}
	})
	wait := cfg.LoaderWait
	if wait == 0 {
		wait = 2 * time.Millisecond
	}
	var h http.Handler = withLoaders(srv, wait)
	if cfg.Auth != nil {
		h = auth.Middleware(cfg.Auth, cfg.Logger)(h)
	}
	timeout := cfg.RequestTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody == 0 {
		maxBody = 1 << 20
	}
	return withRequestID(withBounds(h, timeout, maxBody))
}

// NewServer returns every route the server answers: /graphql, /graphiql,
// /healthz (the process is up) and /readyz (it can serve queries).
func NewServer(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", NewGraphQLHandler(cfg))
	mux.Handle("GET /graphiql", playground.Handler("Oversight GraphQL", "/graphql"))
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
				cfg.Logger.WarnContext(ctx, "not ready", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("not ready\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if cfg.Export != nil {
		mux.Handle("GET /export/", withRequestID(cfg.Export))
	}
	// The Atom feed of changes (public, like the data it announces).
	mux.Handle("GET /changes.atom", NewFeedHandler(cfg))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphiql", http.StatusFound)
	})
	return mux
}

// withBounds limits a request's time and body. The deadline reaches
// PostgreSQL through the context: pgx cancels a statement still running when
// it passes, so a slow query is stopped rather than left to run.
func withBounds(next http.Handler, timeout time.Duration, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
