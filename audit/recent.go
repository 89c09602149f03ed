package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// HeadSource reads the stored head (audit/postgres.Store does).
type HeadSource interface {
	Head(ctx context.Context) (StoredHead, error)
}

// TrailStatus is the audit trail as operators see it at a glance: the
// stored head (newest event and its seal) and the newest checkpoint. Read
// with two indexed lookups, whatever the trail's size.
type TrailStatus struct {
	Head StoredHead
	// Checkpoint is the newest checkpoint of any kind; nil when none
	// is stored.
	Checkpoint *Checkpoint
}

// ReadStatus reads the head and the newest checkpoint.
func ReadStatus(ctx context.Context, src interface {
	HeadSource
	LastCheckpoint(ctx context.Context, kind CheckpointKind, atOrBefore int64) (Checkpoint, error)
}) (TrailStatus, error) {
	h, err := src.Head(ctx)
	if err != nil {
		return TrailStatus{}, fmt.Errorf("audit: status: %w", err)
	}
	st := TrailStatus{Head: h}
	cp, err := src.LastCheckpoint(ctx, "", math.MaxInt64)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return TrailStatus{}, fmt.Errorf("audit: status: %w", err)
	default:
		st.Checkpoint = &cp
	}
	return st, nil
}

// VerifyRecent verifies the newest n events and the seal of the head
// (CheckHead):
// recomputation starts at the signed checkpoint before them (Verify), so
// it reads at most n plus Options.CheckpointEvery events however long the
// trail is. It is the bounded check an operator's page may run; the whole
// trail is verified by `dinhdanh audit verify`.
func VerifyRecent(ctx context.Context, src interface {
	ChainSource
	HeadSource
}, keys KeySet, n int64) (Report, error) {
	h, err := src.Head(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("audit: verify recent: %w", err)
	}
	from := max(1, h.End.Seq-n+1)
	rep, err := Verify(ctx, src, VerifyOptions{Keys: keys, From: from, To: h.End.Seq})
	if err != nil {
		return rep, err
	}
	// The head read before the range: a range is verified without the
	// seal (writers go on appending), so the seal of that head is checked
	// here, against the keys and the stored newest event.
	if err := CheckHead(h, keys, Head{}); err != nil {
		rep.add(&Problem{Kind: Unsealed, Seq: h.End.Seq, Message: err.Error()})
	} else if h.Sealed {
		rep.Sealed = &h.Seal
	}
	return rep, nil
}
