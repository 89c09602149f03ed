package gateway

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	if len(cfg.Secrets.AuditKey) != ed25519.SeedSize {
		return nil, errors.New("gateway: registry feeds: the audit key must be 32 bytes")
	}
	key, err := audit.NewKey(ed25519.NewKeyFromSeed(cfg.Secrets.AuditKey))
	if err != nil {
		return nil, err
	}
	store := auditpg.NewStore(pool, now)
	return attributespg.NewFeedStore(pool, now, func(ctx context.Context, tx pgx.Tx, e audit.Event) error {
		_, err := store.RecordTx(ctx, tx, key, e)
		return err
	}), nil
}

func newRegistryFeeds(cfg config.Config, pool *pgxpool.Pool, now func() time.Time, logger *slog.Logger) (*attributesweb.FeedHandler, error) {
	feeds, err := NewFeedStore(cfg, pool, now)
	if err != nil {
		return nil, err
	}
	return &attributesweb.FeedHandler{Feeds: feeds, Credentials: feeds, Key: RegistryTokenKey(cfg), Logger: logger}, nil
}
