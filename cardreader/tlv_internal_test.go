package cardreader

import (
	"bytes"
	"testing"
)

// FuzzParseTLVs: whatever parses re-encodes (with the shortest lengths)
// into TLVs that parse to the same tags and values, and nothing panics.
func FuzzParseTLVs(f *testing.F) {
	f.Add(TLV(0x61, TLV(0x5F1F, []byte("IDVNM0123456789"))))
	f.Add(append(TLV(0x87, []byte{1, 2, 3}), TLV(0x8E, make([]byte, 8))...))
	f.Add([]byte{0x5F, 0x1F, 0x81, 0x01, 0x00})       // long form for a short length
	f.Add([]byte{0x7F, 0xFF, 0xFF, 0xFF, 0x01, 0x00}) // tag too long
	f.Add([]byte{0x04, 0x83, 0xFF, 0xFF, 0xFF})       // length beyond the data
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := parseTLVs(b)
		if err != nil {
			return
		}
		var again []byte
		for _, it := range items {
			if !bytes.Equal(it.raw[len(it.raw)-len(it.value):], it.value) {
				t.Fatalf("value is not the end of raw")
			}
			again = AppendTLV(again, it.tag, it.value)
		}
		back, err := parseTLVs(again)
		if err != nil {
			t.Fatalf("re-encoded TLVs do not parse: %v", err)
		}
		if len(back) != len(items) {
			t.Fatalf("%d items, %d after re-encoding", len(items), len(back))
		}
		for i := range back {
			if back[i].tag != items[i].tag || !bytes.Equal(back[i].value, items[i].value) {
				t.Fatalf("item %d changed: %x %x / %x %x", i, items[i].tag, items[i].value, back[i].tag, back[i].value)
			}
		}
	})
}
