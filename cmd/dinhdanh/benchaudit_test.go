package main

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
)

// TestBenchAuditOff: the serving gateway's counting no-op in place of the
// audit trail is refused outside dev mode even past config.Validate, and in
// dev mode counts events and says so at error level on start and stop.
func TestBenchAuditOff(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := config.Default()

	rec, done, err := benchAuditOff(cfg, logger)
	require.NoError(t, err)
	require.Nil(t, rec, "off by default: the real trail")
	require.Nil(t, done)

	cfg.BenchAuditOff = true
	_, _, err = benchAuditOff(cfg, logger)
	require.ErrorContains(t, err, "refused outside dev mode")
	require.Empty(t, logs.String())

	cfg.DevMode = true
	rec, done, err = benchAuditOff(cfg, logger)
	require.NoError(t, err)
	require.Contains(t, logs.String(), "level=ERROR msg=\"AUDIT TRAIL OFF")
	for range 3 {
		require.NoError(t, rec.Record(t.Context(), audit.Event{Type: audit.ConsentGranted}))
	}
	done()
	require.Contains(t, logs.String(), "events=3")
}
