package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dinhdanh/dinhdanh/accounts"
)

var _ accounts.BrowserSessionStore = (*Store)(nil)

const browserSessionColumns = `sid, account_id::text, started_at, last_seen_at, user_agent, address, ended_at`

func scanBrowserSession(row pgx.Row) (accounts.BrowserSession, error) {
	var b accounts.BrowserSession
	if err := row.Scan(&b.SID, &b.AccountID, &b.StartedAt, &b.LastSeenAt, &b.UserAgent, &b.Address, &b.EndedAt); err != nil {
		return accounts.BrowserSession{}, translate(err)
	}
	b.StartedAt, b.LastSeenAt = b.StartedAt.UTC(), b.LastSeenAt.UTC()
	if b.EndedAt != nil {
		t := b.EndedAt.UTC()
		b.EndedAt = &t
	}
	return b, nil
}

// StartBrowserSession implements accounts.BrowserSessionStore.
func (s *Store) StartBrowserSession(ctx context.Context, b accounts.BrowserSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO account_browser_sessions
		(sid, account_id, started_at, last_seen_at, user_agent, address)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sid) DO NOTHING`,
		b.SID, b.AccountID, b.StartedAt.UTC(), b.LastSeenAt.UTC(), b.UserAgent, b.Address)
	if err != nil {
		return fmt.Errorf("accounts/postgres: start browser session: %w", translate(err))
	}
	return nil
}

// BrowserSession implements accounts.BrowserSessionStore.
func (s *Store) BrowserSession(ctx context.Context, sid string) (accounts.BrowserSession, error) {
	return scanBrowserSession(s.pool.QueryRow(ctx,
		`SELECT `+browserSessionColumns+` FROM account_browser_sessions WHERE sid = $1`, sid))
}

// TouchBrowserSession implements accounts.BrowserSessionStore.
func (s *Store) TouchBrowserSession(ctx context.Context, sid string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE account_browser_sessions SET last_seen_at = $2
		WHERE sid = $1 AND ended_at IS NULL AND last_seen_at < $2`, sid, at.UTC())
	if err != nil {
		return fmt.Errorf("accounts/postgres: touch browser session: %w", translate(err))
	}
	return nil
}

// BrowserSessions implements accounts.BrowserSessionStore.
func (s *Store) BrowserSessions(ctx context.Context, accountID string) ([]accounts.BrowserSession, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+browserSessionColumns+` FROM account_browser_sessions
		WHERE account_id = $1 AND ended_at IS NULL ORDER BY last_seen_at DESC, sid`, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: browser sessions: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (accounts.BrowserSession, error) {
		return scanBrowserSession(row)
	})
	if err != nil {
		return nil, fmt.Errorf("accounts/postgres: browser sessions: %w", err)
	}
	return out, nil
}

// EndBrowserSessions implements accounts.BrowserSessionStore.
func (s *Store) EndBrowserSessions(ctx context.Context, accountID, sid string, at time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE account_browser_sessions SET ended_at = $3
		WHERE account_id = $1 AND ($2 = '' OR sid = $2) AND ended_at IS NULL`, accountID, sid, at.UTC())
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: end browser sessions: %w", translate(err))
	}
	return tag.RowsAffected(), nil
}

// PurgeBrowserSessions implements accounts.BrowserSessionStore.
func (s *Store) PurgeBrowserSessions(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM account_browser_sessions
		WHERE ended_at < $1 OR last_seen_at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("accounts/postgres: purge browser sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
