package pg

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Unavailable reports whether err says the database cannot serve now but
// may shortly: the primary went away (connection refused, reset or closed,
// administrator or crash shutdown), the server reached is a standby
// (read-only transaction, SQLSTATE 25006) or still starting, or no
// connection could be made. A client that ended its own request (context
// canceled) is not an outage.
//
// These are the errors seen while a Patroni cluster fails over; callers
// answer them with 503 and Retry-After instead of 500.
func Unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "25006", // read_only_sql_transaction: a standby, or a demoted primary
			"57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up, or recovering
			"53300": // too_many_connections: a promoted node taking every client at once
			return true
		}
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" // connection_exception
	}
	var connectErr *pgconn.ConnectError
	switch {
	case errors.As(err, &connectErr),
		pgconn.SafeToRetry(err), // nothing was sent: the connection was closed already
		pgconn.Timeout(err),     // the deadline passed waiting for the server
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// Outages is what a pool opened by Open saw of database outages: the last
// time one of its queries, batches, copies, acquisitions or connections
// failed with an Unavailable error. It is the pool's pgx tracer.
type Outages struct {
	last atomic.Int64 // unix nanoseconds; 0: never
	now  func() time.Time
}

// Since reports whether an outage was seen within d before now.
func (o *Outages) Since(d time.Duration) bool {
	if o == nil {
		return false
	}
	last := o.last.Load()
	return last != 0 && o.now().Sub(time.Unix(0, last)) <= d
}

// Last returns when the last outage was seen (the zero time: never).
func (o *Outages) Last() time.Time {
	if last := o.last.Load(); last != 0 {
		return time.Unix(0, last)
	}
	return time.Time{}
}

func (o *Outages) saw(ctx context.Context, conn *pgx.Conn, err error) {
	if err == nil || ctx.Err() == context.Canceled {
		return
	}
	// A connection that closed under the statement was lost, whatever
	// error text came with it.
	lost := conn != nil && conn.IsClosed()
	if !lost && !Unavailable(err) {
		return
	}
	o.last.Store(o.now().UnixNano())
	if conn != nil {
		// Never pooled again (Open's AfterRelease): through PgBouncer the
		// client connection outlives the server behind it, and a node that
		// came back as a standby would refuse every write on it.
		conn.PgConn().CustomData()[outageMark] = true
	}
	if m, ok := ctx.Value(outageKey{}).(*atomic.Bool); ok {
		m.Store(true)
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (o *Outages) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (o *Outages) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	o.saw(ctx, conn, data.Err)
}

// TraceBatchStart implements pgx.BatchTracer.
func (o *Outages) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (o *Outages) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	o.saw(ctx, conn, data.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (o *Outages) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	o.saw(ctx, conn, data.Err)
}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (o *Outages) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (o *Outages) TraceCopyFromEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromEndData) {
	o.saw(ctx, conn, data.Err)
}

// TraceConnectStart implements pgx.ConnectTracer.
func (o *Outages) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	return ctx
}

// TraceConnectEnd implements pgx.ConnectTracer.
func (o *Outages) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	o.saw(ctx, nil, data.Err)
}

// TraceAcquireStart implements pgxpool.AcquireTracer.
func (o *Outages) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return ctx
}

// TraceAcquireEnd implements pgxpool.AcquireTracer.
func (o *Outages) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, data pgxpool.TraceAcquireEndData) {
	o.saw(ctx, nil, data.Err)
}

var (
	_ pgx.QueryTracer       = (*Outages)(nil)
	_ pgx.BatchTracer       = (*Outages)(nil)
	_ pgx.CopyFromTracer    = (*Outages)(nil)
	_ pgx.ConnectTracer     = (*Outages)(nil)
	_ pgxpool.AcquireTracer = (*Outages)(nil)
)

// OutagesOf returns what pool (opened by Open) saw of outages; nil for a
// pool opened otherwise.
func OutagesOf(pool *pgxpool.Pool) *Outages {
	if pool == nil {
		return nil
	}
	o, _ := pool.Config().ConnConfig.Tracer.(*Outages)
	return o
}

type outageKey struct{}

// outageMark marks a connection that saw an outage (pgconn.CustomData).
const outageMark = "dinhdanh.pg.outage"

// healthy reports whether a released connection may return to the pool:
// not after an outage, so that the next one is made anew and lands on the
// primary (target_session_attrs) again.
func healthy(c *pgx.Conn) bool {
	return c.PgConn().CustomData()[outageMark] != true
}

// WatchOutage returns a context that records whether a statement run with
// it (on a pool opened by Open) failed because the database was
// unavailable, and the function that tells.
func WatchOutage(ctx context.Context) (context.Context, func() bool) {
	m := new(atomic.Bool)
	return context.WithValue(ctx, outageKey{}, m), m.Load
}
