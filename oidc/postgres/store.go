// Package postgres implements oidc's storage contracts (fosite's storage
// interfaces, the relying-party registry and the signing keys) on PostgreSQL
// through pgx.
//
// A request's store calls share one connection and, where fosite asks for
// atomicity, one transaction carried in the context (BeginTX nests as a
// savepoint). Only token signatures are stored, never tokens.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/ory/fosite"
	"golang.org/x/text/language"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// Migrations are this store's forward-only SQL migrations.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store is the oidc store on PostgreSQL.
type Store struct {
	pool       *pgxpool.Pool
	newSession func() fosite.Session
	now        func() time.Time
	lazy       bool // BeginLazyTX and UseDPoPProof commit without waiting for the WAL flush
	clients    *decodedClients
}

var (
	_ oidc.Store       = (*Store)(nil)
	_ oidc.ClientStore = (*Store)(nil)
	_ oidc.KeyStore    = (*Store)(nil)

	_ oidc.LazyCommitter = (*Store)(nil)
)

// NewStore returns a store on pool. newSession makes the empty sessions
// stored requests are decoded into (oidc.NewFositeSession in the product).
func NewStore(pool *pgxpool.Pool, newSession func() fosite.Session) *Store {
	return &Store{pool: pool, newSession: newSession, now: time.Now, clients: &decodedClients{}}
}

// WithClock sets the clock used for expiry checks (tests).
func (s *Store) WithClock(now func() time.Time) *Store { s.now = now; return s }

// LazyCommits makes BeginLazyTX and UseDPoPProof commit with
// synchronous_commit off: the commit returns before its WAL record is
// flushed, and the durable commit that follows on the same server (the
// request's audit event, which the caller waits for) flushes it too, since
// WAL is flushed in order. Only a gateway whose every such write is followed
// by a waited-for durable audit event may turn it on (oidc.LazyCommitter).
func (s *Store) LazyCommits() *Store { s.lazy = true; return s }

type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{}
type connKey struct{}

// q is the connection of this request: its transaction, its pinned
// connection, or the pool.
func (s *Store) q(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	if c, ok := ctx.Value(connKey{}).(*pgxpool.Conn); ok {
		return c
	}
	return s.pool
}

// Acquire implements oidc.Store.
func (s *Store) Acquire(ctx context.Context) (context.Context, func(), error) {
	if _, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return ctx, func() {}, nil
	}
	if _, ok := ctx.Value(connKey{}).(*pgxpool.Conn); ok {
		return ctx, func() {}, nil
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return ctx, func() {}, fmt.Errorf("oidc/postgres: acquire: %w: %w", oidc.ErrUnavailable, err)
	}
	return context.WithValue(ctx, connKey{}, c), c.Release, nil
}

// flatKey marks a lazy transaction (BeginLazyTX) whose nested
// transactions are flat; nestedKey marks the context of one such nested
// transaction.
type flatKey struct{}
type nestedKey struct{}

// BeginTX implements storage.Transactional. Inside a transaction it opens a
// savepoint, so fosite's transactions nest in the request's; inside a lazy
// transaction (BeginLazyTX) it opens nothing: the nested transaction is the
// outer one, its commit does nothing and its rollback rolls back the whole
// (see BeginLazyTX).
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if outer, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		if flat, ok := ctx.Value(flatKey{}).(pgx.Tx); ok && flat == outer {
			return context.WithValue(ctx, nestedKey{}, outer), nil
		}
	}
	return s.begin(ctx)
}

// begin is BeginTX with a savepoint inside a transaction, always: the
// store's own multi-statement operations (inTx) use it, whose failure
// must undo only their own work.
func (s *Store) begin(ctx context.Context) (context.Context, error) {
	var tx pgx.Tx
	var err error
	switch {
	case ctx.Value(txKey{}) != nil:
		tx, err = ctx.Value(txKey{}).(pgx.Tx).Begin(ctx)
	case ctx.Value(connKey{}) != nil:
		tx, err = ctx.Value(connKey{}).(*pgxpool.Conn).Begin(ctx)
	default:
		tx, err = s.pool.Begin(ctx)
	}
	if err != nil {
		return ctx, fmt.Errorf("oidc/postgres: begin: %w: %w", oidc.ErrUnavailable, err)
	}
	return context.WithValue(ctx, txKey{}, tx), nil
}

// lazyBegin starts a transaction whose commit does not wait for the WAL
// flush, in one round trip; SET LOCAL ends with the transaction, so nothing
// is left on the pooled connection (and PgBouncer's transaction mode is
// safe).
var lazyBegin = pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL synchronous_commit = off"}

// BeginLazyTX implements oidc.LazyCommitter: BeginTX whose commit does not
// wait for the WAL flush when the store was made with LazyCommits. Inside a
// transaction it is a savepoint, as BeginTX: the outer commit decides.
func (s *Store) BeginLazyTX(ctx context.Context) (context.Context, error) {
	if !s.lazy || ctx.Value(txKey{}) != nil {
		return s.BeginTX(ctx)
	}
	var tx pgx.Tx
	var err error
	if c, ok := ctx.Value(connKey{}).(*pgxpool.Conn); ok {
		tx, err = c.BeginTx(ctx, lazyBegin)
	} else {
		tx, err = s.pool.BeginTx(ctx, lazyBegin)
	}
	if err != nil {
		return ctx, fmt.Errorf("oidc/postgres: begin: %w: %w", oidc.ErrUnavailable, err)
	}
	// The transactions fosite nests in this one (a code's exchange, a
	// refresh token's rotation) are flat: two statements fewer (SAVEPOINT
	// and RELEASE) per token request. That is safe because every caller
	// of BeginLazyTX (the token endpoint's second phase, a code's issuance)
	// rolls the whole back when fosite fails, and a nested rollback rolls
	// the whole back at once, after which nothing more can commit.
	ctx = context.WithValue(ctx, txKey{}, tx)
	return context.WithValue(ctx, flatKey{}, tx), nil
}

// Commit implements storage.Transactional.
func (s *Store) Commit(ctx context.Context) error {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	if !ok {
		return errors.New("oidc/postgres: commit without transaction")
	}
	if nested, ok := ctx.Value(nestedKey{}).(pgx.Tx); ok && nested == tx {
		return nil // the outer transaction commits
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("oidc/postgres: commit: %w", err)
	}
	return nil
}

// Rollback implements storage.Transactional. Rolling back a finished
// transaction is not an error.
func (s *Store) Rollback(ctx context.Context) error {
	tx, ok := ctx.Value(txKey{}).(pgx.Tx)
	if !ok {
		return errors.New("oidc/postgres: rollback without transaction")
	}
	if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("oidc/postgres: rollback: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction (a savepoint inside the request's).
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tctx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tctx); err != nil {
		_ = s.Rollback(tctx)
		return err
	}
	return s.Commit(tctx)
}

// Token kinds, one per fosite storage interface.
const (
	kindCode    = "code"
	kindAccess  = "access"
	kindRefresh = "refresh"
	kindPKCE    = "pkce"
	kindOIDC    = "oidc"
	kindPAR     = "par"
)

// record is a fosite request as stored.
type record struct {
	ID                  string          `json:"id"`
	RequestedAt         time.Time       `json:"requested_at"`
	ClientID            string          `json:"client_id"`
	RequestedScope      []string        `json:"requested_scope,omitempty"`
	GrantedScope        []string        `json:"granted_scope,omitempty"`
	RequestedAudience   []string        `json:"requested_audience,omitempty"`
	GrantedAudience     []string        `json:"granted_audience,omitempty"`
	Form                url.Values      `json:"form,omitempty"`
	Lang                string          `json:"lang,omitempty"`
	Session             json.RawMessage `json:"session,omitempty"`
	ResponseTypes       []string        `json:"response_types,omitempty"`
	RedirectURI         string          `json:"redirect_uri,omitempty"`
	State               string          `json:"state,omitempty"`
	ResponseMode        string          `json:"response_mode,omitempty"`
	DefaultResponseMode string          `json:"default_response_mode,omitempty"`
}

// sensitiveForm are parameters never stored with a request.
var sensitiveForm = []string{"client_secret", "client_assertion", "code_verifier", "refresh_token", "code", "password", "token"}

func toRecord(req fosite.Requester) (record, error) {
	r := record{
		ID: req.GetID(), RequestedAt: req.GetRequestedAt().UTC(),
		RequestedScope: req.GetRequestedScopes(), GrantedScope: req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(), GrantedAudience: req.GetGrantedAudience(),
	}
	if c := req.GetClient(); c != nil {
		r.ClientID = c.GetID()
	}
	if f := req.GetRequestForm(); f != nil {
		r.Form = url.Values{}
		for k, v := range f {
			r.Form[k] = append([]string(nil), v...)
		}
		for _, k := range sensitiveForm {
			delete(r.Form, k)
		}
	}
	if l, ok := req.(interface{ GetLang() language.Tag }); ok {
		r.Lang = l.GetLang().String()
	}
	if sess := req.GetSession(); sess != nil {
		b, err := json.Marshal(sess)
		if err != nil {
			return r, fmt.Errorf("oidc/postgres: encode session: %w", err)
		}
		r.Session = b
	}
	if ar, ok := req.(fosite.AuthorizeRequester); ok {
		r.ResponseTypes = ar.GetResponseTypes()
		if u := ar.GetRedirectURI(); u != nil {
			r.RedirectURI = u.String()
		}
		r.State = ar.GetState()
		r.ResponseMode = string(ar.GetResponseMode())
		r.DefaultResponseMode = string(ar.GetDefaultResponseMode())
	}
	return r, nil
}

func accountOf(req fosite.Requester) string {
	if s, ok := req.GetSession().(*oidc.Session); ok && s != nil {
		return s.AccountID
	}
	return ""
}

// dependentOf is the dependent a guardian's grant acts for, "" if none.
func dependentOf(req fosite.Requester) string {
	if s, ok := req.GetSession().(*oidc.Session); ok && s != nil {
		return s.DependentID
	}
	return ""
}

func expiryOf(kind string, req fosite.Requester) *time.Time {
	sess := req.GetSession()
	if sess == nil {
		return nil
	}
	var tt fosite.TokenType
	switch kind {
	case kindAccess:
		tt = fosite.AccessToken
	case kindRefresh:
		tt = fosite.RefreshToken
	case kindPAR:
		tt = fosite.PushedAuthorizeRequestContext
	default:
		tt = fosite.AuthorizeCode
	}
	t := sess.GetExpiresAt(tt)
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (s *Store) create(ctx context.Context, kind, signature string, req fosite.Requester) error {
	rec, err := toRecord(req)
	if err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("oidc/postgres: encode request: %w", err)
	}
	_, err = s.q(ctx).Exec(ctx, `INSERT INTO oidc_requests
		(kind, signature, request_id, client_id, account_id, requested_at, expires_at, data, dependent_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		kind, signature, rec.ID, rec.ClientID, accountOf(req), rec.RequestedAt, expiryOf(kind, req), data, dependentOf(req))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("oidc/postgres: %s already stored: %w", kind, oidc.ErrAlreadyExists)
		}
		return fmt.Errorf("oidc/postgres: store %s: %w", kind, err)
	}
	return nil
}

// get loads a request with its client in one round trip.
func (s *Store) get(ctx context.Context, kind, signature string, session fosite.Session) (*fosite.AuthorizeRequest, bool, *time.Time, error) {
	var (
		active     bool
		data       []byte
		expires    *time.Time
		clientID   string
		clientData []byte
		secretHash []byte
		disabled   bool
	)
	err := s.q(ctx).QueryRow(ctx, `SELECT r.active, r.data, r.expires_at, c.id, c.data, c.secret_hash, c.disabled
		FROM oidc_requests r JOIN oidc_clients c ON c.id = r.client_id
		WHERE r.signature = $1 AND r.kind = $2`, signature, kind).
		Scan(&active, &data, &expires, &clientID, &clientData, &secretHash, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, false, nil, fmt.Errorf("oidc/postgres: load %s: %w: %w", kind, oidc.ErrUnavailable, err)
	}
	if disabled {
		// A disabled relying party's grants and tokens are dead.
		return nil, false, nil, fosite.ErrNotFound
	}
	client, err := s.clients.decode(clientID, clientData, secretHash, disabled)
	if err != nil {
		return nil, false, nil, err
	}
	if !client.Usable() {
		// Nor has one waiting for approval (it can have none; checked all
		// the same).
		return nil, false, nil, fosite.ErrNotFound
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, false, nil, fmt.Errorf("oidc/postgres: decode %s: %w", kind, err)
	}
	if session == nil {
		session = s.newSession()
	}
	if len(rec.Session) > 0 {
		if err := json.Unmarshal(rec.Session, session); err != nil {
			return nil, false, nil, fmt.Errorf("oidc/postgres: decode session: %w", err)
		}
	}
	ar := &fosite.AuthorizeRequest{
		ResponseTypes:        rec.ResponseTypes,
		State:                rec.State,
		ResponseMode:         fosite.ResponseModeType(rec.ResponseMode),
		DefaultResponseMode:  fosite.ResponseModeType(rec.DefaultResponseMode),
		HandledResponseTypes: fosite.Arguments{},
		Request: fosite.Request{
			ID: rec.ID, RequestedAt: rec.RequestedAt, Client: &client,
			RequestedScope: rec.RequestedScope, GrantedScope: rec.GrantedScope,
			RequestedAudience: rec.RequestedAudience, GrantedAudience: rec.GrantedAudience,
			Form: rec.Form, Session: session,
		},
	}
	if ar.Form == nil {
		ar.Form = url.Values{}
	}
	if ar.RequestedScope == nil {
		ar.RequestedScope = fosite.Arguments{}
	}
	if ar.GrantedScope == nil {
		ar.GrantedScope = fosite.Arguments{}
	}
	if rec.Lang != "" {
		ar.Lang, _ = language.Parse(rec.Lang)
	}
	if rec.RedirectURI != "" {
		ar.RedirectURI, _ = url.Parse(rec.RedirectURI)
	}
	return ar, active, expires, nil
}

func (s *Store) remove(ctx context.Context, kind, signature string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_requests WHERE signature = $1 AND kind = $2`, signature, kind)
	if err != nil {
		return fmt.Errorf("oidc/postgres: delete %s: %w", kind, err)
	}
	if tag.RowsAffected() == 0 {
		return fosite.ErrNotFound
	}
	return nil
}

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, kindCode, code, req)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage: a used
// code returns fosite.ErrInvalidatedAuthorizeCode and the request, so that
// fosite can revoke what was issued with it (RFC 6749 §4.1.2).
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	req, active, _, err := s.get(ctx, kindCode, code, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInvalidatedAuthorizeCode
	}
	return req, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. The
// guarded update makes a code redeemable once even under concurrency.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE oidc_requests SET active = false
		WHERE signature = $1 AND kind = 'code' AND active`, code)
	if err != nil {
		return fmt.Errorf("oidc/postgres: invalidate code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fosite.ErrInvalidatedAuthorizeCode
	}
	return nil
}

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindAccess, signature, req)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, _, err := s.get(ctx, kindAccess, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return nil, fosite.ErrNotFound
	}
	return req, nil
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return s.remove(ctx, kindAccess, signature)
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage. Every
// refresh token of one grant shares its request id: the family.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, _ string, req fosite.Requester) error {
	return s.create(ctx, kindRefresh, signature, req)
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage. A rotated or
// revoked token returns fosite.ErrInactiveToken with its request, which
// fosite treats as reuse and answers by revoking the whole family.
func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, active, _, err := s.get(ctx, kindRefresh, signature, session)
	if err != nil {
		return nil, err
	}
	if !active {
		return req, fosite.ErrInactiveToken
	}
	return req, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	return s.remove(ctx, kindRefresh, signature)
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: the used token
// becomes inactive (kept, so a reuse is recognised) and the grant's access
// tokens are deleted, in one statement. A token another request rotated
// first fails with fosite.ErrSerializationFailure.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	var n int
	err := s.q(ctx).QueryRow(ctx, `WITH r AS (
			UPDATE oidc_requests SET active = false
			WHERE signature = $2 AND kind = 'refresh' AND active RETURNING 1
		), a AS (
			DELETE FROM oidc_requests WHERE request_id = $1 AND kind = 'access' AND EXISTS (SELECT 1 FROM r)
		)
		SELECT count(*) FROM r`, requestID, signature).Scan(&n)
	if err != nil {
		return fmt.Errorf("oidc/postgres: rotate refresh token: %w", err)
	}
	if n == 0 {
		return fosite.ErrSerializationFailure
	}
	return nil
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: every
// refresh token of the grant becomes inactive.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	_, err := s.q(ctx).Exec(ctx, `UPDATE oidc_requests SET active = false
		WHERE request_id = $1 AND kind = 'refresh' AND active`, requestID)
	if err != nil {
		return fmt.Errorf("oidc/postgres: revoke refresh tokens: %w", err)
	}
	return nil
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	_, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_requests WHERE request_id = $1 AND kind = 'access'`, requestID)
	if err != nil {
		return fmt.Errorf("oidc/postgres: revoke access tokens: %w", err)
	}
	return nil
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, kindPKCE, signature, req)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, _, _, err := s.get(ctx, kindPKCE, signature, session)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) DeletePKCERequestSession(ctx context.Context, signature string) error {
	return s.remove(ctx, kindPKCE, signature)
}

// CreateOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Store) CreateOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, kindOIDC, code, req)
}

// GetOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, _ fosite.Requester) (fosite.Requester, error) {
	req, _, _, err := s.get(ctx, kindOIDC, code, nil)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// DeleteOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Store) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return s.remove(ctx, kindOIDC, code)
}

// CreatePARSession implements fosite.PARStorage.
func (s *Store) CreatePARSession(ctx context.Context, requestURI string, req fosite.AuthorizeRequester) error {
	return s.create(ctx, kindPAR, requestURI, req)
}

// GetPARSession implements fosite.PARStorage; expired requests are gone
// (fosite does not check).
func (s *Store) GetPARSession(ctx context.Context, requestURI string) (fosite.AuthorizeRequester, error) {
	req, _, exp, err := s.get(ctx, kindPAR, requestURI, nil)
	if err != nil {
		return nil, err
	}
	if exp != nil && !s.now().Before(*exp) {
		return nil, fosite.ErrNotFound
	}
	return req, nil
}

// DeletePARSession implements fosite.PARStorage.
func (s *Store) DeletePARSession(ctx context.Context, requestURI string) error {
	return s.remove(ctx, kindPAR, requestURI)
}

// GetClient implements fosite.ClientManager; disabled clients, and clients
// proposed from the console and not (yet) approved, are not found: fosite
// answers invalid_client at every endpoint, before anyone signs in.
// The client's scopes are those the kind policy in force allows its kind:
// fosite then refuses any other with invalid_scope, at the authorization
// and PAR endpoints and on refresh, from the request after a change.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, rules, err := s.loadClientWithPolicy(ctx, id)
	if errors.Is(err, oidc.ErrNotFound) || (err == nil && !c.Usable()) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	oidc.BuildKindPolicy(rules).Restrict(&c)
	return &c, nil
}

// ClientAssertionJWTValid implements fosite.ClientManager.
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	var used bool
	err := s.q(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oidc_assertion_jtis WHERE jti = $1 AND expires_at > $2)`,
		jti, s.now().UTC()).Scan(&used)
	if err != nil {
		return fmt.Errorf("oidc/postgres: check jti: %w", err)
	}
	if used {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager. The insert is the
// real replay check: of two concurrent uses of one jti only one succeeds.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	tag, err := s.q(ctx).Exec(ctx, `INSERT INTO oidc_assertion_jtis (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE oidc_assertion_jtis.expires_at <= $3`, jti, exp.UTC(), s.now().UTC())
	if err != nil {
		return fmt.Errorf("oidc/postgres: record jti: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fosite.ErrJTIKnown
	}
	return nil
}

// UseDPoPProof implements oidc.Store. The insert is the check: of two
// concurrent uses of one (jkt, jti) only one inserts; an expired row not yet
// pruned is taken over.
func (s *Store) UseDPoPProof(ctx context.Context, jkt, jti string, expires time.Time) (bool, error) {
	// Outside a transaction, a lazy store turns synchronous_commit off for
	// this statement's own implicit transaction (set_config's third argument
	// is "local"): still one statement, one round trip.
	lazy := s.lazy && ctx.Value(txKey{}) == nil
	tag, err := s.q(ctx).Exec(ctx, `WITH lazy AS (SELECT CASE WHEN $5 THEN set_config('synchronous_commit', 'off', true) END)
		INSERT INTO oidc_dpop_jtis (jkt, jti, expires_at) SELECT $1, $2, $3 FROM lazy
		ON CONFLICT (jkt, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
		WHERE oidc_dpop_jtis.expires_at <= $4`, jkt, jti, expires.UTC(), s.now().UTC(), lazy)
	if err != nil {
		return false, fmt.Errorf("oidc/postgres: record dpop jti: %w: %w", oidc.ErrUnavailable, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RevokeJTI implements oidc.Store.
func (s *Store) RevokeJTI(ctx context.Context, jti string, expires time.Time) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO oidc_revoked_jtis (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(oidc_revoked_jtis.expires_at, EXCLUDED.expires_at)`,
		jti, expires.UTC())
	if err != nil {
		return fmt.Errorf("oidc/postgres: revoke jti: %w: %w", oidc.ErrUnavailable, err)
	}
	return nil
}

// JTIRevoked implements oidc.Store: one primary-key read.
func (s *Store) JTIRevoked(ctx context.Context, jti string) (bool, error) {
	var revoked bool
	err := s.q(ctx).QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM oidc_revoked_jtis WHERE jti = $1)`, jti).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("oidc/postgres: check revoked jti: %w: %w", oidc.ErrUnavailable, err)
	}
	return revoked, nil
}

// RevokeAccount implements oidc.Store.
func (s *Store) RevokeAccount(ctx context.Context, accountID string) (int64, error) {
	if accountID == "" {
		return 0, nil
	}
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_requests WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: revoke account: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteExpired implements oidc.Store; expired consent challenges go too.
func (s *Store) DeleteExpired(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context) error {
		tag, err := s.q(ctx).Exec(ctx, `DELETE FROM oidc_requests WHERE expires_at < $1`, t.UTC())
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		tag, err = s.q(ctx).Exec(ctx, `DELETE FROM oidc_assertion_jtis WHERE expires_at < $1`, t.UTC())
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		tag, err = s.q(ctx).Exec(ctx, `DELETE FROM oidc_dpop_jtis WHERE expires_at < $1`, t.UTC())
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		tag, err = s.q(ctx).Exec(ctx, `DELETE FROM oidc_revoked_jtis WHERE expires_at < $1`, t.UTC())
		if err != nil {
			return err
		}
		n += tag.RowsAffected()
		tag, err = s.q(ctx).Exec(ctx, `DELETE FROM oidc_consent_challenges WHERE expires_at < $1`, t.UTC())
		n += tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("oidc/postgres: delete expired: %w", err)
	}
	return n, nil
}
