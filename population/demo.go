package population

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
)

// demoFile is deploy/demo/population.jsonl (a test keeps the two equal).
//
//go:embed demo/population.jsonl
var demoFile []byte

// demoForeignersFile is deploy/demo/foreigners.jsonl: the foreigners'
// registry's demo extract (a test keeps the two equal).
//
//go:embed demo/foreigners.jsonl
var demoForeignersFile []byte

// The demo sign-ins of deploy/demo/population.jsonl. Every demo account's
// password is DemoPassword.
const (
	DemoPassword = "Demo@12345"
	// DemoTOTPSecret is the authenticator secret of the level 2 citizen;
	// add it to any authenticator app (base32, SHA-1, 6 digits, 30 s).
	DemoTOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

	DemoLevel1ID = "079195000001" // Trần Thị Bình, level 1, SMS to +84901000001
	// DemoLevel2ID is Nguyễn Văn An, level 2, TOTP or SMS to +84901000002,
	// with a driving licence, a vehicle registration, health and social
	// insurance, and the child DemoChildID.
	DemoLevel2ID    = "001085000001"
	DemoChildID     = "001216000001" // Nguyễn Minh Khôi, born 2016, no account of his own
	DemoForeignerID = "001088000002" // Kim Min-jun (KR), level 1, SMS to +84901000003
	// DemoForeignerRegistrationID is Anna Müller (DEU), in the foreigners'
	// registry with passport C01X00T47 and visa VN2468135 to 2027-03-31, and
	// no account: the example for /register/foreigner.
	DemoForeignerRegistrationID = "079191000007"
	DemoPendingID               = "048092000001" // Lê Văn Cường: registered, not activated
	DemoLockedID                = "031198000001" // Phạm Thị Dung: locked (lost phone)
	// DemoRegistrationID is Võ Thanh Hoàng, a generated citizen (seed 1)
	// in the registry without an account: the registration example of
	// docs/onboarding.md.
	DemoRegistrationID = "091088114440"
)

// DemoAnswers are the security answers of the active and locked demo
// accounts (what activation would have set), for the forgotten-password
// and unlock pages.
var DemoAnswers = [2]accounts.Answer{
	{Question: "first_school", Answer: "Kim Đồng"}, {Question: "mother_hometown", Answer: "Huế"},
}

// DemoFile returns the demo population file.
func DemoFile() []byte { return bytes.Clone(demoFile) }

// DemoForeignersFile returns the embedded foreigners' registry demo
// extract.
func DemoForeignersFile() []byte { return bytes.Clone(demoForeignersFile) }

// DemoOptions tune LoadDemo.
type DemoOptions struct {
	// Generated is how many synthetic citizens to add (3000 when zero,
	// none when negative).
	Generated int
	// Seed for Generate (1 when zero).
	Seed uint64
}

// generated returns how many citizens to generate and the seed.
func (o DemoOptions) generated() (int, uint64) {
	n, seed := o.Generated, o.Seed
	if n == 0 {
		n = 3000
	}
	if seed == 0 {
		seed = 1
	}
	return max(n, 0), seed
}

// DemoRecords returns the records LoadDemo imports with opts: the demo
// file's, then the generated citizens'.
func DemoRecords(opts DemoOptions) ([]Record, error) {
	lines, bad := readJSONLines(bytes.NewReader(demoFile))
	if len(bad) > 0 {
		return nil, validationError(bad)
	}
	out := make([]Record, 0, len(lines))
	for _, l := range lines {
		out = append(out, l.rec)
	}
	n, seed := opts.generated()
	return append(out, Generate(n, seed)...), nil
}

// LoadDemo imports the demo file and the generated citizens in one
// transaction unless they were loaded before (the level 2 demo account
// exists), then seeds biometric sentinels for accounts that lack them. It
// is safe to call on every start of `dinhdanh dev`.
func LoadDemo(ctx context.Context, dst Target, opts DemoOptions) error {
	if dst.Accounts == nil {
		return errors.New("population: demo: an accounts service is required")
	}
	_, err := dst.Accounts.ByPersonalID(ctx, DemoLevel2ID)
	switch {
	case err == nil:
		if dst.Logger != nil {
			dst.Logger.InfoContext(ctx, "demo data already loaded")
		}
	case errors.Is(err, accounts.ErrNotFound):
		lines, bad := readJSONLines(bytes.NewReader(demoFile))
		if len(bad) > 0 {
			return validationError(bad)
		}
		n, seed := opts.generated()
		next := lines[len(lines)-1].n
		for _, r := range Generate(n, seed) {
			next++
			lines = append(lines, line{next, r})
		}
		if _, err := importLines(ctx, dst, lines, nil, nil); err != nil {
			return fmt.Errorf("population: demo: %w", err)
		}
		if err := demoAnswers(ctx, dst.Accounts); err != nil {
			return fmt.Errorf("population: demo: %w", err)
		}
	default:
		return fmt.Errorf("population: demo: %w", err)
	}
	// The foreigners' registry's extract, on every start: it replaces the
	// records of the same numbers, so a data set loaded before the registry
	// existed gets it too.
	if _, err := ImportForeigners(ctx, dst, bytes.NewReader(demoForeignersFile), JSONLines); err != nil {
		return fmt.Errorf("population: demo: %w", err)
	}
	if dst.Biometrics != nil {
		n, err := dst.Biometrics.SeedDemoSentinels(ctx)
		if err != nil {
			return fmt.Errorf("population: demo: %w", err)
		}
		if dst.Logger != nil && n > 0 {
			dst.Logger.InfoContext(ctx, "demo biometric sentinels seeded", "records", n)
		}
	}
	return nil
}

// demoAnswers gives the active and locked demo accounts DemoAnswers.
func demoAnswers(ctx context.Context, svc *accounts.Service) error {
	for _, pid := range []string{DemoLevel2ID, DemoLevel1ID, DemoForeignerID, DemoLockedID} {
		a, err := svc.ByPersonalID(ctx, pid)
		if err != nil {
			return err
		}
		if err := svc.SetSecurityAnswers(ctx, a.ID, DemoAnswers, accounts.Actor{Kind: audit.Operator, ID: "demo"}); err != nil {
			return err
		}
	}
	return nil
}

// DemoBanner describes the demo sign-ins for the start-up banner.
func DemoBanner() string {
	return fmt.Sprintf(`Demo sign-ins (password %s for every demo account):
  level 2  %s  Nguyễn Văn An   TOTP secret %s, or SMS
  level 1  %s  Trần Thị Bình   SMS code (read it at /dev/sms)
  level 1  %s  Kim Min-jun     foreign resident (passport M12345678, KOR; residence card to 2028-06-30), SMS code
  foreigner registration at /register/foreigner: Anna Müller, passport C01X00T47 (DEU), visa VN2468135
  pending  %s  Lê Văn Cường    not activated: activate at /activate with phone 0901000004
  locked   %s  Phạm Thị Dung   locked: lost phone (no phone on record: the counter unlocks)
  security answers (forgotten password at /recover, /unlock): %s, %s
  generated citizens: password %s
`, DemoPassword, DemoLevel2ID, DemoTOTPSecret, DemoLevel1ID, DemoForeignerID, DemoPendingID, DemoLockedID,
		DemoAnswers[0].Answer, DemoAnswers[1].Answer, GeneratedPassword)
}
