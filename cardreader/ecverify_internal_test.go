package cardreader

import (
	"crypto/rand"
	"math/big"
	"testing"
)

// TestCombinedMult compares the Jacobian Shamir ladder with ec.go's affine
// arithmetic on brainpoolP256r1 and P-256, including the edge cases
// (zero scalars, q = G, q = −G).
func TestCombinedMult(t *testing.T) {
	t.Parallel()
	for _, c := range []*Curve{BrainpoolP256r1, P256} {
		rnd := func() *big.Int {
			k, err := rand.Int(rand.Reader, c.N)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		q := c.ScalarBaseMult(rnd().Bytes())
		cases := []struct {
			u1, u2 *big.Int
			q      Point
		}{
			{rnd(), rnd(), q},
			{big.NewInt(0), rnd(), q},
			{rnd(), big.NewInt(0), q},
			{big.NewInt(0), big.NewInt(0), q},
			{big.NewInt(5), big.NewInt(7), c.Generator()},
			{big.NewInt(3), big.NewInt(3), c.Neg(c.Generator())},
			{big.NewInt(1), big.NewInt(1), c.Generator()},
		}
		for i, tc := range cases {
			want := c.Add(c.ScalarBaseMult(tc.u1.Bytes()), c.ScalarMult(tc.q, tc.u2.Bytes()))
			if got := c.combinedMult(tc.u1, tc.u2, tc.q); !got.Equal(want) {
				t.Errorf("%s case %d: got %v, want %v", c.Name, i, got, want)
			}
		}
	}
}
