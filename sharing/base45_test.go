package sharing

import (
	"bytes"
	"testing"
)

// TestBase45 checks RFC 9285's examples (§4.3, §4.4) and refusals.
func TestBase45(t *testing.T) {
	for _, tc := range []struct{ plain, enc string }{
		{"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}, {"", ""},
	} {
		if got := base45Encode([]byte(tc.plain)); got != tc.enc {
			t.Errorf("encode %q = %q, want %q", tc.plain, got, tc.enc)
		}
		got, err := base45Decode(tc.enc)
		if err != nil || string(got) != tc.plain {
			t.Errorf("decode %q = %q, %v; want %q", tc.enc, got, err, tc.plain)
		}
	}
	for _, bad := range []string{"GGW", "a", "AB", "ABCD", "ab1", "::::"} {
		if b, err := base45Decode(bad); err == nil {
			t.Errorf("decode %q = %q, want an error", bad, b)
		}
	}
	// Every two-byte value round-trips, and no text ends in a space.
	for n := 0; n <= 0xffff; n++ {
		in := []byte{byte(n >> 8), byte(n)}
		enc := base45Encode(in)
		if enc[len(enc)-1] == ' ' {
			t.Fatalf("%x encodes with a trailing space", in)
		}
		out, err := base45Decode(enc)
		if err != nil || !bytes.Equal(in, out) {
			t.Fatalf("%x: %q → %x, %v", in, enc, out, err)
		}
	}
}
