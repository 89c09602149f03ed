package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
)

const accountUsage = `usage: dinhdanh account lock|unlock|show PERSONAL_ID [flags]

  account lock PERSONAL_ID -reason TEXT   lock the account and end everything it holds:
                                          tokens, consents' sessions (back-channel logout)
                                          and browser sign-ins
  account unlock PERSONAL_ID              return a locked account to use
  account show PERSONAL_ID [-json]        status, level and lock reason

Locks and unlocks are recorded in the citizen's history with -actor (default $USER).`

// cmdAccount locks and unlocks citizens' accounts on an operator's
// authority (e.g. a reported lost phone).
func cmdAccount(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(accountUsage)
	}
	sub := args[0]
	if sub != "lock" && sub != "unlock" && sub != "show" {
		return fmt.Errorf("unknown account command %q\n%s", sub, accountUsage)
	}
	pid, rest := leadingArg(args[1:])
	fs := flag.NewFlagSet("account "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	var reason string
	if sub == "lock" {
		fs.StringVar(&reason, "reason", "", `why, recorded and shown to the citizen, e.g. "lost phone" (required)`)
	}
	cfg, pos, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	if pid, err = oneID(pid, pos, true, "PERSONAL_ID", "account "+sub); err != nil {
		return err
	}
	if reason = strings.TrimSpace(reason); sub == "lock" && reason == "" {
		return errors.New(`account lock: -reason is required, e.g. -reason "lost phone"`)
	}
	actor, err := tf.needActor(sub != "show")
	if err != nil {
		return err
	}
	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()

	by := accounts.Actor{Kind: audit.Operator, ID: actor}
	var a accounts.Account
	var msg string
	switch sub {
	case "lock":
		a, err = ops.LockAccount(ctx, pid, reason, by)
		msg = "locked the account of " + pid + ": its tokens are revoked, relying parties told to sign it out, browser sign-ins ended"
	case "unlock":
		a, err = ops.UnlockAccount(ctx, pid, by)
		msg = "unlocked the account of " + pid
	default:
		var acc *accounts.Service
		if acc, err = ops.Accounts(); err == nil {
			a, err = acc.ByPersonalID(ctx, pid)
		}
	}
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		return fmt.Errorf("account %s: no account for personal id %q", sub, pid)
	case errors.Is(err, accounts.ErrInvalid):
		return fmt.Errorf("account %s %s: %w", sub, pid, err)
	case err != nil && a.ID != "":
		// Locked, but ending what it holds failed part-way.
		return fmt.Errorf("account %s %s: the account is locked, but: %w", sub, pid, err)
	case err != nil:
		return fmt.Errorf("account %s %s: %w", sub, pid, err)
	}
	if *tf.json {
		return writeJSON(stdout, accountJSON(a))
	}
	if msg != "" {
		fmt.Fprintln(stdout, msg)
	}
	printAccount(stdout, a)
	return nil
}

type accountView struct {
	PersonalID  string     `json:"personal_id"`
	Status      string     `json:"status"`
	Level       int        `json:"level"`
	LockReason  string     `json:"lock_reason,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatedAt *time.Time `json:"activated_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

func accountJSON(a accounts.Account) accountView {
	return accountView{
		PersonalID: a.PersonalID, Status: string(a.Status), Level: int(a.Level), LockReason: a.LockReason,
		CreatedAt: a.CreatedAt.UTC(), ActivatedAt: a.ActivatedAt, UpdatedAt: a.UpdatedAt.UTC(),
	}
}

func printAccount(w io.Writer, a accounts.Account) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "personal_id:\t%s\n", a.PersonalID)
	fmt.Fprintf(tw, "status:\t%s\n", a.Status)
	if a.LockReason != "" {
		fmt.Fprintf(tw, "lock_reason:\t%s\n", a.LockReason)
	}
	fmt.Fprintf(tw, "level:\t%d\n", int(a.Level))
	fmt.Fprintf(tw, "updated_at:\t%s\n", a.UpdatedAt.UTC().Format(time.RFC3339))
	_ = tw.Flush()
}
