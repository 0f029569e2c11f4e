package graph_test

import (
	"net/http"

	"oversight/graph"
	"oversight/internal/server"
)

// newServer is the whole server as "oversight serve" assembles it: the API and
// the feed over cfg, mounted by server.New behind its middleware chain
// (request IDs, bounds, rate limits, authentication to a viewer,
// admission) configured by hc. cfg's Logger is the server's unless hc has
// one.
func newServer(cfg graph.Config, hc server.Config) http.Handler {
	hc.Graph = cfg
	if hc.Logger == nil {
		hc.Logger = cfg.Logger
	}
	return server.New(hc)
}
