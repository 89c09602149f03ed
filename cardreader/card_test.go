package cardreader_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/personalid"
)

func TestKeyFromPersonalID(t *testing.T) {
	t.Parallel()
	k, err := cardreader.KeyFromPersonalID("001090012345", date(1990, 5, 17), date(2030, 5, 17))
	require.NoError(t, err)
	require.Equal(t, cardreader.Key{DocumentNumber: "090012345", BirthDate: "900517", ExpiryDate: "300517"}, k)
	_, err = cardreader.KeyFromPersonalID("99909001234", date(1990, 5, 17), date(2030, 5, 17))
	require.ErrorIs(t, err, cardreader.ErrMRZ)
	require.ErrorIs(t, err, personalid.ErrLength)
}

func TestNewCardChecks(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	mrz, err := cardreader.ParseTD1(p.TD1())
	require.NoError(t, err)
	dg13, err := cardreader.ParseDG13(emulator.EncodeDG13(p.DG13Fields()))
	require.NoError(t, err)

	c, err := cardreader.NewCard(cardreader.COM{}, mrz, &dg13)
	require.NoError(t, err)
	q, err := cardreader.ParseQR(p.QR())
	require.NoError(t, err)
	require.NoError(t, c.MatchQR(q))

	// MRZ only: the QR name is compared transliterated.
	c, err = cardreader.NewCard(cardreader.COM{}, mrz, nil)
	require.NoError(t, err)
	require.Equal(t, "NGUYEN VAN THU", c.FullName)
	require.NoError(t, c.MatchQR(q))
	q.Gender = attributes.Female
	require.ErrorIs(t, c.MatchQR(q), cardreader.ErrMismatch)

	// An MRZ whose ID disagrees with its own sex field.
	f := p
	f.Gender = attributes.Female
	fm, err := cardreader.ParseTD1(f.TD1())
	require.NoError(t, err)
	_, err = cardreader.NewCard(cardreader.COM{}, fm, nil)
	require.ErrorIs(t, err, cardreader.ErrMismatch)
	require.ErrorIs(t, err, personalid.ErrGender)

	// Every disagreement with DG13 is named at once.
	bad := dg13
	bad.BirthDate, bad.FullName, bad.ExpiryDate = "18/05/1990", "Nguyễn Văn Khác", "17/05/2031"
	_, err = cardreader.NewCard(cardreader.COM{}, mrz, &bad)
	require.ErrorIs(t, err, cardreader.ErrMismatch)
	require.ErrorContains(t, err, "DG13 name, DG13 date of birth, DG13 date of expiry")

	// "Không thời hạn" (no expiry) in DG13 is not compared.
	noExp := dg13
	noExp.ExpiryDate = "Không thời hạn"
	_, err = cardreader.NewCard(cardreader.COM{}, mrz, &noExp)
	require.NoError(t, err)
}
