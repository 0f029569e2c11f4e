package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"oversight/graph"
	"oversight/internal/auth"
	"oversight/internal/bulk"
	"oversight/internal/catalog"
	"oversight/internal/database"
	"oversight/internal/editorial"
	"oversight/internal/metrics"
	"oversight/internal/postgres"
	"oversight/internal/ratelimit"
	"oversight/internal/server"
	"oversight/seed"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f dbFlags
	f.register(fs, getenv)
	addr := fs.String("addr", ":8080", "address to listen on")
	var publicURL publicURLFlag
	fs.Var(&publicURL, "public-url", "the URL clients reach the server at, for the absolute links of the feed: http or https, with any path prefix of a proxy, such as https://oversight.example.org (default http://localhost:PORT, PORT that of --addr)")
	// Like --database-url, the environment's value is applied after
	// parsing so -h never prints a password.
	readURL := fs.String("database-read-url", "", "PostgreSQL URL of a read replica for queries, the feed and the exports (default $DATABASE_READ_URL; unset: the primary serves everything)")
	cacheMaxAge := fs.Duration("cache-max-age", 60*time.Second, "how long CDNs and proxies may cache anonymous GET queries (0: not at all)")
	limits := ratelimit.DefaultConfig()
	fs.Var(&limits.Anonymous, "rate-limit-anonymous", "each anonymous client address's limit: RATE:BURST (requests a second, bucket size), or off")
	fs.Var(&limits.SignedIn, "rate-limit-user", "each signed-in user's limit, all their tokens together: RATE:BURST, or off")
	fs.Var(&limits.Mutation, "rate-limit-mutation", "each user's (or anonymous address's) limit on mutations, on top of the above: RATE:BURST, or off")
	fs.Var(&limits.PreAuth, "rate-limit-preauth", "each address's limit before its token is checked: RATE:BURST, or off")
	fs.Var(&limits.TrustedProxies, "trusted-proxies", "comma-separated CIDRs of the reverse proxies whose X-Forwarded-For is believed (default none)")
	maxConcurrent := fs.Int("max-concurrent", 0, "how many GraphQL and feed requests execute at once, the rest queueing within their deadline, and how many exports besides (0: 2 per CPU; -1: no limit)")
	memoryLimit := fs.Int("memory-limit", 200, "soft limit of the Go heap in MiB, past which the garbage collector works harder (0: none; $GOMEMLIMIT, when set, wins)")
	metricsAddr := fs.String("metrics-addr", "", "serve Prometheus metrics at /metrics on this address, kept off the public one (such as 127.0.0.1:9090); empty serves none")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *readURL == "" {
		*readURL = getenv("DATABASE_READ_URL")
	}
	logger := newLogger(stderr)
	m := metrics.New(metrics.Options{Logger: logger})
	f.tracer = m.StatementTracer()
	pool, db, closeDB, err := openDatabase(ctx, f, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := m.RegisterPool(pool); err != nil {
		return fmt.Errorf("register pool metrics: %w", err)
	}
	if *memoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// A wide answer allocates tens of megabytes; without a limit the
		// heap grows to twice what is live before each collection.
		debug.SetMemoryLimit(int64(*memoryLimit) << 20)
	}
	if err := seedIfEmpty(ctx, pool, logger); err != nil {
		return err
	}
	// Reads go to the replica when there is one; writes, and the tokens
	// checked on every request, stay on the primary.
	readPool, ready := pool, readiness(pool, db.URL)
	if *readURL != "" {
		if readPool, err = openReadReplica(ctx, *readURL, logger); err != nil {
			return err
		}
		defer readPool.Close()
		primaryReady, replicaReady := ready, readiness(readPool, *readURL)
		ready = func(ctx context.Context) error {
			if err := primaryReady(ctx); err != nil {
				return fmt.Errorf("primary: %w", err)
			}
			if err := replicaReady(ctx); err != nil {
				return fmt.Errorf("read replica: %w", err)
			}
			return nil
		}
	}
	primaryCatalog := catalog.New(pool)
	var readCatalog *catalog.Catalog // nil: the primary serves the reads too
	if readPool != pool {
		readCatalog = catalog.New(readPool)
	}
	maxAge := *cacheMaxAge
	if maxAge <= 0 {
		maxAge = -1 // graph.Config reads zero as the default
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	if publicURL.u == nil {
		// Right for a server used where it runs; one behind a proxy or
		// reached by another name sets --public-url.
		publicURL.u = &url.URL{Scheme: "http", Host: displayAddr(ln.Addr())}
	}
	srv := &http.Server{
		Handler: server.New(server.Config{
			Graph: graph.Config{
				Catalog:     primaryCatalog,
				ReadCatalog: readCatalog,
				Editorial:   editorial.New(pool),
				CacheMaxAge: maxAge,
				PublicURL:   publicURL.u,
			},
			Auth:      auth.NewStore(pool),
			Logger:    logger,
			Ready:     ready,
			Export:    bulk.Handler(bulk.NewExporter(readPool), logger, server.RouteFailure(logger)),
			Metrics:   m,
			RateLimit: ratelimit.New(limits),
			// Bounds memory under load: see internal/server's admission.
			MaxConcurrent: *maxConcurrent,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("serving", "addr", ln.Addr().String(), "public_url", publicURL.u.String(), "graphql", "/graphql", "graphiql", "/graphiql")
	fmt.Fprintf(stdout, "Oversight is serving GraphQL on http://%s/graphql (GraphiQL: /graphiql)\n", displayAddr(ln.Addr()))

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go refreshEvidence(ctx, pool, logger)
	if *metricsAddr != "" {
		// Metrics on their own address: operation names and traffic are not
		// for the people this registry names.
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", *metricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		defer msrv.Close()
		go func() { errc <- msrv.Serve(mln) }()
		logger.Info("serving metrics", "addr", mln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// refreshEvidence keeps the stored export-control evidence rows up to date
// on the primary (until they are, readers compute the rows themselves). A
// write that marks them stale sends a notification when it commits; this
// listens for it on a connection of its own and recomputes the rows at once,
// and also every minute in case a notification was lost with a connection.
func refreshEvidence(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.WithoutCancel(ctx))
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			c, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
			if err == nil {
				_, err = c.Exec(ctx, `LISTEN evidence_summary_stale`)
			}
			if err != nil {
				if ctx.Err() == nil {
					logger.Error("listen for stale evidence rows", "err", err)
				}
				if c != nil {
					_ = c.Close(context.WithoutCancel(ctx))
				}
			} else {
				conn = c
			}
		}
		start := time.Now()
		refreshed, err := catalog.RefreshEvidence(ctx, pool)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Error("refresh evidence rows", "err", err)
		case refreshed:
			logger.Info("refreshed evidence rows", "seconds", time.Since(start).Seconds())
		}
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		if conn != nil {
			if _, err := conn.WaitForNotification(wait); err != nil && wait.Err() == nil {
				// The connection broke: listen again on a new one.
				logger.Error("wait for stale evidence rows", "err", err)
				_ = conn.Close(context.WithoutCancel(ctx))
				conn = nil
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		} else {
			<-wait.Done()
		}
		cancel()
	}
}

// seedIfEmpty loads the seed dataset into a registry that has no entries, so
// a fresh install serves real data at once; a registry with entries is left
// alone (use "oversight seed" to add missing seed entries to it).
func seedIfEmpty(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	var empty bool
	if err := pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM entries)`).Scan(&empty); err != nil {
		return fmt.Errorf("check for entries: %w", err)
	}
	if !empty {
		return nil
	}
	d, err := seed.Registry()
	if err != nil {
		return err
	}
	res, err := seed.Load(ctx, pool, d)
	if err != nil {
		return err
	}
	logger.Info("seeded an empty registry", "entries", res.Inserted)
	return nil
}

// openReadReplica opens a pool on the read replica and checks that it
// answers, so a mistyped URL stops the server at start rather than failing
// every query. The replica is not migrated: it follows the primary.
func openReadReplica(ctx context.Context, url string, logger *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := database.PoolConfig(url)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to read replica %s: %w", database.Redact(url), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to read replica %s: %w", database.Redact(url), err)
	}
	logger.Info("using read replica", "url", database.Redact(url))
	return pool, nil
}

// readiness checks that the database answers and is migrated to the version
// this binary expects.
func readiness(pool *pgxpool.Pool, url string) func(context.Context) error {
	// The version this binary expects is read from its embedded migrations
	// once; each probe then asks the pool (one cheap query, no new
	// connection), since load balancers probe often.
	_, _, latest, latestErr := postgres.MigrationStatus(context.Background(), url)
	return func(ctx context.Context) error {
		if latestErr != nil {
			return latestErr
		}
		var version int64
		var dirty bool
		if err := pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty); err != nil {
			return fmt.Errorf("read migration version: %w", err)
		}
		if dirty || uint(version) != latest {
			return fmt.Errorf("database at migration %d (dirty %t), want %d", version, dirty, latest)
		}
		return nil
	}
}

// publicURLFlag is --public-url, checked as it is parsed: a bad value is a
// usage error before anything starts.
type publicURLFlag struct{ u *url.URL }

// String implements flag.Value.
func (f *publicURLFlag) String() string {
	if f == nil || f.u == nil {
		return ""
	}
	return f.u.String()
}

// Set implements flag.Value.
func (f *publicURLFlag) Set(s string) error {
	u, err := parsePublicURL(s)
	if err != nil {
		return err
	}
	f.u = u
	return nil
}

// parsePublicURL reads the URL clients reach the server at: absolute, http
// or https, with a host, and nothing the links built from it could not
// carry: no query or fragment, and no user name or password (it would be
// published in every link). A trailing slash is dropped.
func parsePublicURL(s string) (*url.URL, error) {
	const want = "want an absolute http:// or https:// URL such as https://oversight.example.org"
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q does not parse (%v): %s", s, errors.Unwrap(err), want)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q is not an http or https URL: %s", s, want)
	case u.Opaque != "" || u.Hostname() == "":
		return nil, fmt.Errorf("%q has no host: %s", s, want)
	case u.User != nil:
		return nil, fmt.Errorf("%q has a user name or password, which every link would publish: %s", s, want)
	case u.RawQuery != "" || u.ForceQuery || strings.Contains(s, "#"):
		return nil, fmt.Errorf("%q has a query or a fragment: %s, and a path prefix at most", s, want)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func displayAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}
