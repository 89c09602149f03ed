package oidc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKeyStates: what `dinhdanh keys list` and the console show of each
// stored key at a moment: next before it signs, signing until its
// successor starts, retired after; a replaced key is published until its
// retirement plus the retention, a newest key as long as it signs.
func TestKeyStates(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { x := now.Add(time.Duration(h) * time.Hour); return &x }
	stored := []StoredKey{
		{KID: "es-old", Alg: "ES256", SignFrom: now.Add(-48 * time.Hour), RetireAt: at(-1)},
		{KID: "es-cur", Alg: "ES256", SignFrom: now.Add(-1 * time.Hour), RetireAt: at(5)},
		{KID: "es-next", Alg: "ES256", SignFrom: now.Add(5 * time.Hour)},
		{KID: "rs-only", Alg: "RS256", SignFrom: now.Add(-2 * time.Hour)},
	}
	got := keyStates(stored, now, 3*time.Hour)
	cases := []struct {
		kid, state string
		until      *time.Time
	}{
		{"es-next", KeyNext, nil},
		{"es-cur", KeySigning, at(8)},
		{"es-old", KeyRetired, at(2)},
		{"rs-only", KeySigning, nil},
	}
	require.Len(t, got, len(cases))
	for i, tc := range cases {
		t.Run(tc.kid, func(t *testing.T) {
			require.Equal(t, tc.kid, got[i].KID, "per algorithm, newest first")
			require.Equal(t, tc.state, got[i].State)
			require.Equal(t, tc.until, got[i].PublishedUntil)
		})
	}
}

// TestRotateByNeedsAudit: a rotation is never unaudited.
func TestRotateByNeedsAudit(t *testing.T) {
	k := &Keys{cfg: KeysConfig{}}
	_, err := k.RotateBy(t.Context(), "op")
	require.ErrorContains(t, err, "no audit recorder")
}
