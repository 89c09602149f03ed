package staff

import "slices"

// Role is what a staff member may do. A member holds one or more.
type Role string

// The roles of issue 10.
const (
	// RoleOfficer works a counter: reads chip cards, enrols citizens,
	// files lock requests, looks up a citizen's history.
	RoleOfficer Role = "officer"
	// RoleSupervisor approves or refuses what officers file (lock
	// requests), never their own.
	RoleSupervisor Role = "supervisor"
	// RoleOperator runs the gateway: relying parties, keys, figures and
	// staff members; never citizen data.
	RoleOperator Role = "operator"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleOfficer, RoleSupervisor, RoleOperator}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// UnitLevel is the tier of a police unit.
type UnitLevel string

// The tiers of police units, from the smallest.
const (
	Commune  UnitLevel = "commune"
	District UnitLevel = "district"
	Province UnitLevel = "province"
)

// Unit is a police unit a staff member belongs to. Code is stable and
// unique (for example "79" for a province, "79.760" for a district in it,
// "79.760.26734" for a commune in that district): a unit's parent is its
// code without the last dotted part.
type Unit struct {
	Code  string
	Name  string
	Level UnitLevel
}

// Principal is the signed-in staff member a request acts for: what web
// packages get from the top floor (through a function they are given, not
// by importing staff/web), and what every staff action is audited with.
type Principal struct {
	MemberID string // stable id of the staff member
	Username string
	Name     string
	Unit     Unit
	Roles    []Role
	// Session names the sign-in (or the API credential) used, for audit.
	Session string
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }
