package database

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig parses url into the pool settings the server runs with. What
// the URL sets (pool_max_conns, or jit in its options) still decides.
//
//   - Up to max(16, 4 × CPUs) connections: pgxpool's default (the number of
//     CPUs, at least 4) starves a GraphQL server, whose loaders run several
//     statements of one request at once.
//   - No JIT compilation: the server's statements are short, and PostgreSQL
//     compiles any plan whose estimated cost passes jit_above_cost, including
//     branches it then skips. The export-control evidence page, which is a
//     2 ms index scan when its stored rows are fresh, spent a second
//     compiling the branch that computes them.
//   - UUIDs in binary (RegisterTypes).
func PoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", Redact(url), err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(16, 4*runtime.NumCPU()))
	}
	cfg.AfterConnect = RegisterTypes
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set && !strings.Contains(cfg.ConnConfig.RuntimeParams["options"], "jit") {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	return cfg, nil
}
