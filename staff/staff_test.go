package staff_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/staff"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newService(t *testing.T) (*staff.Service, *audittest.Spy, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	spy := &audittest.Spy{}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	svc, err := staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"),
		Audit: spy, Now: func() time.Time { return now }})
	require.NoError(t, err)
	return svc, spy, db
}

func TestIssueAuthenticateRevoke(t *testing.T) {
	svc, spy, db := newService(t)
	ctx := t.Context()
	token, c, err := svc.Issue(ctx, "officer-7", "Công an phường Hàng Bài", "operator-1")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(token, staff.TokenPrefix))
	require.Equal(t, "officer-7", c.OfficerID)

	got, err := svc.Authenticate(ctx, token)
	require.NoError(t, err)
	assert.Equal(t, c.ID, got.ID)
	assert.Equal(t, "Công an phường Hàng Bài", got.Unit)

	var stored []byte
	require.NoError(t, db.App.QueryRow(ctx, `SELECT token_hash FROM staff_credentials WHERE id = $1`, c.ID).Scan(&stored))
	assert.NotContains(t, string(stored), token[len(staff.TokenPrefix):], "only a keyed hash is stored")

	for _, bad := range []string{"", token + "x", strings.TrimPrefix(token, staff.TokenPrefix), staff.TokenPrefix + "AAAA"} {
		_, err := svc.Authenticate(ctx, bad)
		assert.ErrorIs(t, err, staff.ErrUnauthenticated, bad)
	}

	_, err = svc.Revoke(ctx, c.ID, "operator-1")
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, token)
	require.ErrorIs(t, err, staff.ErrUnauthenticated, "a revoked credential opens nothing")
	_, err = svc.Revoke(ctx, c.ID, "operator-1")
	require.ErrorIs(t, err, staff.ErrNotFound)

	list, err := svc.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.False(t, list[0].Active())

	actions := []string{}
	for _, e := range spy.Of(audit.OperatorAction) {
		actions = append(actions, e.Detail["action"]+":"+e.Detail["officer_id"])
		assert.Equal(t, "operator-1", e.ActorID)
	}
	assert.Equal(t, []string{"officer_credential_issued:officer-7", "officer_credential_revoked:officer-7"}, actions)
}

func TestIssueRefusals(t *testing.T) {
	svc, spy, db := newService(t)
	ctx := t.Context()
	tests := []struct{ officer, unit, by string }{
		{"officer 7", "Công an phường Hàng Bài", "operator-1"},
		{"", "Công an phường Hàng Bài", "operator-1"},
		{"officer-7", " ", "operator-1"},
		{"officer-7", "Công an phường Hàng Bài", ""},
	}
	for _, tc := range tests {
		_, _, err := svc.Issue(ctx, tc.officer, tc.unit, tc.by)
		assert.ErrorIs(t, err, staff.ErrInvalid, "%+v", tc)
	}

	// An audit failure leaves no credential behind.
	spy.SetFail(errors.New("audit store unavailable"))
	_, _, err := svc.Issue(ctx, "officer-8", "Công an quận Hoàn Kiếm", "operator-1")
	require.Error(t, err)
	var n int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM staff_credentials`).Scan(&n))
	assert.Zero(t, n)

	// The application role cannot delete a credential.
	_, err = db.App.Exec(ctx, `DELETE FROM staff_credentials`)
	require.Error(t, err)
}
