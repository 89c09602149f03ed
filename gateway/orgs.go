package gateway

import (
	"context"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/orgs"
	orgspg "github.com/dinhdanh/dinhdanh/orgs/postgres"
)

// newOrgs builds the organisations' staff checks on the accounts store,
// with the relying parties' owners as organisations too.
func newOrgs(o Options, clients *oidc.Clients) (*orgs.Service, error) {
	return orgs.New(orgs.Config{
		Store: orgspg.NewStore(o.Pool), Accounts: orgspg.Accounts{Store: accountspg.NewStore(o.Pool)},
		Owners: rpOwners{clients}, Audit: o.Audit, Now: o.Now,
	})
}

// rpOwners are the owners the relying parties name (a deployment has
// hundreds of relying parties, not millions: listing them is cheap).
type rpOwners struct{ clients *oidc.Clients }

func (r rpOwners) Owners(ctx context.Context) ([]orgs.Owner, error) {
	cs, err := r.clients.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []orgs.Owner
	for _, c := range cs {
		if c.Organisation.Code != "" {
			out = append(out, orgs.Owner{Code: c.Organisation.Code, Name: c.Organisation.Name, ClientID: c.ID})
		}
	}
	return out, nil
}
