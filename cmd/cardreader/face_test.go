package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

func TestPortraitImage(t *testing.T) {
	t.Parallel()
	jp2 := []byte{0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A}
	img, format, err := portraitImage(dg2(jp2))
	require.NoError(t, err)
	require.Equal(t, "jpeg2000", format)
	require.Equal(t, jp2, img)

	long := append(append([]byte{}, fakeJPEG...), bytes.Repeat([]byte{7}, 70000)...) // 3-byte lengths
	img, format, err = portraitImage(dg2(long))
	require.NoError(t, err)
	require.Equal(t, "jpeg", format)
	require.Equal(t, long, img)

	for _, tc := range []struct {
		name string
		dg2  []byte
	}{
		{"empty", nil},
		{"emulator placeholder", cardreader.TLV(0x75, []byte("placeholder, not a portrait"))},
		{"not an image", dg2([]byte("GIF89a"))},
		{"truncated", dg2(fakeJPEG)[:40]},
		{"no facial record", cardreader.TLV(0x75, cardreader.TLV(0x7F61, cardreader.TLV(0x7F60, cardreader.TLV(0x5F2E, []byte("JUNK")))))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := portraitImage(tc.dg2)
			require.ErrorIs(t, err, errPortrait)
		})
	}
}

// FuzzPortraitImage: DG2 comes from the card; the parser never panics and
// returns an image inside its input or errPortrait.
func FuzzPortraitImage(f *testing.F) {
	f.Add(dg2(fakeJPEG))
	f.Add(cardreader.TLV(0x75, []byte("placeholder")))
	f.Add([]byte{0x75, 0x83, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, _, err := portraitImage(b)
		if err != nil {
			if !errors.Is(err, errPortrait) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !bytes.Contains(b, img) {
			t.Fatal("image not taken from the input")
		}
	})
}
