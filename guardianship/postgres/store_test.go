package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship"
	"github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship/storetest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) guardianship.Store {
		db := pgtest.New(t)
		var people []attributes.Person
		for i, pid := range storetest.People {
			people = append(people, attributes.Person{PersonalID: pid, FullName: "Người " + pid, Gender: attributes.Male,
				BirthDate: time.Date(2000+i, 1, 1, 0, 0, 0, 0, time.UTC), Nationality: "VN"})
		}
		require.NoError(t, attributespg.NewStore(db.App).Write(t.Context(), people, nil))
		return postgres.NewStore(db.App)
	})
}
