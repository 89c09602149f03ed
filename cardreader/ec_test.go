package cardreader_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

var curves = []*cardreader.Curve{cardreader.BrainpoolP256r1, cardreader.P256}

func randScalar(t *testing.T, c *cardreader.Curve) []byte {
	t.Helper()
	k, err := rand.Int(rand.Reader, new(big.Int).Sub(c.N, big.NewInt(1)))
	require.NoError(t, err)
	return k.Add(k, big.NewInt(1)).FillBytes(make([]byte, c.ByteLen()))
}

func TestCurveGroupLaws(t *testing.T) {
	for _, c := range curves {
		t.Run(c.Name, func(t *testing.T) {
			g := c.Generator()
			require.True(t, c.IsOnCurve(g))
			require.NoError(t, c.Validate(g))
			require.True(t, c.ScalarBaseMult(c.N.Bytes()).Infinity(), "n·G must be infinity")
			nm1 := new(big.Int).Sub(c.N, big.NewInt(1))
			require.True(t, c.ScalarBaseMult(nm1.Bytes()).Equal(c.Neg(g)), "(n-1)·G = -G")
			require.True(t, c.ScalarBaseMult([]byte{1}).Equal(g))
			require.True(t, c.ScalarBaseMult([]byte{2}).Equal(c.Double(g)))
			require.True(t, c.ScalarBaseMult([]byte{3}).Equal(c.Add(g, c.Double(g))))
			require.True(t, c.ScalarBaseMult(nil).Infinity())
			require.True(t, c.Add(g, c.Neg(g)).Infinity())

			k, m := randScalar(t, c), randScalar(t, c)
			kG, mG := c.ScalarBaseMult(k), c.ScalarBaseMult(m)
			require.True(t, c.IsOnCurve(kG))
			sum := new(big.Int).Add(new(big.Int).SetBytes(k), new(big.Int).SetBytes(m))
			require.True(t, c.Add(kG, mG).Equal(c.ScalarBaseMult(sum.Bytes())), "kG + mG = (k+m)G")
			require.True(t, c.Add(kG, mG).Equal(c.Add(mG, kG)))
			// ECDH is symmetric: k·(m·G) = m·(k·G).
			require.True(t, c.ScalarMult(mG, k).Equal(c.ScalarMult(kG, m)))

			enc := c.Marshal(kG)
			require.Len(t, enc, 1+2*c.ByteLen())
			back, err := c.Unmarshal(enc)
			require.NoError(t, err)
			require.True(t, back.Equal(kG))
		})
	}
}

func TestCurveP256AgainstStdlib(t *testing.T) {
	c := cardreader.P256
	for range 8 {
		a, err := ecdh.P256().GenerateKey(rand.Reader)
		require.NoError(t, err)
		b, err := ecdh.P256().GenerateKey(rand.Reader)
		require.NoError(t, err)
		pa := c.ScalarBaseMult(a.Bytes())
		require.Equal(t, a.PublicKey().Bytes(), c.Marshal(pa))
		pb, err := c.Unmarshal(b.PublicKey().Bytes())
		require.NoError(t, err)
		want, err := a.ECDH(b.PublicKey())
		require.NoError(t, err)
		got := c.ScalarMult(pb, a.Bytes())
		require.Equal(t, want, got.X.FillBytes(make([]byte, 32)))
	}
}

func TestCurveRejectsBadPoints(t *testing.T) {
	for _, c := range curves {
		t.Run(c.Name, func(t *testing.T) {
			l := c.ByteLen()
			g := c.Marshal(c.Generator())
			off := append([]byte(nil), g...)
			off[len(off)-1] ^= 1
			_, err := c.Unmarshal(off)
			require.ErrorIs(t, err, cardreader.ErrPACE)

			big := append([]byte{0x04}, c.P.FillBytes(make([]byte, l))...)
			big = append(big, g[1+l:]...)
			_, err = c.Unmarshal(big)
			require.ErrorIs(t, err, cardreader.ErrPACE, "x = p is out of range")

			for _, b := range [][]byte{nil, {0x00}, g[:len(g)-1], append(append([]byte(nil), g...), 0), append([]byte{0x02}, g[1:]...)} {
				_, err := c.Unmarshal(b)
				require.ErrorIs(t, err, cardreader.ErrPACE)
			}
			require.ErrorIs(t, c.Validate(cardreader.Point{}), cardreader.ErrPACE)
			require.Nil(t, c.Marshal(cardreader.Point{}))
		})
	}
}

func FuzzUnmarshalPoint(f *testing.F) {
	c := cardreader.BrainpoolP256r1
	f.Add(c.Marshal(c.Generator()))
	f.Add([]byte{0x04})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := c.Unmarshal(b)
		if err != nil {
			return
		}
		require.True(t, c.IsOnCurve(p))
		require.Equal(t, b, c.Marshal(p))
	})
}
