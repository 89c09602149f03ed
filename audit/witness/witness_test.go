package witness_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/witness"
)

func checkpoints(t *testing.T, n int) ([]audit.Checkpoint, audit.KeySet) {
	t.Helper()
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	var out []audit.Checkpoint
	for i := 1; i <= n; i++ {
		cp, err := key.Sign(audit.PeriodicCheckpoint, audit.Head{Seq: int64(i * 10), LoggedAt: time.Now()}, time.Now())
		require.NoError(t, err)
		out = append(out, cp)
	}
	return out, audit.NewKeySet(key.Public())
}

func TestFileAppendsLinesVerifyReads(t *testing.T) {
	cps, keys := checkpoints(t, 3)
	path := filepath.Join(t.TempDir(), "witness.jsonl")
	w := witness.NewFile(path)
	for _, c := range cps {
		require.NoError(t, w.Publish(t.Context(), c))
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	got, err := audit.ReadCheckpoints(f)
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, c := range got {
		_, err := keys.Verify(c)
		require.NoError(t, err)
		require.Equal(t, cps[i].Seq, c.Seq)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestHTTPPostsAndReportsRefusals(t *testing.T) {
	cps, keys := checkpoints(t, 2)
	var mu sync.Mutex
	var got []audit.Checkpoint
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var c audit.Checkpoint
		require.NoError(t, json.NewDecoder(r.Body).Decode(&c))
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	}))
	defer srv.Close()
	w := witness.NewHTTP(srv.URL, srv.Client())
	for _, c := range cps {
		require.NoError(t, w.Publish(t.Context(), c))
	}
	require.Len(t, got, 2)
	_, err := keys.Verify(got[1])
	require.NoError(t, err)

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	err = witness.All(witness.NewFile(filepath.Join(t.TempDir(), "w.jsonl")), witness.NewHTTP(down.URL, nil)).Publish(t.Context(), cps[0])
	require.ErrorContains(t, err, "503")
}
