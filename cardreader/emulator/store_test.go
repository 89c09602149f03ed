package emulator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// TestIssuerAndCardFolders: an issuer saved and loaded again signs SODs
// that verify against its saved CSCA; a card saved to a folder and loaded
// again reads with PACE (CAN) and passes passive and active
// authentication.
func TestIssuerAndCardFolders(t *testing.T) {
	t.Parallel()
	for _, alg := range []emulator.Algorithm{emulator.ECDSAP256, emulator.ECDSABrainpoolP256r1} {
		t.Run(string(alg), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			is, err := emulator.NewIssuer("VN", nil, emulator.WithAlgorithm(alg))
			require.NoError(t, err)
			require.NoError(t, is.Save(filepath.Join(dir, "pki")))
			for _, k := range []string{"csca.key", "ds.key", "ml.key"} {
				fi, err := os.Stat(filepath.Join(dir, "pki", k))
				require.NoError(t, err)
				require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), k)
			}
			again, err := emulator.LoadIssuer(filepath.Join(dir, "pki"), nil)
			require.NoError(t, err)
			require.Equal(t, is.CSCACert, again.CSCACert)
			require.Equal(t, is.DSCert, again.DSCert)
			require.Equal(t, 0, is.DSSerial.Cmp(again.DSSerial))
			require.True(t, is.DSNotAfter.Equal(again.DSNotAfter))
			_, err = again.CRL(again.DocumentSigner()) // the CSCA's name and key identifier came back
			require.NoError(t, err)

			p := emulator.Synthetic()
			o := emulator.CCCDOptions(p)
			o.Files[cardreader.FIDDG2] = emulator.EncodeDG2([]byte{0xFF, 0xD8, 0xFF, 0xE0, 'x'})
			aa, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			o.Files[cardreader.FIDDG15], err = emulator.EncodeDG15(aa.Public())
			require.NoError(t, err)
			o.AAKey = aa
			dgs := map[int][]byte{}
			for fid, b := range o.Files {
				dgs[int(fid-0x0100)] = b
			}
			o.Files[cardreader.FIDSOD], err = again.SignSOD(dgs)
			require.NoError(t, err)
			require.NoError(t, emulator.SaveCard(filepath.Join(dir, "card"), o))
			fi, err := os.Stat(filepath.Join(dir, "card", emulator.AAKeyFile))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

			loaded, err := emulator.LoadCard(filepath.Join(dir, "card"))
			require.NoError(t, err)
			require.Equal(t, p.PersonalID[6:], loaded.CAN)
			require.Equal(t, p.Key(), loaded.Key)
			card, err := emulator.NewCard(loaded)
			require.NoError(t, err)
			challenge := []byte("8 bytes!")
			rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{CAN: loaded.CAN, Challenge: challenge})
			require.NoError(t, err)
			require.Equal(t, cardreader.AccessPACE, rd.Chip.AccessControl)
			trust, err := cardreader.LoadTrust(filepath.Join(dir, "pki", emulator.CSCAFile))
			require.NoError(t, err)
			v, err := cardreader.Verify(rd.Chip, trust, time.Now())
			require.NoError(t, err)
			require.True(t, v.ActiveAuth)
			require.Zero(t, card.Selections(cardreader.FIDDG3))
		})
	}
}

func TestLoadCardNeedsDG1(t *testing.T) {
	t.Parallel()
	_, err := emulator.LoadCard(t.TempDir())
	require.ErrorContains(t, err, "DG1")
	_, err = emulator.LoadIssuer(t.TempDir(), nil)
	require.Error(t, err)
}
