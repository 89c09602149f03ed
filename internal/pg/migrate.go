package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Source is one domain's embedded migrations: forward-only *.sql files at the
// root of FS, named <UTC timestamp>_<name>.sql so that files of every domain
// sort into one global order.
type Source struct {
	Domain string
	FS     fs.FS
}

// Migration is one SQL file.
type Migration struct {
	Version string // the timestamp prefix
	Name    string // file name
	Domain  string
	SQL     string
}

// MigrationState is a migration and whether it was applied.
type MigrationState struct {
	Migration
	AppliedAt *time.Time
}

// ErrOutdatedSchema is returned by CheckCurrent when migrations are pending.
var ErrOutdatedSchema = errors.New("database schema is outdated")

// advisoryLockKey serialises migrations across replicas ("dinhdanh" in ASCII).
const advisoryLockKey int64 = 0x64696e6864616e68

// Collect gathers and orders the migrations of every source.
func Collect(sources ...Source) ([]Migration, error) {
	var all []Migration
	seen := map[string]string{}
	for _, src := range sources {
		entries, err := fs.ReadDir(src.FS, ".")
		if err != nil {
			return nil, fmt.Errorf("pg: read migrations of %s: %w", src.Domain, err)
		}
		for _, e := range entries {
			if e.IsDir() || path.Ext(e.Name()) != ".sql" {
				continue
			}
			version, _, ok := strings.Cut(e.Name(), "_")
			if !ok || len(version) != 14 {
				return nil, fmt.Errorf("pg: migration %s/%s: name must be <YYYYMMDDhhmmss>_<name>.sql", src.Domain, e.Name())
			}
			if other, dup := seen[version]; dup {
				return nil, fmt.Errorf("pg: migration version %s used by both %s and %s/%s", version, other, src.Domain, e.Name())
			}
			seen[version] = src.Domain + "/" + e.Name()
			b, err := fs.ReadFile(src.FS, e.Name())
			if err != nil {
				return nil, fmt.Errorf("pg: read migration %s: %w", e.Name(), err)
			}
			all = append(all, Migration{Version: version, Name: e.Name(), Domain: src.Domain, SQL: string(b)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	return all, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    text PRIMARY KEY,
	name       text NOT NULL,
	domain     text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// Migrate applies every pending migration in order, each in its own
// transaction, while holding a session advisory lock so that two replicas
// starting together cannot race. It returns the migrations it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool, sources ...Source) ([]Migration, error) {
	all, err := Collect(sources...)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pg: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", advisoryLockKey); err != nil {
		return nil, fmt.Errorf("pg: migrate: take advisory lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", advisoryLockKey) //nolint:errcheck
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("pg: migrate: %w", err)
	}
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, m := range all {
		if _, ok := applied[m.Version]; ok {
			continue
		}
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, domain) VALUES ($1, $2, $3)", m.Version, m.Name, m.Domain)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("pg: migration %s/%s: %w", m.Domain, m.Name, err)
		}
		done = append(done, m)
	}
	return done, nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[string]time.Time, error) {
	rows, err := conn.Query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("pg: read schema_migrations: %w", err)
	}
	out := map[string]time.Time{}
	for rows.Next() {
		var v string
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		out[v] = at
	}
	return out, rows.Err()
}

// Status lists every known migration with the time it was applied, if it was.
func Status(ctx context.Context, pool *pgxpool.Pool, sources ...Source) ([]MigrationState, error) {
	all, err := Collect(sources...)
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pg: status: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return nil, fmt.Errorf("pg: status: %w", err)
	}
	applied := map[string]time.Time{}
	if exists {
		if applied, err = appliedVersions(ctx, conn.Conn()); err != nil {
			return nil, err
		}
	}
	out := make([]MigrationState, 0, len(all))
	for _, m := range all {
		st := MigrationState{Migration: m}
		if at, ok := applied[m.Version]; ok {
			at := at.UTC()
			st.AppliedAt = &at
		}
		out = append(out, st)
	}
	return out, nil
}

// CheckCurrent fails with ErrOutdatedSchema, naming the first pending
// migration, unless every migration has been applied.
func CheckCurrent(ctx context.Context, pool *pgxpool.Pool, sources ...Source) error {
	states, err := Status(ctx, pool, sources...)
	if err != nil {
		return err
	}
	pending := 0
	first := ""
	for _, s := range states {
		if s.AppliedAt == nil {
			if pending == 0 {
				first = s.Domain + "/" + s.Name
			}
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%w: %d migration(s) pending, first %s; run `dinhdanh migrate up`", ErrOutdatedSchema, pending, first)
	}
	return nil
}
