package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dinhdanh/dinhdanh/config"

	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg, rest, err := loadConfig(fs, args, config.Needs{})
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "up" && rest[0] != "status") {
		return errors.New("usage: dinhdanh migrate [-config FILE] up|status")
	}
	dsn := cfg.DB.MigrateURL
	if dsn == "" {
		return errors.New("DATABASE_MIGRATE_URL is required: migrations run as the schema owner role (dinhdanh_owner)")
	}
	pool, err := pg.Open(ctx, dsn, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	switch rest[0] {
	case "up":
		done, err := pg.Migrate(ctx, pool, schema.Sources()...)
		for _, m := range done {
			fmt.Fprintf(stdout, "applied %s/%s\n", m.Domain, m.Name)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "schema is up to date")
		}
		return nil
	default:
		states, err := pg.Status(ctx, pool, schema.Sources()...)
		if err != nil {
			return err
		}
		pending := 0
		for _, s := range states {
			at := "pending"
			if s.AppliedAt != nil {
				at = s.AppliedAt.Format("2006-01-02 15:04:05Z")
			} else {
				pending++
			}
			fmt.Fprintf(stdout, "%-20s %-10s %s\n", at, s.Domain, s.Name)
		}
		fmt.Fprintf(stdout, "%d applied, %d pending\n", len(states)-pending, pending)
		return nil
	}
}
