package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReportActivation(t *testing.T) {
	toolEnv(t)
	importDemo(t)

	out := dd(t, "report", "activation")
	require.Contains(t, out, "Hà Nội")
	require.Contains(t, out, "TOTAL")

	var rows []struct {
		Province   string  `json:"province"`
		Registered int64   `json:"registered"`
		Activated  int64   `json:"activated"`
		Rate       float64 `json:"activation_rate_percent"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "report", "activation", "-json")), &rows))
	total := rows[len(rows)-1]
	require.Equal(t, "TOTAL", total.Province)
	var sum int64
	for _, r := range rows[:len(rows)-1] {
		sum += r.Registered
	}
	require.Equal(t, sum, total.Registered)
	require.Positive(t, total.Registered)
	require.Less(t, total.Activated, total.Registered, "the demo has a pending account")
	require.InDelta(t, 100*float64(total.Activated)/float64(total.Registered), total.Rate, 1e-9)

	_, _, err := ddErr(t, "report", "nonsense")
	require.ErrorContains(t, err, "usage: dinhdanh report activation")
}
