// Package catalog is the read side of the registry: entries by ID for the
// API's loaders, the lists behind every connection with their filters and
// keyset pagination, and the relations between entries, each fetched for many
// parents at once so that a GraphQL request costs a number of SQL statements
// bounded by its depth, never by the size of its lists.
//
// Every read applies the viewer's visibility (registry.ViewerFrom): retracted
// entries leave lists unless asked for, and confidential details are blanked.
package catalog
