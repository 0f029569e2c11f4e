package postgres

// PGX5URL exposes pgx5URL to the external tests.
var PGX5URL = pgx5URL
