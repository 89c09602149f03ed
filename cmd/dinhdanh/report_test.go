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

	out = dd(t, "report", "activation", "-by", "district")
	require.Contains(t, out, "issued")
	var districts []struct {
		Province   string `json:"province"`
		District   string `json:"district"`
		Registered int64  `json:"registered"`
		Issued     int64  `json:"issued"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "report", "activation", "-by", "district", "-json")), &districts))
	inDistricts := map[string]int64{}
	provinces := map[string]int64{}
	for _, r := range districts[:len(districts)-1] {
		if r.District == "" {
			provinces[r.Province] = r.Registered
		} else {
			inDistricts[r.Province] += r.Registered
		}
	}
	require.NotEmpty(t, inDistricts, "the demo records districts")
	for p, n := range inDistricts {
		require.LessOrEqual(t, n, provinces[p], p)
	}
	require.Equal(t, total.Registered, districts[len(districts)-1].Registered, "district rows are not counted twice in the total")

	var months []struct {
		Month      string `json:"month"`
		Registered int64  `json:"registered"`
		Activated  int64  `json:"activated"`
	}
	require.NoError(t, json.Unmarshal([]byte(dd(t, "report", "activation", "-by", "month", "-json")), &months))
	require.GreaterOrEqual(t, len(months), 2)
	require.Regexp(t, `^\d{4}-\d{2}$`, months[0].Month)
	mt := months[len(months)-1]
	require.Equal(t, "TOTAL", mt.Month)
	require.Equal(t, total.Registered, mt.Registered)
	require.Equal(t, total.Activated, mt.Activated, "activated counted the same way per month and per province")

	_, _, err := ddErr(t, "report", "activation", "-by", "ward")
	require.ErrorContains(t, err, "usage: dinhdanh report activation")
	_, _, err = ddErr(t, "report", "nonsense")
	require.ErrorContains(t, err, "usage: dinhdanh report activation")
}
