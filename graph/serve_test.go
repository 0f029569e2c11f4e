package graph_test

import (
	"net/http"

	"oversight/graph"
	"oversight/internal/server"
)

// newServer is the whole server as "oversight serve" assembles it: the API and
// the feed over cfg, mounted by server.New behind its middleware chain
// (request IDs, bounds, rate limits, authentication to a viewer,
// admission) configured by hc.
func newServer(cfg graph.Config, hc server.Config) http.Handler {
	hc.Graph = cfg
	return server.New(hc)
}
