package cardreader_test

import (
	"bytes"
	"encoding/asn1"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// toBER re-encodes DER as BER the way some issuers write it: constructed
// elements with indefinite lengths, OCTET STRINGs over 16 bytes in
// 16-byte segments, other primitives with a non-minimal 82 xx xx length.
func toBER(t *testing.T, der []byte) []byte {
	t.Helper()
	var out []byte
	for len(der) > 0 {
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(der, &rv)
		require.NoError(t, err)
		header := rv.FullBytes[:len(rv.FullBytes)-len(rv.Bytes)]
		identLen := 1
		if header[0]&0x1F == 0x1F {
			for identLen < len(header) && header[identLen]&0x80 != 0 {
				identLen++
			}
			identLen++
		}
		ident := header[:identLen]
		switch {
		case rv.IsCompound:
			out = append(out, ident...)
			out = append(out, 0x80)
			out = append(out, toBER(t, rv.Bytes)...)
			out = append(out, 0, 0)
		case rv.Class == asn1.ClassUniversal && rv.Tag == asn1.TagOctetString && len(rv.Bytes) > 16:
			out = append(out, 0x24, 0x80)
			for p := rv.Bytes; len(p) > 0; {
				n := min(16, len(p))
				out = append(out, 0x04, byte(n))
				out = append(out, p[:n]...)
				p = p[n:]
			}
			out = append(out, 0, 0)
		default:
			out = append(out, ident...)
			out = append(out, 0x82, byte(len(rv.Bytes)>>8), byte(len(rv.Bytes)))
			out = append(out, rv.Bytes...)
		}
		der = rest
	}
	return out
}

func TestBERSOD(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		alg  emulator.Algorithm
	}{{"p256", emulator.ECDSAP256}, {"bp", emulator.ECDSABrainpoolP256r1}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			is := testIssuer(t, c.name, c.alg)
			aa := testAAKey(t, "p256")
			chip := signedChip(t, is, chipFor(t, aa), aa, 0)
			ber := toBER(t, chip.SOD)
			require.NotEqual(t, chip.SOD, ber)
			require.True(t, bytes.HasPrefix(ber, []byte{0x77, 0x80}))

			want, err := cardreader.ParseSOD(chip.SOD)
			require.NoError(t, err)
			got, err := cardreader.ParseSOD(ber)
			require.NoError(t, err)
			require.Equal(t, want.DataGroupHashes, got.DataGroupHashes)
			require.Equal(t, want.SecurityObject, got.SecurityObject)
			require.Equal(t, want.Signer, got.Signer)

			chip.SOD = ber
			v, err := cardreader.Verify(chip, trustOf(t, is), paNow)
			require.NoError(t, err)
			require.True(t, v.ActiveAuth)

			ml, err := is.MasterList()
			require.NoError(t, err)
			_, err = cardreader.ParseMasterList(toBER(t, ml))
			require.NoError(t, err)

			// An unterminated indefinite length is still malformed.
			_, err = cardreader.ParseSOD(ber[:len(ber)-2])
			require.ErrorIs(t, err, cardreader.ErrSOD)
		})
	}
}
