package gateway

import (
	"context"
	"crypto/ed25519"
	"io"
	"net/url"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	staffweb "github.com/dinhdanh/dinhdanh/staff/web"
)

// Bounds of the operators' audit page: it never reads the whole trail,
// which holds billions of events (`dinhdanh audit verify` does).
const (
	// consoleVerifyEvents are the newest events the page verifies (from
	// the checkpoint before them: at most audit.Options.CheckpointEvery
	// more).
	consoleVerifyEvents = 10000
	// consoleExportEvents are the newest events whose checkpoints the
	// page exports.
	consoleExportEvents = 1_000_000
)

// auditConsole adapts the audit trail to the operators' page
// (staffweb.AuditTrail): the store the writer appends to, the audit key's
// public half, the writer's counts and the configured witness.
type auditConsole struct {
	store   *auditpg.Store
	keys    audit.KeySet
	writer  audit.Recorder // the writer itself: its Stats, when it has them
	witness config.AuditWitness
}

var _ staffweb.AuditTrail = auditConsole{}

// newAuditConsole verifies with the writer's keys (its own and the
// retired ones), or without such a writer with the configured audit key;
// nil (no page) with neither.
func newAuditConsole(o Options, writer audit.Recorder) staffweb.AuditTrail {
	c := auditConsole{store: auditpg.NewStore(o.Pool, nil), writer: writer, witness: o.Config.Audit.Witness}
	if w, ok := writer.(interface{ Keys() audit.KeySet }); ok {
		c.keys = w.Keys()
		return c
	}
	seed := o.Config.Secrets.AuditKey
	if len(seed) != ed25519.SeedSize {
		return nil
	}
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return nil
	}
	c.keys = audit.NewKeySet(key.Public())
	return c
}

// Overview implements staffweb.AuditTrail.
func (c auditConsole) Overview(ctx context.Context) (staffweb.AuditOverview, error) {
	t, err := audit.ReadStatus(ctx, c.store)
	if err != nil {
		return staffweb.AuditOverview{}, err
	}
	o := staffweb.AuditOverview{Trail: t}
	if c.witness.File != "" {
		o.Witnesses = append(o.Witnesses, "file "+c.witness.File)
	}
	if c.witness.URL != "" {
		// The host alone: a witness URL may carry a token.
		if u, err := url.Parse(c.witness.URL); err == nil {
			o.Witnesses = append(o.Witnesses, u.Scheme+"://"+u.Host)
		}
	}
	if s, ok := c.writer.(auditStats); ok {
		st := s.Stats()
		o.Published, o.Unpublished, o.Alarm = st.Published, st.Unpublished, st.Alarm
	}
	return o, nil
}

// VerifyRecent implements staffweb.AuditTrail.
func (c auditConsole) VerifyRecent(ctx context.Context) (audit.Report, error) {
	return audit.VerifyRecent(ctx, c.store, c.keys, consoleVerifyEvents)
}

// WriteCheckpoints implements staffweb.AuditTrail.
func (c auditConsole) WriteCheckpoints(ctx context.Context, w io.Writer) error {
	h, err := c.store.Head(ctx)
	if err != nil {
		return err
	}
	cps, err := c.store.ExportCheckpoints(ctx, max(0, h.End.Seq-consoleExportEvents), 0)
	if err != nil {
		return err
	}
	return audit.WriteCheckpoints(w, cps)
}
