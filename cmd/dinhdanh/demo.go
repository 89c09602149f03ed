package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes/importer"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/internal/gateway"
)

// loadDemo imports the demo citizens (idempotent) and registers the demo
// relying party served at rpBase, returning its handler.
func loadDemo(ctx context.Context, pool *pgxpool.Pool, g *gateway.Gateway, logger *slog.Logger, rpBase string) (http.Handler, error) {
	err := importer.LoadDemo(ctx, importer.Target{
		Pool: pool, Accounts: g.Accounts, Audit: g.Audit, Logger: logger,
		Biometrics: biometricspg.NewStore(pool, nil),
	}, importer.DemoOptions{})
	if err != nil {
		return nil, err
	}
	rp, err := g.DemoRelyingParty(ctx, rpBase)
	if err != nil {
		return nil, err
	}
	return rp.Handler(), nil
}
