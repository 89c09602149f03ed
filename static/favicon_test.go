package static

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"image/png"
	"testing"
)

// TestIcons: every bitmap icon is a PNG of its size showing the SVG's
// drawing (the red square, the white card), and /favicon.ico is an ICO
// holding the 32 × 32 one.
func TestIcons(t *testing.T) {
	icons := Icons()
	for path, size := range map[string]int{"/static/img/favicon-32.png": 32, "/static/img/apple-touch-icon.png": 180} {
		img, err := png.Decode(bytes.NewReader(icons[path].Data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %v, want %d × %d", path, b, size, size)
		}
		at := func(x, y float64) [4]uint32 {
			c := color.NRGBAModel.Convert(img.At(int(x*float64(size)/32), int(y*float64(size)/32))).(color.NRGBA)
			return [4]uint32{uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)}
		}
		for _, c := range []struct {
			name string
			x, y float64
			want [4]uint32
		}{
			{"the red square", 2.5, 16, [4]uint32{0xb3, 0x14, 0x1b, 0xff}},
			{"the white card", 25, 21, [4]uint32{0xff, 0xff, 0xff, 0xff}},
			{"the head on the card", 11.5, 14.5, [4]uint32{0xb3, 0x14, 0x1b, 0xff}},
			{"a transparent corner", 0, 0, [4]uint32{0, 0, 0, 0}},
		} {
			if got := at(c.x, c.y); got != c.want {
				t.Errorf("%s: %s is %v, want %v", path, c.name, got, c.want)
			}
		}
	}

	ico := icons["/favicon.ico"].Data
	var head struct {
		Reserved, Type, Count             uint16
		Width, Height, Colours, Reserved2 byte
		Planes, BitCount                  uint16
		Size, Offset                      uint32
	}
	if err := binary.Read(bytes.NewReader(ico), binary.LittleEndian, &head); err != nil {
		t.Fatal(err)
	}
	if head.Type != 1 || head.Count != 1 || head.Width != 32 || head.Height != 32 || int(head.Offset)+int(head.Size) != len(ico) {
		t.Fatalf("not a one-image 32 × 32 ICO: %+v (%d bytes)", head, len(ico))
	}
	if !bytes.Equal(ico[head.Offset:], icons["/static/img/favicon-32.png"].Data) {
		t.Error("the ICO does not hold the 32 × 32 PNG")
	}
}
