package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
)

func TestConcurrentRecordKeepsOneChain(t *testing.T) {
	e := newEnv(t, time.Now(), audit.Options{CheckpointEvery: 100, CheckpointInterval: time.Hour})
	const workers, each = 64, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				errs <- e.log.Record(t.Context(), signIn(fmt.Sprintf("acc-%d", w), "portal", w*each+i))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	rep := e.requireIntact(t)
	require.Equal(t, int64(workers*each), rep.Events)
	require.Equal(t, workers*each, count(t, e.db.App, "SELECT count(DISTINCT request_id) FROM audit_events"))
	require.Equal(t, workers*each, count(t, e.db.App, "SELECT max(seq) FROM audit_events"))
	st := e.log.Stats()
	require.Equal(t, int64(workers*each), st.Events)
	t.Logf("%d events in %d batches (%.1f per batch), %d checkpoints", st.Events, st.Batches,
		float64(st.Events)/float64(st.Batches), st.Checkpoints)
}

// Two writers on one database (two replicas, each with its own Log) chain
// into one order: a writer whose head moved rereads it and chains again.
func TestTwoReplicasShareTheChain(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	other, err := audit.NewLog(postgres.NewStore(e.db.App, e.clock.Now), e.key, audit.Options{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close(context.Background()) })

	var wg sync.WaitGroup
	for w := range 16 {
		log := e.log
		if w%2 == 1 {
			log = other
		}
		wg.Go(func() {
			for i := range 20 {
				require.NoError(t, log.Record(t.Context(), signIn("acc", "portal", w*100+i)))
			}
		})
	}
	wg.Wait()
	rep := e.requireIntact(t)
	require.Equal(t, int64(320), rep.Events)
	t.Logf("retries after the head moved: %d + %d", e.log.Stats().Retries, other.Stats().Retries)
}

// killWriterWaitingForHead terminates the app backend blocked on the head
// row: the writer's connection, in the middle of its append.
func killWriterWaitingForHead(t *testing.T, e *env) {
	t.Helper()
	super, err := pgx.Connect(t.Context(), e.db.SuperURL)
	require.NoError(t, err)
	defer super.Close(context.Background())
	var pid int
	require.Eventually(t, func() bool {
		err := super.QueryRow(t.Context(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND usename = 'dinhdanh_app' AND wait_event_type = 'Lock'`).Scan(&pid)
		return err == nil
	}, 10*time.Second, 5*time.Millisecond)
	var killed bool
	require.NoError(t, super.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", pid).Scan(&killed))
	require.True(t, killed)
}

// The database connection dies while the batch is in flight: Record fails
// (so the caller fails its action) and no row was committed for it. The
// next Record works on a new connection and the chain stays intact.
func TestRecordFailsWhenTheConnectionDies(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	ctx := t.Context()
	require.NoError(t, e.log.Record(ctx, signIn("acc", "portal", 1)))

	// Hold the head lock so that the writer's append is sent and waiting.
	blocker := e.db.Super(t)
	tx, err := blocker.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "LOCK TABLE audit_seals IN SHARE ROW EXCLUSIVE MODE") // as retention does
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		ev := signIn("acc", "portal", 2)
		ev.RequestID = "in-flight"
		done <- e.log.Record(ctx, ev)
	}()
	killWriterWaitingForHead(t, e)
	err = <-done
	require.Error(t, err, "an action whose audit write died must not be acknowledged")
	require.NotErrorIs(t, err, audit.ErrHeadMoved)
	require.NoError(t, tx.Rollback(ctx))
	require.Zero(t, count(t, e.db.App, "SELECT count(*) FROM audit_events WHERE request_id = 'in-flight'"))

	require.NoError(t, e.log.Record(ctx, signIn("acc", "portal", 3)))
	rep := e.requireIntact(t)
	require.Equal(t, int64(2), rep.Events)
	require.Equal(t, int64(1), e.log.Stats().Failed)
}

// Many requests record while their connections are being killed: whatever
// Record acknowledged is in the table (never success without its row), and
// the chain stays intact.
func TestNoAcknowledgementWithoutRow(t *testing.T) {
	e := newEnv(t, time.Now(), audit.Options{CheckpointEvery: 50, CheckpointInterval: time.Hour})
	super, err := pgx.Connect(t.Context(), e.db.SuperURL)
	require.NoError(t, err)
	defer super.Close(context.Background())

	var (
		wg     sync.WaitGroup
		acked  sync.Map
		failed atomic.Int64
		stop   = make(chan struct{})
	)
	for w := range 32 {
		wg.Go(func() {
			for i := range 30 {
				ev := signIn("acc", "portal", 0)
				ev.RequestID = fmt.Sprintf("w%d-%d", w, i)
				if err := e.log.Record(t.Context(), ev); err != nil {
					failed.Add(1)
					continue
				}
				acked.Store(ev.RequestID, true)
			}
		})
	}
	killed := 0
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		tick := time.NewTicker(3 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var n int
			if err := super.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = current_database() AND usename = 'dinhdanh_app' AND state = 'active'`).Scan(&n); err == nil {
				killed += n
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-killerDone
	// Idle pooled connections the killer terminated fail once when reused
	// (pgxpool only pings connections idle for over a second).
	e.db.App.Reset()

	rows, err := e.db.Owner.Query(t.Context(), "SELECT request_id FROM audit_events")
	require.NoError(t, err)
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	inTable := map[string]bool{}
	for _, id := range stored {
		inTable[id] = true
	}
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		require.True(t, inTable[k.(string)], "%s was acknowledged but is not stored", k)
		return true
	})
	t.Logf("%d acknowledged, %d refused, %d stored, %d backends killed", n, failed.Load(), len(stored), killed)
	require.Equal(t, int64(32*30), int64(n)+failed.Load())
	rep := e.requireIntact(t)
	require.Equal(t, int64(len(stored)), rep.Events)
}

// Events that must stand or fall with a state change are chained inside the
// caller's transaction, in sequence with the Log's events.
func TestRecordTx(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	ctx := t.Context()
	_, err := e.db.Owner.Exec(ctx, "CREATE TABLE lock_probe (account text PRIMARY KEY); GRANT ALL ON lock_probe TO dinhdanh_app")
	require.NoError(t, err)
	locked := audit.Event{Type: audit.AccountLocked, ActorKind: audit.Citizen, ActorID: "acc-9", AccountID: "acc-9", Outcome: audit.Success}

	require.NoError(t, e.log.Record(ctx, signIn("acc-9", "portal", 1)))
	err = pgx.BeginFunc(ctx, e.db.App, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO lock_probe VALUES ('acc-9')"); err != nil {
			return err
		}
		entry, err := e.store.RecordTx(ctx, tx, e.key, locked)
		require.Equal(t, int64(2), entry.Seq)
		return err
	})
	require.NoError(t, err)

	rollback := errors.New("state change failed")
	err = pgx.BeginFunc(ctx, e.db.App, func(tx pgx.Tx) error {
		if _, err := e.store.RecordTx(ctx, tx, e.key, locked); err != nil {
			return err
		}
		return rollback
	})
	require.ErrorIs(t, err, rollback)

	require.NoError(t, e.log.Record(ctx, signIn("acc-9", "portal", 3)), "the Log rereads the head the transaction moved")
	rep := e.requireIntact(t)
	require.Equal(t, int64(3), rep.Events)
	page, err := e.store.History(ctx, "acc-9", audit.Filter{})
	require.NoError(t, err)
	require.Len(t, page.Entries, 3)
	require.Equal(t, audit.AccountLocked, page.Entries[1].Type)
	require.Equal(t, int64(1), e.log.Stats().Retries)
}

func TestRecordValidatesAndCloses(t *testing.T) {
	e := newEnv(t, time.Now(), defaultOpts())
	ctx := t.Context()
	require.ErrorIs(t, e.log.Record(ctx, audit.Event{}), audit.ErrInvalidEvent)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, e.log.Record(cancelled, signIn("a", "b", 1)), context.Canceled)

	// A client-controlled field that PostgreSQL would refuse cannot fail
	// the batch it shares with other requests.
	ev := signIn("acc", "portal", 1)
	ev.UserAgent = "bad\x00\xff"
	ev.UserAgent = "bad\x00" + string([]byte{0, 0xff})
	require.NoError(t, e.log.Record(ctx, ev))

	require.NoError(t, e.log.Close(ctx))
	require.ErrorIs(t, e.log.Record(ctx, signIn("a", "b", 2)), audit.ErrClosed)
	cps, err := e.store.Checkpoints(ctx, 0, 100)
	require.NoError(t, err)
	require.Len(t, cps, 1, "Close seals the head")
	require.Equal(t, int64(1), cps[0].Seq)
	e.requireIntact(t)
}
