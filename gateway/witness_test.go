package gateway_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/gateway"
)

func TestAuditWitnessFromConfig(t *testing.T) {
	require.Nil(t, gateway.AuditWitness(config.AuditWitness{}), "no witness configured")

	path := filepath.Join(t.TempDir(), "witness.jsonl")
	w := gateway.AuditWitness(config.AuditWitness{File: path})
	require.NotNil(t, w)
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	cp, err := key.Sign(audit.PeriodicCheckpoint, audit.Head{Seq: 7, LoggedAt: time.Now()}, time.Now())
	require.NoError(t, err)
	require.NoError(t, w.Publish(t.Context(), cp))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	got, err := audit.ReadCheckpoints(f)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, int64(7), got[0].Seq)

	both := gateway.AuditWitness(config.AuditWitness{File: path, URL: "http://127.0.0.1:1/down"})
	require.Error(t, both.Publish(t.Context(), cp), "an unreachable endpoint fails the publication")
}
