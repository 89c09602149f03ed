package accounts

import (
	"context"
	"time"
)

// firstSignIn records rec's first completed sign-in at now, once: when rec
// has one already nothing is written, so a sign-in costs no extra write
// after the first. A failure is logged, not returned: the citizen is
// signed in, and the figures count them as issued from their next sign-in.
func (s *Service) firstSignIn(ctx context.Context, rec *Record, now time.Time) {
	if rec.FirstSignInAt != nil {
		return
	}
	if err := s.store.MarkFirstSignIn(ctx, rec.ID, now); err != nil {
		s.logger.WarnContext(ctx, "record first sign-in", "account_id", rec.ID, "error", err)
		return
	}
	rec.FirstSignInAt = &now
}
