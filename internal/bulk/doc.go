// Package bulk moves the registry in and out in bulk: the public exports
// (ndjson with history, CSV per table, FollowTheMoney entities), streamed
// from one consistent view and redacted for the anonymous reader; the
// import of an ndjson file as one submission; the restore of an export into
// an empty registry; and the HTTP handler that serves the exports.
// FORMAT.md documents the formats.
package bulk
