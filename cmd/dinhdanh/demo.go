package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/config"
)

// demoBanner lists the demo sign-ins.
var demoBanner = ""

func loadDemo(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, stdout io.Writer) error {
	return nil
}
