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
	"github.com/dinhdanh/dinhdanh/staff"
)

const officerUsage = `usage: dinhdanh officer issue|revoke|list [flags]

  officer issue OFFICER_ID -unit UNIT   an API credential for that officer alone, printed
                                        once; back-office systems present it as a bearer
                                        token at /admin/api/history, and the citizen's
                                        history names the officer and unit; OFFICER_ID
                                        may be a staff member's username or id (the
                                        credential is then the member's; -unit optional)
  officer revoke CREDENTIAL_ID          end a credential at once
  officer list [-json]                  every credential, revoked ones included

Issues and revocations are audited with -actor (default $USER).`

// cmdOfficer manages officers' own credentials.
func cmdOfficer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(officerUsage)
	}
	sub := args[0]
	if sub != "issue" && sub != "revoke" && sub != "list" {
		return fmt.Errorf("unknown officer command %q\n%s", sub, officerUsage)
	}
	id, rest := leadingArg(args[1:])
	fs := flag.NewFlagSet("officer "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	unit := fs.String("unit", "", "the officer's police unit, e.g. \"Công an phường Hàng Bài\" (issue; required)")
	cfg, pos, err := loadConfig(fs, rest, config.Needs{})
	if err != nil {
		return err
	}
	if sub != "list" {
		if id, err = oneID(id, pos, true, map[string]string{"issue": "OFFICER_ID", "revoke": "CREDENTIAL_ID"}[sub], "officer "+sub); err != nil {
			return err
		}
	}
	actor, err := tf.needActor(sub != "list")
	if err != nil {
		return err
	}
	ops, done, err := openOps(ctx, &cfg, *tf.data, stderr)
	if err != nil {
		return err
	}
	defer done()
	svc, err := ops.Staff()
	if err != nil {
		return err
	}
	switch sub {
	case "issue":
		// A staff member's username or id: the credential belongs to the
		// member (its officer id is the member id), so API calls resolve
		// to the member's Principal.
		if m, err := svc.FindMember(ctx, id); err == nil {
			id = m.ID
			if *unit == "" {
				*unit = m.Unit.Code + " " + m.Unit.Name
			}
		} else if !errors.Is(err, staff.ErrNotFound) {
			return fmt.Errorf("officer issue: %w", err)
		}
		token, c, err := svc.Issue(ctx, id, *unit, actor)
		if err != nil {
			return fmt.Errorf("officer issue: %w", err)
		}
		if *tf.json {
			return writeJSON(stdout, map[string]any{"credential": credentialJSON(c), "token": token})
		}
		fmt.Fprintf(stdout, "credential %s for officer %s (%s)\ntoken (shown once): %s\n", c.ID, c.OfficerID, c.Unit, token)
		return nil
	case "revoke":
		c, err := svc.Revoke(ctx, id, actor)
		if errors.Is(err, staff.ErrNotFound) {
			return fmt.Errorf("officer revoke: no active credential %q", id)
		}
		if err != nil {
			return fmt.Errorf("officer revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked credential %s of officer %s\n", c.ID, c.OfficerID)
		return nil
	}
	list, err := svc.List(ctx)
	if err != nil {
		return err
	}
	if *tf.json {
		out := make([]credentialView, len(list))
		for i, c := range list {
			out[i] = credentialJSON(c)
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOFFICER\tUNIT\tCREATED\tSTATUS")
	for _, c := range list {
		status := "active"
		if !c.Active() {
			status = "revoked " + c.RevokedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.OfficerID, c.Unit, c.CreatedAt.Format(time.RFC3339), status)
	}
	return tw.Flush()
}

type credentialView struct {
	ID        string     `json:"id"`
	OfficerID string     `json:"officer_id"`
	Unit      string     `json:"unit"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func credentialJSON(c staff.Credential) credentialView {
	return credentialView{ID: c.ID, OfficerID: c.OfficerID, Unit: c.Unit, CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy, RevokedAt: c.RevokedAt}
}
