package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const keysUsage = `usage: dinhdanh keys rotate|list [flags]

  keys rotate   add a new ES256 and RS256 signing key: published in the JWKS at once,
                signing after keys.activation_delay (the old keys sign until then)
  keys list     every stored signing key and its state [-json]`

// keyInfo is a signing key's public metadata.
// keyInfo is one key as `keys list` and `keys rotate` print it.
type keyInfo = oidc.KeyState

// cmdKeys rotates and lists the ID token signing keys.
func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(keysUsage)
	}
	sub := args[0]
	if sub != "rotate" && sub != "list" {
		return fmt.Errorf("unknown keys command %q\n%s", sub, keysUsage)
	}
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	cfg, rest, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("keys %s: unexpected arguments %q", sub, rest)
	}
	actor, err := tf.needActor(sub == "rotate")
	if err != nil {
		return err
	}
	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()
	// Loading the keys creates the first ones in an empty database, as a
	// gateway's first start does.
	keys, err := ops.Keys(ctx)
	if err != nil {
		return err
	}

	if sub == "list" {
		states, err := keys.States(ctx)
		if err != nil {
			return err
		}
		if *tf.json {
			return writeJSON(stdout, states)
		}
		printKeys(stdout, states)
		return nil
	}

	// The domain path the operators' console takes too: rotate, then
	// record the rotation.
	added, err := keys.RotateBy(ctx, actor)
	if err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	if *tf.json {
		return writeJSON(stdout, added)
	}
	fmt.Fprintln(stdout, "added signing keys; they are in the JWKS now:")
	for _, k := range added {
		fmt.Fprintf(stdout, "  %s  %s  signs from %s (in %s)\n", k.KID, k.Alg,
			k.SignFrom.Format(time.RFC3339), time.Until(k.SignFrom).Round(time.Minute))
	}
	fmt.Fprintln(stdout, "The keys they replace sign until then and stay in the JWKS until no token they signed can still be valid.")
	fmt.Fprintln(stdout, "Every replica picks the new keys up within a minute.")
	return nil
}

func printKeys(w io.Writer, keys []keyInfo) {
	if len(keys) == 0 {
		fmt.Fprintln(w, "no signing keys stored (the gateway creates them on first start)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tSIGNS FROM\tRETIRES AT")
	for _, k := range keys {
		retire := "-"
		if k.RetireAt != nil {
			retire = k.RetireAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.KID, k.Alg, k.State, k.SignFrom.Format(time.RFC3339), retire)
	}
	_ = tw.Flush()
}
