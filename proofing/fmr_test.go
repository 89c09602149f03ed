package proofing_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/proofing"
)

// finger makes a deterministic set of n minutiae for seed.
func finger(seed uint64, n int) []proofing.Minutia {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]proofing.Minutia, n)
	for i := range out {
		out[i] = proofing.Minutia{Type: 1 + r.IntN(2), X: 20 + r.IntN(340), Y: 20 + r.IntN(440),
			Angle: float64(r.IntN(256)) * 1.40625, Quality: 60 + r.IntN(40)}
	}
	return out
}

// moved rotates the minutiae by 90° about the origin and shifts them, as a
// finger placed differently on the sensor, and drops the last drop ones.
func moved(ms []proofing.Minutia, drop int) []proofing.Minutia {
	var out []proofing.Minutia
	for _, m := range ms[:len(ms)-drop] {
		out = append(out, proofing.Minutia{Type: m.Type, X: 500 - m.Y + 10, Y: m.X + 5, Angle: m.Angle + 90, Quality: m.Quality})
	}
	return out
}

func record(position int, ms []proofing.Minutia) []byte {
	b, err := proofing.EncodeFMR(proofing.FMR{Width: 600, Height: 600, ResX: 197, ResY: 197,
		Views: []proofing.FingerView{{Position: position, Quality: 80, Minutiae: ms}}})
	if err != nil {
		panic(err)
	}
	return b
}

func TestFMRRoundTrip(t *testing.T) {
	ms := finger(1, 40)
	b := record(2, ms)
	require.Equal(t, "FMR\x00 20\x00", string(b[:8]))
	require.Equal(t, uint32(len(b)), binary.BigEndian.Uint32(b[8:12]))
	require.Len(t, b, 24+4+40*6+2)
	r, err := proofing.ParseFMR(b)
	require.NoError(t, err)
	require.Len(t, r.Views, 1)
	require.Equal(t, 2, r.Views[0].Position)
	require.Equal(t, ms, r.Views[0].Minutiae)
	again, err := proofing.EncodeFMR(r)
	require.NoError(t, err)
	require.Equal(t, b, again)
}

func TestParseFMRRefuses(t *testing.T) {
	good := record(1, finger(2, 10))
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         good[:20],
		"magic":         mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":       mut(func(b []byte) []byte { b[5] = '3'; return b }),
		"length":        mut(func(b []byte) []byte { b[11]++; return b }),
		"no views":      mut(func(b []byte) []byte { b[22] = 0; return b }),
		"position 11":   mut(func(b []byte) []byte { b[24] = 11; return b }),
		"too many":      mut(func(b []byte) []byte { b[27] = 200; return b }),
		"outside image": mut(func(b []byte) []byte { b[28], b[29] = 0x3f, 0xff; return b }),
		"trailing": mut(func(b []byte) []byte {
			b = append(b, 0)
			binary.BigEndian.PutUint32(b[8:], uint32(len(b)))
			return b
		}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := proofing.ParseFMR(b)
			require.ErrorIs(t, err, proofing.ErrFMR)
		})
	}
}

func TestMatchScore(t *testing.T) {
	a := finger(3, 40)
	for _, tc := range []struct {
		name    string
		probe   []proofing.Minutia
		atLeast int
		atMost  int
	}{
		{"same finger", a, 100, 100},
		{"same finger, turned and shifted, 8 minutiae missed", moved(a, 8), 95, 100},
		{"another finger", finger(4, 40), 0, 25},
		{"nothing", nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := proofing.MatchScore(tc.probe, a, 12)
			require.GreaterOrEqual(t, s, tc.atLeast)
			require.LessOrEqual(t, s, tc.atMost)
		})
	}
}

// refs is a References over a map, for the matcher's own test; the
// PostgreSQL one is tested in proofing/postgres.
type refs map[int][]byte

func (r refs) FingerprintReference(_ context.Context, _ string, position int) ([]byte, error) {
	if b, ok := r[position]; ok {
		return b, nil
	}
	return nil, proofing.ErrNotFound
}

func TestTemplateMatcher(t *testing.T) {
	a := finger(5, 36)
	m := proofing.TemplateMatcher{References: refs{2: record(2, a)}}
	ctx := context.Background()
	got, err := m.Match(ctx, "001085000001", 2, record(2, moved(a, 4)))
	require.NoError(t, err)
	require.True(t, got.OK(), "%+v", got)
	require.Equal(t, 40, got.Threshold)

	got, err = m.Match(ctx, "001085000001", 2, record(2, finger(6, 36)))
	require.NoError(t, err)
	require.False(t, got.OK(), "%+v", got)

	_, err = m.Match(ctx, "001085000001", 3, record(3, a))
	require.ErrorIs(t, err, proofing.ErrNotFound)
	_, err = m.Match(ctx, "001085000001", 2, []byte("not a template"))
	require.True(t, errors.Is(err, proofing.ErrFMR))
}

func FuzzParseFMR(f *testing.F) {
	f.Add(record(1, finger(9, 12)))
	f.Add(record(0, nil))
	f.Add([]byte("FMR\x00 20\x00\x00\x00\x00\x18"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := proofing.ParseFMR(b)
		if err != nil {
			return
		}
		again, err := proofing.EncodeFMR(r)
		if err != nil {
			return // a record with extended data or type 3 minutiae
		}
		if _, err := proofing.ParseFMR(again); err != nil {
			t.Fatalf("re-encoded record does not parse: %v", err)
		}
	})
}
