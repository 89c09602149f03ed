package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/oidc"
)

const policyUsage = `usage: dinhdanh policy show|allow|refuse [flags] [KIND SCOPE]

  policy show [-json]          which relying-party kinds may have which document scopes
  policy allow KIND SCOPE      let every client of KIND have the document SCOPE
  policy refuse KIND SCOPE     refuse it: clients of KIND get invalid_scope for it from
                               their next request, and cannot register it

KIND is public_service, bank, insurer or other; SCOPE one of
documents.driving_licence, documents.vehicle_registration,
documents.health_insurance, documents.social_insurance.
Every change is recorded in the audit log with -actor (default $USER).`

// cmdPolicy runs the kind-policy commands.
func cmdPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(policyUsage)
	}
	sub, rest := args[0], args[1:]
	var pos []string
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	switch sub {
	case "show", "allow", "refuse":
	default:
		return fmt.Errorf("unknown policy command %q\n%s", sub, policyUsage)
	}
	cfg, more, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	pos = append(pos, more...)
	want := 2
	if sub == "show" {
		want = 0
	}
	if len(pos) != want {
		return fmt.Errorf("policy %s: want %d arguments, got %d\n%s", sub, want, len(pos), policyUsage)
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
	clients, err := ops.Clients()
	if err != nil {
		return err
	}
	if sub != "show" {
		r := oidc.KindRule{Kind: oidc.Kind(pos[0]), Scope: pos[1], Allowed: sub == "allow"}
		if err := clients.SetKindRule(ctx, actor, r); err != nil {
			return fmt.Errorf("policy %s: %w", sub, err)
		}
	}
	p, err := clients.KindPolicy(ctx)
	if err != nil {
		return err
	}
	if *tf.json {
		return writeJSON(stdout, p)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\t"+strings.Join(oidc.DocumentScopes(), "\t"))
	for _, k := range oidc.Kinds() {
		row := []string{string(k)}
		for _, s := range oidc.DocumentScopes() {
			mark := "-"
			if slices.Contains(p[k], s) {
				mark = "yes"
			}
			row = append(row, mark)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
