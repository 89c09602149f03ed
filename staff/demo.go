package staff

import (
	"context"
	"errors"
	"fmt"
)

// DemoPassword is every demo staff member's password (`make run` only).
const DemoPassword = "CanBo@12345"

// DemoMember is a staff member of the demo data, with a documented TOTP
// secret (README: "Staff console").
type DemoMember struct {
	Username, Name, UnitCode string
	Roles                    []Role
	TOTPSecret               string // base32
}

// DemoUnits are the demo police units: a province, district and commune in
// Hồ Chí Minh City and in Hà Nội.
var DemoUnits = []Unit{
	{Code: "79", Name: "Công an Thành phố Hồ Chí Minh", Level: Province},
	{Code: "79.760", Name: "Công an Quận 1", Level: District},
	{Code: "79.760.26734", Name: "Công an phường Bến Nghé", Level: Commune},
	{Code: "01", Name: "Công an Thành phố Hà Nội", Level: Province},
	{Code: "01.001", Name: "Công an quận Ba Đình", Level: District},
	{Code: "01.001.00001", Name: "Công an phường Phúc Xá", Level: Commune},
}

// DemoMembers are the demo staff: the first (bootstrap) operator, a
// supervisor, two officers and a second operator (who approves the
// relying parties the first registers in the console, and the other way
// round).
var DemoMembers = []DemoMember{
	{"vanhanh", "Lê Văn Hành", "79", []Role{RoleOperator}, "MRUW42DEMFXGQLLWMFXGQYLONAWTAMBR"},
	{"lanhdao", "Phạm Thị Đạo", "79.760", []Role{RoleSupervisor}, "MRUW42DEMFXGQLLMMFXGQZDBN4WTAMBR"},
	{"canbo1", "Nguyễn Văn Bộ", "79.760.26734", []Role{RoleOfficer}, "MRUW42DEMFXGQLLDMFXGE3ZRFUYDAMBR"},
	{"canbo2", "Trần Thị Cán", "01.001.00001", []Role{RoleOfficer}, "MRUW42DEMFXGQLLDMFXGE3ZSFUYDAMBR"},
	{"vanhanh2", "Hoàng Thị Hai", "79", []Role{RoleOperator}, "MRUW42DEMFXGQLLWMFXGQYLONAWTAMBS"},
}

// LoadDemo creates the demo units and staff unless staff members exist
// already (then it does nothing): the operator is bootstrapped, the others
// are created by that operator, as in production.
func (s *Service) LoadDemo(ctx context.Context) error {
	st, err := s.members()
	if err != nil {
		return err
	}
	existing, err := st.Members(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	for _, u := range DemoUnits {
		if err := s.PutUnitDirect(ctx, u, "demo"); err != nil {
			return err
		}
	}
	first := DemoMembers[0]
	op, _, err := s.Bootstrap(ctx, NewMember{Username: first.Username, Name: first.Name, UnitCode: first.UnitCode,
		Password: DemoPassword, TOTPSecret: first.TOTPSecret}, Unit{}, "demo")
	if errors.Is(err, ErrBootstrapDone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("staff: demo operator: %w", err)
	}
	by := Actor{Principal: op.Principal("demo-data")}
	for _, m := range DemoMembers[1:] {
		if _, _, err := s.CreateMember(ctx, by, NewMember{Username: m.Username, Name: m.Name, UnitCode: m.UnitCode,
			Roles: m.Roles, Password: DemoPassword, TOTPSecret: m.TOTPSecret}); err != nil {
			return fmt.Errorf("staff: demo member %s: %w", m.Username, err)
		}
	}
	return nil
}
