package cardreader_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

// icaoTD3 is the passport data page specimen of ICAO 9303-4 (Appendix A to
// Part 4): Anna Maria Eriksson of Utopia.
const icaoTD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<" + "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

func TestParseTD3(t *testing.T) {
	t.Parallel()
	m, err := cardreader.ParseTD3(icaoTD3)
	require.NoError(t, err)
	require.Equal(t, cardreader.MRZ{DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
		OptionalData1: "ZE184226B", BirthDate: "740812", Sex: "F", ExpiryDate: "120415", Nationality: "UTO",
		PrimaryID: "ERIKSSON", SecondaryID: "ANNA MARIA"}, m)
	require.True(t, m.Passport())
	require.Equal(t, "ERIKSSON ANNA MARIA", m.Name())
	require.Equal(t, time.Date(1974, 8, 12, 0, 0, 0, 0, time.UTC), m.Birth())
	require.Equal(t, time.Date(2012, 4, 15, 0, 0, 0, 0, time.UTC), m.Expiry())
	require.Equal(t, attributes.Female, m.Gender())
	// The BAC key is the TD1's: document number, birth and expiry with
	// their check digits (ICAO 9303-11 §9.7.1: "L898902C3" + "6" + ...).
	info, err := m.Key().MRZInformation()
	require.NoError(t, err)
	require.Equal(t, "L898902C36"+"7408122"+"1204159", info)

	// Line breaks are tolerated; ParseMRZ and ParseDG1 choose by length.
	m2, err := cardreader.ParseTD3(icaoTD3[:44] + "\r\n" + icaoTD3[44:])
	require.NoError(t, err)
	require.Equal(t, m, m2)
	m3, err := cardreader.ParseMRZ(icaoTD3)
	require.NoError(t, err)
	require.Equal(t, m, m3)
	m4, err := cardreader.ParseDG1(emulator.EncodeDG1(icaoTD3))
	require.NoError(t, err)
	require.Equal(t, m, m4)

	// No personal number: fillers, and '<' as its check digit.
	tr := emulator.SyntheticTraveller()
	m, err = cardreader.ParseTD3(tr.TD3())
	require.NoError(t, err)
	require.Equal(t, "M12345678", m.DocumentNumber)
	require.Equal(t, "KOR", m.IssuingState)
	require.Empty(t, m.OptionalData1)
	require.Equal(t, tr.Key(), m.Key())
	require.Equal(t, "KIM MIN JUN", m.Name())
	require.Equal(t, tr.BirthDate, m.Birth())
	noFillerCD := tr.TD3()[:86] + "<" + tr.TD3()[87:]
	_, err = cardreader.ParseTD3(noFillerCD)
	require.NoError(t, err, "'<' stands for 0 in a check digit position")

	set := func(s string, i int, c string) string { return s[:i] + c + s[i+1:] }
	for _, tc := range []struct{ name, in, err string }{
		{"short", icaoTD3[:87], "88 characters"},
		{"TD1 length", icaoTD1, "TD3 MRZ has 88"},
		{"lower case", strings.ToLower(icaoTD3), "not allowed"},
		{"not a passport", set(icaoTD3, 0, "V"), "passport document code"},
		{"no issuing state", icaoTD3[:2] + "<<<" + icaoTD3[5:], "issuing state"},
		{"document number check digit", set(icaoTD3, 44+9, "7"), "document number"},
		{"birth check digit", set(icaoTD3, 44+19, "3"), "date of birth"},
		{"expiry check digit", set(icaoTD3, 44+27, "8"), "date of expiry"},
		{"personal number check digit", set(icaoTD3, 44+42, "2"), "personal number"},
		{"composite", set(icaoTD3, 87, "7"), "composite"},
		{"personal number altered", set(icaoTD3, 44+30, "X"), "personal number"},
		{"nationality altered still parses but breaks nothing else", set(icaoTD3, 44+10, "X"), ""},
		{"sex", set(set(icaoTD3, 44+20, "Q"), 87, "0"), "invalid sex"},
		{"no name", icaoTD3[:5] + strings.Repeat("<", 39) + icaoTD3[44:], "empty name"},
		{"birth month 13", emulator.Traveller{PassportNo: "X1", IssuingState: "D", Nationality: "D", MRZName: "A<<B",
			BirthDate: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), ExpiryDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}.TD3(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cardreader.ParseTD3(tc.in)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, cardreader.ErrMRZ)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func FuzzParseTD3(f *testing.F) {
	f.Add(icaoTD3)
	f.Add(emulator.SyntheticTraveller().TD3())
	f.Add(strings.Repeat("<", 88))
	f.Add("P<" + strings.Repeat("0", 86))
	f.Fuzz(func(t *testing.T, s string) {
		m, err := cardreader.ParseTD3(s)
		if err != nil {
			require.ErrorIs(t, err, cardreader.ErrMRZ)
			return
		}
		// What parses is a passport with a usable BAC key whose check
		// digits recompute.
		require.True(t, m.Passport())
		info, err := m.Key().MRZInformation()
		require.NoError(t, err)
		require.Len(t, info, 24)
		require.NotEmpty(t, m.Name())
		require.False(t, m.Birth().IsZero())
		require.Empty(t, m.PersonalID)
		p, err := cardreader.NewPassport(cardreader.COM{}, m)
		require.NoError(t, err)
		require.Equal(t, m.DocumentNumber, p.DocumentNumber)
	})
}

func TestReadPassport(t *testing.T) {
	t.Parallel()
	tr := emulator.SyntheticTraveller()
	kor, err := emulator.NewIssuer("KOR", nil, emulator.WithTime(paNow.AddDate(0, -1, 0)))
	require.NoError(t, err)
	for _, pace := range []bool{true, false} {
		t.Run(map[bool]string{true: "PACE", false: "BAC"}[pace], func(t *testing.T) {
			t.Parallel()
			o := emulator.PassportOptions(tr, []byte("\xff\xd8\xffnot really a jpeg"))
			o.PACE = pace
			o.AAKey = testAAKey(t, "p256")
			dg15, err := emulator.EncodeDG15(o.AAKey.Public())
			require.NoError(t, err)
			o.Files[cardreader.FIDDG15] = dg15
			o.Files[cardreader.FIDSOD], err = kor.SignSOD(map[int][]byte{1: o.Files[cardreader.FIDDG1], 2: o.Files[cardreader.FIDDG2], 15: dg15})
			require.NoError(t, err)
			card, err := emulator.NewCard(o)
			require.NoError(t, err)

			// Without Portrait, DG2 is not read.
			var r cardreader.Reader
			rd, err := r.ReadChip(t.Context(), card, cardreader.Request{Key: tr.Key()})
			require.NoError(t, err)
			require.Nil(t, rd.Card)
			require.Nil(t, rd.Portrait)
			require.Zero(t, card.Selections(cardreader.FIDDG2))
			p := rd.Passport
			require.NotNil(t, p)
			require.Equal(t, "M12345678", p.DocumentNumber)
			require.Equal(t, "KOR", p.IssuingState)
			require.Equal(t, "KOR", p.Nationality)
			require.Equal(t, "KIM MIN JUN", p.Name())
			require.Equal(t, tr.BirthDate, p.BirthDate)
			require.Equal(t, tr.ExpiryDate, p.ExpiryDate)
			require.Equal(t, attributes.Male, p.Gender)
			require.Equal(t, map[bool]string{true: "PACE", false: "BAC"}[pace], rd.Chip.AccessControl)
			require.NotContains(t, rd.Chip.DataGroups, 13)

			// With Portrait, DG2 comes back apart from the chip data, and
			// passive authentication accepts it under the KOR CSCA.
			rd, err = r.ReadChip(t.Context(), card, cardreader.Request{Key: tr.Key(), Portrait: true})
			require.NoError(t, err)
			require.Equal(t, o.Files[cardreader.FIDDG2], rd.Portrait)
			require.NotContains(t, rd.Chip.DataGroups, 2)
			v, err := cardreader.Verify(rd.Chip, trustOf(t, kor), paNow)
			require.NoError(t, err)
			require.True(t, v.PassiveAuth)
			require.True(t, v.ActiveAuth)
			require.Contains(t, v.CSCA, "Test CSCA KOR")
			rd.Chip.DataGroups[2] = rd.Portrait
			v, err = cardreader.Verify(rd.Chip, trustOf(t, kor), paNow)
			require.NoError(t, err)
			require.Equal(t, []int{1, 2, 15}, v.DataGroups)

			// PassportPortrait reads a passport's DG2 (and never an ID
			// card's, below).
			rd, err = r.ReadChip(t.Context(), card, cardreader.Request{Key: tr.Key(), PassportPortrait: true})
			require.NoError(t, err)
			require.Equal(t, o.Files[cardreader.FIDDG2], rd.Portrait)

			// Read as an ID card, or with the wrong key: refused.
			_, err = r.Read(t.Context(), card, cardreader.Request{Key: tr.Key()})
			require.ErrorIs(t, err, cardreader.ErrMismatch)
			wrong := tr.Key()
			wrong.BirthDate = "880310"
			_, err = r.ReadChip(t.Context(), card, cardreader.Request{Key: wrong})
			require.ErrorIs(t, err, cardreader.ErrAccessDenied)
		})
	}
}

// TestVerifyForeignCSCA: a trust store holding several states' CSCAs
// verifies a Korean passport under the Korean CSCA; a passport whose
// document signer chains to a CSCA the store does not hold is refused with
// ErrUnknownSigner naming the signer.
func TestVerifyForeignCSCA(t *testing.T) {
	t.Parallel()
	vn := testIssuer(t, "p256", emulator.ECDSAP256)
	kor, err := emulator.NewIssuer("KOR", nil, emulator.WithTime(paNow.AddDate(0, -1, 0)))
	require.NoError(t, err)
	rogue, err := emulator.NewIssuer("KOR", nil, emulator.WithTime(paNow.AddDate(0, -1, 0)))
	require.NoError(t, err)
	ts, err := cardreader.ParseCertificatesPEM(append(vn.CSCAPEM(), kor.CSCAPEM()...))
	require.NoError(t, err)
	require.Len(t, ts.CSCAs(), 2)

	tr := emulator.SyntheticTraveller()
	// ICAO 9303-10 §4.6.2: a SOD hashes at least two data groups; DG2 is
	// mandatory in a passport.
	dgs := map[int][]byte{1: emulator.EncodeDG1(tr.TD3()), 2: emulator.EncodeDG2([]byte("\xff\xd8\xff"))}
	v, err := cardreader.Verify(signedChip(t, kor, dgs, nil, 0), ts, paNow)
	require.NoError(t, err)
	require.True(t, v.PassiveAuth)
	require.False(t, v.ActiveAuth)
	require.Contains(t, v.Signer, "Test Document Signer KOR")

	// Same subject names, another key: not trusted.
	_, err = cardreader.Verify(signedChip(t, rogue, dgs, nil, 0), ts, paNow)
	require.ErrorIs(t, err, cardreader.ErrUnknownSigner)
	require.ErrorContains(t, err, "no trusted csca issued")

	// An ID card still needs DG13; a passport does not.
	_, err = cardreader.Verify(signedChip(t, vn, map[int][]byte{1: emulator.EncodeDG1(emulator.Synthetic().TD1()), 2: dgs[2]}, nil, 0), ts, paNow)
	require.ErrorIs(t, err, cardreader.ErrDataGroup)
}

func TestPassportPortraitSkipsIDCards(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	card := emulator.NewCCCD(p)
	rd, err := (&cardreader.Reader{}).ReadChip(t.Context(), card, cardreader.Request{Key: p.Key(), PassportPortrait: true})
	require.NoError(t, err)
	require.NotNil(t, rd.Card)
	require.Nil(t, rd.Portrait)
	require.Zero(t, card.Selections(cardreader.FIDDG2))
}
