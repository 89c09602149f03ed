package oidc

import (
	"context"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"
)

// Store is the storage fosite drives, with the contracts of fosite's
// handler/*/storage.go (see oidc/storetest for the executable version).
//
// It is larger than the usual store because fosite splits one concept (a
// grant and its tokens) over several small interfaces; each is listed so a
// missing method fails at compile time instead of as a panic in compose.
type Store interface {
	fosite.ClientManager
	fosite.PARStorage
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	openid.OpenIDConnectRequestStorage
	pkce.PKCERequestStorage
	// Transactional carries one transaction in the context. BeginTX on a
	// context that already holds one opens a savepoint, so fosite's own
	// transactions nest inside the request's.
	storage.Transactional

	// Acquire pins one database connection to the context until release is
	// called, so every store call of a request shares it.
	Acquire(ctx context.Context) (context.Context, func(), error)
	// RevokeAccount deletes every token, code and grant issued for the
	// account (on lock). It returns how many were removed.
	RevokeAccount(ctx context.Context, accountID string) (int64, error)
	// RevokeClientTokens deletes every code, access and refresh token issued
	// to clientID for accountID (consent revoked), at once: a token exchange
	// or refresh running concurrently either finishes first and its tokens
	// are deleted too, or fails. It returns how many were removed.
	// A dependent's id also ends the tokens of a guardian acting for it.
	RevokeClientTokens(ctx context.Context, accountID, clientID string) (int64, error)
	// UseDPoPProof records the jti of a DPoP proof made with the key jkt,
	// to be refused again until expires (RFC 9449 §11.1). It returns false
	// when the pair is already recorded and not yet expired: a replay, on
	// this replica or another. Of two concurrent uses only one gets true.
	UseDPoPProof(ctx context.Context, jkt, jti string, expires time.Time) (bool, error)
	// RevokeJTI puts the jti of a JWT access token that has no row (a
	// client-credentials token) on the revocation list until expires, when
	// the token dies anyway. Revoking it again is not an error.
	RevokeJTI(ctx context.Context, jti string, expires time.Time) error
	// JTIRevoked reports whether jti is on the revocation list.
	JTIRevoked(ctx context.Context, jti string) (bool, error)
	// DeleteExpired removes codes, tokens, PAR requests, assertion ids, DPoP
	// proof ids, revoked jtis and consent challenges that expired before t.
	DeleteExpired(ctx context.Context, t time.Time) (int64, error)
}

// LazyCommitter is a Store that can commit without waiting for its write to
// be durable. The provider uses it for the writes whose result it answers
// only after a durable audit event on the same database (the tokens of a
// token request, an authorization code): the audit event's flush makes the
// earlier write durable too, so an acknowledged token always has its row and
// its audit row, and the request waits for one flush instead of two. A crash
// between the two can keep a token row without its audit row, but that
// token never left the server; or lose an authorization code the client
// never received (it then gets invalid_grant).
type LazyCommitter interface {
	BeginLazyTX(ctx context.Context) (context.Context, error)
}

// ClientStore keeps relying-party registrations.
type ClientStore interface {
	// CreateClient fails with ErrAlreadyExists when the id is taken.
	CreateClient(ctx context.Context, c Client) error
	// LoadClient returns the client, disabled ones included; ErrNotFound.
	LoadClient(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context) ([]Client, error)
	// UpdateClient runs fn on the locked row and saves its result.
	UpdateClient(ctx context.Context, id string, fn func(*Client) error) (Client, error)
}

// StoredKey is a signing key as persisted: the private half is sealed with
// AES-GCM under the key-encryption key.
type StoredKey struct {
	KID        string
	Alg        string
	PublicJWK  []byte // JSON
	PrivateEnc []byte
	CreatedAt  time.Time
	// SignFrom is when the key may start signing (published before that).
	SignFrom time.Time
	// RetireAt is when it stops signing; nil while it is the newest.
	RetireAt *time.Time
}

// KeyStore keeps signing keys. Every change bumps a version that replicas
// poll.
type KeyStore interface {
	// ListKeys returns every stored key and the current version.
	ListKeys(ctx context.Context) ([]StoredKey, int64, error)
	KeysVersion(ctx context.Context) (int64, error)
	// AddKeys inserts keys and sets RetireAt=retireAt on the keys of the same
	// algorithms that had none, bumping the version, in one transaction.
	// With onlyIfEmpty it does nothing (and returns false) when any key
	// exists: for the first start of several replicas.
	AddKeys(ctx context.Context, keys []StoredKey, retireAt time.Time, onlyIfEmpty bool) (bool, error)
	// DeleteKeysRetiredBefore drops keys retired before t.
	DeleteKeysRetiredBefore(ctx context.Context, t time.Time) (int64, error)
}
