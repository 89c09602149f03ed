package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/gateway"
	"github.com/dinhdanh/dinhdanh/population"
)

// loadDemo imports the demo citizens (idempotent) and registers the demo
// relying party served at rpBase, returning its handler.
func loadDemo(ctx context.Context, pool *pgxpool.Pool, g *gateway.Gateway, logger *slog.Logger, rpBase string) (http.Handler, error) {
	err := population.LoadDemo(ctx, population.Target{
		Pool: pool, Accounts: g.Accounts, Audit: g.Audit, Logger: logger,
		Biometrics: biometricspg.NewStore(pool, nil),
	}, population.DemoOptions{})
	if err != nil {
		return nil, err
	}
	// The level 2 citizen's child, registered under his account
	// (README, "Dependents").
	if err := g.DemoDependents(ctx); err != nil {
		return nil, err
	}
	// Demo staff (README, "Staff console"): an operator, a supervisor and
	// two officers.
	if err := g.Staff.LoadDemo(ctx); err != nil {
		return nil, err
	}
	rp, err := g.DemoRelyingParty(ctx, rpBase)
	if err != nil {
		return nil, err
	}
	return rp.Handler(), nil
}
