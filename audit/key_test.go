package audit_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.pem")
	k, err := audit.GenerateKey()
	require.NoError(t, err)
	require.NoError(t, audit.SaveKey(path, k))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	require.Error(t, audit.SaveKey(path, k), "never overwrites a key")

	back, err := audit.LoadKey(path)
	require.NoError(t, err)
	require.Equal(t, k.ID(), back.ID())
	require.Len(t, k.ID(), 43, "RFC 7638 SHA-256 thumbprint, base64url")

	pubPEM, err := k.Public().MarshalPEM()
	require.NoError(t, err)
	other, err := audit.GenerateKey()
	require.NoError(t, err)
	otherPriv, err := other.MarshalPEM()
	require.NoError(t, err)
	ks, err := audit.ParsePublicKeys(append(pubPEM, otherPriv...))
	require.NoError(t, err)
	require.Len(t, ks, 2)
	require.Contains(t, ks, k.ID())
	require.Contains(t, ks, other.ID())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "pub.pem"), pubPEM, 0o644))
	ks, err = audit.LoadPublicKeys(filepath.Join(dir, "pub.pem"))
	require.NoError(t, err)
	require.Equal(t, audit.NewKeySet(k.Public()), ks)

	_, err = audit.ParsePublicKeys([]byte("not pem"))
	require.Error(t, err)
	_, err = audit.ParseKey(pubPEM)
	require.Error(t, err)
}

func TestCheckpointSignatures(t *testing.T) {
	k, err := audit.GenerateKey()
	require.NoError(t, err)
	stranger, err := audit.GenerateKey()
	require.NoError(t, err)
	head := audit.Head{Seq: 7, Hash: audit.Hash{7}, LoggedAt: t0}
	cp, err := k.Sign(audit.PeriodicCheckpoint, head, t0.Add(time.Second))
	require.NoError(t, err)
	ks := audit.NewKeySet(k.Public())

	signed, err := ks.Verify(cp)
	require.NoError(t, err)
	require.Equal(t, head, signed.Head())

	forged, err := stranger.Sign(audit.PeriodicCheckpoint, head, t0)
	require.NoError(t, err)
	cases := []struct {
		name string
		c    func() audit.Checkpoint
		err  error
	}{
		{"hash changed in the stored fields", func() audit.Checkpoint { c := cp; c.Hash[0]++; return c }, audit.ErrBadSignature},
		{"seq changed in the stored fields", func() audit.Checkpoint { c := cp; c.Seq++; return c }, audit.ErrBadSignature},
		{"kind changed", func() audit.Checkpoint { c := cp; c.Kind = audit.RetentionAnchor; return c }, audit.ErrBadSignature},
		{"payload tampered", func() audit.Checkpoint {
			c := cp
			parts := strings.Split(c.JWS, ".")
			parts[1] = parts[1][:len(parts[1])-2] + "AA"
			c.JWS = strings.Join(parts, ".")
			return c
		}, audit.ErrBadSignature},
		{"signed by a stranger", func() audit.Checkpoint { return forged }, audit.ErrUnknownKey},
		{"not a JWS", func() audit.Checkpoint { c := cp; c.JWS = "x"; return c }, audit.ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ks.Verify(tc.c())
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestCheckpointExportRoundTrip(t *testing.T) {
	k, err := audit.GenerateKey()
	require.NoError(t, err)
	var cps []audit.Checkpoint
	for i := range 3 {
		cp, err := k.Sign(audit.PeriodicCheckpoint, audit.Head{Seq: int64(i + 1), Hash: audit.Hash{byte(i)}, LoggedAt: t0}, t0)
		require.NoError(t, err)
		cps = append(cps, cp)
	}
	var buf bytes.Buffer
	require.NoError(t, audit.WriteCheckpoints(&buf, cps))
	require.Equal(t, 3, strings.Count(buf.String(), "\n"), "one JSON object per line")
	back, err := audit.ReadCheckpoints(&buf)
	require.NoError(t, err)
	require.Equal(t, cps, back)
	for _, c := range back {
		_, err := audit.NewKeySet(k.Public()).Verify(c)
		require.NoError(t, err)
	}
	_, err = audit.ReadCheckpoints(strings.NewReader("{\"seq\":1}\n{broken"))
	require.ErrorContains(t, err, "line 2")
}
