package metrics

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// StatementTracer counts the SQL statements a pool runs in
// oversight_sql_statements_total: each query, each statement of a batch,
// each COPY. Set it as pgxpool.Config.ConnConfig.Tracer; a connection has
// one tracer, so combine it with others through JoinTracers.
type StatementTracer struct {
	ok, failed prometheus.Counter
}

var (
	_ pgx.QueryTracer    = (*StatementTracer)(nil)
	_ pgx.BatchTracer    = (*StatementTracer)(nil)
	_ pgx.CopyFromTracer = (*StatementTracer)(nil)
)

// StatementTracer returns a tracer counting into m.
func (m *Metrics) StatementTracer() *StatementTracer {
	return &StatementTracer{ok: m.statements.WithLabelValues(OutcomeOK), failed: m.statements.WithLabelValues(OutcomeError)}
}

func (t *StatementTracer) count(err error) {
	if err != nil {
		t.failed.Inc()
		return
	}
	t.ok.Inc()
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *StatementTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *StatementTracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	t.count(data.Err)
}

// TraceBatchStart implements pgx.BatchTracer.
func (t *StatementTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: once per statement of a batch.
func (t *StatementTracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	t.count(data.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *StatementTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (t *StatementTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (t *StatementTracer) TraceCopyFromEnd(_ context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	t.count(data.Err)
}

// JoinTracers combines tracers into the one a connection takes (pgx's
// multitracer, which passes each tracer the calls of the interfaces it
// implements). Nil tracers are dropped; it returns nil for none, and a lone
// tracer as it is.
func JoinTracers(tracers ...pgx.QueryTracer) pgx.QueryTracer {
	var ts []pgx.QueryTracer
	for _, t := range tracers {
		if t != nil {
			ts = append(ts, t)
		}
	}
	switch len(ts) {
	case 0:
		return nil
	case 1:
		return ts[0]
	}
	return multitracer.New(ts...)
}

// Stater is what RegisterPool reads: *pgxpool.Pool.
type Stater interface {
	Stat() *pgxpool.Stat
}

// RegisterPool exports pool's statistics, read at each scrape:
// oversight_db_pool_* gauges of connections and counters of acquires.
func (m *Metrics) RegisterPool(pool Stater) error {
	return m.reg.Register(poolCollector{pool})
}

type poolCollector struct{ pool Stater }

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc("oversight_db_pool_"+name, help, nil, nil)
}

var (
	poolAcquired     = poolDesc("acquired_conns", "Connections in use.")
	poolIdle         = poolDesc("idle_conns", "Idle connections.")
	poolTotal        = poolDesc("total_conns", "Open connections: in use, idle and being opened.")
	poolConstructing = poolDesc("constructing_conns", "Connections being opened.")
	poolMax          = poolDesc("max_conns", "The largest number of connections the pool opens.")
	poolAcquires     = poolDesc("acquires_total", "Connections acquired.")
	poolAcquireTime  = poolDesc("acquire_seconds_total", "Time spent acquiring connections.")
	poolEmpty        = poolDesc("empty_acquires_total", "Acquires that waited, the pool having no idle connection.")
	poolEmptyWait    = poolDesc("empty_acquire_wait_seconds_total", "Time acquires waited for a connection.")
	poolCanceled     = poolDesc("canceled_acquires_total", "Acquires given up because their context ended.")
	poolNew          = poolDesc("new_conns_total", "Connections opened.")
	poolLifetime     = poolDesc("max_lifetime_destroyed_total", "Connections closed for reaching their maximum lifetime.")
	poolIdleClosed   = poolDesc("max_idle_destroyed_total", "Connections closed for being idle too long.")
	poolDescs        = []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolConstructing, poolMax, poolAcquires,
		poolAcquireTime, poolEmpty, poolEmptyWait, poolCanceled, poolNew, poolLifetime, poolIdleClosed}
)

// Describe implements prometheus.Collector.
func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range poolDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolConstructing, float64(s.ConstructingConns()))
	gauge(poolMax, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireTime, s.AcquireDuration().Seconds())
	counter(poolEmpty, float64(s.EmptyAcquireCount()))
	counter(poolEmptyWait, s.EmptyAcquireWaitTime().Seconds())
	counter(poolCanceled, float64(s.CanceledAcquireCount()))
	counter(poolNew, float64(s.NewConnsCount()))
	counter(poolLifetime, float64(s.MaxLifetimeDestroyCount()))
	counter(poolIdleClosed, float64(s.MaxIdleDestroyCount()))
}
