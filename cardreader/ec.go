package cardreader

import (
	"crypto/elliptic"
	"fmt"
	"math/big"
)

// Elliptic curve arithmetic for PACE (ICAO 9303-11 §4.4) on short
// Weierstrass curves y² = x³ + ax + b over GF(p). The standard library has
// no Brainpool curves and its crypto/elliptic cannot map a generator, so
// this is plain math/big arithmetic in affine coordinates. It is not
// constant time beyond the ladder's fixed sequence of operations; the keys
// it handles are ephemeral and live for one PACE run.

// Curve holds the domain parameters of a short Weierstrass curve.
type Curve struct {
	Name   string
	P      *big.Int // field prime
	A, B   *big.Int // coefficients
	Gx, Gy *big.Int // base point
	N      *big.Int // order of the base point
	H      int      // cofactor
}

// Point is an affine point; X == nil is the point at infinity.
type Point struct {
	X, Y *big.Int
}

// Infinity reports whether p is the point at infinity.
func (p Point) Infinity() bool { return p.X == nil }

// Equal reports whether p and q are the same point.
func (p Point) Equal(q Point) bool {
	if p.Infinity() || q.Infinity() {
		return p.Infinity() == q.Infinity()
	}
	return p.X.Cmp(q.X) == 0 && p.Y.Cmp(q.Y) == 0
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("cardreader: bad curve constant " + s)
	}
	return n
}

// BrainpoolP256r1 is the curve of RFC 5639 §3.4, PACE standardized domain
// parameter 13 (ICAO 9303-11 §9.5.1).
var BrainpoolP256r1 = &Curve{
	Name: "brainpoolP256r1",
	P:    mustHex("A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377"),
	A:    mustHex("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9"),
	B:    mustHex("26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6"),
	Gx:   mustHex("8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"),
	Gy:   mustHex("547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997"),
	N:    mustHex("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
	H:    1,
}

// P256 is NIST P-256 (PACE standardized domain parameter 12), built from
// crypto/elliptic's parameters so that the same arithmetic runs on it.
var P256 = func() *Curve {
	p := elliptic.P256().Params()
	return &Curve{
		Name: "P-256",
		P:    p.P,
		A:    new(big.Int).Sub(p.P, big.NewInt(3)),
		B:    p.B,
		Gx:   p.Gx,
		Gy:   p.Gy,
		N:    p.N,
		H:    1,
	}
}()

// Generator returns the curve's base point.
func (c *Curve) Generator() Point { return Point{X: c.Gx, Y: c.Gy} }

// ByteLen is the length of one encoded coordinate.
func (c *Curve) ByteLen() int { return (c.P.BitLen() + 7) / 8 }

// IsOnCurve reports whether p is a finite point with coordinates in
// [0, p) satisfying the curve equation.
func (c *Curve) IsOnCurve(p Point) bool {
	if p.Infinity() || p.Y == nil {
		return false
	}
	if p.X.Sign() < 0 || p.X.Cmp(c.P) >= 0 || p.Y.Sign() < 0 || p.Y.Cmp(c.P) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(p.Y, p.Y)
	lhs.Mod(lhs, c.P)
	rhs := new(big.Int).Mul(p.X, p.X)
	rhs.Add(rhs, c.A)
	rhs.Mul(rhs, p.X)
	rhs.Add(rhs, c.B)
	rhs.Mod(rhs, c.P)
	return lhs.Cmp(rhs) == 0
}

// Add returns p + q.
func (c *Curve) Add(p, q Point) Point {
	switch {
	case p.Infinity():
		return q
	case q.Infinity():
		return p
	case p.X.Cmp(q.X) == 0:
		if p.Y.Cmp(q.Y) == 0 {
			return c.Double(p)
		}
		return Point{} // q = -p
	}
	num := new(big.Int).Sub(q.Y, p.Y)
	den := new(big.Int).Sub(q.X, p.X)
	den.Mod(den, c.P)
	den.ModInverse(den, c.P)
	l := num.Mul(num, den)
	l.Mod(l, c.P)
	return c.finish(l, p, q.X)
}

// Double returns 2p.
func (c *Curve) Double(p Point) Point {
	if p.Infinity() || p.Y.Sign() == 0 {
		return Point{}
	}
	num := new(big.Int).Mul(p.X, p.X)
	num.Mul(num, big.NewInt(3))
	num.Add(num, c.A)
	den := new(big.Int).Lsh(p.Y, 1)
	den.Mod(den, c.P)
	den.ModInverse(den, c.P)
	l := num.Mul(num, den)
	l.Mod(l, c.P)
	return c.finish(l, p, p.X)
}

// finish computes x3 = λ² − x1 − x2 and y3 = λ(x1 − x3) − y1.
func (c *Curve) finish(l *big.Int, p Point, x2 *big.Int) Point {
	x3 := new(big.Int).Mul(l, l)
	x3.Sub(x3, p.X)
	x3.Sub(x3, x2)
	x3.Mod(x3, c.P)
	y3 := new(big.Int).Sub(p.X, x3)
	y3.Mul(y3, l)
	y3.Sub(y3, p.Y)
	y3.Mod(y3, c.P)
	return Point{X: x3, Y: y3}
}

// Neg returns −p.
func (c *Curve) Neg(p Point) Point {
	if p.Infinity() {
		return p
	}
	y := new(big.Int).Sub(c.P, p.Y)
	return Point{X: new(big.Int).Set(p.X), Y: y.Mod(y, c.P)}
}

// ScalarMult returns k·p with a Montgomery ladder over at least as many
// bits as the group order, so the sequence of additions and doublings does
// not depend on k's leading zeros. k is a big-endian unsigned integer.
func (c *Curve) ScalarMult(p Point, k []byte) Point {
	n := new(big.Int).SetBytes(k)
	bits := max(n.BitLen(), c.N.BitLen())
	r0, r1 := Point{}, p
	for i := bits - 1; i >= 0; i-- {
		if n.Bit(i) == 0 {
			r1 = c.Add(r0, r1)
			r0 = c.Double(r0)
		} else {
			r0 = c.Add(r0, r1)
			r1 = c.Double(r1)
		}
	}
	return r0
}

// ScalarBaseMult returns k·G.
func (c *Curve) ScalarBaseMult(k []byte) Point { return c.ScalarMult(c.Generator(), k) }

// Marshal encodes a finite point uncompressed, 04 ‖ X ‖ Y (SEC 1 §2.3.3),
// each coordinate left-padded to ByteLen. It returns nil for infinity.
func (c *Curve) Marshal(p Point) []byte {
	if p.Infinity() {
		return nil
	}
	l := c.ByteLen()
	out := make([]byte, 1+2*l)
	out[0] = 0x04
	p.X.FillBytes(out[1 : 1+l])
	p.Y.FillBytes(out[1+l:])
	return out
}

// Unmarshal decodes an uncompressed point and validates it: the right
// length, coordinates below p, on the curve (so not infinity). With
// cofactor 1, as for every curve here, that also puts it in the group.
func (c *Curve) Unmarshal(b []byte) (Point, error) {
	l := c.ByteLen()
	if len(b) != 1+2*l || b[0] != 0x04 {
		return Point{}, fmt.Errorf("%w: not an uncompressed %s point", ErrPACE, c.Name)
	}
	p := Point{X: new(big.Int).SetBytes(b[1 : 1+l]), Y: new(big.Int).SetBytes(b[1+l:])}
	if err := c.Validate(p); err != nil {
		return Point{}, err
	}
	return p, nil
}

// Validate checks that p is a finite point on the curve.
func (c *Curve) Validate(p Point) error {
	if p.Infinity() {
		return fmt.Errorf("%w: point at infinity", ErrPACE)
	}
	if !c.IsOnCurve(p) {
		return fmt.Errorf("%w: point not on %s", ErrPACE, c.Name)
	}
	if c.H != 1 && !c.ScalarMult(p, c.N.Bytes()).Infinity() {
		return fmt.Errorf("%w: point not in the subgroup", ErrPACE)
	}
	return nil
}
