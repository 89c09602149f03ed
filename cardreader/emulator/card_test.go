package emulator_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// counting wraps a Transport and records each command.
type counting struct {
	mu   sync.Mutex
	t    cardreader.Transport
	cmds [][]byte
}

func (c *counting) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	c.cmds = append(c.cmds, bytes.Clone(apdu))
	c.mu.Unlock()
	return c.t.Transmit(ctx, apdu)
}

func (c *counting) reads() int {
	n := 0
	for _, b := range c.cmds {
		if b[1] == cardreader.InsReadBinary {
			n++
		}
	}
	return n
}

func TestReadCCCDEndToEnd(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	card := emulator.NewCCCD(p)
	tr := &counting{t: card}
	qr, err := cardreader.ParseQR(p.QR())
	require.NoError(t, err)

	got, err := (&cardreader.Reader{}).Read(t.Context(), tr, cardreader.Request{Key: p.Key(), QR: &qr})
	require.NoError(t, err)

	require.Equal(t, "001090012345", got.PersonalID)
	require.Equal(t, "090012345", got.DocumentNumber)
	require.Equal(t, "Nguyễn Văn Thử", got.FullName)
	require.Equal(t, "NGUYEN VAN THU", got.MRZName)
	require.Equal(t, date(1990, 5, 17), got.BirthDate)
	require.Equal(t, attributes.Male, got.Gender)
	require.Equal(t, "VN", got.Nationality)
	require.Equal(t, date(2030, 5, 17), got.ExpiryDate)
	require.Equal(t, date(2021, 4, 10), got.IssueDate)
	require.Equal(t, "Kinh", got.Ethnicity)
	require.Equal(t, "Không", got.Religion)
	require.Equal(t, p.PlaceOfOrigin, got.PlaceOfOrigin)
	require.Equal(t, p.Residence, got.Residence)
	require.Equal(t, p.IdentifyingMarks, got.IdentifyingMarks)
	require.Equal(t, "Nguyễn Văn Cha", got.FatherName)
	require.Equal(t, "Trần Thị Mẹ", got.MotherName)
	require.Equal(t, "Lê Thị Vợ", got.SpouseName)
	require.Equal(t, "012345678", got.OldID)
	require.Equal(t, []int{1, 2, 3, 13}, got.DataGroups)
	require.True(t, got.HasDG13)
	require.Equal(t, "0107", got.LDSVersion)

	person := got.Person()
	require.Equal(t, "001090012345", person.PersonalID)
	require.Equal(t, "VN", person.Residence.Country)

	// Biometric files are never touched, though EF.COM lists them.
	require.Zero(t, card.Selections(cardreader.FIDDG2))
	require.Zero(t, card.Selections(cardreader.FIDDG3))
	// DG13 is larger than one chunk: more than one READ BINARY for it.
	dg13 := emulator.EncodeDG13(p.DG13Fields())
	require.Greater(t, len(dg13), cardreader.DefaultChunkSize)
	for _, c := range tr.cmds {
		require.LessOrEqual(t, len(c), 5+255+1, "short APDUs only")
	}
}

func TestReadChunking(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	for _, tc := range []struct {
		name     string
		chunk    int
		maxRead  int
		minReads int
		err      uint16
	}{
		{"default", 0, 0, 6, 0},
		{"small chunks", 0x20, 0, 20, 0},
		{"card caps each read", 0, 0x30, 14, 0},
		{"chunk too large for a short answer", 0xFF, 0, 0, cardreader.SWWrongLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			card := emulator.NewCCCD(p)
			card.MaxRead = tc.maxRead
			tr := &counting{t: card}
			c, err := (&cardreader.Reader{ChunkSize: tc.chunk}).Read(t.Context(), tr, cardreader.Request{Key: p.Key()})
			if tc.err != 0 {
				require.True(t, cardreader.IsStatus(err, tc.err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, p.FullName, c.FullName)
			require.GreaterOrEqual(t, tr.reads(), tc.minReads)
		})
	}
}

func TestWrongKey(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	wrong := p.Key()
	wrong.BirthDate = "900518"
	for _, sw := range []uint16{0, cardreader.SWSMObjectsIncorrect, cardreader.SWSecurityNotSatisfied} {
		card := emulator.NewCCCD(p)
		card.WrongKeySW = sw
		_, err := (&cardreader.Reader{}).Read(t.Context(), card, cardreader.Request{Key: wrong})
		require.ErrorIs(t, err, cardreader.ErrAccessDenied)

		// Without a session, files answer 6982 plain and 6988 protected.
		r, err := card.Transmit(t.Context(), []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x01})
		require.NoError(t, err)
		require.Equal(t, "6982", strings.ToUpper(hex.EncodeToString(r)))
		r, err = card.Transmit(t.Context(), []byte{0x0C, 0xB0, 0x00, 0x00, 0x00})
		require.NoError(t, err)
		require.Equal(t, "6988", strings.ToUpper(hex.EncodeToString(r)))
	}
}

func TestAbsentAndProtectedFiles(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()

	t.Run("DG13 listed but absent: 6A82", func(t *testing.T) {
		t.Parallel()
		card := emulator.NewCCCD(p)
		card.SetFile(cardreader.FIDDG13, nil)
		_, err := (&cardreader.Reader{}).Read(t.Context(), card, cardreader.Request{Key: p.Key()})
		require.ErrorIs(t, err, cardreader.ErrFileNotFound)
	})
	t.Run("no DG13 in EF.COM: MRZ data only", func(t *testing.T) {
		t.Parallel()
		card := emulator.NewCCCD(p)
		card.SetFile(cardreader.FIDCOM, emulator.EncodeCOM(0x61, 0x75))
		c, err := (&cardreader.Reader{}).Read(t.Context(), card, cardreader.Request{Key: p.Key()})
		require.NoError(t, err)
		require.False(t, c.HasDG13)
		require.Equal(t, "NGUYEN VAN THU", c.FullName)
		require.Zero(t, card.Selections(cardreader.FIDDG13))
	})
	t.Run("DG3 needs EAC: 6982, and the session goes on", func(t *testing.T) {
		t.Parallel()
		card := emulator.NewCCCD(p)
		s, err := (&cardreader.Reader{}).Open(t.Context(), card, p.Key())
		require.NoError(t, err)
		_, err = s.ReadFile(t.Context(), "EF.DG3", cardreader.FIDDG3)
		require.ErrorIs(t, err, cardreader.ErrSecurityStatus)
		_, err = s.ReadFile(t.Context(), "EF.SOD", cardreader.FIDSOD)
		require.ErrorIs(t, err, cardreader.ErrFileNotFound)
		dg1, err := s.ReadFile(t.Context(), "EF.DG1", cardreader.FIDDG1)
		require.NoError(t, err)
		require.Equal(t, emulator.EncodeDG1(p.TD1()), dg1)
	})
	t.Run("not an eMRTD", func(t *testing.T) {
		t.Parallel()
		r, err := emulator.NewCCCD(p).Transmit(t.Context(), []byte{0x00, 0xA4, 0x04, 0x0C, 0x02, 0xA0, 0x00})
		require.NoError(t, err)
		require.Equal(t, []byte{0x6A, 0x82}, r)
	})
}

func TestInconsistentCards(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	other := p
	other.PersonalID = "001090054321"
	otherDG13 := emulator.EncodeDG13(other.DG13Fields())
	female := p
	female.Gender = attributes.Female
	for _, tc := range []struct {
		name   string
		mutate func(c *emulator.Card)
		qr     string
		err    error
	}{
		{"DG13 of another person", func(c *emulator.Card) { c.SetFile(cardreader.FIDDG13, otherDG13) }, "", cardreader.ErrMismatch},
		{"DG13 with another sex", func(c *emulator.Card) { c.SetFile(cardreader.FIDDG13, emulator.EncodeDG13(female.DG13Fields())) }, "", cardreader.ErrMismatch},
		{"DG13 garbage", func(c *emulator.Card) { c.SetFile(cardreader.FIDDG13, cardreader.TLV(0x6D, []byte{1, 2, 3})) }, "", cardreader.ErrDataGroup},
		{"DG1 garbage", func(c *emulator.Card) { c.SetFile(cardreader.FIDDG1, cardreader.TLV(0x61, []byte("x"))) }, "", cardreader.ErrDataGroup},
		{"QR of another card", nil, strings.Replace(p.QR(), "Nguyễn Văn Thử", "Nguyễn Văn Khác", 1), cardreader.ErrMismatch},
		{"QR with another issue date", nil, strings.Replace(p.QR(), "10042021", "11042021", 1), cardreader.ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			card := emulator.NewCCCD(p)
			if tc.mutate != nil {
				tc.mutate(card)
			}
			req := cardreader.Request{Key: p.Key()}
			if tc.qr != "" {
				q, err := cardreader.ParseQR(tc.qr)
				require.NoError(t, err)
				req.QR = &q
			}
			c, err := (&cardreader.Reader{}).Read(t.Context(), card, req)
			require.ErrorIs(t, err, tc.err)
			require.Nil(t, c)
			require.NotContains(t, err.Error(), p.PersonalID, "errors never repeat the ID number")
		})
	}
}

// TestICAOCardSide plays the reader's side of ICAO 9303-11 Appendix D
// against the emulator holding the example's key and EF.COM, with the
// example's RND.IC and K.IC: the emulator must answer byte for byte.
func TestICAOCardSide(t *testing.T) {
	t.Parallel()
	h := func(s string) []byte { b, err := hex.DecodeString(s); require.NoError(t, err); return b }
	key := cardreader.Key{DocumentNumber: "L898902C", BirthDate: "690806", ExpiryDate: "940623"}
	card, err := emulator.New(key, map[uint16][]byte{
		cardreader.FIDCOM: h("60145F0104303130365F36063034303030305C026175"),
	}, bytes.NewReader(h("4608F91988702212"+"0B4F80323EB3191CB04970CB4052790B")))
	require.NoError(t, err)
	for i, st := range [][2]string{
		{"00A4040C07A0000002471001", "9000"},
		{"0084000008", "4608F919887022129000"},
		{"008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728",
			"46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000"},
		{"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
		{"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
		{"0CB000040D9701128E082EA28A70F3C7B53500",
			"871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
	} {
		got, err := card.Transmit(t.Context(), h(st[0]))
		require.NoError(t, err)
		require.Equal(t, st[1], strings.ToUpper(hex.EncodeToString(got)), "step %d", i)
	}
	// A replayed command has a stale SSC: 6988 and the session ends.
	got, err := card.Transmit(t.Context(), h("0CB000040D9701128E082EA28A70F3C7B53500"))
	require.NoError(t, err)
	require.Equal(t, []byte{0x69, 0x88}, got)
}

func TestTD1(t *testing.T) {
	t.Parallel()
	p := emulator.Synthetic()
	mrz := p.TD1()
	require.Len(t, mrz, 90)
	m, err := cardreader.ParseTD1(mrz)
	require.NoError(t, err)
	require.Equal(t, "001090012345", m.PersonalID)
	require.Equal(t, p.Key(), m.Key())
}
