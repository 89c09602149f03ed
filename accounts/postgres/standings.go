package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// Standing is what an organisation's staff check may read of an account:
// its id (for the holder's history), level and whether it was activated.
type Standing struct {
	AccountID string
	Level     assurance.Level
	Activated bool
}

// Standings returns the standing of each of personalIDs that has an
// account, keyed by personal id: one statement through the personal id
// index, whatever the list's length.
func (s *Store) Standings(ctx context.Context, personalIDs []string) (map[string]Standing, error) {
	rows, err := s.pool.Query(ctx, `SELECT personal_id, id::text, level, activated_at IS NOT NULL
		FROM accounts WHERE personal_id = ANY($1)`, personalIDs)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: standings: %w", err)
	}
	out := make(map[string]Standing, len(personalIDs))
	var (
		pid string
		st  Standing
	)
	_, err = pgx.ForEachRow(rows, []any{&pid, &st.AccountID, &st.Level, &st.Activated}, func() error {
		out[pid] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: standings: %w", err)
	}
	return out, nil
}
