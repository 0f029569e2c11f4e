// Package server is the one route table and middleware chain of the
// Oversight server. New mounts, side by side, the GraphQL API (graph), the
// Atom feed of changes, the bulk exports, GraphiQL and the health checks;
// the browsing site and the editors' desk are meant to be mounted here too.
//
// Every public route goes through one chain: /graphql, the feed and the
// exports meet the same deadline, body bound, rate limits (one set of
// buckets: a client's feed requests and queries draw from the same one),
// authentication and admission. One chain serves one server, so that its
// routes share its admission: GraphQL and the feed together, not each on
// its own, execute at most Config.MaxConcurrent requests at once.
//
// From the outside in: the request ID (internal/request), metrics and the
// request's log line (they see every answer, refusals included), the
// deadline and body limit, a rate limit per address before tokens are
// checked (a flood of made-up tokens would each cost a lookup),
// authentication to a registry.Viewer, the rate limit per user or address
// and for mutations (it needs the viewer), the admission queue, then the
// route's handler.
//
// Two kinds of route skip the chain, each where New mounts it says why:
// GraphiQL's static page and assets, and the health checks.
package server
