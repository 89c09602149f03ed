package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	attributesweb "github.com/dinhdanh/dinhdanh/attributes/web"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/internal/keyderive"
)

// RegistryTokenKey keys the hash of the registries' push secrets.
func RegistryTokenKey(cfg config.Config) []byte {
	return keyderive.Key(cfg.Secrets.SecretPepper, "registry-credentials")
}

// NewFeedStore is the registries' update feeds on pool, each applied batch
// audited inside its transaction, chained and sealed with the audit key.
func NewFeedStore(cfg config.Config, pool *pgxpool.Pool, now func() time.Time) (*attributespg.FeedStore, error) {
	rec, err := documentsAuditTx(cfg, pool, now)
	if err != nil {
		return nil, err
	}
	return attributespg.NewFeedStore(pool, now, rec), nil
}

// documentsAuditTx records the documents' changes (feeds, the citizen's
// wallet) inside their transaction, chained and sealed with the audit key.
func documentsAuditTx(cfg config.Config, pool *pgxpool.Pool, now func() time.Time) (attributespg.AuditTx, error) {
	if len(cfg.Secrets.AuditKey) != ed25519.SeedSize {
		return nil, errors.New("gateway: documents: the audit key must be 32 bytes")
	}
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(cfg.Secrets.AuditKey))
	if err != nil {
		return nil, err
	}
	store := auditpg.NewStore(pool, now)
	return func(ctx context.Context, tx pgx.Tx, e audit.Event) error {
		_, err := store.RecordTx(ctx, tx, key, e)
		return err
	}, nil
}

// newWallet is the citizen's document wallet on the population registry's
// documents, throttled with the sign-in throttles.
func newWallet(cfg config.Config, pool *pgxpool.Pool, now func() time.Time, people *attributespg.Store,
	accts *accounts.Service, rec audit.Recorder) (*attributes.Wallet, error) {
	auditTx, err := documentsAuditTx(cfg, pool, now)
	if err != nil {
		return nil, err
	}
	return &attributes.Wallet{Store: attributespg.NewWalletStore(pool, auditTx), Documents: people, Holders: accts,
		Limiter: accounts.WalletLimiter{Limiter: accts.Limiter()}, Audit: rec, Now: now}, nil
}

// newRegistryFeeds builds the registries' push endpoint, throttled with
// the sign-in throttles (limits), and the operators' API over the push
// credentials.
func newRegistryFeeds(cfg config.Config, pool *pgxpool.Pool, now func() time.Time, logger *slog.Logger,
	limits *accounts.Limiter, rec audit.Recorder) (*attributesweb.FeedHandler, *attributesweb.CredentialAdmin, error) {
	feeds, err := NewFeedStore(cfg, pool, now)
	if err != nil {
		return nil, nil, err
	}
	push := &attributesweb.FeedHandler{Feeds: feeds, Credentials: feeds, Key: RegistryTokenKey(cfg), Logger: logger,
		Limiter: registryLimiter{limits}, Audit: rec}
	admin := &attributesweb.CredentialAdmin{Store: feeds, AdminToken: cfg.Secrets.AdminToken, Logger: logger}
	return push, admin, nil
}

// registryLimiter is the push endpoint's throttle on the sign-in
// throttles: failures per client address, batches per credential.
type registryLimiter struct{ l *accounts.Limiter }

var _ attributesweb.Limiter = registryLimiter{}

func credentialKey(id int64) accounts.ThrottleKey {
	return accounts.ThrottleKey{Scope: accounts.ScopeRegistryCredential, Key: strconv.FormatInt(id, 10)}
}

func (r registryLimiter) Locked(ctx context.Context, ip string, credential int64) (time.Duration, error) {
	var keys []accounts.ThrottleKey
	if ip != "" {
		keys = append(keys, accounts.AddressKey(accounts.ScopeRegistryAddress, ip))
	}
	if credential != 0 {
		keys = append(keys, credentialKey(credential))
	}
	return lockWait(r.l.Locked(ctx, keys...))
}

func (r registryLimiter) Failed(ctx context.Context, ip string) (time.Duration, error) {
	return lockWait(r.l.Count(ctx, accounts.AddressKey(accounts.ScopeRegistryAddress, ip)))
}

func (r registryLimiter) Used(ctx context.Context, credential int64) (time.Duration, error) {
	return lockWait(r.l.Count(ctx, credentialKey(credential)))
}

func lockWait(le *accounts.LockoutError, err error) (time.Duration, error) {
	if err != nil || le == nil {
		return 0, err
	}
	return max(le.RetryAfter, time.Second), nil
}
