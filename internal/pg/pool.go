package pg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Role names. Migrations run as OwnerRole, which owns every table; the
// gateway connects as AppRole, which gets only the privileges the migrations
// grant it (for the audit table: INSERT and SELECT, nothing else).
const (
	OwnerRole = "dinhdanh_owner"
	AppRole   = "dinhdanh_app"
)

// Open connects a pool and checks it with a ping.
func Open(ctx context.Context, dsn string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pg: parse database URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// Outages: what the gateway answers 503 for while the primary changes.
	cfg.ConnConfig.Tracer = &Outages{now: time.Now}
	cfg.AfterRelease = healthy
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pg: open pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pg: connect: %w", err)
	}
	return pool, nil
}

// WithUser returns dsn with its user (and password) replaced.
func WithUser(dsn, user, password string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("pg: parse database URL: %w", err)
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String(), nil
}

// WithDatabase returns dsn pointing at database db.
func WithDatabase(dsn, db string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("pg: parse database URL: %w", err)
	}
	u.Path = "/" + db
	return u.String(), nil
}

// Bootstrap creates (if missing) the owner and app roles and database db
// owned by the owner role, connecting through superDSN, a role allowed to
// create roles and databases. It returns DSNs for the owner and app roles.
// password is set on both roles (needed on servers without trust auth).
func Bootstrap(ctx context.Context, superDSN, db, password string) (ownerDSN, appDSN string, err error) {
	conn, err := pgx.Connect(ctx, superDSN)
	if err != nil {
		return "", "", fmt.Errorf("pg: bootstrap: connect: %w", err)
	}
	defer conn.Close(ctx)
	for _, role := range []string{OwnerRole, AppRole} {
		if err := EnsureRole(ctx, conn, role, password); err != nil {
			return "", "", err
		}
	}
	if err := CreateDatabase(ctx, conn, db, ""); err != nil && !errors.Is(err, errDatabaseExists) {
		return "", "", err
	}
	base, err := WithDatabase(superDSN, db)
	if err != nil {
		return "", "", err
	}
	if ownerDSN, err = WithUser(base, OwnerRole, password); err != nil {
		return "", "", err
	}
	if appDSN, err = WithUser(base, AppRole, password); err != nil {
		return "", "", err
	}
	return ownerDSN, appDSN, nil
}

// Provision bootstraps db (see Bootstrap) and migrates it to sources as the
// owner role: a ready database for test helpers and benchmarks.
func Provision(ctx context.Context, superDSN, db, password string, sources ...Source) (ownerDSN, appDSN string, err error) {
	if ownerDSN, appDSN, err = Bootstrap(ctx, superDSN, db, password); err != nil {
		return "", "", err
	}
	owner, err := Open(ctx, ownerDSN, 2)
	if err != nil {
		return "", "", err
	}
	defer owner.Close()
	if _, err := Migrate(ctx, owner, sources...); err != nil {
		return "", "", err
	}
	return ownerDSN, appDSN, nil
}

// EnsureRole creates a login role unless it exists.
func EnsureRole(ctx context.Context, conn *pgx.Conn, role, password string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("pg: bootstrap: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN"); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42710" { // duplicate_object: a concurrent process won
				return fmt.Errorf("pg: bootstrap: create role %s: %w", role, err)
			}
		}
	}
	if password != "" {
		if _, err := conn.Exec(ctx, "ALTER ROLE "+pgx.Identifier{role}.Sanitize()+" PASSWORD "+quoteLiteral(password)); err != nil {
			return fmt.Errorf("pg: bootstrap: set password of %s: %w", role, err)
		}
	}
	return nil
}

var errDatabaseExists = errors.New("database exists")

// CreateDatabase creates db owned by the owner role, optionally from template.
func CreateDatabase(ctx context.Context, conn *pgx.Conn, db, template string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return fmt.Errorf("pg: create database: %w", err)
	}
	if exists {
		return errDatabaseExists
	}
	q := "CREATE DATABASE " + pgx.Identifier{db}.Sanitize() + " OWNER " + pgx.Identifier{OwnerRole}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("pg: create database %s: %w", db, err)
	}
	return nil
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
