package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dinhdanh/dinhdanh/reconcile"
)

// reconcileFigures is what the metrics read of the vehicle-registry
// reconciliation (reconcile/postgres.Store).
type reconcileFigures interface {
	LatestRun(ctx context.Context) (reconcile.Run, error)
	Figures(ctx context.Context, runID int64) ([]reconcile.Figure, error)
}

var (
	reconcileFindingsDesc = prometheus.NewDesc("dinhdanh_vehicle_reconcile_findings",
		"Findings of the latest vehicle-registry reconciliation run (undone ones excluded), per province and kind.",
		[]string{"province", "kind"}, nil)
	reconcileRecordsDesc = prometheus.NewDesc("dinhdanh_vehicle_reconcile_records",
		"Vehicle records the latest reconciliation run read.", nil, nil)
	reconcileDurationDesc = prometheus.NewDesc("dinhdanh_vehicle_reconcile_duration_seconds",
		"How long the latest finished reconciliation run took.", nil, nil)
	reconcileFinishedDesc = prometheus.NewDesc("dinhdanh_vehicle_reconcile_finished_timestamp_seconds",
		"When the latest reconciliation run finished (0 while it runs).", nil, nil)
)

// reconcileCollector reads the latest run's figures from the database at
// each scrape (one GROUP BY over that run's findings, at most 5 s), so every
// replica reports the same figures whichever ran the job.
type reconcileCollector struct{ store reconcileFigures }

func (c reconcileCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- reconcileFindingsDesc
	ch <- reconcileRecordsDesc
	ch <- reconcileDurationDesc
	ch <- reconcileFinishedDesc
}

func (c reconcileCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	run, err := c.store.LatestRun(ctx)
	if errors.Is(err, reconcile.ErrNotFound) {
		return
	}
	if err != nil {
		ch <- prometheus.NewInvalidMetric(reconcileFindingsDesc, err)
		return
	}
	figs, err := c.store.Figures(ctx, run.ID)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(reconcileFindingsDesc, err)
		return
	}
	for _, f := range figs {
		ch <- prometheus.MustNewConstMetric(reconcileFindingsDesc, prometheus.GaugeValue, float64(f.Count), f.Province, string(f.Kind))
	}
	ch <- prometheus.MustNewConstMetric(reconcileRecordsDesc, prometheus.GaugeValue, float64(run.Records))
	finished, took := 0.0, 0.0
	if !run.FinishedAt.IsZero() {
		finished = float64(run.FinishedAt.Unix())
		took = run.FinishedAt.Sub(run.StartedAt).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(reconcileDurationDesc, prometheus.GaugeValue, took)
	ch <- prometheus.MustNewConstMetric(reconcileFinishedDesc, prometheus.GaugeValue, finished)
}
