package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/population"
)

// The demo seed registers the level 2 citizen's child under his account,
// once however often it runs, and the gateway's guardianship service sees
// it.
func TestDemoDependents(t *testing.T) {
	_, g, db := newGatewayWithParts(t)
	ctx := t.Context()
	require.NoError(t, population.LoadDemo(ctx, population.Target{Pool: db.App, Accounts: g.Accounts, Audit: g.Audit}, population.DemoOptions{Generated: -1}))
	require.NoError(t, g.DemoDependents(ctx))
	require.NoError(t, g.DemoDependents(ctx))
	guardian, err := g.Accounts.ByPersonalID(ctx, population.DemoLevel2ID)
	require.NoError(t, err)
	deps, err := g.Guardianship.ActingFor(ctx, guardian.ID)
	require.NoError(t, err)
	require.Len(t, deps, 1)
	require.Equal(t, population.DemoChildID, deps[0].PersonalID)
	require.Equal(t, guardianship.RelationChild, deps[0].Relation)
	_, err = g.Guardianship.Authority(ctx, guardian.ID, deps[0].ID)
	require.NoError(t, err)
}
