package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
)

var _ consent.Store = (*Store)(nil)

// Store is consent.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a store on pool (the application role).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// lockPair serialises every change of one citizen and client with a
// transaction-scoped advisory lock. A lock (rather than SELECT … FOR UPDATE
// on the head row) also covers the first grant, when no head row exists yet.
// Distinct pairs that hash alike only wait for each other.
func lockPair(ctx context.Context, tx pgx.Tx, accountID, clientID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('consent:' || $1::text), hashtext($2::text))`,
		accountID, clientID)
	return err
}

// Update implements consent.Store.
func (s *Store) Update(ctx context.Context, accountID, clientID string, fn func(cur consent.Grant, found bool) (consent.Change, error)) (consent.Grant, error) {
	var out consent.Grant
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockPair(ctx, tx, accountID, clientID); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		cur, lastAt, err := current(ctx, tx, accountID, clientID)
		found := err == nil
		if err != nil && !errors.Is(err, consent.ErrNotFound) {
			return err
		}
		c, err := fn(cur, found)
		if err != nil {
			return err
		}
		if c.AccountID != accountID || c.ClientID != clientID {
			return fmt.Errorf("%w: change is for %s/%s, not %s/%s", consent.ErrInvalid, c.AccountID, c.ClientID, accountID, clientID)
		}
		c.At = c.At.UTC().Truncate(time.Microsecond)
		c.ExpiresAt = c.ExpiresAt.UTC().Truncate(time.Microsecond)
		c.Scopes, c.Claims, c.Declined = nonNil(c.Scopes), nonNil(c.Claims), nonNil(c.Declined)
		if found && c.At.Before(lastAt) {
			// Clocks of replicas differ; history stays ordered in time.
			c.At = lastAt
		}
		if err := consent.CheckAppend(cur, found, c); err != nil {
			return err
		}
		var expires *time.Time
		if c.Kind == consent.Granted {
			expires = &c.ExpiresAt
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO consent_changes (account_id, client_id, kind, at, actor_kind, actor_id, scopes, claims, declined, purpose_version, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING seq`,
			c.AccountID, c.ClientID, string(c.Kind), c.At, string(c.By.Kind), c.By.ID,
			c.Scopes, c.Claims, c.Declined, c.PurposeVersion, expires,
		).Scan(&c.Seq)
		if err != nil {
			return fmt.Errorf("insert change: %w", err)
		}
		if c.Kind == consent.Granted {
			_, err = tx.Exec(ctx, `
				INSERT INTO consent_heads (account_id, client_id, grant_seq, revoke_seq, last_at)
				VALUES ($1, $2, $3, NULL, $4)
				ON CONFLICT (account_id, client_id) DO UPDATE
				SET grant_seq = EXCLUDED.grant_seq, revoke_seq = NULL, last_at = EXCLUDED.last_at`,
				accountID, clientID, c.Seq, c.At)
		} else {
			_, err = tx.Exec(ctx, `
				UPDATE consent_heads SET revoke_seq = $3, last_at = $4
				WHERE account_id = $1 AND client_id = $2`,
				accountID, clientID, c.Seq, c.At)
		}
		if err != nil {
			return fmt.Errorf("update head: %w", err)
		}
		out = cur.Apply(c)
		return nil
	})
	if err != nil {
		return consent.Grant{}, fmt.Errorf("consent/postgres: update %s for %s: %w", clientID, accountID, err)
	}
	return out, nil
}

// Append implements consent.Store.
func (s *Store) Append(ctx context.Context, c consent.Change) (consent.Grant, error) {
	return s.Update(ctx, c.AccountID, c.ClientID, func(consent.Grant, bool) (consent.Change, error) { return c, nil })
}

const selectGrant = `
	SELECT h.account_id, h.client_id, g.seq, g.at, g.scopes, g.claims, g.declined, g.purpose_version, g.expires_at,
	       r.seq, r.at, r.actor_kind, r.actor_id, h.last_used_at, h.last_at
	FROM consent_heads h
	JOIN consent_changes g ON g.seq = h.grant_seq
	LEFT JOIN consent_changes r ON r.seq = h.revoke_seq`

func scanGrant(row pgx.Row) (consent.Grant, time.Time, error) {
	var (
		g               consent.Grant
		revSeq          *int64
		revAt, lastUsed *time.Time
		revKind, revID  *string
		lastAt          time.Time
	)
	err := row.Scan(&g.AccountID, &g.ClientID, &g.Seq, &g.GrantedAt, &g.Scopes, &g.Claims, &g.Declined, &g.PurposeVersion, &g.ExpiresAt,
		&revSeq, &revAt, &revKind, &revID, &lastUsed, &lastAt)
	if err != nil {
		return consent.Grant{}, time.Time{}, err
	}
	g.GrantedAt, g.ExpiresAt = g.GrantedAt.UTC(), g.ExpiresAt.UTC()
	if revSeq != nil {
		g.Seq = *revSeq
		g.RevokedAt = revAt.UTC()
		g.RevokedBy = consent.Actor{Kind: audit.ActorKind(*revKind), ID: *revID}
	}
	if lastUsed != nil {
		g.LastUsedAt = lastUsed.UTC()
	}
	return g, lastAt.UTC(), nil
}

func current(ctx context.Context, q pgx.Tx, accountID, clientID string) (consent.Grant, time.Time, error) {
	g, lastAt, err := scanGrant(q.QueryRow(ctx, selectGrant+` WHERE h.account_id = $1 AND h.client_id = $2`, accountID, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Grant{}, time.Time{}, consent.ErrNotFound
	}
	if err != nil {
		return consent.Grant{}, time.Time{}, fmt.Errorf("load current: %w", err)
	}
	return g, lastAt, nil
}

// Current implements consent.Store.
func (s *Store) Current(ctx context.Context, accountID, clientID string) (consent.Grant, error) {
	g, _, err := scanGrant(s.pool.QueryRow(ctx, selectGrant+` WHERE h.account_id = $1 AND h.client_id = $2`, accountID, clientID))
	if errors.Is(err, pgx.ErrNoRows) {
		return consent.Grant{}, fmt.Errorf("consent/postgres: current %s for %s: %w", clientID, accountID, consent.ErrNotFound)
	}
	if err != nil {
		return consent.Grant{}, fmt.Errorf("consent/postgres: current %s for %s: %w", clientID, accountID, err)
	}
	return g, nil
}

// ListForAccount implements consent.Store.
func (s *Store) ListForAccount(ctx context.Context, accountID string) ([]consent.Grant, error) {
	rows, err := s.pool.Query(ctx, selectGrant+` WHERE h.account_id = $1 ORDER BY g.at DESC, h.client_id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: list for %s: %w", accountID, err)
	}
	defer rows.Close()
	var out []consent.Grant
	for rows.Next() {
		g, _, err := scanGrant(rows)
		if err != nil {
			return nil, fmt.Errorf("consent/postgres: list for %s: %w", accountID, err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consent/postgres: list for %s: %w", accountID, err)
	}
	return out, nil
}

const selectChange = `
	SELECT seq, kind, account_id, client_id, at, actor_kind, actor_id, scopes, claims, declined, purpose_version, expires_at
	FROM consent_changes`

func (s *Store) changes(ctx context.Context, where string, args ...any) ([]consent.Change, error) {
	rows, err := s.pool.Query(ctx, selectChange+" WHERE "+where+" ORDER BY seq", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Change
	for rows.Next() {
		var (
			c         consent.Change
			kind, ak  string
			expiresAt *time.Time
		)
		if err := rows.Scan(&c.Seq, &kind, &c.AccountID, &c.ClientID, &c.At, &ak, &c.By.ID,
			&c.Scopes, &c.Claims, &c.Declined, &c.PurposeVersion, &expiresAt); err != nil {
			return nil, err
		}
		c.Kind, c.By.Kind, c.At = consent.Kind(kind), audit.ActorKind(ak), c.At.UTC()
		if expiresAt != nil {
			c.ExpiresAt = expiresAt.UTC()
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// History implements consent.Store.
func (s *Store) History(ctx context.Context, accountID, clientID string) ([]consent.Change, error) {
	out, err := s.changes(ctx, "account_id = $1 AND client_id = $2", accountID, clientID)
	if err != nil {
		return nil, fmt.Errorf("consent/postgres: history %s for %s: %w", clientID, accountID, err)
	}
	return out, nil
}

// AsOf implements consent.Store. It folds the changes made at or before t,
// from the latest grant among them on.
func (s *Store) AsOf(ctx context.Context, accountID, clientID string, t time.Time) (consent.Grant, error) {
	cs, err := s.changes(ctx, `account_id = $1 AND client_id = $2 AND at <= $3 AND seq >= coalesce((
			SELECT max(seq) FROM consent_changes
			WHERE account_id = $1 AND client_id = $2 AND at <= $3 AND kind = 'granted'), 0)`,
		accountID, clientID, t.UTC())
	if err != nil {
		return consent.Grant{}, fmt.Errorf("consent/postgres: %s for %s as of %s: %w", clientID, accountID, t, err)
	}
	if len(cs) == 0 || cs[0].Kind != consent.Granted {
		return consent.Grant{}, fmt.Errorf("consent/postgres: %s for %s as of %s: %w", clientID, accountID, t, consent.ErrNotFound)
	}
	var g consent.Grant
	for _, c := range cs {
		g = g.Apply(c)
	}
	return g, nil
}

// TouchLastUsed implements consent.Store.
func (s *Store) TouchLastUsed(ctx context.Context, accountID, clientID string, t time.Time) error {
	// A mark of use, not a record: its commit does not wait for the WAL
	// flush (synchronous_commit off for this statement's own transaction,
	// still one statement), so a token request does not wait for a second
	// flush after its audit event's. A crash may lose the newest mark; the
	// audit trail holds every use.
	tag, err := s.pool.Exec(ctx, `
		WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true))
		UPDATE consent_heads SET last_used_at = GREATEST(coalesce(last_used_at, $3), $3)
		FROM lazy WHERE account_id = $1 AND client_id = $2`, accountID, clientID, t.UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("consent/postgres: touch %s for %s: %w", clientID, accountID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("consent/postgres: touch %s for %s: %w", clientID, accountID, consent.ErrNotFound)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
