package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/staff"
)

const staffUsage = `usage: dinhdanh staff bootstrap|list [flags]

  staff bootstrap -username U -name NAME -unit CODE[:NAME[:LEVEL]]
        the first operator, only while no staff member exists; prints the
        initial password (or reads it with -password-stdin, or from
        DINHDANH_STAFF_PASSWORD) and a one-time TOTP enrolment URI. The
        unit is created when NAME is given (LEVEL: province|district|commune,
        taken from the code's depth when left out: 79, 79.760, 79.760.26734).
        Further members are created by operators in the console at /staff.
  staff list [-json]   every staff member

The bootstrap is audited with -actor (default $USER).`

// stdin is where -password-stdin reads (a variable for tests).
var stdin io.Reader = os.Stdin

// parseUnit reads CODE[:NAME[:LEVEL]].
func parseUnit(s string) (staff.Unit, error) {
	code, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	u := staff.Unit{Code: code, Level: staff.LevelOf(code)}
	if rest != "" {
		u.Name = rest
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			lvl := staff.UnitLevel(rest[i+1:])
			if lvl != staff.Province && lvl != staff.District && lvl != staff.Commune {
				return staff.Unit{}, fmt.Errorf("-unit: level %q is not province, district or commune", lvl)
			}
			u.Name, u.Level = rest[:i], lvl
		}
	}
	if code == "" {
		return staff.Unit{}, errors.New("-unit CODE[:NAME[:LEVEL]] is required")
	}
	return u, nil
}

// cmdStaff bootstraps the first operator and lists members.
func cmdStaff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(staffUsage)
	}
	sub := args[0]
	if sub != "bootstrap" && sub != "list" {
		return fmt.Errorf("unknown staff command %q\n%s", sub, staffUsage)
	}
	fs := flag.NewFlagSet("staff "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := toolFlags(fs)
	username := fs.String("username", "", "the first operator's username (bootstrap)")
	name := fs.String("name", "", "the first operator's full name (bootstrap)")
	unitFlag := fs.String("unit", "", "CODE[:NAME[:LEVEL]] of the operator's police unit (bootstrap)")
	pwStdin := fs.Bool("password-stdin", false, "read the initial password from the first line of stdin (bootstrap)")
	cfg, pos, err := loadConfig(fs, args[1:], config.Needs{})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("staff %s: unexpected arguments %q", sub, pos)
	}
	actor, err := tf.needActor(sub == "bootstrap")
	if err != nil {
		return err
	}
	var unit staff.Unit
	password := ""
	if sub == "bootstrap" {
		if unit, err = parseUnit(*unitFlag); err != nil {
			return err
		}
		switch {
		case *pwStdin:
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("staff bootstrap: read password: %w", err)
			}
			password = strings.TrimRight(line, "\r\n")
			if password == "" {
				return errors.New("staff bootstrap: -password-stdin read an empty password")
			}
		default:
			password = os.Getenv("DINHDANH_STAFF_PASSWORD")
		}
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
	if sub == "bootstrap" {
		m, enr, err := svc.Bootstrap(ctx, staff.NewMember{Username: *username, Name: *name, UnitCode: unit.Code, Password: password}, unit, actor)
		if err != nil {
			return fmt.Errorf("staff bootstrap: %w", err)
		}
		out := map[string]any{"member": memberJSON(m), "totp_uri": enr.TOTPURI, "totp_secret": enr.TOTPSecret}
		if password == "" {
			out["password"] = enr.Password
		}
		if *tf.json {
			return writeJSON(stdout, out)
		}
		fmt.Fprintf(stdout, "first operator %s (%s), unit %s %s\n", m.Username, m.ID, m.Unit.Code, m.Unit.Name)
		if password == "" {
			fmt.Fprintf(stdout, "initial password (shown once): %s\n", enr.Password)
		}
		fmt.Fprintf(stdout, "TOTP enrolment (shown once; scan into an authenticator app):\n  %s\n  secret: %s\n", enr.TOTPURI, enr.TOTPSecret)
		fmt.Fprintln(stdout, "sign in at /staff/login; create further members under /staff/members")
		return nil
	}
	list, err := svc.AllMembers(ctx)
	if err != nil {
		return err
	}
	if *tf.json {
		out := make([]memberView, len(list))
		for i, m := range list {
			out[i] = memberJSON(m)
		}
		return writeJSON(stdout, out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tUNIT\tROLES\tSTATUS\tID")
	for _, m := range list {
		status := "active"
		if m.Disabled {
			status = "disabled"
		}
		roles := make([]string, len(m.Roles))
		for i, r := range m.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Username, m.Name, m.Unit.Code, strings.Join(roles, ","), status, m.ID)
	}
	return tw.Flush()
}

type memberView struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Name      string    `json:"name"`
	Unit      string    `json:"unit"`
	UnitName  string    `json:"unit_name"`
	Roles     []string  `json:"roles"`
	Disabled  bool      `json:"disabled"`
	Bootstrap bool      `json:"bootstrap,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

func memberJSON(m staff.Member) memberView {
	v := memberView{ID: m.ID, Username: m.Username, Name: m.Name, Unit: m.Unit.Code, UnitName: m.Unit.Name, Disabled: m.Disabled,
		Bootstrap: m.Bootstrap, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedBy, Roles: []string{}}
	for _, r := range m.Roles {
		v.Roles = append(v.Roles, string(r))
	}
	return v
}
