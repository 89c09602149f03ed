package gateway

import (
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/orgs"
	orgspg "github.com/dinhdanh/dinhdanh/orgs/postgres"
)

// newOrgs builds the organisations' staff checks on the accounts store.
// Owners (the relying parties' owners) is nil until relying parties carry
// their organisation.
func newOrgs(o Options, owners orgs.Owners) (*orgs.Service, error) {
	return orgs.New(orgs.Config{
		Store: orgspg.NewStore(o.Pool), Accounts: orgspg.Accounts{Store: accountspg.NewStore(o.Pool)},
		Owners: owners, Audit: o.Audit, Now: o.Now,
	})
}
