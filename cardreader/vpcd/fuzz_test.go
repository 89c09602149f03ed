package vpcd

import (
	"bytes"
	"testing"
)

// FuzzReadFrame: the decoder never panics, never returns an empty payload
// without an error, and what it decodes encodes back to the bytes it read.
func FuzzReadFrame(f *testing.F) {
	for _, s := range [][]byte{{0, 1, 4}, {0, 4, 0, 0xA4, 4, 0x0C}, {0}, {0, 0}, {0xFF, 0xFF, 1}, {0, 1, 0, 0, 1, 1}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			p, err := ReadFrame(r)
			if err != nil {
				return
			}
			if len(p) == 0 {
				t.Fatal("empty payload without an error")
			}
			b, err := AppendFrame(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			consumed := len(in) - r.Len()
			if !bytes.Equal(b, in[consumed-len(b):consumed]) {
				t.Fatalf("re-encoding %x differs from the input", p)
			}
		}
	})
}
