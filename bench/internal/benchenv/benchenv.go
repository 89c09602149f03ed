// Package benchenv is what the bench commands share: a throwaway
// PostgreSQL cluster provisioned with the gateway's schema, and the
// process's memory from /proc.
package benchenv

import (
	"context"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

// DB is a provisioned throwaway database: Owner runs DDL and ANALYZE, App
// is the gateway's role.
type DB struct {
	Owner, App *pgxpool.Pool
	stop       func()
}

// Close closes the pools, stops the cluster and removes its files.
func (d *DB) Close() { d.stop() }

// Start starts a cluster in a new temporary folder named after prefix
// (fsync on when durable) and provisions database "dinhdanh_bench" with
// every migration; appConns bounds the App pool.
func Start(ctx context.Context, prefix string, durable bool, appConns int) (*DB, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	var undo []func()
	stop := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	undo = append(undo, func() { os.RemoveAll(dir) })
	cluster, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data", Fast: !durable})
	if err != nil {
		stop()
		return nil, err
	}
	undo = append(undo, cluster.Stop)
	ownerURL, appURL, err := pg.Provision(ctx, cluster.URL(cluster.Superuser, "postgres"), "dinhdanh_bench", "bench", schema.Sources()...)
	if err != nil {
		stop()
		return nil, err
	}
	owner, err := pg.Open(ctx, ownerURL, 2)
	if err != nil {
		stop()
		return nil, err
	}
	undo = append(undo, owner.Close)
	app, err := pg.Open(ctx, appURL, int32(appConns))
	if err != nil {
		stop()
		return nil, err
	}
	undo = append(undo, app.Close)
	return &DB{Owner: owner, App: app, stop: stop}, nil
}

// TempBytes is what the current database's queries wrote to temporary
// files since the statistics began.
func TempBytes(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, `SELECT coalesce(temp_bytes, 0) FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
	return n, err
}

// StatusKiB is a "kB" field of /proc/self/status (VmHWM: peak resident
// memory, VmRSS: resident now); 0 when unreadable.
func StatusKiB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// ResetPeak resets VmHWM to the current resident size (Linux's
// clear_refs 5), so that a later StatusKiB("VmHWM") is the peak of what
// ran since; false when the kernel refused.
func ResetPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// MustExec runs sql on pool and ends the benchmark with the statement on
// failure (benchmarks have no one to return an error to).
func MustExec(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) {
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		log.Fatalf("%v\n%s", err, sql)
	}
}

// Check ends the benchmark on err.
func Check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
