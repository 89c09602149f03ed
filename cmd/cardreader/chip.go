package main

import (
	"context"
	"errors"
	"fmt"
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
	Portrait  bool // read DG2 too (for --face only; never sent anywhere)
}

// chipRead is one read of the card.
type chipRead struct {
	Card     *cardreader.Card    // checked identity
	Chip     cardreader.ChipData // the files byte for byte, for a verifier
	Portrait []byte              // DG2 as read, only when asked
	Files    []string            // the files read, by name
	At       time.Time
}

// errNoPACE: --can needs PACE, which this build's Reader does not speak.
var errNoPACE = errors.New("--can: PACE is not in this build yet; use --mrz-key (BAC)")

// readChip reads the card.
//
// SEAM(ReadChip): this is where (*cardreader.Reader).ReadChip slots in,
// replacing the body below with one call: PACE with req.CAN, INTERNAL
// AUTHENTICATE over req.Challenge when DG15 is listed, EF.SOD, DG14/DG15
// and DG2 when req.Portrait. Until then it is cardreader.Reader.Read
// spelled out with Reader.Open and Session.ReadFile (the same parsers and
// the same checks: NewCard, and DG1 repeating the access key), because
// Read returns no file bytes and a verifier needs them; EF.SOD, DG14 and
// DG15 are read when the card has them, but nothing here verifies them.
func readChip(ctx context.Context, t cardreader.Transport, req chipRequest) (*chipRead, error) {
	if req.CAN != "" {
		return nil, errNoPACE
	}
	s, err := (&cardreader.Reader{}).Open(ctx, t, req.Key)
	if err != nil {
		return nil, err
	}
	out := &chipRead{Chip: cardreader.ChipData{AccessControl: "BAC", DataGroups: map[int][]byte{}}, At: time.Now().UTC()}
	read := func(name string, fid uint16) ([]byte, error) {
		b, err := s.ReadFile(ctx, name, fid)
		if err == nil {
			out.Files = append(out.Files, name)
		}
		return b, err
	}
	comRaw, err := read("EF.COM", cardreader.FIDCOM)
	if err != nil {
		return nil, err
	}
	com, err := cardreader.ParseCOM(comRaw)
	if err != nil {
		return nil, err
	}
	dg1, err := read("EF.DG1", cardreader.FIDDG1)
	if err != nil {
		return nil, err
	}
	mrz, err := cardreader.ParseDG1(dg1)
	if err != nil {
		return nil, err
	}
	if !sameKey(mrz.Key(), req.Key) {
		return nil, fmt.Errorf("%w: DG1 does not repeat the access key", cardreader.ErrMismatch)
	}
	out.Chip.DataGroups[1] = dg1
	var dg13 *cardreader.DG13
	if com.Has(13) {
		raw, err := read("EF.DG13", cardreader.FIDDG13)
		if err != nil {
			return nil, err
		}
		d, err := cardreader.ParseDG13(raw)
		if err != nil {
			return nil, err
		}
		dg13 = &d
		out.Chip.DataGroups[13] = raw
	}
	if out.Card, err = cardreader.NewCard(com, mrz, dg13); err != nil {
		return nil, err
	}
	for _, dg := range []struct {
		n    int
		name string
		fid  uint16
	}{{14, "EF.DG14", cardreader.FIDDG14}, {15, "EF.DG15", cardreader.FIDDG15}} {
		if !com.Has(dg.n) {
			continue
		}
		b, err := read(dg.name, dg.fid)
		if err != nil {
			return nil, err
		}
		out.Chip.DataGroups[dg.n] = b
	}
	if req.Portrait {
		if !com.Has(2) {
			return nil, errors.New("--face: the card lists no portrait (DG2)")
		}
		if out.Portrait, err = read("EF.DG2", cardreader.FIDDG2); err != nil {
			return nil, err
		}
	}
	// EF.SOD last: it is not listed in EF.COM, and a card without one
	// answers 6A82, which on many chips ends secure messaging.
	sod, err := read("EF.SOD", cardreader.FIDSOD)
	switch {
	case err == nil:
		out.Chip.SOD = sod
	case !errors.Is(err, cardreader.ErrFileNotFound):
		return nil, err
	}
	return out, nil
}

// sameKey compares two access keys in their MRZ form (the document number
// padded with '<'), as the chip does.
func sameKey(a, b cardreader.Key) bool {
	x, err1 := a.MRZInformation()
	y, err2 := b.MRZInformation()
	return err1 == nil && err2 == nil && x == y
}
