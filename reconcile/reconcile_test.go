package reconcile_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/reconcile"
)

func TestCheckID(t *testing.T) {
	born := time.Date(1990, 5, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		id    string
		birth time.Time
		want  string
	}{
		{"001190000002", born, ""},
		{"001190000002", time.Time{}, ""}, // no birth date recorded: the year is not checked
		{"12345", born, reconcile.ReasonLength},
		{"00119000000A", born, reconcile.ReasonLength},
		{"", born, reconcile.ReasonLength},
		{"999190000002", born, reconcile.ReasonProvince},
		{"001185000002", born, reconcile.ReasonYear},
		{"001290000002", born, reconcile.ReasonYear}, // 2090
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, reconcile.CheckID(tt.id, tt.birth), tt.id)
	}
	require.Len(t, reconcile.DefaultRules().ProvinceCodes, 63)
}

func TestProgress(t *testing.T) {
	tests := []struct {
		p    reconcile.Progress
		rate float64
		left time.Duration
		line string
	}{
		{reconcile.Progress{Done: 0, Total: 100}, 0, 0, "0/100 records (0.0%), 0 records/s, 0s elapsed, about 0s left"},
		{reconcile.Progress{Done: 25, Total: 100, Elapsed: 5 * time.Second}, 5, 15 * time.Second,
			"25/100 records (25.0%), 5 records/s, 5s elapsed, about 15s left"},
		{reconcile.Progress{Done: 100, Total: 100, Elapsed: 10 * time.Second}, 10, 0,
			"100/100 records (100.0%), 10 records/s, 10s elapsed, about 0s left"},
		{reconcile.Progress{}, 0, 0, "0/0 records (100.0%), 0 records/s, 0s elapsed, about 0s left"},
	}
	for _, tt := range tests {
		require.InDelta(t, tt.rate, tt.p.Rate(), 1e-9)
		require.Equal(t, tt.left, tt.p.Left())
		require.Equal(t, tt.line, tt.p.String())
	}
}

func TestFiguresOrderAndTotals(t *testing.T) {
	figs := []reconcile.Figure{
		{Province: "Hồ Chí Minh", Kind: reconcile.Retired, Count: 1},
		{Province: "Hà Nội", Kind: reconcile.SharedID, Count: 2},
		{Province: "Hà Nội", Kind: reconcile.Completed, Count: 3},
	}
	reconcile.SortFigures(figs)
	require.Equal(t, []reconcile.Figure{
		{Province: "Hà Nội", Kind: reconcile.Completed, Count: 3},
		{Province: "Hà Nội", Kind: reconcile.SharedID, Count: 2},
		{Province: "Hồ Chí Minh", Kind: reconcile.Retired, Count: 1},
	}, figs)
	require.Equal(t, map[reconcile.Kind]int64{reconcile.Completed: 3, reconcile.SharedID: 2, reconcile.Retired: 1}, reconcile.Totals(figs))
}
