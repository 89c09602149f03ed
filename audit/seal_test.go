package audit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

func TestSealVerifies(t *testing.T) {
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	other, err := audit.GenerateKey()
	require.NoError(t, err)
	keys := audit.NewKeySet(key.Public())
	head := audit.Chain(audit.Genesis, time.Now(), audit.Event{Type: audit.SignInSucceeded, Time: time.Now().UTC().Truncate(time.Microsecond)})[0].Head()
	s := key.Seal(0, head, time.Now())
	require.NoError(t, keys.VerifySeal(s))
	require.Len(t, s.Sig, audit.SignatureSize)

	for name, change := range map[string]func(*audit.Seal){
		"seq":       func(s *audit.Seal) { s.Seq++ },
		"prev":      func(s *audit.Seal) { s.PrevSeq = -1 },
		"hash":      func(s *audit.Seal) { s.Hash[0] ^= 1 },
		"logged at": func(s *audit.Seal) { s.LoggedAt = s.LoggedAt.Add(time.Microsecond) },
		"sealed at": func(s *audit.Seal) { s.SealedAt = s.SealedAt.Add(time.Second) },
		"no sig":    func(s *audit.Seal) { s.Sig = nil },
	} {
		bad := s
		bad.Sig = append([]byte(nil), s.Sig...)
		change(&bad)
		require.ErrorIs(t, keys.VerifySeal(bad), audit.ErrBadSignature, name)
	}
	require.ErrorIs(t, keys.VerifySeal(other.Seal(0, head, time.Now())), audit.ErrUnknownKey)
}

func TestCheckHead(t *testing.T) {
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	keys := audit.NewKeySet(key.Public())
	now := time.Now()
	ev := audit.Event{Type: audit.SignInSucceeded, Time: now.UTC().Truncate(time.Microsecond)}
	chain := audit.Chain(audit.Genesis, now, ev, ev, ev)
	h2, h3 := chain[1].Head(), chain[2].Head()
	sealed := func(h audit.Head, end audit.Head) audit.StoredHead {
		return audit.StoredHead{Seal: key.Seal(h.Seq-1, h, now), Sealed: true, End: end}
	}

	require.NoError(t, audit.CheckHead(audit.StoredHead{}, keys, audit.Genesis), "an empty chain")
	require.NoError(t, audit.CheckHead(sealed(h3, h3), keys, h2), "another writer moved it forward")
	legacy := audit.StoredHead{Seal: audit.Seal{Seq: 3, PrevSeq: -1, Hash: h3.Hash}, Sealed: true, End: h3}
	require.NoError(t, audit.CheckHead(legacy, keys, audit.Genesis), "the head adopted at the upgrade")

	forged := sealed(h3, h3)
	forged.Seal.Sig[0] ^= 1
	for name, tc := range map[string]struct {
		h     audit.StoredHead
		wrote audit.Head
		want  string
	}{
		"forged seal":      {forged, h2, "not made with the audit key"},
		"moved back":       {sealed(h2, h2), h3, "moved back"},
		"legacy again":     {legacy, audit.Head{Seq: 4}, "upgrade seal"},
		"events beyond":    {sealed(h2, h3), h2, "beyond the sealed head"},
		"tail deleted":     {sealed(h3, h2), h2, "events were deleted"},
		"tail rewritten":   {sealed(h3, audit.Head{Seq: 3, Hash: h2.Hash}), h2, "rewritten"},
		"events, no seals": {audit.StoredHead{End: h3}, audit.Genesis, "beyond the sealed head"},
		"seals gone":       {audit.StoredHead{}, h3, "moved back"},
	} {
		err := audit.CheckHead(tc.h, keys, tc.wrote)
		require.True(t, errors.Is(err, audit.ErrHeadTampered), "%s: %v", name, err)
		require.ErrorContains(t, err, tc.want, name)
	}
}
