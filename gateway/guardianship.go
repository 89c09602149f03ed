package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/guardianship"
	guardianshippg "github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

// accountIDs offers a dependent's id to the account it opens at 14
// (guardianship.AccountIDs on the store alone, so that it is built before
// the accounts service the guardianship service needs).
func accountIDs(o Options) accounts.AccountIDs {
	return guardianship.AccountIDs{Store: guardianshippg.NewStore(o.Pool), Now: o.Now}
}

// newGuardianship is the guardianship domain: dependents registered under
// a guardian's account and the guardianship records officers enter.
// consents may be nil (operator commands: no shares shown or revoked).
func newGuardianship(o Options, registry attributes.Registry, acc *accounts.Service, consents *consent.Service) (*guardianship.Service, error) {
	cfg := guardianship.Config{
		Store: guardianshippg.NewStore(o.Pool), Registry: registry, Accounts: acc, Audit: o.Audit, Now: o.Now,
		History: auditpg.NewStore(o.Pool, nil),
	}
	if consents != nil {
		cfg.Consents = consents
	}
	return guardianship.New(cfg)
}

// Guardianship is the guardianship service for operator commands
// (`dinhdanh guardianship`): records officers enter, without the consent
// view.
func (s *Ops) Guardianship(ctx context.Context) (*guardianship.Service, error) {
	if s.guardianship == nil {
		acc, err := s.Accounts()
		if err != nil {
			return nil, err
		}
		svc, err := newGuardianship(s.o, s.Registry(), acc, nil)
		if err != nil {
			return nil, err
		}
		s.guardianship = svc
	}
	return s.guardianship, nil
}

// DemoDependents (dev mode) registers the demo level 2 citizen's child
// under his account, as he would on the account page, unless it is
// registered already. Safe on every start.
func (g *Gateway) DemoDependents(ctx context.Context) error {
	guardian, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	if err != nil {
		return fmt.Errorf("gateway: demo dependents: %w", err)
	}
	if _, err := g.Guardianship.ByPersonalID(ctx, population.DemoChildID); err == nil {
		return nil
	}
	_, err = g.Guardianship.Register(ctx, guardian.ID, population.DemoChildID, guardianship.Actor{Kind: audit.System, ID: "demo"})
	if err != nil && !errors.Is(err, guardianship.ErrAlreadyRegistered) {
		return fmt.Errorf("gateway: demo dependents: %w", err)
	}
	return nil
}
