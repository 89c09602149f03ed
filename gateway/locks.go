package gateway

import (
	"context"
	"errors"
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

// ErrNoChipReads: no chip reads can be verified yet.
var ErrNoChipReads = errors.New("gateway: no verified chip reads yet: the counter's chip reading (proofing) is not wired")

// NoChipReadsYet refuses every chip read until the proofing domain (the
// counter's chip reads, issue 10) is wired here, so that no account is
// unlocked at the counter without a verified read.
type NoChipReadsYet struct{}

// VerifiedRead implements lockrequest.ChipReads.
func (NoChipReadsYet) VerifiedRead(context.Context, string, string) error { return ErrNoChipReads }

// newLocks builds locks by authorities on the accounts service, so an
// approval locks through accounts' own lock (tokens, sessions, back-channel
// logout).
func newLocks(o Options, accts *accounts.Service) (*lockrequest.Service, error) {
	reads := o.ChipReads
	if reads == nil {
		reads = NoChipReadsYet{}
	}
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
