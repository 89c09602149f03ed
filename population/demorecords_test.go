package population_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

func TestDemoRecords(t *testing.T) {
	t.Parallel()
	recs, err := population.DemoRecords(population.DemoOptions{})
	require.NoError(t, err)
	byID := map[string]population.Record{}
	for _, r := range recs {
		byID[r.PersonalID] = r
	}
	require.Equal(t, "Lê Văn Cường", byID[population.DemoPendingID].FullName)
	reg, ok := byID[population.DemoRegistrationID]
	require.True(t, ok, "the registration example is generated")
	require.Equal(t, "Võ Thanh Hoàng", reg.FullName)
	require.Nil(t, reg.Account)
	require.NotEmpty(t, reg.IssueDate)

	only, err := population.DemoRecords(population.DemoOptions{Generated: -1})
	require.NoError(t, err)
	require.Len(t, only, len(recs)-3000)
}
