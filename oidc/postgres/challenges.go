package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/oidc"
)

var _ oidc.ChallengeStore = (*Store)(nil)

// challengeData is the stored body of a challenge.
type challengeData struct {
	Form        url.Values `json:"form"`
	SignIn      signInData `json:"sign_in"`
	RequestedAt time.Time  `json:"requested_at"`
	Scopes      []string   `json:"scopes,omitempty"`
	Claims      []string   `json:"claims,omitempty"`
	Essential   []string   `json:"essential,omitempty"`
	ACR         string     `json:"acr,omitempty"`
	UILocales   string     `json:"ui_locales,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	ActingFor   string     `json:"acting_for,omitempty"`
	// Answer is set by AnswerChallenge.
	Answer *oidc.ChallengeAnswer `json:"answer,omitempty"`
}

type signInData struct {
	AccountLevel assurance.Level `json:"account_level"`
	Strength     assurance.Level `json:"strength"`
	AMR          []string        `json:"amr,omitempty"`
	AuthTime     time.Time       `json:"auth_time"`
	SID          string          `json:"sid,omitempty"`
}

func challengeHash(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// CreateChallenge implements oidc.ChallengeStore.
func (s *Store) CreateChallenge(ctx context.Context, c oidc.Challenge, parRequestURI string) error {
	if c.ID == "" || c.AccountID == "" || c.ClientID == "" || c.ExpiresAt.IsZero() {
		return errors.New("oidc/postgres: challenge needs an id, account, client and expiry")
	}
	form := url.Values{}
	for k, v := range c.Form {
		form[k] = append([]string(nil), v...)
	}
	for _, k := range append([]string{"request_uri"}, sensitiveForm...) {
		delete(form, k)
	}
	data, err := json.Marshal(challengeData{
		Form: form, RequestedAt: c.RequestedAt.UTC(),
		SignIn: signInData{AccountLevel: c.SignIn.AccountLevel, Strength: c.SignIn.Strength, AMR: c.SignIn.AMR,
			AuthTime: c.SignIn.AuthTime.UTC(), SID: c.SignIn.SID},
		Scopes: c.Scopes, Claims: c.Claims, Essential: c.Essential, ACR: c.ACR, UILocales: c.UILocales, Reason: c.Reason,
		ActingFor: c.ActingFor,
	})
	if err != nil {
		return fmt.Errorf("oidc/postgres: encode challenge: %w", err)
	}
	return s.inTx(ctx, func(ctx context.Context) error {
		if parRequestURI != "" {
			if err := s.remove(ctx, kindPAR, parRequestURI); err != nil {
				return fmt.Errorf("oidc/postgres: consume pushed request: %w", oidc.ErrNotFound)
			}
		}
		_, err := s.q(ctx).Exec(ctx, `INSERT INTO oidc_consent_challenges
			(id_hash, account_id, client_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			challengeHash(c.ID), c.AccountID, c.ClientID, data, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("oidc/postgres: challenge: %w", oidc.ErrAlreadyExists)
		}
		if err != nil {
			return fmt.Errorf("oidc/postgres: store challenge: %w", err)
		}
		return nil
	})
}

func scanChallenge(row pgx.Row, id string) (oidc.Challenge, error) {
	c := oidc.Challenge{ID: id}
	var data []byte
	err := row.Scan(&c.AccountID, &c.ClientID, &data, &c.CreatedAt, &c.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return oidc.Challenge{}, fmt.Errorf("oidc/postgres: challenge: %w", oidc.ErrNotFound)
	}
	if err != nil {
		return oidc.Challenge{}, fmt.Errorf("oidc/postgres: load challenge: %w", err)
	}
	var d challengeData
	if err := json.Unmarshal(data, &d); err != nil {
		return oidc.Challenge{}, fmt.Errorf("oidc/postgres: decode challenge: %w", err)
	}
	c.Form, c.RequestedAt = d.Form, d.RequestedAt.UTC()
	c.SignIn = oidc.SignIn{AccountID: c.AccountID, AccountLevel: d.SignIn.AccountLevel, Strength: d.SignIn.Strength,
		AMR: d.SignIn.AMR, AuthTime: d.SignIn.AuthTime.UTC(), SID: d.SignIn.SID}
	c.Scopes, c.Claims, c.Essential = d.Scopes, d.Claims, d.Essential
	c.ACR, c.UILocales, c.Reason, c.Answer = d.ACR, d.UILocales, d.Reason, d.Answer
	c.ActingFor = d.ActingFor
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	if c.Form == nil {
		c.Form = url.Values{}
	}
	return c, nil
}

// GetChallenge implements oidc.ChallengeStore.
func (s *Store) GetChallenge(ctx context.Context, id string, now time.Time) (oidc.Challenge, error) {
	return scanChallenge(s.q(ctx).QueryRow(ctx, `SELECT account_id, client_id, data, created_at, expires_at
		FROM oidc_consent_challenges WHERE id_hash = $1 AND expires_at > $2 AND answered_at IS NULL`,
		challengeHash(id), now.UTC()), id)
}

// BeginChallenge implements oidc.ChallengeStore. The guarded update lets
// only one of two concurrent answers through.
func (s *Store) BeginChallenge(ctx context.Context, id string, now time.Time) (oidc.Challenge, error) {
	return scanChallenge(s.q(ctx).QueryRow(ctx, `UPDATE oidc_consent_challenges SET answered_at = $2
		WHERE id_hash = $1 AND expires_at > $2 AND answered_at IS NULL
		RETURNING account_id, client_id, data, created_at, expires_at`,
		challengeHash(id), now.UTC()), id)
}

// AnswerChallenge implements oidc.ChallengeStore: one answer, on a begun
// challenge only.
func (s *Store) AnswerChallenge(ctx context.Context, id string, a oidc.ChallengeAnswer, now time.Time) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("oidc/postgres: encode answer: %w", err)
	}
	tag, err := s.q(ctx).Exec(ctx, `UPDATE oidc_consent_challenges SET data = data || jsonb_build_object('answer', $3::jsonb)
		WHERE id_hash = $1 AND expires_at > $2 AND answered_at IS NOT NULL AND NOT data ? 'answer'`,
		challengeHash(id), now.UTC(), b)
	if err != nil {
		return fmt.Errorf("oidc/postgres: answer challenge: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("oidc/postgres: challenge: %w", oidc.ErrNotFound)
	}
	return nil
}

// TakeChallenge implements oidc.ChallengeStore.
func (s *Store) TakeChallenge(ctx context.Context, id string, now time.Time) (oidc.Challenge, error) {
	return scanChallenge(s.q(ctx).QueryRow(ctx, `DELETE FROM oidc_consent_challenges
		WHERE id_hash = $1 AND expires_at > $2
		RETURNING account_id, client_id, data, created_at, expires_at`,
		challengeHash(id), now.UTC()), id)
}

// DeleteExpiredChallenges implements oidc.ChallengeStore.
func (s *Store) DeleteExpiredChallenges(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_consent_challenges WHERE expires_at < $1`, t.UTC())
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: delete expired challenges: %w", err)
	}
	return tag.RowsAffected(), nil
}

// RevokeClientTokens implements oidc.Store. Codes and refresh tokens are
// locked first: an exchange or refresh under way holds the row it
// invalidates until it commits, so the delete, a statement that starts
// after, sees (and removes) the tokens it issued; one that comes later finds
// its code or refresh token gone.
func (s *Store) RevokeClientTokens(ctx context.Context, accountID, clientID string) (int64, error) {
	if accountID == "" || clientID == "" {
		return 0, errors.New("oidc/postgres: revoke client tokens: account and client ids are required")
	}
	var n int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		// A dependent's consent also covers the tokens of a guardian
		// acting for it (dependent_id).
		_, err := s.q(ctx).Exec(ctx, `SELECT 1 FROM oidc_requests
			WHERE (account_id = $1 OR dependent_id = $1) AND client_id = $2 AND kind IN ('code', 'refresh') FOR UPDATE`, accountID, clientID)
		if err != nil {
			return err
		}
		tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_requests
			WHERE (account_id = $1 OR dependent_id = $1) AND client_id = $2 AND kind <> 'par'`, accountID, clientID)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = s.q(ctx).Exec(ctx, `DELETE FROM oidc_consent_challenges WHERE account_id = $1 AND client_id = $2`, accountID, clientID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: revoke tokens of %s for %s: %w", clientID, accountID, err)
	}
	return n, nil
}
