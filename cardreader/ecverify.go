package cardreader

import "math/big"

// ECDSA verification on curves crypto/ecdsa does not have (Brainpool):
// u1·G + u2·Q with Shamir's trick in Jacobian coordinates, one inversion
// at the end. ec.go's affine ladder inverts at every step, which made a
// brainpool SOD check (two verifications) cost tens of milliseconds.
// Verification handles public values only, so it need not be constant time.

// jacobian is (X, Y, Z) for the affine (X/Z², Y/Z³); Z = 0 is infinity.
type jacobian struct{ x, y, z *big.Int }

func (c *Curve) toJacobian(p Point) jacobian {
	if p.Infinity() {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	return jacobian{new(big.Int).Set(p.X), new(big.Int).Set(p.Y), big.NewInt(1)}
}

func (c *Curve) fromJacobian(j jacobian) Point {
	if j.z.Sign() == 0 {
		return Point{}
	}
	zinv := new(big.Int).ModInverse(j.z, c.P)
	zz := new(big.Int).Mul(zinv, zinv)
	x := new(big.Int).Mul(j.x, zz)
	x.Mod(x, c.P)
	zz.Mul(zz, zinv)
	y := new(big.Int).Mul(j.y, zz)
	y.Mod(y, c.P)
	return Point{X: x, Y: y}
}

// jDouble is dbl-2007-bl for a general a.
func (c *Curve) jDouble(j jacobian) jacobian {
	if j.z.Sign() == 0 || j.y.Sign() == 0 {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	p := c.P
	xx := new(big.Int).Mul(j.x, j.x)
	xx.Mod(xx, p)
	yy := new(big.Int).Mul(j.y, j.y)
	yy.Mod(yy, p)
	yyyy := new(big.Int).Mul(yy, yy)
	yyyy.Mod(yyyy, p)
	zz := new(big.Int).Mul(j.z, j.z)
	zz.Mod(zz, p)
	s := new(big.Int).Mul(j.x, yy)
	s.Lsh(s, 2)
	s.Mod(s, p)
	m := new(big.Int).Mul(zz, zz)
	m.Mul(m, c.A)
	m.Add(m, new(big.Int).Mul(xx, big.NewInt(3)))
	m.Mod(m, p)
	x3 := new(big.Int).Mul(m, m)
	x3.Sub(x3, new(big.Int).Lsh(s, 1))
	x3.Mod(x3, p)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, m)
	y3.Sub(y3, new(big.Int).Lsh(yyyy, 3))
	y3.Mod(y3, p)
	z3 := new(big.Int).Mul(j.y, j.z)
	z3.Lsh(z3, 1)
	z3.Mod(z3, p)
	return jacobian{x3, y3, z3}
}

// jAdd is add-2007-bl.
func (c *Curve) jAdd(a, b jacobian) jacobian {
	if a.z.Sign() == 0 {
		return b
	}
	if b.z.Sign() == 0 {
		return a
	}
	p := c.P
	z1z1 := new(big.Int).Mul(a.z, a.z)
	z1z1.Mod(z1z1, p)
	z2z2 := new(big.Int).Mul(b.z, b.z)
	z2z2.Mod(z2z2, p)
	u1 := new(big.Int).Mul(a.x, z2z2)
	u1.Mod(u1, p)
	u2 := new(big.Int).Mul(b.x, z1z1)
	u2.Mod(u2, p)
	s1 := new(big.Int).Mul(a.y, b.z)
	s1.Mul(s1, z2z2)
	s1.Mod(s1, p)
	s2 := new(big.Int).Mul(b.y, a.z)
	s2.Mul(s2, z1z1)
	s2.Mod(s2, p)
	h := new(big.Int).Sub(u2, u1)
	h.Mod(h, p)
	r := new(big.Int).Sub(s2, s1)
	r.Mod(r, p)
	if h.Sign() == 0 {
		if r.Sign() == 0 {
			return c.jDouble(a)
		}
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	hh := new(big.Int).Mul(h, h)
	hh.Mod(hh, p)
	hhh := new(big.Int).Mul(h, hh)
	hhh.Mod(hhh, p)
	v := new(big.Int).Mul(u1, hh)
	v.Mod(v, p)
	x3 := new(big.Int).Mul(r, r)
	x3.Sub(x3, hhh)
	x3.Sub(x3, new(big.Int).Lsh(v, 1))
	x3.Mod(x3, p)
	y3 := new(big.Int).Sub(v, x3)
	y3.Mul(y3, r)
	y3.Sub(y3, new(big.Int).Mul(s1, hhh))
	y3.Mod(y3, p)
	z3 := new(big.Int).Mul(a.z, b.z)
	z3.Mul(z3, h)
	z3.Mod(z3, p)
	return jacobian{x3, y3, z3}
}

// combinedMult returns u1·G + u2·q.
func (c *Curve) combinedMult(u1, u2 *big.Int, q Point) Point {
	g, qj := c.toJacobian(c.Generator()), c.toJacobian(q)
	gq := c.jAdd(g, qj)
	acc := c.toJacobian(Point{})
	for i := max(u1.BitLen(), u2.BitLen()) - 1; i >= 0; i-- {
		acc = c.jDouble(acc)
		switch {
		case u1.Bit(i) == 1 && u2.Bit(i) == 1:
			acc = c.jAdd(acc, gq)
		case u1.Bit(i) == 1:
			acc = c.jAdd(acc, g)
		case u2.Bit(i) == 1:
			acc = c.jAdd(acc, qj)
		}
	}
	return c.fromJacobian(acc)
}
