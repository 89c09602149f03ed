package web

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/templates"
)

// The operators' page of the audit trail (issue 17 item 1): its head and
// seal, the newest checkpoint, the witness, a bounded verification of the
// newest events, and the checkpoints' export.
const (
	PathAudit            = "/staff/audit"
	PathAuditVerify      = PathAudit + "/verify"
	PathAuditCheckpoints = PathAudit + "/checkpoints.jsonl"
)

// AuditOverview is what the audit page shows besides a verification.
type AuditOverview struct {
	Trail audit.TrailStatus
	// Witnesses name where checkpoints go outside the database ("file
	// /path", "https://host"); none when empty.
	Witnesses []string
	// Published and Unpublished count this replica's checkpoints the
	// witnesses accepted and did not get since it started; Alarm is the
	// writer's head alarm ("" when none).
	Published, Unpublished int64
	Alarm                  string
}

// AuditTrail is the audit trail as the operators' page reads it: the
// same domain paths as `dinhdanh audit verify` (bounded to the newest
// events here) and `dinhdanh audit export-checkpoints`.
type AuditTrail interface {
	Overview(ctx context.Context) (AuditOverview, error)
	// VerifyRecent verifies the newest events and the head's seal
	// (audit.VerifyRecent).
	VerifyRecent(ctx context.Context) (audit.Report, error)
	// WriteCheckpoints writes the checkpoints of the newest events as JSON
	// lines (audit.WriteCheckpoints).
	WriteCheckpoints(ctx context.Context, w io.Writer) error
}

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, rep *audit.Report) {
	o, err := h.Audit.Overview(r.Context())
	if err != nil {
		h.serverError(w, r, "read audit trail", err)
		return
	}
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	t := o.Trail
	page := templates.StaffAuditPage{StaffBase: h.Base(r), Alarm: o.Alarm != "", Witnesses: o.Witnesses,
		Published: o.Published, Unpublished: o.Unpublished, ExportURL: PathAuditCheckpoints,
		HeadSeq: t.Head.End.Seq, Sealed: t.Head.Sealed}
	if t.Head.End.Seq > 0 {
		page.HeadAt, page.HeadAtISO = webpage.Second(t.Head.End.LoggedAt), iso(t.Head.End.LoggedAt)
	}
	if t.Head.Sealed {
		page.SealSeq, page.SealAt, page.SealAtISO = t.Head.Seal.Seq, webpage.Second(t.Head.Seal.SealedAt), iso(t.Head.Seal.SealedAt)
	}
	if c := t.Checkpoint; c != nil {
		page.Checkpoint = &templates.StaffAuditCheckpoint{Seq: c.Seq, Kind: string(c.Kind), KeyID: c.KeyID,
			SignedAt: webpage.Second(c.SignedAt), SignedAtISO: iso(c.SignedAt)}
	}
	if rep != nil {
		v := templates.StaffAuditVerify{OK: rep.OK(), From: rep.From, To: rep.To, Events: rep.Events, Checkpoints: rep.Checkpoints,
			StartedFrom: rep.StartedFrom, Sealed: rep.Sealed != nil}
		for _, p := range rep.Problems {
			v.Problems = append(v.Problems, templates.StaffAuditProblem{Seq: p.Seq, Kind: string(p.Kind), Message: p.Message})
		}
		page.Verify = &v
	}
	h.render(r, h.Templates.StaffAudit(w, http.StatusOK, page))
}

func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request) { h.auditPage(w, r, nil) }

// verifyAudit verifies the newest events and shows the result.
func (h *Handler) verifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := h.Audit.VerifyRecent(r.Context())
	if err != nil {
		h.serverError(w, r, "verify audit trail", err)
		return
	}
	h.auditPage(w, r, &rep)
}

// auditCheckpoints downloads the checkpoints of the newest events.
func (h *Handler) auditCheckpoints(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-checkpoints.jsonl"`)
	if err := h.Audit.WriteCheckpoints(r.Context(), w); err != nil {
		h.serverError(w, r, "export audit checkpoints", err)
	}
}
