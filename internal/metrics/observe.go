package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// request is what the layers inside Middleware learn about a request.
// Only the request's own goroutine writes it, and Middleware reads it after
// the handler returned.
type request struct {
	known     bool   // the gqlgen extension saw the request
	operation string // its operation name, as the client sent it
	errors    bool   // the response carried errors
	reason    string // why it was rejected, if it was
}

type requestKey struct{}

// Middleware observes GraphQL requests: it counts and times each one,
// under its operation name and outcome, and logs one line about it. Run it
// outside the auth, bounds and rate-limit middleware, so it sees what they
// refuse (401, 413 and 429 count as rejected: unauthenticated,
// body_too_large, rate_limited), and add Extension to the gqlgen server to
// learn the operation and whether it failed.
func (m *Metrics) Middleware(next http.Handler) http.Handler { return m.observe("", next) }

// Route observes a route that is not GraphQL (the exports, the feed)
// under the fixed operation label route, such as "/export/"; a label that
// starts with "/" never collides with an operation name.
func (m *Metrics) Route(route string, next http.Handler) http.Handler { return m.observe(route, next) }

func (m *Metrics) observe(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &request{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				// net/http recovers it and drops the connection; count it
				// as the error it is, then let it go on.
				sw.status = http.StatusInternalServerError
				m.record(sw, r, route, rec, time.Since(start))
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestKey{}, rec)))
		m.record(sw, r, route, rec, time.Since(start))
	})
}

// record counts and logs a finished request.
func (m *Metrics) record(sw *statusWriter, r *http.Request, route string, rec *request, d time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	outcome, reason := classify(rec, status)
	op, logOp := route, route
	switch {
	case route != "":
	case !rec.known:
		op, logOp = "unknown", "unknown"
	default:
		op, logOp = m.ops.label(rec.operation), rec.operation
		if logOp == "" {
			logOp = "anonymous"
		} else if !graphQLName.MatchString(logOp) {
			logOp = "other"
		}
	}
	m.requests.WithLabelValues(op, outcome).Inc()
	m.duration.WithLabelValues(outcome).Observe(d.Seconds())
	if reason != "" {
		m.rejected.WithLabelValues(reason).Inc()
	}
	if m.logger == nil {
		return
	}
	// Deliberately absent: the query string, headers (Authorization among
	// them), the client's address, the viewer. The path is cut short, in
	// case a client sends a long one.
	path := r.URL.Path
	if len(path) > 128 {
		path = path[:128] + "..."
	}
	attrs := []slog.Attr{
		slog.String("request_id", m.requestID(sw, r)),
		slog.String("method", r.Method),
		slog.String("path", path),
		slog.String("operation", logOp),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("outcome", outcome),
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	m.logger.LogAttrs(r.Context(), level, "request", attrs...)
}

// classify gives a request's outcome, and its rejection reason if rejected.
func classify(rec *request, status int) (outcome, reason string) {
	switch {
	case rec.reason != "":
		return OutcomeRejected, rec.reason
	case status == http.StatusTooManyRequests:
		return OutcomeRejected, ReasonRateLimited
	case status == http.StatusUnauthorized:
		return OutcomeRejected, ReasonUnauthenticated
	case status == http.StatusRequestEntityTooLarge:
		return OutcomeRejected, ReasonBodyTooLarge
	case rec.errors || status >= 400:
		return OutcomeError, ""
	}
	return OutcomeOK, ""
}

// statusWriter remembers the status and passes everything on.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the writer underneath does.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.status == 0 {
			w.status = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Extension returns the gqlgen extension that tells Middleware each
// operation's name and outcome. Add it with srv.Use; without Middleware
// around the handler it does nothing.
func (m *Metrics) Extension() graphql.HandlerExtension { return extension{} }

type extension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = extension{}

// ExtensionName implements graphql.HandlerExtension.
func (extension) ExtensionName() string { return "OversightMetrics" }

// Validate implements graphql.HandlerExtension.
func (extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor. It catches
// the one timeout InterceptResponse misses: gqlgen answers nothing at all
// (JSON null) when the deadline passed before the response was computed.
func (extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if rec, _ := ctx.Value(requestKey{}).(*request); rec != nil && resp == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			rec.operation, rec.known = operationName(ctx)
			rec.errors, rec.reason = true, ReasonTimeout
		}
		return resp
	}
}

// operationName is the name of ctx's operation, and whether it is known:
// as the document names it ("" for an unnamed one), else, when the
// operation was not found (a parse or validation error), as the client
// asked for it; unknown when the client did not name one.
func operationName(ctx context.Context) (string, bool) {
	if !graphql.HasOperationContext(ctx) {
		return "", false
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil {
		return oc.Operation.Name, true
	}
	return oc.OperationName, oc.OperationName != ""
}

// InterceptResponse implements graphql.ResponseInterceptor. gqlgen calls
// it for executed operations and for those refused while parsing,
// validating or measuring (the limits' errors), so it sees both.
func (extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rec, _ := ctx.Value(requestKey{}).(*request)
	if rec == nil {
		return resp
	}
	rec.operation, rec.known = operationName(ctx)
	if resp == nil || len(resp.Errors) == 0 {
		return resp
	}
	rec.errors = true
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		rec.reason = ReasonTimeout
		return resp
	}
	for _, e := range resp.Errors {
		if code, ok := e.Extensions["code"].(string); ok {
			if r, ok := reasonForCode[code]; ok {
				rec.reason = r
				return resp
			}
		}
		// gqlgen's POST transport reports http.MaxBytesError only in
		// words, with status 200.
		if strings.Contains(e.Message, "request body too large") {
			rec.reason = ReasonBodyTooLarge
			return resp
		}
	}
	return resp
}
