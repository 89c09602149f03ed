package static

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"
)

// The site's icon is img/favicon.svg; browsers that want a bitmap get the
// same drawing rendered here, at start-up, so that no binary file is kept
// in the repository: /favicon.ico (a 32 × 32 PNG in an ICO container, what
// browsers ask for by default) and img/apple-touch-icon.png (180 × 180).

// iconShape is one filled shape of the icon, in the SVG's 32-unit space.
type iconShape struct {
	x, y, w, h, r float64 // a rounded rectangle; r = w/2 = h/2 is a circle
	c             color.NRGBA
}

var (
	accent = color.NRGBA{0xb3, 0x14, 0x1b, 0xff}
	white  = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	// icon is img/favicon.svg, shape for shape, painted in order.
	icon = []iconShape{
		{0, 0, 32, 32, 6, accent},
		{5, 9, 22, 14, 2, white},
		{9, 12, 5, 5, 2.5, accent},
		{8, 18, 7, 3, 1, accent},
		{17, 13, 7, 1.5, 0, accent},
		{17, 17, 7, 1.5, 0, accent},
	}
)

// inside reports whether (px, py) is in the rounded rectangle.
func (s iconShape) inside(px, py float64) bool {
	if px < s.x || px > s.x+s.w || py < s.y || py > s.y+s.h {
		return false
	}
	// The nearest point of the rectangle shrunk by r; inside when within r.
	cx := math.Max(s.x+s.r, math.Min(px, s.x+s.w-s.r))
	cy := math.Max(s.y+s.r, math.Min(py, s.y+s.h-s.r))
	return (px-cx)*(px-cx)+(py-cy)*(py-cy) <= s.r*s.r
}

// renderIcon draws the icon size × size pixels, 4 × 4 samples a pixel.
func renderIcon(size int) *image.NRGBA {
	const n = 4
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := 32 / float64(size)
	for y := range size {
		for x := range size {
			var r, g, b, a float64
			for sy := range n {
				for sx := range n {
					px := (float64(x) + (float64(sx)+0.5)/n) * scale
					py := (float64(y) + (float64(sy)+0.5)/n) * scale
					for i := len(icon) - 1; i >= 0; i-- {
						if s := icon[i]; s.inside(px, py) {
							r, g, b, a = r+float64(s.c.R), g+float64(s.c.G), b+float64(s.c.B), a+255
							break
						}
					}
				}
			}
			if a == 0 {
				continue
			}
			// Colour averaged over the covered samples; alpha is the coverage.
			k := 255 / a
			img.SetNRGBA(x, y, color.NRGBA{uint8(r*k + 0.5), uint8(g*k + 0.5), uint8(b*k + 0.5), uint8(a/(n*n) + 0.5)})
		}
	}
	return img
}

func encodePNG(size int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, renderIcon(size)); err != nil {
		panic("static: encode icon: " + err.Error()) // an in-memory image: cannot fail
	}
	return buf.Bytes()
}

// wrapICO puts one PNG image of size × size in an ICO container (a PNG
// entry, which every browser since Internet Explorer 9 reads).
func wrapICO(pngData []byte, size int) []byte {
	var buf bytes.Buffer
	dim := byte(size)
	if size >= 256 {
		dim = 0
	}
	_ = binary.Write(&buf, binary.LittleEndian, struct {
		Reserved, Type, Count uint16
	}{0, 1, 1})
	_ = binary.Write(&buf, binary.LittleEndian, struct {
		Width, Height, Colours, Reserved byte
		Planes, BitCount                 uint16
		Size, Offset                     uint32
	}{dim, dim, 0, 0, 1, 32, uint32(len(pngData)), 6 + 16})
	buf.Write(pngData)
	return buf.Bytes()
}

// Icon is a rendered icon file.
type Icon struct {
	ContentType string
	Data        []byte
}

// Icons are the bitmap icons by the path they are served at, rendered on
// first use.
var Icons = sync.OnceValue(func() map[string]Icon {
	return map[string]Icon{
		"/favicon.ico":                     {"image/x-icon", wrapICO(encodePNG(32), 32)},
		"/static/img/favicon-32.png":       {"image/png", encodePNG(32)},
		"/static/img/apple-touch-icon.png": {"image/png", encodePNG(180)},
	}
})
