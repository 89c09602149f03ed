package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/consent/backchannel"
	consentpg "github.com/dinhdanh/dinhdanh/consent/postgres"
	"github.com/dinhdanh/dinhdanh/gateway/consentlink"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/keyderive"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
)

// The constructors New and NewOps share, so that the serving gateway and
// operator commands build each service the same way.

// check fills defaults and refuses options New and NewOps cannot build from.
func (o *Options) check() error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Audit == nil {
		return errors.New("gateway: an audit recorder is required")
	}
	return checkSecrets(o.Config.Secrets)
}

// newKeys loads the ID-token signing keys (creating the first ones in an
// empty database) without starting their refresh loop.
func newKeys(ctx context.Context, o Options, store *oidcpg.Store) (*oidc.Keys, error) {
	cfg := o.Config
	var reads oidc.KeyStore
	if o.ReadPool != nil {
		// The 30-second reload of keys other replicas rotated; rotation
		// and the first load read the primary.
		reads = oidcpg.NewStore(o.ReadPool, oidc.NewFositeSession)
	}
	return oidc.NewKeys(ctx, oidc.KeysConfig{
		Store: store, Reads: reads, EncryptionKey: keyderive.Key(cfg.Secrets.EncryptionKey, "signing-keys"),
		SignDelay: cfg.Keys.ActivationDelay.D(), Retention: cfg.Tokens.IDTokenTTL.D() + time.Hour,
		RSABits: 3072, Now: o.Now, Logger: o.Logger, Audit: o.Audit,
	})
}

// newStaff is the staff domain: members, units and their sign-in (TOTP
// secrets sealed under a key of their own, passwords hashed as citizens'
// are, through the same hashing slots when serving), and officers' own API
// credentials, hashed under a key of their own. hashing is nil for
// operator commands.
func newStaff(o Options, hashing *accounts.HashLimiter) (*staff.Service, error) {
	cfg := o.Config
	return staff.New(staff.Config{
		Store: staffpg.NewStore(o.Pool), Key: keyderive.Key(cfg.Secrets.SecretPepper, "officer-credentials"),
		Audit: o.Audit, Now: o.Now,
		TOTPKey:      keyderive.Key(cfg.Secrets.EncryptionKey, "staff-totp"),
		Argon2Params: accounts.Argon2Params{Memory: cfg.Argon2.MemoryKiB, Time: cfg.Argon2.Iterations, Threads: cfg.Argon2.Parallelism, SaltLen: 16, KeyLen: 32},
		Hashing:      hashing,
		Passkeys:     passkeyConfig(cfg.Issuer),
	})
}

// passkeyConfig enables passkeys for the console at the issuer's origin,
// with its host name as the WebAuthn relying party id; an issuer on an IP
// address cannot have passkeys (WebAuthn §5.1.3: the RP id is a domain).
func passkeyConfig(issuer string) *staff.PasskeyConfig {
	u, err := url.Parse(issuer)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return nil
	}
	return &staff.PasskeyConfig{RPID: u.Hostname(), Origins: []string{u.Scheme + "://" + u.Host}}
}

// citizenPasskeys enables citizens' passkeys where the console's are: at
// the issuer's origin, with its host name as the relying party id; nil
// (off) for an issuer on an IP address.
func citizenPasskeys(issuer string) *accounts.PasskeyConfig {
	c := passkeyConfig(issuer)
	if c == nil {
		return nil
	}
	return &accounts.PasskeyConfig{RPID: c.RPID, DisplayName: "Định danh điện tử", Origins: c.Origins}
}

// newClients is the relying-party registry.
func newClients(o Options, store *oidcpg.Store, hasher *oidc.SecretHasher) *oidc.Clients {
	return &oidc.Clients{Store: store, Hasher: hasher, Audit: o.Audit, Now: o.Now}
}

// outboundClient fetches what relying parties register (jwks_uri,
// back-channel logout URIs) only from public addresses, except on a
// developer's machine where the demo services run on localhost.
func outboundClient(cfg config.Config) *http.Client {
	if cfg.DevMode {
		return &http.Client{Timeout: 10 * time.Second}
	}
	return httpx.PublicOnlyClient(10 * time.Second)
}

// consentParts are what the consent service and its adapter to the
// provider are built on.
type consentParts struct {
	OIDCStore *oidcpg.Store
	Keys      *oidc.Keys
	Registry  *attributespg.Store
	// People is Registry with the foreigners' registry laid over it.
	People   attributes.Registry
	Outbound *http.Client
	// Connected is told of newly connected services; nil tells nobody
	// (operator commands).
	Connected consent.ConnectedNotifier
}

// newConsent builds the consent side's adapter to the provider (token
// revoker, signer, clients, subjects, value preview), the back-channel
// logout sender it queues notifications on, and the consent service. The
// sender's delivery loop is not started here: New runs it; operator
// commands only queue, and serving replicas deliver.
func newConsent(o Options, p consentParts) (*consentlink.Provider, *backchannel.Sender, *consent.Service, error) {
	cfg, pool, logger, secrets := o.Config, o.Pool, o.Logger, o.Config.Secrets
	forConsent, err := consentlink.NewProvider(consentlink.Config{
		Store: p.OIDCStore, Clients: p.OIDCStore, Keys: p.Keys, PairwiseKey: secrets.PairwiseKey,
		// The preview reads accounts from their store: the account service
		// is built after the consent service, which its lock needs.
		Accounts: accountspg.Accounts{Store: accountspg.NewStore(pool)}, Registry: p.People, Documents: p.Registry, Logger: logger,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	logoutSender, err := backchannel.New(backchannel.Config{
		HTTP: p.Outbound, Queue: o.metrics.deliveries(consentpg.NewDeliveries(pool)), Clients: forConsent, Subjects: forConsent,
		Signer: forConsent, Issuer: cfg.Issuer, Logger: logger, Now: o.Now,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	svc, err := consent.NewService(consent.Config{
		Store: consentpg.NewStore(pool), Audit: o.Audit, Tokens: forConsent, Logout: logoutSender,
		Signer: forConsent, Issuer: cfg.Issuer, Now: o.Now, TTL: cfg.Consent.TTL.D(), Connected: p.Connected,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return forConsent, logoutSender, svc, nil
}
