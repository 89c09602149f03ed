package demo_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/foreigners"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/proofing/demo"
)

// refs is an in-memory fingerprint reference store.
type refs struct {
	mu   sync.Mutex
	m    map[string][]byte
	puts int
}

func (r *refs) FingerprintReference(_ context.Context, id string, pos int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.m[id+"/"+string(rune('0'+pos))]
	if !ok {
		return nil, proofing.ErrNotFound
	}
	return b, nil
}

func (r *refs) PutFingerprintReference(_ context.Context, id string, pos int, tpl []byte, source string, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if source != demo.ReferenceSource {
		panic(source)
	}
	r.m[id+"/"+string(rune('0'+pos))] = bytes.Clone(tpl)
	r.puts++
	return nil
}

func TestDemoCardsVerifyMatchTheRegistryAndTheFinger(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	now := time.Now().UTC()
	is, created, err := demo.PKI(dir, now)
	require.NoError(t, err)
	require.True(t, created)
	again, created, err := demo.PKI(dir, now)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, is.CSCACert, again.CSCACert)

	records, err := population.DemoRecords(population.DemoOptions{Generated: 10})
	require.NoError(t, err)
	store := &refs{m: map[string][]byte{}}
	cards, err := demo.Cards(ctx, dir, again, records, store, created, now)
	require.NoError(t, err)
	require.Len(t, cards, len(demo.Holders))
	require.Equal(t, len(demo.Holders), store.puts)

	trust, err := cardreader.LoadTrust(demo.CSCAPath(dir))
	require.NoError(t, err)
	byID := map[string]population.Record{}
	for _, r := range records {
		byID[r.PersonalID] = r
	}
	for id, folder := range cards {
		require.Equal(t, demo.CardPath(dir, id), folder)
		fi, err := os.Stat(filepath.Join(folder, emulator.AAKeyFile))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

		o, err := emulator.LoadCard(folder)
		require.NoError(t, err)
		require.Equal(t, id[6:], o.CAN)
		card, err := emulator.NewCard(o)
		require.NoError(t, err)
		rd, err := (&cardreader.Reader{}).ReadChip(ctx, card, cardreader.Request{CAN: o.CAN, Challenge: []byte("12345678"), Portrait: true})
		require.NoError(t, err, id)
		v, err := cardreader.Verify(rd.Chip, trust, now)
		require.NoError(t, err, id)
		require.True(t, v.ActiveAuth)

		// What the registry check compares.
		rec, c := byID[id], rd.Card
		require.Equal(t, rec.FullName, c.FullName)
		require.Equal(t, rec.BirthDate, c.BirthDate.Format(time.DateOnly))
		require.Equal(t, rec.Gender, string(c.Gender))
		require.Equal(t, "VN", c.Nationality)
		require.Equal(t, rec.IssueDate, c.IssueDate.Format(time.DateOnly))
		require.True(t, c.ExpiryDate.After(now), "%s expires %s", id, c.ExpiryDate)

		portrait, err := os.ReadFile(filepath.Join(folder, demo.PortraitFile))
		require.NoError(t, err)
		_, err = jpeg.Decode(bytes.NewReader(portrait))
		require.NoError(t, err)
		require.True(t, bytes.Contains(rd.Portrait, portrait), "DG2 holds the portrait")

		probe, err := os.ReadFile(filepath.Join(folder, demo.ProbeFile))
		require.NoError(t, err)
		m := proofing.TemplateMatcher{References: store}
		got, err := m.Match(ctx, id, demo.FingerPosition, probe)
		require.NoError(t, err)
		require.GreaterOrEqual(t, got.Score, 40, id)
		ref, err := store.FingerprintReference(ctx, id, demo.FingerPosition)
		require.NoError(t, err)
		require.NotEqual(t, probe, ref)
		// Someone else's finger does not match.
		other := population.DemoLevel1ID
		if id == other {
			other = population.DemoPendingID
		}
		got, err = m.Match(ctx, other, demo.FingerPosition, probe)
		require.NoError(t, err)
		require.Less(t, got.Score, 40, id)
	}

	// A second start keeps the cards and the references.
	key, err := os.ReadFile(filepath.Join(cards[population.DemoPendingID], emulator.AAKeyFile))
	require.NoError(t, err)
	_, err = demo.Cards(ctx, dir, again, records, store, false, now)
	require.NoError(t, err)
	require.Equal(t, len(demo.Holders), store.puts)
	same, err := os.ReadFile(filepath.Join(cards[population.DemoPendingID], emulator.AAKeyFile))
	require.NoError(t, err)
	require.Equal(t, key, same)
	// A new PKI renews them.
	_, err = demo.Cards(ctx, dir, again, records, store, true, now)
	require.NoError(t, err)
	renewed, err := os.ReadFile(filepath.Join(cards[population.DemoPendingID], emulator.AAKeyFile))
	require.NoError(t, err)
	require.NotEqual(t, key, renewed)
}

func TestPersonExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		birth, issue, expiry string
	}{
		{"1992-02-14", "2022-09-09", "2032-02-14"}, // issued at 30: valid to 40
		{"1998-12-01", "2021-02-20", "2038-12-01"}, // 25 is past: the next
		{"2001-03-01", "2024-01-10", "2041-03-01"}, // issued within 2 years of 25: to 40
		{"1950-01-01", "2021-01-01", "2036-12-05"}, // past 60: ten years
	} {
		p, err := demo.Person(population.Record{PersonalID: "001092000001", FullName: "Đỗ Thị Ánh Dương", BirthDate: tc.birth,
			Gender: "female", IssueDate: tc.issue}, now)
		require.NoError(t, err)
		require.Equal(t, tc.expiry, p.ExpiryDate.Format(time.DateOnly), tc.birth)
		require.Equal(t, "DO<<THI<ANH<DUONG", p.MRZName)
	}
}

type residents map[string]foreigners.Resident

func (r residents) ByID(_ context.Context, id string) (foreigners.Resident, error) {
	res, ok := r[id]
	if !ok {
		return foreigners.Resident{}, foreigners.ErrNotFound
	}
	return res, nil
}

// TestDemoPassport: the demo foreigner's passport folder loads as a
// passport (PACE with the MRZ, no CAN), reads back as the registry's
// passport and passes passive and active authentication under the demo
// trust list (the Vietnamese and the Korean CSCA), and not under the
// Vietnamese CSCA alone.
func TestDemoPassport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	now := time.Now().UTC()
	vn, _, err := demo.PKI(dir, now)
	require.NoError(t, err)
	kor, created, err := demo.ForeignPKI(dir, "KOR", now)
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, demo.WriteTrust(dir, vn, kor))
	res := foreigners.Resident{ID: population.DemoForeignerID, PassportNo: "M12345678", IssuingCountry: "KOR", Nationality: "KOR",
		PrimaryName: "KIM", SecondaryName: "MIN JUN", BirthDate: time.Date(1988, 11, 5, 0, 0, 0, 0, time.UTC), Sex: "M",
		PassportExpiry: time.Date(2031, 3, 14, 0, 0, 0, 0, time.UTC)}
	got, err := demo.Passports(ctx, dir, map[string]*emulator.Issuer{"KOR": kor}, residents{res.ID: res}, false, now)
	require.NoError(t, err)
	require.Equal(t, map[string]string{res.ID: demo.CardPath(dir, res.ID)}, got)

	o, err := emulator.LoadCard(got[res.ID])
	require.NoError(t, err)
	require.Empty(t, o.CAN)
	card, err := emulator.NewCard(o)
	require.NoError(t, err)
	rd, err := (&cardreader.Reader{}).ReadChip(ctx, card, cardreader.Request{Key: demo.Traveller(res).Key(), Portrait: true})
	require.NoError(t, err)
	require.Equal(t, "PACE", rd.Chip.AccessControl)
	require.Equal(t, "M12345678", rd.Passport.DocumentNumber)
	require.Equal(t, res.BirthDate, rd.Passport.BirthDate)
	require.Equal(t, "KIM MIN JUN", rd.Passport.Name())
	rd.Chip.DataGroups[2] = rd.Portrait
	ts, err := cardreader.LoadTrust(demo.TrustPath(dir))
	require.NoError(t, err)
	v, err := cardreader.Verify(rd.Chip, ts, now)
	require.NoError(t, err)
	require.True(t, v.ActiveAuth)
	vnOnly, err := cardreader.ParseCertificatesPEM(vn.CSCAPEM())
	require.NoError(t, err)
	_, err = cardreader.Verify(rd.Chip, vnOnly, now)
	require.ErrorIs(t, err, cardreader.ErrUnknownSigner)
}
