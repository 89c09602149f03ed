package gateway

import (
	"context"
	"iter"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/oidc"
	consoleweb "github.com/dinhdanh/dinhdanh/oidc/console/web"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	staffweb "github.com/dinhdanh/dinhdanh/staff/web"
	"github.com/dinhdanh/dinhdanh/templates"
)

// auditRange is the audit log read by sequence number for the relying
// parties' usage roll-up (oidc.AuditRange): the head, and bounded ranges
// through the primary key. On the primary, whose writers commit in
// sequence order, so that the cursor never passes an entry still to come.
type auditRange struct{ store *auditpg.Store }

func (a auditRange) HeadSeq(ctx context.Context) (int64, error) {
	h, err := a.store.Head(ctx)
	return h.End.Seq, err
}

func (a auditRange) Entries(ctx context.Context, from, to int64) iter.Seq2[audit.Entry, error] {
	return a.store.Entries(ctx, from, to)
}

// newClientUsage is the relying parties' usage roll-up.
func newClientUsage(o Options, pool *pgxpool.Pool, store *oidcpg.Store) *oidc.Usage {
	return &oidc.Usage{Store: store, Audit: auditRange{auditpg.NewStore(pool, nil)}, Now: o.Now}
}

// clientPages are the operators' relying-party pages of the staff console.
func clientPages(g *Gateway, tmpl *templates.Set, csrf *httpx.CSRF, logger *slog.Logger) *consoleweb.Handler {
	return &consoleweb.Handler{
		Clients: g.Clients, Usage: g.ClientUsage, Templates: tmpl, CSRF: csrf, Logger: logger,
		Principal: staffweb.Principal, Require: staffweb.Require,
	}
}

// rollUpClientUsage keeps the usage roll-up near the audit log's head: a
// run a minute, each reading what was added since (ranges of
// oidc.DefaultUsageBatch entries), then dropping the days past
// oidc.UsageKeptDays.
func (g *Gateway) rollUpClientUsage(ctx context.Context, logger *slog.Logger) {
	every(ctx, time.Minute, func(ctx context.Context) {
		_, err := g.ClientUsage.CatchUp(ctx, 0)
		if err == nil {
			_, err = g.ClientUsage.Prune(ctx)
		}
		if err != nil && ctx.Err() == nil && logger != nil {
			logger.WarnContext(ctx, "client usage roll-up", "error", err)
		}
	})
}
