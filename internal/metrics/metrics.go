// Package metrics measures the server for Prometheus and writes one log
// line per request. Metrics keeps its own registry (not the global
// default), served by Handler; Middleware times each request, and the gqlgen
// extension (Extension) tells it the operation's name and outcome, so the
// log line and the counters always agree. StatementTracer counts SQL
// statements, RegisterPool exports a pgxpool's statistics, RecordReview
// counts merges.
//
// Labels are bounded: operation names beyond the first MaxOperations
// collapse to "other", outcomes and reasons are fixed sets. Nothing here
// records a token, a user, an email or a client address.
package metrics

import (
	"log/slog"
	"net/http"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"oversight/internal/registry"
)

// Outcomes of a request, the outcome label.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeRejected = "rejected"
)

// Reasons a request is rejected, the reason label of oversight_rejected_total.
const (
	ReasonRateLimited     = "rate_limited"
	ReasonTooComplex      = "too_complex"
	ReasonTooDeep         = "too_deep"
	ReasonTooManyAliases  = "too_many_aliases"
	ReasonTooManyRoots    = "too_many_root_fields"
	ReasonTooManyFrags    = "too_many_fragments"
	ReasonBodyTooLarge    = "body_too_large"
	ReasonTimeout         = "timeout"
	ReasonUnauthenticated = "unauthenticated"
)

var reasons = []string{ReasonRateLimited, ReasonTooComplex, ReasonTooDeep, ReasonTooManyAliases, ReasonTooManyRoots,
	ReasonTooManyFrags, ReasonBodyTooLarge, ReasonTimeout, ReasonUnauthenticated}

// reasonForCode maps the extensions.code of an error to a rejection
// reason: graph/limits.go's codes, gqlgen's complexity extension's, graph's
// transport's REQUEST_TOO_LARGE, and the codes of the auth and rate-limit
// middleware.
var reasonForCode = map[string]string{
	"QUERY_TOO_COMPLEX":         ReasonTooComplex,
	"COMPLEXITY_LIMIT_EXCEEDED": ReasonTooComplex,
	"QUERY_TOO_DEEP":            ReasonTooDeep,
	"TOO_MANY_ALIASES":          ReasonTooManyAliases,
	"TOO_MANY_ROOT_FIELDS":      ReasonTooManyRoots,
	"TOO_MANY_FRAGMENTS":        ReasonTooManyFrags,
	"UNAUTHENTICATED":           ReasonUnauthenticated,
	"RATE_LIMITED":              ReasonRateLimited,
	"REQUEST_TOO_LARGE":         ReasonBodyTooLarge,
}

// ReasonForCode returns the rejection reason an error code counts as, and
// whether it is one. graph's tests can check every limit code is known.
func ReasonForCode(code string) (string, bool) {
	r, ok := reasonForCode[code]
	return r, ok
}

// Merge outcomes, the outcome label of oversight_merges_total.
const (
	MergeMerged   = "merged"
	MergeConflict = "conflict"
)

// merges is package-level so that the editorial service can count merges
// without being handed a Metrics; every New registers it.
var merges = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "oversight_merges_total",
	Help: "Approvals of submissions, by outcome: merged, or conflict (nothing applied, sent back to the author).",
}, []string{"outcome"})

func init() {
	merges.WithLabelValues(MergeMerged)
	merges.WithLabelValues(MergeConflict)
}

// RecordReview counts the merge outcome of a review that was committed:
// merged when the submission ended MERGED, conflict when the review
// returned conflicts (an approval that applied nothing). Other decisions
// are not merges and count nothing. Call it after the transaction commits.
func RecordReview(status registry.SubmissionStatus, conflicts int) {
	switch {
	case conflicts > 0:
		merges.WithLabelValues(MergeConflict).Inc()
	case status == registry.SubmissionMerged:
		merges.WithLabelValues(MergeMerged).Inc()
	}
}

// Options configure New. The zero value is usable.
type Options struct {
	// MaxOperations bounds the distinct operation names in labels; later
	// names count as "other". 0 means 100.
	MaxOperations int
	// KnownOperations are admitted first, whatever comes later: the
	// operations of the site, the README and known clients. Without them
	// whoever sends the first MaxOperations names picks the labels.
	KnownOperations []string
	// Logger gets one line per request; nil writes none.
	Logger *slog.Logger
	// RequestID returns a request's ID for its log line; nil reads the
	// X-Request-ID response header, which graph sets.
	RequestID func(w http.ResponseWriter, r *http.Request) string
}

// Metrics holds the registry and the server's collectors. It is safe for
// concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	rejected   *prometheus.CounterVec
	statements *prometheus.CounterVec
	ops        *operationNames
	logger     *slog.Logger
	requestID  func(w http.ResponseWriter, r *http.Request) string
}

// New returns Metrics with a fresh registry holding the server's metrics,
// the Go runtime's and the process's.
func New(opts Options) *Metrics {
	if opts.MaxOperations <= 0 {
		opts.MaxOperations = 100
	}
	if opts.RequestID == nil {
		opts.RequestID = func(w http.ResponseWriter, _ *http.Request) string { return w.Header().Get("X-Request-ID") }
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oversight_requests_total",
			Help: "Requests, by GraphQL operation name (\"anonymous\" when unnamed, \"other\" beyond the tracked names, \"unknown\" when refused before it was read or not identified) and outcome (ok, error, rejected).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "oversight_request_duration_seconds",
			Help:    "Time to answer a request, by outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
		}, []string{"outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oversight_rejected_total",
			Help: "Requests refused before they ran, by reason.",
		}, []string{"reason"}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oversight_sql_statements_total",
			Help: "SQL statements run (batched statements one by one, a COPY as one), by outcome (ok, error).",
		}, []string{"outcome"}),
		ops:       newOperationNames(opts.MaxOperations, opts.KnownOperations),
		logger:    opts.Logger,
		requestID: opts.RequestID,
	}
	for _, r := range reasons {
		m.rejected.WithLabelValues(r)
	}
	for _, o := range []string{OutcomeOK, OutcomeError, OutcomeRejected} {
		m.duration.WithLabelValues(o)
	}
	m.statements.WithLabelValues(OutcomeOK)
	m.statements.WithLabelValues(OutcomeError)
	m.reg.MustRegister(m.requests, m.duration, m.rejected, m.statements, merges,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the metrics are in, to add collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format, for
// /metrics. They show traffic by operation: serve them where only the
// operators can reach them.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// operationNames admits operation names as label values: the known ones,
// then the first max-len(known) others that are GraphQL names of at most
// 64 characters.
type operationNames struct {
	mu    sync.Mutex
	max   int
	names map[string]bool
}

// graphQLName is the grammar of a GraphQL name, bounded in length.
var graphQLName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

func newOperationNames(max int, known []string) *operationNames {
	o := &operationNames{max: max, names: map[string]bool{}}
	for _, k := range known {
		if graphQLName.MatchString(k) {
			o.names[k] = true
		}
	}
	return o
}

// label returns name's label value.
func (o *operationNames) label(name string) string {
	switch {
	case name == "":
		return "anonymous"
	case !graphQLName.MatchString(name):
		return "other"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.names[name] {
		return name
	}
	if len(o.names) < o.max {
		o.names[name] = true
		return name
	}
	return "other"
}
