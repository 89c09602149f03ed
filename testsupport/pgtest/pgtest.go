// Package pgtest gives each test its own real PostgreSQL database.
//
// TEST_DATABASE_URL, when set, names a server and a role allowed to create
// roles and databases. Otherwise one throwaway cluster is started per test
// process from the installed PostgreSQL binaries (as the unprivileged
// "postgres" user when run as root). Either way the schema is migrated once
// into a template database, and every test gets a clone of it, dropped at the
// end. Tests never skip for lack of a database: they fail.
//
// Packages using it call Main from TestMain so the cluster stops cleanly.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
)

// DB is one test's database, reachable as three roles.
type DB struct {
	Name string
	// AppURL connects as the application role, OwnerURL as the schema owner
	// (who runs migrations), SuperURL as the server's superuser.
	AppURL, OwnerURL, SuperURL string
	// App is a pool for the application role: what product code gets.
	App *pgxpool.Pool
	// Owner is a pool for the schema owner role.
	Owner *pgxpool.Pool
}

const rolePassword = "dinhdanh-test"

var (
	once      sync.Once
	setupErr  error
	cluster   *pg.Cluster
	tmpDir    string
	superURL  string
	template  string
	counter   atomic.Int64
	createMu  sync.Mutex
	processID = fmt.Sprintf("%d_%d", os.Getpid(), rand.IntN(1_000_000))
)

// Main runs the tests and then stops the throwaway cluster, if one started.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}

// Shutdown drops the template and stops the cluster started by this process.
func Shutdown() {
	if superURL != "" && template != "" && cluster == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if conn, err := pgx.Connect(ctx, superURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{template}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
		cancel()
	}
	if cluster != nil {
		cluster.Stop()
		cluster = nil
	}
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
		tmpDir = ""
	}
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	superURL = os.Getenv("TEST_DATABASE_URL")
	if superURL == "" {
		dir, err := os.MkdirTemp("", "dinhdanh-pgtest-")
		if err != nil {
			return err
		}
		tmpDir = dir
		c, err := pg.StartCluster(ctx, pg.ClusterOptions{Dir: dir + "/data", Fast: true})
		if err != nil {
			return fmt.Errorf("start throwaway PostgreSQL (set TEST_DATABASE_URL to use a server instead): %w", err)
		}
		cluster = c
		superURL = c.URL(c.Superuser, "postgres")
	}
	template = "dinhdanh_tmpl_" + processID
	_, _, err := pg.Provision(ctx, superURL, template, rolePassword, schema.Sources()...)
	return err
}

// New returns a fresh, migrated database for t, dropped when t ends.
func New(t testing.TB) *DB {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%s_%d", processID, counter.Add(1))

	createMu.Lock()
	conn, err := pgx.Connect(ctx, superURL)
	if err == nil {
		err = pg.CreateDatabase(ctx, conn, name, template)
		conn.Close(ctx)
	}
	createMu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	db := &DB{Name: name}
	db.SuperURL, _ = pg.WithDatabase(superURL, name)
	db.OwnerURL, _ = pg.WithUser(db.SuperURL, pg.OwnerRole, rolePassword)
	db.AppURL, _ = pg.WithUser(db.SuperURL, pg.AppRole, rolePassword)
	if db.App, err = pg.Open(ctx, db.AppURL, 16); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if db.Owner, err = pg.Open(ctx, db.OwnerURL, 4); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		db.App.Close()
		db.Owner.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, superURL)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return db
}

// Super opens a superuser connection to the test's database, closed at the
// end of the test: for tests that must act as an attacker with full rights.
func (db *DB) Super(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), db.SuperURL)
	if err != nil {
		t.Fatalf("pgtest: superuser connection: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
