package accounts_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// kimResident is a foreign resident as the foreigners' registry holds him.
func kimResident() foreigners.Resident {
	return foreigners.Resident{
		ID: "001088000002", PassportNo: "M12345678", IssuingCountry: "KOR", Nationality: "KOR",
		PrimaryName: "KIM", SecondaryName: "MIN JUN", BirthDate: day(1988, 11, 5), Sex: "M",
		PassportExpiry: day(2031, 3, 14), PermitKind: foreigners.TemporaryResidenceCard, PermitNumber: "TT01234567",
		PermitExpiry: day(2028, 6, 30),
	}
}

// kimRequest is what Kim types: his passport as printed, in any case and
// with the diacritics and hyphen of his name's usual spelling.
func kimRequest() accounts.ForeignerRegistrationRequest {
	return accounts.ForeignerRegistrationRequest{
		PassportNo: "m1234 5678", IssuingCountry: "kr", Nationality: "KOR", PrimaryName: "Kim", SecondaryName: "Min-jun",
		BirthDate: day(1988, 11, 5), Sex: "m", PassportExpiry: day(2031, 3, 14), PermitNumber: "tt 01234567",
		PermitExpiry: day(2028, 6, 30), Phone: "0909 000 123", Lang: "en", Client: accounts.Client{IP: "192.0.2.7", RequestID: "req-f"},
	}
}

// TestForeignerRegistration: a foreigner registers from passport data that
// agrees with the foreigners' registry, and gets an account whose login is
// the number the registry assigned.
func TestForeignerRegistration(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	require.NoError(t, env.Foreigners.Put(ctx, kimResident()))

	req := kimRequest()
	st, err := env.Service.StartForeignerRegistration(ctx, req)
	require.NoError(t, err)
	require.Equal(t, accounts.MaskPhone("+84909000123"), st.MaskedPhone)
	code := env.Sender.LastCode(t, "+84909000123")
	require.NoError(t, env.Service.ConfirmRegistration(ctx, accounts.RegistrationCode{ID: st.ID, Code: code, Client: req.Client}))
	a, err := env.Service.CompleteRegistration(ctx, accounts.RegistrationCompletion{ID: st.ID, Password: "một mật khẩu dài", Client: req.Client})
	require.NoError(t, err)
	require.Equal(t, "001088000002", a.PersonalID, "the login is the assigned number")
	require.Equal(t, accounts.Pending, a.Status)
	require.Equal(t, "+84909000123", a.Phone)

	// Once: the number has an account now.
	_, err = env.Service.StartForeignerRegistration(ctx, req)
	require.ErrorIs(t, err, accounts.ErrAlreadyRegistered)
}

// TestForeignerRegistrationRefusedWhenTheRegistryDisagrees: any field that
// differs from the registry, or an unknown passport, gets the one answer
// ErrIdentityMismatch; the audit row names the fields that differ, never
// their values.
func TestForeignerRegistrationRefusedWhenTheRegistryDisagrees(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	require.NoError(t, env.Foreigners.Put(ctx, kimResident()))
	for _, tc := range []struct {
		name   string
		change func(*accounts.ForeignerRegistrationRequest)
		reason string
		differ string
	}{
		{"unknown passport", func(r *accounts.ForeignerRegistrationRequest) { r.PassportNo = "M12345679" }, "unknown_passport", ""},
		{"other issuing country", func(r *accounts.ForeignerRegistrationRequest) { r.IssuingCountry = "JPN" }, "unknown_passport", ""},
		{"nationality", func(r *accounts.ForeignerRegistrationRequest) { r.Nationality = "PRK" }, "registry_mismatch", "nationality"},
		{"surname", func(r *accounts.ForeignerRegistrationRequest) { r.PrimaryName = "Lee" }, "registry_mismatch", "primary_name"},
		{"given names", func(r *accounts.ForeignerRegistrationRequest) { r.SecondaryName = "Min" }, "registry_mismatch", "secondary_name"},
		{"names swapped", func(r *accounts.ForeignerRegistrationRequest) { r.PrimaryName, r.SecondaryName = "Min Jun", "Kim" }, "registry_mismatch", "primary_name,secondary_name"},
		{"birth date", func(r *accounts.ForeignerRegistrationRequest) { r.BirthDate = day(1988, 5, 11) }, "registry_mismatch", "birth_date"},
		{"sex", func(r *accounts.ForeignerRegistrationRequest) { r.Sex = "F" }, "registry_mismatch", "sex"},
		{"passport expiry", func(r *accounts.ForeignerRegistrationRequest) { r.PassportExpiry = day(2031, 3, 15) }, "registry_mismatch", "passport_expiry"},
		{"permit number", func(r *accounts.ForeignerRegistrationRequest) { r.PermitNumber = "TT01234568" }, "registry_mismatch", "permit_number"},
		{"permit expiry", func(r *accounts.ForeignerRegistrationRequest) { r.PermitExpiry = day(2029, 6, 30) }, "registry_mismatch", "permit_expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Audit.Reset()
			req := kimRequest()
			tc.change(&req)
			_, err := env.Service.StartForeignerRegistration(ctx, req)
			require.ErrorIs(t, err, accounts.ErrIdentityMismatch)
			require.Equal(t, accounts.ErrIdentityMismatch.Error(), err.Error(), "the same words whatever differs")
			ev := env.Audit.Of(audit.AccountRegistered)
			require.Len(t, ev, 1)
			require.Equal(t, audit.Failure, ev[0].Outcome)
			require.Equal(t, tc.reason, ev[0].Reason)
			require.Equal(t, tc.differ, ev[0].Detail["differs"])
		})
	}
	require.Zero(t, env.Sender.Count(), "no code for a mismatch")

	// Input that cannot be passport data says so, whatever the registry.
	for _, change := range []func(*accounts.ForeignerRegistrationRequest){
		func(r *accounts.ForeignerRegistrationRequest) { r.PassportNo = "M1" },
		func(r *accounts.ForeignerRegistrationRequest) { r.IssuingCountry = "Korea" },
		func(r *accounts.ForeignerRegistrationRequest) { r.Nationality = "XXA" },
		func(r *accounts.ForeignerRegistrationRequest) { r.PrimaryName = " - " },
		func(r *accounts.ForeignerRegistrationRequest) { r.Sex = "male" },
	} {
		req := kimRequest()
		change(&req)
		_, err := env.Service.StartForeignerRegistration(ctx, req)
		require.ErrorIs(t, err, accounts.ErrInvalidPassport)
	}
}

// TestForeignerRegistrationExpiredPermit: a permit that has ended gives
// no account, told only to someone whose details all matched.
func TestForeignerRegistrationExpiredPermit(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	ctx := t.Context()
	r := kimResident()
	r.PermitExpiry = env.Clock.Now().AddDate(0, 0, -1)
	require.NoError(t, env.Foreigners.Put(ctx, r))
	req := kimRequest()
	req.PermitExpiry = r.PermitExpiry
	_, err := env.Service.StartForeignerRegistration(ctx, req)
	require.ErrorIs(t, err, accounts.ErrPermitExpired)
	require.Equal(t, "permit_expired", env.Audit.Of(audit.AccountRegistered)[0].Reason)
}
