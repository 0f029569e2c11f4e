// Package postgres is the registry's PostgreSQL layer: SQL access,
// transactions, schema migrations and the mapping of PostgreSQL errors to
// domain error codes.
package postgres
