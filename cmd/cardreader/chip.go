package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader"
)

// chipRequest says how to open the card and what to read.
type chipRequest struct {
	Key cardreader.Key // BAC key (from --mrz-key)
	CAN string         // PACE password (from --can)
	// Challenge is the verifier's 8 bytes for the chip's authentication;
	// nil for a local read.
	Challenge []byte
	Portrait  bool // read DG2 too (for --face)
	// PassportPortrait reads DG2 when the card is a passport (for the
	// gateway, which shows it to the officer).
	PassportPortrait bool
}

// chipRead is one read of the card.
type chipRead struct {
	Card     *cardreader.Card     // checked identity (an ID card)
	Passport *cardreader.Passport // a passport's identity (Card is nil then)
	Chip     cardreader.ChipData  // the files byte for byte, for a verifier
	Portrait []byte               // DG2 as read, only when asked
	Files    []string             // the files read, by name
	At       time.Time
}

// readChip reads the card with cardreader.Reader.ReadChip: PACE with
// req.CAN (or the MRZ key) when EF.CardAccess offers it, BAC otherwise;
// EF.COM, DG1, DG13, DG14 and DG15 as listed, INTERNAL AUTHENTICATE over
// req.Challenge when the card has DG15, DG2 only when req.Portrait, and
// EF.SOD; DG3 never.
func readChip(ctx context.Context, t cardreader.Transport, req chipRequest) (*chipRead, error) {
	r, err := (&cardreader.Reader{}).ReadChip(ctx, t, cardreader.Request{Key: req.Key, CAN: req.CAN,
		Challenge: req.Challenge, Portrait: req.Portrait, PassportPortrait: req.PassportPortrait})
	if err != nil {
		return nil, err
	}
	if req.Portrait && len(r.Portrait) == 0 {
		return nil, errors.New("--face: the card lists no portrait (DG2)")
	}
	out := &chipRead{Card: r.Card, Passport: r.Passport, Chip: r.Chip, Portrait: r.Portrait, At: time.Now().UTC()}
	if len(r.Chip.CardAccess) > 0 {
		out.Files = append(out.Files, "EF.CardAccess")
	}
	out.Files = append(out.Files, "EF.COM")
	for _, n := range slices.Sorted(maps.Keys(r.Chip.DataGroups)) {
		out.Files = append(out.Files, fmt.Sprintf("EF.DG%d", n))
	}
	if len(r.Portrait) > 0 {
		out.Files = append(out.Files, "EF.DG2")
	}
	if len(r.Chip.SOD) > 0 {
		out.Files = append(out.Files, "EF.SOD")
	}
	return out, nil
}
