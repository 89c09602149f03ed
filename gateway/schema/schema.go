// Package schema lists the migrations of every domain in the order the
// migration runner needs them. It is the one place that knows all domains'
// stores, so only cmd and test helpers import it.
package schema

import (
	"embed"
	"io/fs"

	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	guardianshippg "github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	lockrequestpg "github.com/dinhdanh/dinhdanh/lockrequest/postgres"
	notifypg "github.com/dinhdanh/dinhdanh/notify/postgres"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	orgspg "github.com/dinhdanh/dinhdanh/orgs/postgres"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
)

//go:embed migrations/*.sql
var base embed.FS

func sub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Sources returns the migrations of every domain.
func Sources() []pg.Source {
	return []pg.Source{
		{Domain: "base", FS: sub(base, "migrations")},
		{Domain: "audit", FS: sub(auditpg.Migrations, "migrations")},
		{Domain: "accounts", FS: sub(accountspg.Migrations, "migrations")},
		{Domain: "attributes", FS: sub(attributespg.Migrations, "migrations")},
		{Domain: "biometrics", FS: sub(biometricspg.Migrations, "migrations")},
		{Domain: "consent", FS: sub(consentpg.Migrations, "migrations")},
		{Domain: "oidc", FS: sub(oidcpg.Migrations, "migrations")},
		{Domain: "staff", FS: sub(staffpg.Migrations, "migrations")},
		{Domain: "proofing", FS: sub(proofingpg.Migrations, "migrations")},
		{Domain: "lockrequest", FS: sub(lockrequestpg.Migrations, "migrations")},
		{Domain: "notify", FS: sub(notifypg.Migrations, "migrations")},
		{Domain: "foreigners", FS: sub(foreignerspg.Migrations, "migrations")},
		{Domain: "guardianship", FS: sub(guardianshippg.Migrations, "migrations")},
		{Domain: "reconcile", FS: sub(reconcilepg.Migrations, "migrations")},
		{Domain: "orgs", FS: sub(orgspg.Migrations, "migrations")},
	}
}
