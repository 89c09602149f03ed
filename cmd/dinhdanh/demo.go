package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/attributes/importer"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/internal/demorp"
	"github.com/dinhdanh/dinhdanh/internal/gateway"
)

// demoRPClientID is the demo relying party's registration in dev mode.
const demoRPClientID = "demo-portal"

// loadDemo imports the demo citizens (idempotent) and registers the demo
// relying party, returning its handler.
func loadDemo(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, g *gateway.Gateway, logger *slog.Logger, rpBase string) (http.Handler, error) {
	err := importer.LoadDemo(ctx, importer.Target{
		Pool: pool, Accounts: g.Accounts, Audit: g.Audit, Logger: logger,
		Biometrics: biometricspg.NewStore(pool, nil),
	}, importer.DemoOptions{})
	if err != nil {
		return nil, err
	}
	redirect := strings.TrimSuffix(rpBase, "/") + "/callback"
	secret, err := g.RegisterDemoClient(ctx, demoRPClientID, redirect)
	if err != nil {
		return nil, err
	}
	rp := demorp.New(demorp.Config{
		Name: "Cổng dịch vụ công (minh hoạ)", Issuer: cfg.Issuer,
		ClientID: demoRPClientID, ClientSecret: secret, RedirectURL: redirect,
		Scopes: []string{"openid", "profile", "personal_id", "address", "offline_access"},
	})
	return rp.Handler(), nil
}
