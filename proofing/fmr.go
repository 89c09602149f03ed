package proofing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// FMRFormat names the fingerprint template format the counter sends and the
// biometric store keeps: a finger minutiae record of ISO/IEC 19794-2:2005
// (docs/fingerprint-template.md describes the bytes).
const FMRFormat = "iso-19794-2"

// ErrFMR: a fingerprint template that is not a well-formed ISO/IEC
// 19794-2:2005 record.
var ErrFMR = errors.New("proofing: malformed fingerprint template (ISO/IEC 19794-2)")

// Minutia is one ridge ending or bifurcation, in pixels and degrees.
type Minutia struct {
	Type    int // 1 ridge ending, 2 bifurcation, 0 other
	X, Y    int
	Angle   float64 // degrees, counter-clockwise from the x axis
	Quality int
}

// FingerView is one finger of a record.
type FingerView struct {
	Position   int // 0 unknown, 1 right thumb … 10 left little
	View       int
	Impression int
	Quality    int
	Minutiae   []Minutia
}

// FMR is a parsed finger minutiae record.
type FMR struct {
	Width, Height int
	ResX, ResY    int // pixels per centimetre
	Views         []FingerView
}

const (
	fmrHeaderLen  = 24
	fmrViewHeader = 4
	fmrMinutiaLen = 6
	// maxFMR bounds a template: 255 minutiae in each of 16 views is far
	// less.
	maxFMR = 64 << 10
)

// ParseFMR parses an ISO/IEC 19794-2:2005 finger minutiae record: the
// 24-byte header ("FMR\0", " 20\0", the record's length, capture
// equipment, image size and resolution, the number of views), then each
// view's 4-byte header, its minutiae of 6 bytes and its extended data
// block (skipped).
func ParseFMR(b []byte) (FMR, error) {
	bad := func(format string, a ...any) (FMR, error) {
		return FMR{}, fmt.Errorf("%w: "+format, append([]any{ErrFMR}, a...)...)
	}
	if len(b) < fmrHeaderLen || len(b) > maxFMR {
		return bad("%d bytes", len(b))
	}
	if string(b[0:4]) != "FMR\x00" || string(b[4:8]) != " 20\x00" {
		return bad("not an FMR 2.0 record")
	}
	if n := binary.BigEndian.Uint32(b[8:12]); int(n) != len(b) {
		return bad("the record says %d bytes, it has %d", n, len(b))
	}
	r := FMR{
		Width: int(binary.BigEndian.Uint16(b[14:16])), Height: int(binary.BigEndian.Uint16(b[16:18])),
		ResX: int(binary.BigEndian.Uint16(b[18:20])), ResY: int(binary.BigEndian.Uint16(b[20:22])),
	}
	views := int(b[22])
	if views == 0 {
		return bad("no finger view")
	}
	p := b[fmrHeaderLen:]
	for i := 0; i < views; i++ {
		if len(p) < fmrViewHeader {
			return bad("view %d is cut short", i+1)
		}
		v := FingerView{Position: int(p[0]), View: int(p[1] >> 4), Impression: int(p[1] & 0x0f), Quality: int(p[2])}
		if v.Position > 10 {
			return bad("finger position %d", v.Position)
		}
		n := int(p[3])
		p = p[fmrViewHeader:]
		if len(p) < n*fmrMinutiaLen+2 {
			return bad("view %d: %d minutiae do not fit", i+1, n)
		}
		for j := 0; j < n; j++ {
			m := p[j*fmrMinutiaLen:]
			x := int(binary.BigEndian.Uint16(m[0:2]))
			y := int(binary.BigEndian.Uint16(m[2:4]))
			mi := Minutia{Type: x >> 14, X: x & 0x3fff, Y: y & 0x3fff, Angle: float64(m[4]) * 1.40625, Quality: int(m[5])}
			if (r.Width > 0 && mi.X >= r.Width) || (r.Height > 0 && mi.Y >= r.Height) {
				return bad("view %d: minutia %d is out of range", i+1, j+1)
			}
			v.Minutiae = append(v.Minutiae, mi)
		}
		p = p[n*fmrMinutiaLen:]
		ext := int(binary.BigEndian.Uint16(p[0:2]))
		p = p[2:]
		if len(p) < ext {
			return bad("view %d: extended data is cut short", i+1)
		}
		p = p[ext:]
		r.Views = append(r.Views, v)
	}
	if len(p) != 0 {
		return bad("%d bytes after the last view", len(p))
	}
	return r, nil
}

// EncodeFMR writes r as an ISO/IEC 19794-2:2005 record (no extended data):
// what a capture device sends, and what tests and the demo data use.
func EncodeFMR(r FMR) ([]byte, error) {
	if len(r.Views) == 0 || len(r.Views) > 255 {
		return nil, fmt.Errorf("%w: %d views", ErrFMR, len(r.Views))
	}
	b := make([]byte, fmrHeaderLen)
	copy(b, "FMR\x00 20\x00")
	binary.BigEndian.PutUint16(b[14:], uint16(r.Width))
	binary.BigEndian.PutUint16(b[16:], uint16(r.Height))
	binary.BigEndian.PutUint16(b[18:], uint16(r.ResX))
	binary.BigEndian.PutUint16(b[20:], uint16(r.ResY))
	b[22] = byte(len(r.Views))
	for _, v := range r.Views {
		if len(v.Minutiae) > 255 || v.Position < 0 || v.Position > 10 {
			return nil, fmt.Errorf("%w: view of finger %d with %d minutiae", ErrFMR, v.Position, len(v.Minutiae))
		}
		b = append(b, byte(v.Position), byte(v.View<<4|v.Impression&0x0f), byte(v.Quality), byte(len(v.Minutiae)))
		for _, m := range v.Minutiae {
			if m.X < 0 || m.X > 0x3fff || m.Y < 0 || m.Y > 0x3fff {
				return nil, fmt.Errorf("%w: minutia out of range", ErrFMR)
			}
			a := math.Mod(m.Angle, 360)
			if a < 0 {
				a += 360
			}
			b = binary.BigEndian.AppendUint16(b, uint16(m.Type&3)<<14|uint16(m.X))
			b = binary.BigEndian.AppendUint16(b, uint16(m.Y))
			b = append(b, byte(int(math.Round(a/1.40625))%256), byte(m.Quality))
		}
		b = append(b, 0, 0)
	}
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)))
	return b, nil
}

// MatchScore compares two finger views' minutiae and scores their
// agreement from 0 to 100: every pair of minutiae (one of each) is tried as
// the anchor of a rigid alignment (rotation and translation), and the
// score is the largest number of minutiae that then agree in place (within
// tolerance pixels) and direction (within 20 degrees), over the smaller
// count. It is deterministic and symmetric enough for a counter's check;
// a national matcher sits behind the Matcher interface instead.
func MatchScore(a, b []Minutia, tolerance float64) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	best := 0
	for _, pa := range a {
		for _, pb := range b {
			if pa.Type != pb.Type {
				continue
			}
			rot := (pb.Angle - pa.Angle) * math.Pi / 180
			sin, cos := math.Sincos(rot)
			if n := countAligned(a, b, pa, pb, sin, cos, pb.Angle-pa.Angle, tolerance); n > best {
				best = n
			}
		}
	}
	return best * 100 / min(len(a), len(b))
}

func countAligned(a, b []Minutia, pa, pb Minutia, sin, cos, dAngle, tol float64) int {
	used := make([]bool, len(b))
	n := 0
	for _, m := range a {
		dx, dy := float64(m.X-pa.X), float64(m.Y-pa.Y)
		x := float64(pb.X) + dx*cos - dy*sin
		y := float64(pb.Y) + dx*sin + dy*cos
		for j, o := range b {
			if used[j] {
				continue
			}
			if math.Hypot(x-float64(o.X), y-float64(o.Y)) <= tol && angleDiff(m.Angle+dAngle, o.Angle) <= 20 {
				used[j] = true
				n++
				break
			}
		}
	}
	return n
}

func angleDiff(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), 360)
	return math.Min(d, 360-d)
}
