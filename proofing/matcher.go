package proofing

import (
	"context"
	"errors"
	"fmt"
)

// References holds the fingerprint templates enrolled when each card was
// made (the card production database's), by personal ID number and
// finger.
type References interface {
	// FingerprintReference returns the template; ErrNotFound when none.
	FingerprintReference(ctx context.Context, personalID string, position int) ([]byte, error)
}

// TemplateMatcher is the built-in Matcher: it parses both templates
// (ISO/IEC 19794-2) and scores the probe's first view against the
// reference's view of the same finger with MatchScore.
type TemplateMatcher struct {
	References References
	// Threshold is the score (0-100) a match needs; 40 when 0.
	Threshold int
	// Tolerance is the distance, in pixels, two aligned minutiae may be
	// apart; 12 when 0.
	Tolerance float64
}

var _ Matcher = TemplateMatcher{}

// Match implements Matcher.
func (t TemplateMatcher) Match(ctx context.Context, personalID string, position int, probe []byte) (Match, error) {
	threshold, tol := t.Threshold, t.Tolerance
	if threshold <= 0 {
		threshold = 40
	}
	if tol <= 0 {
		tol = 12
	}
	p, err := ParseFMR(probe)
	if err != nil {
		return Match{}, err
	}
	ref, err := t.References.FingerprintReference(ctx, personalID, position)
	if errors.Is(err, ErrNotFound) {
		return Match{}, fmt.Errorf("%w: no fingerprint enrolled for this card and finger", ErrNotFound)
	} else if err != nil {
		return Match{}, fmt.Errorf("proofing: fingerprint reference: %w", err)
	}
	r, err := ParseFMR(ref)
	if err != nil {
		return Match{}, fmt.Errorf("proofing: the enrolled template: %w", err)
	}
	pv, rv := view(p, position), view(r, position)
	if pv == nil || rv == nil {
		return Match{}, fmt.Errorf("%w: the template has no view of finger %d", ErrFMR, position)
	}
	return Match{Score: MatchScore(pv.Minutiae, rv.Minutiae, tol), Threshold: threshold}, nil
}

// view returns the view of the finger at position (or the only view when
// the record does not say its finger).
func view(r FMR, position int) *FingerView {
	for i, v := range r.Views {
		if v.Position == position {
			return &r.Views[i]
		}
	}
	if len(r.Views) == 1 && r.Views[0].Position == 0 {
		return &r.Views[0]
	}
	return nil
}
