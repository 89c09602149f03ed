package gateway

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/notify"
)

// auditStats is what the audit writer reports (audit.Log).
type auditStats interface{ Stats() audit.Stats }

// registerMetrics exposes the database pool and the audit writer to
// operators: a pool that is always exhausted or an audit writer that fails
// are what to alert on.
func registerMetrics(reg prometheus.Registerer, pool *pgxpool.Pool, rec audit.Recorder, notices *notify.Service) {
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
	)
	if notices != nil {
		note := func(name, help string, f func(notify.Stats) int64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(notices.Stats())) })
		}
		reg.MustRegister(
			note("dinhdanh_notifications_sent_total", "Notifications to citizens this replica sent.", func(s notify.Stats) int64 { return s.Sent }),
			note("dinhdanh_notifications_retried_total", "Notification attempts that failed and will be retried.", func(s notify.Stats) int64 { return s.Retried }),
			note("dinhdanh_notifications_failed_total", "Notifications given up after their last attempt.", func(s notify.Stats) int64 { return s.Failed }),
		)
	}
	as, ok := rec.(auditStats)
	if !ok {
		return
	}
	stat := func(name, help string, f func(audit.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(as.Stats())) })
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
	)
}
