// Package migrations holds the registry's schema as numbered golang-migrate
// SQL pairs, embedded so the binary migrates its database with no files beside it.
package migrations

import "embed"

// FS holds every *.up.sql and *.down.sql migration, read through iofs.
//
//go:embed *.sql
var FS embed.FS
