package gateway

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/population"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// settled waits until no more goroutines run than at most: a pool's
// connection set-up ends on its own, a loop does not. It polls in this
// goroutine (require.Eventually would add its own to the count).
func settled(t *testing.T, most int, msg string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > most {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%s: %d goroutines, %d before:\n%s", msg, runtime.NumGoroutine(), most, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The operations set of operator commands builds the services a command
// uses and nothing of the serving product: no pages, sessions, metrics or
// HTTP handler, and no goroutine (key refresh, back-channel logout delivery
// and maintenance belong to serving replicas). Not parallel: it counts the
// process's goroutines.
func TestOpsStartsNoGoroutineAndBuildsNoHandler(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	cfg := config.Default()
	cfg.DevMode = true
	for _, k := range []*[]byte{&cfg.Secrets.EncryptionKey, &cfg.Secrets.PairwiseKey, &cfg.Secrets.SecretPepper, &cfg.Secrets.SessionKey} {
		*k = make([]byte, 32)
		_, _ = rand.Read(*k)
	}
	rec := &audittest.Spy{}
	o := Options{Config: cfg, Pool: db.App, Logger: slog.New(slog.DiscardHandler), Audit: rec}
	require.NoError(t, db.App.Ping(ctx))
	before := runtime.NumGoroutine()

	ops, err := NewOps(o)
	require.NoError(t, err)
	require.Nil(t, ops.accounts, "NewOps builds nothing until asked")
	require.Nil(t, ops.keys)

	acc, err := ops.Accounts()
	require.NoError(t, err)
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: acc, Audit: rec}, population.DemoOptions{Generated: -1}))
	clients, err := ops.Clients()
	require.NoError(t, err)
	_, err = clients.List(ctx)
	require.NoError(t, err)
	require.Nil(t, ops.keys, "listing clients needs no signing keys")
	keys, err := ops.Keys(ctx)
	require.NoError(t, err)
	stored, _, err := ops.OIDCStore().ListKeys(ctx)
	require.NoError(t, err)
	require.Len(t, stored, 2, "the first keys are created, as on a gateway's first start")
	require.Contains(t, string(keys.JWKS()), stored[0].KID)

	// The lock runs the serving gateway's code: the account is locked and
	// the lock recorded.
	a, err := ops.LockAccount(ctx, population.DemoLevel2ID, "lost phone", accounts.Actor{Kind: audit.Operator, ID: "alice"})
	require.NoError(t, err)
	require.Equal(t, accounts.Locked, a.Status)
	require.Len(t, rec.Of(audit.AccountLocked), 1)
	a, err = ops.UnlockAccount(ctx, population.DemoLevel2ID, accounts.Actor{Kind: audit.Operator, ID: "alice"})
	require.NoError(t, err)
	require.Equal(t, accounts.Active, a.Status)

	settled(t, before, "after building and using the operations set")

	// Nothing of the serving product: no field of Ops can hold pages,
	// sessions, metrics, a handler or a whole Gateway.
	handler := reflect.TypeFor[http.Handler]()
	serving := []reflect.Type{reflect.TypeFor[*templates.Set](), reflect.TypeFor[*scs.SessionManager](), reflect.TypeFor[*prometheus.Registry](), reflect.TypeFor[*Gateway]()}
	ot := reflect.TypeFor[Ops]()
	for i := range ot.NumField() {
		f := ot.Field(i)
		require.False(t, f.Type.Implements(handler) || f.Type.Kind() == reflect.Interface && handler.Implements(f.Type), "Ops.%s can hold a handler", f.Name)
		require.NotContains(t, serving, f.Type, "Ops.%s is part of the serving product", f.Name)
	}

	// The measure can fail: the serving gateway's loops are counted. (Not
	// all of them end with Close: scs.New's memory store and fosite's
	// ristretto cache keep theirs, so the count is not compared after it.)
	srv, err := New(ctx, o)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	require.Greater(t, runtime.NumGoroutine(), before, "the serving gateway runs its loops")
}
