package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/internal/pcscdtest"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing/demo"
)

// lockedBuffer is a bytes.Buffer written by one goroutine, read by another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestVirtual: a demo card folder put into pcscd's vpcd reader by
// `cardreader virtual` is read with its CAN by `cardreader read`, and
// taken out again on cancel.
func TestVirtual(t *testing.T) {
	t.Parallel()
	d := pcscdtest.Start(t)
	data := t.TempDir()
	is, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	recs, err := population.DemoRecords(population.DemoOptions{Generated: -1})
	require.NoError(t, err)
	var rec population.Record
	for _, r := range recs {
		if r.PersonalID == population.DemoPendingID {
			rec = r
		}
	}
	p, err := demo.Person(rec, time.Now())
	require.NoError(t, err)
	dir := filepath.Join(data, p.PersonalID)
	require.NoError(t, demo.WriteCard(dir, is, p))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	var out lockedBuffer
	go func() {
		done <- run(ctx, []string{"virtual", "--card", dir, "--addr", d.Addr()}, &out, &bytes.Buffer{})
	}()
	d.WaitCard(t, pcscdtest.ReaderName, true, 10*time.Second)
	require.Contains(t, out.String(), "CAN 000001")

	var got bytes.Buffer
	var errOut bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"read", "--socket", d.Socket, "--can", "000001"}, &got, &errOut), errOut.String())
	var read struct {
		AccessControl string `json:"access_control"`
		Identity      struct {
			PersonalID string `json:"personal_id"`
			FullName   string `json:"full_name"`
		} `json:"identity"`
	}
	require.NoError(t, json.Unmarshal(got.Bytes(), &read))
	require.Equal(t, "PACE", read.AccessControl)
	require.Equal(t, population.DemoPendingID, read.Identity.PersonalID)
	require.Equal(t, "Lê Văn Cường", read.Identity.FullName)

	cancel()
	require.NoError(t, <-done)
	d.WaitCard(t, pcscdtest.ReaderName, false, 10*time.Second)
}

func TestVirtualErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no card folder", []string{"virtual"}, 2, "--card"},
		{"not a card folder", []string{"virtual", "--card", t.TempDir()}, 1, "DG1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(t.Context(), tc.args, &bytes.Buffer{}, &bytes.Buffer{})
			require.ErrorContains(t, err, tc.msg)
			require.Equal(t, tc.code, exitCode(err))
		})
	}
	// No driver listening: the error says what to start.
	is, err := emulator.NewIssuer("VN", nil)
	require.NoError(t, err)
	p := emulator.Synthetic()
	dir := t.TempDir()
	require.NoError(t, demo.WriteCard(dir, is, p))
	err = run(t.Context(), []string{"virtual", "--card", dir, "--addr", "127.0.0.1:1"}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "vsmartcard-vpcd")
}
