package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const keysUsage = `usage: dinhdanh keys rotate|list [flags]

  keys rotate   add a new ES256 and RS256 signing key: published in the JWKS at once,
                signing after keys.activation_delay (the old keys sign until then)
  keys list     every stored signing key and its state [-json]`

// keyInfo is a signing key's public metadata.
type keyInfo struct {
	KID       string     `json:"kid"`
	Alg       string     `json:"alg"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	SignFrom  time.Time  `json:"sign_from"`
	RetireAt  *time.Time `json:"retire_at,omitempty"`
}

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

	list := func() ([]keyInfo, error) {
		stored, _, err := ops.OIDCStore().ListKeys(ctx)
		if err != nil {
			return nil, err
		}
		return keyInfos(stored, time.Now()), nil
	}
	before, err := list()
	if err != nil {
		return err
	}
	if sub == "list" {
		if *tf.json {
			return writeJSON(stdout, before)
		}
		printKeys(stdout, before)
		return nil
	}

	if err := keys.Rotate(ctx); err != nil {
		return err
	}
	after, err := list()
	if err != nil {
		return err
	}
	var added []keyInfo
	for _, k := range after {
		if !slices.ContainsFunc(before, func(b keyInfo) bool { return b.KID == k.KID }) {
			added = append(added, k)
		}
	}
	if len(added) == 0 {
		return errors.New("keys rotate: no new key is stored")
	}
	kids := make([]string, len(added))
	for i, k := range added {
		kids[i] = k.KID
	}
	err = ops.Audit().Record(ctx, audit.Event{
		Type: audit.KeyRotated, ActorKind: audit.Operator, ActorID: actor, Outcome: audit.Success,
		Detail: map[string]string{"kids": strings.Join(kids, " "), "sign_from": added[0].SignFrom.Format(time.RFC3339)},
	})
	if err != nil {
		return fmt.Errorf("keys rotate: the keys were added but the audit log failed: %w", err)
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

// keyInfos describes stored keys at now, newest first per algorithm.
func keyInfos(stored []oidc.StoredKey, now time.Time) []keyInfo {
	out := make([]keyInfo, 0, len(stored))
	for _, s := range stored {
		k := keyInfo{KID: s.KID, Alg: s.Alg, CreatedAt: s.CreatedAt.UTC(), SignFrom: s.SignFrom.UTC(), RetireAt: s.RetireAt}
		switch {
		case s.SignFrom.After(now):
			k.State = "next"
		case s.RetireAt != nil && !s.RetireAt.After(now):
			k.State = "retired"
		default:
			k.State = "signing"
		}
		if k.RetireAt != nil {
			t := k.RetireAt.UTC()
			k.RetireAt = &t
		}
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b keyInfo) int {
		return cmp.Or(cmp.Compare(a.Alg, b.Alg), b.SignFrom.Compare(a.SignFrom), cmp.Compare(a.KID, b.KID))
	})
	return out
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
