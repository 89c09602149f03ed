package gateway

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/notify"
)

// auditStats is what the audit writer reports (audit.Log).
type auditStats interface{ Stats() audit.Stats }

// metricSources are what /metrics reads.
type metricSources struct {
	pool    *pgxpool.Pool
	audit   audit.Recorder // the writer itself, not countingRecorder
	notices *notify.Service
	domain  *domainMetrics
	// reconcile reads the latest vehicle reconciliation's figures.
	reconcile reconcileFigures
	version   string
	now       func() time.Time
}

// registerMetrics registers every metric the gateway serves besides the
// HTTP ones (internal/httpx): the database pool, the audit writer and
// notifications, what happened to citizens (domainMetrics), the vehicle
// reconciliation, build information, Go and the process. describeOnly
// registers collectors whose sources are missing too (MetricNames).
func registerMetrics(reg prometheus.Registerer, s metricSources, describeOnly bool) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pool := s.pool
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(pool.Stat()) })
	}
	counter := func(name, help string, f func(*pgxpool.Stat) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(pool.Stat()) })
	}
	reg.MustRegister(
		gauge("dinhdanh_db_pool_max_conns", "Largest size of the database pool.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }),
		gauge("dinhdanh_db_pool_acquired_conns", "Connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }),
		gauge("dinhdanh_db_pool_idle_conns", "Idle connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }),
		counter("dinhdanh_db_pool_acquires_total", "Connections acquired from the pool.", func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) }),
		counter("dinhdanh_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) }),
		counter("dinhdanh_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() }),
		buildInfo(s.version),
	)
	if s.domain != nil {
		reg.MustRegister(s.domain.collectors()...)
	}
	if s.reconcile != nil || describeOnly {
		reg.MustRegister(reconcileCollector{store: s.reconcile})
	}
	if notices := s.notices; notices != nil || describeOnly {
		note := func(name, help string, f func(notify.Stats) int64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(notices.Stats())) })
		}
		reg.MustRegister(
			note("dinhdanh_notifications_sent_total", "Notifications to citizens this replica sent.", func(s notify.Stats) int64 { return s.Sent }),
			note("dinhdanh_notifications_retried_total", "Notification attempts that failed and will be retried.", func(s notify.Stats) int64 { return s.Retried }),
			note("dinhdanh_notifications_failed_total", "Notifications given up after their last attempt.", func(s notify.Stats) int64 { return s.Failed }),
		)
	}
	as, ok := s.audit.(auditStats)
	if !ok && !describeOnly {
		return
	}
	stat := func(name, help string, f func(audit.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(as.Stats())) })
	}
	now := s.now
	if now == nil {
		now = time.Now
	}
	reg.MustRegister(
		stat("dinhdanh_audit_events_total", "Audit events committed.", func(s audit.Stats) int64 { return s.Events }),
		stat("dinhdanh_audit_batches_total", "Audit batches committed (group commits).", func(s audit.Stats) int64 { return s.Batches }),
		stat("dinhdanh_audit_failed_events_total", "Audit events whose batch failed: their actions failed too.", func(s audit.Stats) int64 { return s.Failed }),
		stat("dinhdanh_audit_checkpoints_total", "Signed audit checkpoints stored.", func(s audit.Stats) int64 { return s.Checkpoints }),
		stat("dinhdanh_audit_witness_published_total", "Audit checkpoints the witness accepted.", func(s audit.Stats) int64 { return s.Published }),
		stat("dinhdanh_audit_witness_failed_total", "Audit checkpoints the witness did not get.", func(s audit.Stats) int64 { return s.Unpublished }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dinhdanh_audit_head_alarm",
			Help: "1 once the audit writer found the stored chain head tampered with and stopped: every audited action fails.",
		}, func() float64 {
			if as.Stats().Alarm != "" {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dinhdanh_audit_seal_age_seconds",
			Help: "Seconds since the newest audit checkpoint this replica knows of was signed (0 before it first looked). Alert only together with dinhdanh_audit_unsealed_events > 0: an idle chain is not resealed.",
		}, func() float64 {
			st := as.Stats()
			if st.SealedAt.IsZero() {
				return 0
			}
			return max(0, now().Sub(st.SealedAt).Seconds())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "dinhdanh_audit_unsealed_events",
			Help: "Audit events this replica knows of that no checkpoint covers yet.",
		}, func() float64 {
			st := as.Stats()
			return float64(max(0, st.Head-st.Sealed))
		}),
		batchLatency{as},
	)
}

var batchLatencyDesc = prometheus.NewDesc("dinhdanh_audit_batch_duration_seconds",
	"How long each audit batch write took (one statement and its commit, retries under the head lock included): what every audited request waits for.",
	nil, nil)

// batchLatency serves the writer's batch-latency histogram (audit.Stats
// keeps it: audit imports no Prometheus).
type batchLatency struct{ as auditStats }

func (b batchLatency) Describe(ch chan<- *prometheus.Desc) { ch <- batchLatencyDesc }

func (b batchLatency) Collect(ch chan<- prometheus.Metric) {
	l := b.as.Stats().BatchLatency
	buckets := make(map[float64]uint64, len(audit.LatencyBounds))
	var n uint64
	for i, c := range l.Counts {
		n += uint64(c)
		if i < len(audit.LatencyBounds) {
			buckets[audit.LatencyBounds[i]] = n
		}
	}
	ch <- prometheus.MustNewConstHistogram(batchLatencyDesc, n, l.Sum.Seconds(), buckets)
}

// buildInfo is dinhdanh_build_info: 1, with the release, the VCS revision
// and the Go toolchain as labels (the join key of "which build runs where").
func buildInfo(version string) prometheus.Collector {
	if version == "" {
		version = "dev"
	}
	rev := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				rev = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "dinhdanh_build_info",
		Help:        "1, labelled with the gateway's release, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{"version": version, "revision": rev, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// MetricNames are the names of every metric family the gateway's /metrics
// may serve, read from the same constructors the gateway registers (no
// source is read): deploy's tests check that the alert rules and the
// Grafana dashboard name only these. Histograms also serve _bucket, _sum
// and _count series of their name.
func MetricNames() []string {
	names := &nameRegistry{}
	registerMetrics(names, metricSources{domain: newDomainMetrics()}, true)
	httpx.NewMetrics(names)
	slices.Sort(names.names)
	return slices.Compact(names.names)
}

// nameRegistry is a prometheus.Registerer that keeps the names of what
// it is given.
type nameRegistry struct{ names []string }

var fqName = regexp.MustCompile(`^Desc\{fqName: "([^"]+)"`)

func (n *nameRegistry) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			panic("gateway: cannot read a metric's name from " + d.String())
		}
		n.names = append(n.names, m[1])
	}
	return nil
}

func (n *nameRegistry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = n.Register(c)
	}
}

func (n *nameRegistry) Unregister(prometheus.Collector) bool { return false }
