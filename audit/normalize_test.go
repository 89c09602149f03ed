package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
)

func TestNormalize(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	cases := []struct {
		name  string
		in    audit.Event
		check func(t *testing.T, e audit.Event)
		err   string
	}{
		{
			name: "zero time is set to now, in UTC at microsecond precision",
			in:   audit.Event{Type: audit.SignInSucceeded},
			check: func(t *testing.T, e audit.Event) {
				require.Equal(t, time.Date(2026, 11, 23, 8, 10, 0, 123456000, time.UTC), e.Time)
				require.Equal(t, time.UTC, e.Time.Location())
			},
		},
		{
			name: "caller time kept, converted to UTC",
			in:   audit.Event{Type: audit.SignInSucceeded, Time: time.Date(2026, 1, 2, 9, 0, 0, 999, hcm)},
			check: func(t *testing.T, e audit.Event) {
				require.Equal(t, time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC), e.Time)
			},
		},
		{
			name: "invalid UTF-8 and NUL bytes from the client are replaced",
			in:   audit.Event{Type: audit.SignInFailed, UserAgent: "evil\x00agent\xff", Reason: "bad\x00"},
			check: func(t *testing.T, e audit.Event) {
				require.Equal(t, "evil\uFFFDagent\uFFFD", e.UserAgent)
				require.Equal(t, "bad\uFFFD", e.Reason)
			},
		},
		{
			name: "over-long user agent is cut on a character boundary",
			in:   audit.Event{Type: audit.SignInFailed, UserAgent: "a" + strings.Repeat("ữ", 400)},
			check: func(t *testing.T, e audit.Event) {
				require.LessOrEqual(t, len(e.UserAgent), 512)
				require.True(t, strings.HasSuffix(e.UserAgent, "ữ"))
			},
		},
		{
			name: "empty detail and lists become nil",
			in:   audit.Event{Type: audit.SignedOut, Detail: map[string]string{}, Scopes: []string{}},
			check: func(t *testing.T, e audit.Event) {
				require.Nil(t, e.Detail)
				require.Nil(t, e.Scopes)
			},
		},
		{name: "type required", in: audit.Event{}, err: "type"},
		{name: "type must be a dotted name", in: audit.Event{Type: "Sign In"}, err: "type"},
		{name: "unknown outcome shape", in: audit.Event{Type: audit.SignedOut, Outcome: "OK!"}, err: "outcome"},
		{name: "over-long account id", in: audit.Event{Type: audit.SignedOut, AccountID: strings.Repeat("x", 300)}, err: "account id"},
		{name: "time out of range", in: audit.Event{Type: audit.SignedOut, Time: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, err: "time"},
		{name: "empty detail key", in: audit.Event{Type: audit.SignedOut, Detail: map[string]string{"": "x"}}, err: "detail key"},
	}
	now := time.Date(2026, 11, 23, 15, 10, 0, 123456789, hcm)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := audit.Normalize(tc.in, now)
			if tc.err != "" {
				require.ErrorIs(t, err, audit.ErrInvalidEvent)
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

func TestNormalizeCopies(t *testing.T) {
	scopes := []string{"openid"}
	detail := map[string]string{"k": "v"}
	e, err := audit.Normalize(audit.Event{Type: audit.TokenIssued, Scopes: scopes, Detail: detail}, t0)
	require.NoError(t, err)
	scopes[0] = "changed"
	detail["k"] = "changed"
	require.Equal(t, []string{"openid"}, e.Scopes)
	require.Equal(t, "v", e.Detail["k"])
}
