package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// exportWriteTimeout bounds the time a client may take to download one
// export; the server's own WriteTimeout is meant for API answers and would
// cut a large export short.
const exportWriteTimeout = 30 * time.Minute

// Handler serves the public exports:
//
//	GET /export/registry.ndjson      the ndjson export (application/x-ndjson)
//	GET /export/registry.ftm.ndjson  the FollowTheMoney export
//	GET /export/{file}.csv           one CSV file (CSVFiles)
//
// Responses are streamed from one consistent view of the registry, with a
// strong ETag and Last-Modified from the last change event; If-None-Match
// (and, without it, If-Modified-Since) answer 304 Not Modified. Anyone may
// call it: exports hold published data only, redacted for anonymous readers.
//
// fail answers an export that failed before its response started: the
// server's own answer to failures, the same on every route
// (server.RouteFailure: a database outage is 503 with Retry-After, and both
// carry the request ID). nil logs the error and answers 500. An export that
// fails once streaming has started is logged to logger either way, and its
// connection cut.
func Handler(x *Exporter, logger *slog.Logger, fail func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if fail == nil {
		fail = func(w http.ResponseWriter, r *http.Request, err error) {
			logger.ErrorContext(r.Context(), "export", "path", r.URL.Path, "err", err)
			http.Error(w, "the export failed; try again later", http.StatusInternalServerError)
		}
	}
	mux := http.NewServeMux()
	serve := func(name, contentType string, write func(ctx context.Context, v *View, w io.Writer) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportWriteTimeout))
			started := false
			err := x.Read(ctx, func(v *View) error {
				s := v.Stamp()
				h := w.Header()
				h.Set("ETag", s.ETag(name))
				h.Set("Cache-Control", "public, no-cache")
				if !s.LastModified.IsZero() {
					h.Set("Last-Modified", s.LastModified.Format(http.TimeFormat))
				}
				if notModified(r, s, name) {
					w.WriteHeader(http.StatusNotModified)
					started = true
					return nil
				}
				h.Set("Content-Type", contentType)
				h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
				h.Set("X-Content-Type-Options", "nosniff")
				w.WriteHeader(http.StatusOK)
				started = true
				if r.Method == http.MethodHead {
					return nil
				}
				return write(ctx, v, w)
			})
			if err == nil {
				return
			}
			if !started {
				fail(w, r, fmt.Errorf("export %s: %w", name, err))
				return
			}
			if !errors.Is(err, context.Canceled) {
				logger.ErrorContext(ctx, "export", "file", name, "err", err)
			}
			// The status is sent: cut the connection so the client sees a
			// truncated transfer rather than a complete-looking file.
			panic(http.ErrAbortHandler)
		}
	}
	mux.HandleFunc("GET /export/registry.ndjson", serve("registry.ndjson", "application/x-ndjson; charset=utf-8",
		func(ctx context.Context, v *View, w io.Writer) error { return v.WriteNDJSON(ctx, w) }))
	mux.HandleFunc("GET /export/registry.ftm.ndjson", serve("registry.ftm.ndjson", "application/x-ndjson; charset=utf-8",
		func(ctx context.Context, v *View, w io.Writer) error { return v.WriteFtM(ctx, w) }))
	for _, file := range CSVFiles() {
		mux.HandleFunc("GET /export/"+file+".csv", serve(file+".csv", "text/csv; charset=utf-8; header=present",
			func(ctx context.Context, v *View, w io.Writer) error { return v.WriteCSV(ctx, w, file) }))
	}
	return mux
}

// notModified reports whether the client's copy is current: If-None-Match
// decides when present (RFC 9110 13.2.2), else If-Modified-Since.
func notModified(r *http.Request, s Stamp, name string) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		etag := s.ETag(name)
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == "*" || t == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !s.LastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !s.LastModified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}
