package audit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

var t0 = time.Date(2026, 11, 23, 15, 10, 0, 0, time.UTC)

func sampleEvent() audit.Event {
	return audit.Event{
		Time: t0, Type: audit.TokenIssued, ActorKind: audit.Client, ActorID: "bank-a", AccountID: "acc-1",
		ClientID: "bank-a", Scopes: []string{"openid", "profile"}, Claims: []string{"name", "birthdate"},
		ACR: "urn:vn:eid:loa:2", Outcome: audit.Success, IP: "203.0.113.7", UserAgent: "Mozilla/5.0",
		RequestID: "req-1", Detail: map[string]string{"grant": "authorization_code", "jti": "t-1"},
	}
}

// The canonical encoding is a published format: third parties recompute the
// chain from it. This golden hash (also computed by an independent Python
// implementation of the documented layout) fails when the encoding changes.
func TestCanonicalHashIsStable(t *testing.T) {
	entries := audit.Chain(audit.Genesis, t0, sampleEvent())
	require.Len(t, entries, 1)
	require.Equal(t, "713ed720bdcf55b89f34b99960ceae4554b55b8f1cac4b949ebc7eec68b06efc", entries[0].Hash.String())
}

func TestChain(t *testing.T) {
	prev := audit.Head{Seq: 41, Hash: audit.Hash{1}, LoggedAt: t0.Add(time.Hour)}
	e := sampleEvent()
	entries := audit.Chain(prev, t0, e, e)
	require.Len(t, entries, 2)
	for i, got := range entries {
		require.Equal(t, int64(42+i), got.Seq)
		require.Equal(t, prev.LoggedAt, got.LoggedAt, "log time never goes back along the chain")
		require.Equal(t, got.Hash, audit.ComputeHash(prev.Hash, got))
		prev = got.Head()
	}
	require.NotEqual(t, entries[0].Hash, entries[1].Hash, "the sequence number is part of the hash")
}

func TestCanonicalEncoding(t *testing.T) {
	base := sampleEvent()
	enc := func(e audit.Event) string { return string(audit.AppendCanonical(nil, 1, t0, e)) }
	cases := []struct {
		name   string
		change func(*audit.Event)
		same   bool
	}{
		{"nil and empty lists encode alike", func(e *audit.Event) { e.Scopes, e.Claims = []string{}, []string{} }, false},
		{"detail order does not matter", func(e *audit.Event) {
			e.Detail = map[string]string{"jti": "t-1", "grant": "authorization_code"}
		}, true},
		{"field boundaries are unambiguous", func(e *audit.Event) { e.ActorID, e.AccountID = "bank-aacc-1", "" }, false},
		{"list boundaries are unambiguous", func(e *audit.Event) { e.Scopes = []string{"openidprofile"} }, false},
		{"outcome counts", func(e *audit.Event) { e.Outcome = audit.Failure }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			tc.change(&e)
			if tc.same {
				require.Equal(t, enc(base), enc(e))
			} else {
				require.NotEqual(t, enc(base), enc(e))
			}
		})
	}
	empty := base
	empty.Scopes, empty.Claims, empty.Detail = nil, nil, nil
	emptySlices := empty
	emptySlices.Scopes, emptySlices.Claims, emptySlices.Detail = []string{}, []string{}, map[string]string{}
	require.Equal(t, enc(empty), enc(emptySlices))
}

func TestHashText(t *testing.T) {
	h := audit.Hash{0xab, 0xcd}
	b, err := h.MarshalText()
	require.NoError(t, err)
	var back audit.Hash
	require.NoError(t, back.UnmarshalText(b))
	require.Equal(t, h, back)
	_, err = audit.ParseHash("abcd")
	require.Error(t, err)
	_, err = audit.HashFromBytes(make([]byte, 31))
	require.Error(t, err)
}
