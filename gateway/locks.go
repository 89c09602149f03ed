package gateway

import (
	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
)

// newLocks builds locks by authorities on the accounts service, so an
// approval locks through accounts' own lock (tokens, sessions, back-channel
// logout).
func newLocks(o Options, accts *accounts.Service, reads lockrequest.ChipReads) (*lockrequest.Service, error) {
	return lockrequest.New(lockrequest.Config{
		Store: lockrequestpg.NewStore(o.Pool), Accounts: accts, Reads: reads, Audit: o.Audit, Now: o.Now,
	})
}
