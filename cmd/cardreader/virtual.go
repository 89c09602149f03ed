package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/cardreader/vpcd"
)

// runVirtual puts a software card, loaded from a card folder (`dinhdanh
// dev` writes one per demo citizen under .data/demo-cards), into the
// vsmartcard vpcd reader of a running pcscd, and keeps it there until
// Ctrl-C. Any PC/SC application then sees a chip ID card on the "Virtual
// PCD" reader: `cardreader read --can` and `cardreader enrol` read it as
// they read a real one (PACE with the CAN, the last 6 digits of the ID).
//
//	cardreader virtual --card DIR [--addr localhost:35963]
func runVirtual(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cardreader virtual", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("card", "", "card folder: the chip's files and its active authentication key (e.g. .data/demo-cards/048092000001)")
	addr := fs.String("addr", vpcd.DefaultAddr, "the vpcd driver's reader slot in pcscd (Debian package vsmartcard-vpcd)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *dir == "" {
		return fmt.Errorf("%w: --card DIR is required", errUsage)
	}
	o, err := emulator.LoadCard(*dir)
	if err != nil {
		return err
	}
	card, err := emulator.NewCard(o)
	if err != nil {
		return err
	}
	icc, err := vpcd.Insert(ctx, *addr, card, vpcd.Options{})
	if err != nil {
		return fmt.Errorf("%w (is pcscd running with the vsmartcard-vpcd driver?)", err)
	}
	defer icc.Close()
	fmt.Fprintf(stdout, "card %s is in the virtual reader (vpcd at %s); CAN %s\nread it with: cardreader read --can %s\nCtrl-C takes it out.\n",
		*dir, *addr, o.CAN, o.CAN)
	select {
	case <-ctx.Done():
		return icc.Close()
	case <-icc.Done():
		if err := icc.Err(); err != nil {
			return fmt.Errorf("the reader let go of the card: %w", err)
		}
		return nil
	}
}
