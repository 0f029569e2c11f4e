// Package registry is Oversight's domain: the entry types the registry
// curates (states, agencies, vendors, products, technologies, deployments,
// abuses, communities, designation lists and designations, export-control
// entries, sources, vendor responses), their citations and versions, the
// scalar formats they are written in, and the rules on who may see what.
//
// It imports nothing of the project's own: storage (internal/postgres), the
// read side (internal/catalog) and the API (graph) all depend on it, never
// the other way round.
package registry
