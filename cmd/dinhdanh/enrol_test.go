package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

func TestEnrol(t *testing.T) {
	db := toolEnv(t)
	importDemo(t)

	// The level 1 demo citizen goes to level 2, under the officer's name.
	out := dd(t, "enrol", "level2", population.DemoLevel1ID, "-actor", "officer-kim")
	require.Contains(t, out, "enrolled "+population.DemoLevel1ID+" at level 2")
	require.Regexp(t, `level:\s+2`, out)
	require.Equal(t, 1, countEvents(t, db, "type = 'officer.action' AND actor_kind = 'officer' AND actor_id = 'officer-kim' AND reason = 'enrol_level2'"))

	_, _, err := ddErr(t, "enrol", "level2", population.DemoLevel1ID)
	require.ErrorContains(t, err, "level does not allow")
	_, _, err = ddErr(t, "enrol", "level1", "000000000000")
	require.ErrorContains(t, err, `no account for personal id "000000000000"`)
	_, _, err = ddErr(t, "enrol", "level3", population.DemoLevel1ID)
	require.ErrorContains(t, err, "usage: dinhdanh enrol")
}
