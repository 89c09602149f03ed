package gateway

import (
	"net/http"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	lockrequestweb "github.com/dinhdanh/dinhdanh/lockrequest/web"
	"github.com/dinhdanh/dinhdanh/staff"
)

// NoStaffSignInYet is the staff principal of every request until the staff
// console's sign-in (staff/web, issue 10) is wired here: nobody is signed in,
// so /staff/locks answers every request with the sign-in page (401). Replace
// it with the console's session lookup when that lands.
func NoStaffSignInYet(*http.Request) (staff.Principal, bool) { return staff.Principal{}, false }

// newLocks builds locks by authorities on the accounts service, so an
// approval locks through accounts' own lock (tokens, sessions, back-channel
// logout).
func newLocks(o Options, accts *accounts.Service, reads lockrequest.ChipReads) (*lockrequest.Service, error) {
	return lockrequest.New(lockrequest.Config{
		Store: lockrequestpg.NewStore(o.Pool), Accounts: accts, Reads: reads, Audit: o.Audit, Now: o.Now,
	})
}

// staffPrincipal is the signed-in staff member of a request for the staff
// pages: Options.StaffPrincipal, else NoStaffSignInYet.
func (o Options) staffPrincipal() lockrequestweb.PrincipalFunc {
	if o.StaffPrincipal != nil {
		return o.StaffPrincipal
	}
	return NoStaffSignInYet
}
