package postgres

import (
	"context"
	"fmt"
	"time"
)

// TokenHolders returns the relying parties holding a live access or
// refresh token for the account, each with the time of its oldest such
// token (the account's sessions page: "services with access"). One
// indexed read (oidc_requests_account_client_idx, by its first column).
func (s *Store) TokenHolders(ctx context.Context, accountID string, now time.Time) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if accountID == "" {
		return out, nil
	}
	rows, err := s.q(ctx).Query(ctx, `SELECT client_id, min(requested_at) FROM oidc_requests
		WHERE account_id = $1 AND kind IN ('access', 'refresh') AND active
		  AND (expires_at IS NULL OR expires_at > $2)
		GROUP BY client_id`, accountID, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("oidc/postgres: token holders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var since time.Time
		if err := rows.Scan(&id, &since); err != nil {
			return nil, fmt.Errorf("oidc/postgres: token holders: %w", err)
		}
		out[id] = since.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("oidc/postgres: token holders: %w", err)
	}
	return out, nil
}
