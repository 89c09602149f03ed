package gateway

import (
	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	lockrequestweb "github.com/dinhdanh/dinhdanh/lockrequest/web"
	staffweb "github.com/dinhdanh/dinhdanh/staff/web"
)

// newLocks builds locks by authorities on the accounts service, so an
// approval locks through accounts' own lock (tokens, sessions, back-channel
// logout).
func newLocks(o Options, accts *accounts.Service, reads lockrequest.ChipReads) (*lockrequest.Service, error) {
	return lockrequest.New(lockrequest.Config{
		Store: lockrequestpg.NewStore(o.Pool), Accounts: accts, Reads: reads, Audit: o.Audit, Now: o.Now,
	})
}

// staffPrincipal is the signed-in staff member of a request for the staff
// pages: the staff console's sign-in, or Options.StaffPrincipal when a test
// sets one.
func (o Options) staffPrincipal() lockrequestweb.PrincipalFunc {
	if o.StaffPrincipal != nil {
		return o.StaffPrincipal
	}
	return staffweb.Principal
}
