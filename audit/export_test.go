package audit_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

func TestExports(t *testing.T) {
	e := audit.Chain(audit.Genesis, t0, sampleEvent())[0]
	evil := e
	evil.Seq = 2
	evil.UserAgent = "=HYPERLINK(\"http://x\")"
	evil.Reason = "-1+1"
	entries := []audit.Entry{e, evil}

	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, audit.WriteCSV(&buf, audit.Slice(entries)))
		rows, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		require.Equal(t, audit.CSVHeader, rows[0])
		require.Equal(t, []string{"1", "2026-11-23T15:10:00Z", "token.issued", "success", "bank-a", "openid profile",
			"name birthdate", "urn:vn:eid:loa:2", "client", "bank-a", "", "203.0.113.7", "Mozilla/5.0", "req-1"}, rows[1])
		require.Equal(t, "'=HYPERLINK(\"http://x\")", rows[2][12], "formulas from clients are defused")
		require.Equal(t, "'-1+1", rows[2][10])
	})
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, audit.WriteJSON(&buf, audit.Slice(entries)))
		var back []audit.Entry
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
		require.Equal(t, entries, back)
		var raw []map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
		require.Equal(t, "token.issued", raw[0]["type"])
		require.Equal(t, e.Hash.String(), raw[0]["hash"])
		require.Equal(t, "2026-11-23T15:10:00Z", raw[0]["time"])
	})
	t.Run("empty json", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, audit.WriteJSON(&buf, audit.Slice(nil)))
		var back []audit.Entry
		require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
		require.Empty(t, back)
	})
}

func TestCursor(t *testing.T) {
	c := audit.Cursor{Seq: 123456789, LoggedAt: time.Date(2026, 11, 23, 1, 2, 3, 456789000, time.UTC)}
	back, err := audit.ParseCursor(c.String())
	require.NoError(t, err)
	require.Equal(t, c, back)
	zero, err := audit.ParseCursor("")
	require.NoError(t, err)
	require.True(t, zero.IsZero())
	require.Empty(t, zero.String())
	for _, bad := range []string{"x", "1", "1.", ".1", "-1.1", "zz!.1"} {
		_, err := audit.ParseCursor(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, audit.DefaultPageSize, audit.Filter{}.PageSize())
	require.Equal(t, audit.MaxPageSize, audit.Filter{Limit: 10_000}.PageSize())
}
