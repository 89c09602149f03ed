package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/biometrics"
)

// Run runs the suite. newStore returns a fresh store and the ids of two
// existing accounts the records may belong to.
func Run(t *testing.T, newStore func(t *testing.T) (s biometrics.Store, accountA, accountB string)) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, a, b := newStore(t)
		ctx := t.Context()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
		portrait := biometrics.Record{AccountID: a, Kind: biometrics.Portrait, Template: []byte{0xff, 0xd8, 1}, Format: "image/jpeg", CapturedAt: at, CapturedBy: "officer-1"}
		thumb := biometrics.Record{AccountID: a, Kind: biometrics.Fingerprint, Position: 1, Template: []byte("minutiae-1"), Format: "iso-19794-2", CapturedAt: at, CapturedBy: "officer-1"}
		index := biometrics.Record{AccountID: a, Kind: biometrics.Fingerprint, Position: 2, Template: []byte("minutiae-2"), Format: "iso-19794-2", CapturedAt: at, CapturedBy: "officer-1"}
		for _, r := range []biometrics.Record{index, thumb, portrait} {
			require.NoError(t, s.Put(ctx, r))
		}
		portrait.CapturedAt, thumb.CapturedAt, index.CapturedAt = at.UTC(), at.UTC(), at.UTC()
		got, err := s.Records(ctx, a)
		require.NoError(t, err)
		require.Equal(t, []biometrics.Record{portrait, thumb, index}, got)
		got, err = s.Records(ctx, a, biometrics.Fingerprint)
		require.NoError(t, err)
		require.Equal(t, []biometrics.Record{thumb, index}, got)
		got, err = s.Records(ctx, b)
		require.NoError(t, err)
		require.Empty(t, got)

		// Put replaces.
		portrait.Template = []byte{0xff, 0xd8, 2}
		require.NoError(t, s.Put(ctx, portrait))
		got, err = s.Records(ctx, a, biometrics.Portrait)
		require.NoError(t, err)
		require.Equal(t, []biometrics.Record{portrait}, got)

		n, err := s.Delete(ctx, a)
		require.NoError(t, err)
		require.Equal(t, int64(3), n)
		got, err = s.Records(ctx, a)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		s, a, _ := newStore(t)
		ctx := t.Context()
		for _, r := range []biometrics.Record{
			{AccountID: a, Kind: biometrics.Portrait, Position: 3, Template: []byte{1}},
			{AccountID: a, Kind: biometrics.Fingerprint, Position: 11, Template: []byte{1}},
			{AccountID: a, Kind: "iris", Template: []byte{1}},
			{AccountID: a, Kind: biometrics.Portrait},
		} {
			require.ErrorIs(t, s.Put(ctx, r), biometrics.ErrInvalid)
		}
		err := s.Put(ctx, biometrics.Record{AccountID: "00000000-0000-0000-0000-000000000000", Kind: biometrics.Portrait, Template: []byte{1}})
		require.ErrorIs(t, err, biometrics.ErrNotFound)
	})
}
