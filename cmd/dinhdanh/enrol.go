package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
)

const enrolUsage = `usage: dinhdanh enrol level1|level2 PERSONAL_ID -actor OFFICER [-json]

  enrol level1 PERSONAL_ID   an officer checked the chip ID card and took the portrait:
                             a level 0 account (registered on the web) becomes level 1
                             and can then be activated
  enrol level2 PERSONAL_ID   an officer checked the chip card, took the portrait and
                             fingerprints and recorded the holder's consent: level 1
                             becomes level 2

The counter application stores the biometrics (package biometrics); this records the
level and, in the citizen's history, the officer named by -actor (default $USER).`

// cmdEnrol raises an account's assurance level on an officer's authority.
func cmdEnrol(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "level1" && args[0] != "level2") {
		return errors.New(enrolUsage)
	}
	sub := args[0]
	pid, rest := leadingArg(args[1:])
	fs := flag.NewFlagSet("enrol "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	cfg, pos, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	if pid, err = oneID(pid, pos, true, "PERSONAL_ID", "enrol "+sub); err != nil {
		return err
	}
	officer, err := tf.needActor(true)
	if err != nil {
		return err
	}
	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()
	acc, err := ops.Accounts()
	if err != nil {
		return err
	}

	a, err := acc.ByPersonalID(ctx, pid)
	if errors.Is(err, accounts.ErrNotFound) {
		return fmt.Errorf("enrol %s: no account for personal id %q", sub, pid)
	}
	if err != nil {
		return fmt.Errorf("enrol %s: %w", sub, err)
	}
	by := accounts.Actor{Kind: audit.Officer, ID: officer}
	if sub == "level1" {
		a, err = acc.EnrolLevel1(ctx, a.ID, by)
	} else {
		a, err = acc.EnrolLevel2(ctx, a.ID, by)
	}
	if err != nil {
		return fmt.Errorf("enrol %s %s: %w", sub, pid, err)
	}
	if *tf.json {
		return writeJSON(stdout, accountJSON(a))
	}
	fmt.Fprintf(stdout, "enrolled %s at level %d\n", pid, int(a.Level))
	printAccount(stdout, a)
	return nil
}
