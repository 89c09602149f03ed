package oidc

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/audit"
)

// KeysConfig configures the signing keys.
type KeysConfig struct {
	Store KeyStore
	// Reads is where Refresh (the periodic reload of keys other replicas
	// rotated) reads: a streaming replica that may lag (Store when nil).
	// A replica behind this gateway's own writes never takes a key back:
	// only a newer version is loaded.
	Reads KeyStore
	// EncryptionKey (32 bytes) seals private keys at rest with AES-256-GCM.
	EncryptionKey []byte
	// SignDelay is how long a rotated-in key is published in the JWKS before
	// it signs anything, so relying parties that cache the JWKS see it first.
	SignDelay time.Duration
	// Retention is how long a retired key stays in the JWKS: at least the
	// lifetime of the longest-lived token it signed (the ID token lifetime).
	Retention time.Duration
	// RSABits for RS256 keys; 2048 by default (3072 in production config).
	RSABits int
	Now     func() time.Time
	Logger  *slog.Logger
	// Audit records rotations by operators (RotateBy); RotateBy refuses
	// without it.
	Audit audit.Recorder
}

type signingKey struct {
	kid      string
	alg      string
	priv     crypto.Signer
	pub      jose.JSONWebKey
	signFrom time.Time
	retireAt *time.Time
}

type jwksState struct {
	doc        []byte
	validUntil time.Time
}

// Keys holds the decrypted signing keys in memory and serves the JWKS,
// pre-rendered. Every replica notices a rotation by polling the key
// version (Run).
type Keys struct {
	cfg  KeysConfig
	aead cipher.AEAD

	mu      sync.RWMutex
	version int64
	keys    []*signingKey
	jwks    jwksState
}

// NewKeys loads the keys, creating the first ES256 and RS256 keys when the
// store has none.
func NewKeys(ctx context.Context, cfg KeysConfig) (*Keys, error) {
	if len(cfg.EncryptionKey) != 32 {
		return nil, errors.New("oidc: key encryption key must be 32 bytes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RSABits == 0 {
		cfg.RSABits = 2048
	}
	block, err := aes.NewCipher(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keys{cfg: cfg, aead: aead}
	stored, _, err := cfg.Store.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("oidc: load keys: %w", err)
	}
	if len(stored) == 0 {
		fresh, err := k.generate(cfg.Now().UTC())
		if err != nil {
			return nil, err
		}
		if _, err := cfg.Store.AddKeys(ctx, fresh, time.Time{}, true); err != nil {
			return nil, fmt.Errorf("oidc: store first keys: %w", err)
		}
	}
	if err := k.load(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keys) now() time.Time { return k.cfg.Now().UTC() }

// generate makes one ES256 and one RS256 key signing from signFrom.
func (k *Keys) generate(signFrom time.Time) ([]StoredKey, error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rs, err := rsa.GenerateKey(rand.Reader, k.cfg.RSABits)
	if err != nil {
		return nil, err
	}
	var out []StoredKey
	for _, p := range []struct {
		alg  string
		priv crypto.Signer
	}{{ES256, ec}, {RS256, rs}} {
		der, err := x509.MarshalPKCS8PrivateKey(p.priv)
		if err != nil {
			return nil, err
		}
		pubDER, _ := x509.MarshalPKIXPublicKey(p.priv.Public())
		sum := sha256.Sum256(pubDER)
		kid := strings.ToLower(p.alg) + "-" + base64.RawURLEncoding.EncodeToString(sum[:12])
		pub := jose.JSONWebKey{Key: p.priv.Public(), KeyID: kid, Algorithm: p.alg, Use: "sig"}
		pubJSON, err := pub.MarshalJSON()
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, k.aead.NonceSize())
		_, _ = rand.Read(nonce)
		sealed := k.aead.Seal(nonce, nonce, der, []byte(kid))
		out = append(out, StoredKey{KID: kid, Alg: p.alg, PublicJWK: pubJSON, PrivateEnc: sealed,
			CreatedAt: k.now(), SignFrom: signFrom})
	}
	return out, nil
}

func (k *Keys) open(s StoredKey) (*signingKey, error) {
	ns := k.aead.NonceSize()
	if len(s.PrivateEnc) < ns {
		return nil, errors.New("sealed key too short")
	}
	der, err := k.aead.Open(nil, s.PrivateEnc[:ns], s.PrivateEnc[ns:], []byte(s.KID))
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s (wrong key encryption key?): %w", s.KID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: unsupported type %T", s.KID, parsed)
	}
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON(s.PublicJWK); err != nil {
		return nil, err
	}
	return &signingKey{kid: s.KID, alg: s.Alg, priv: priv, pub: pub, signFrom: s.SignFrom, retireAt: s.RetireAt}, nil
}

func (k *Keys) load(ctx context.Context) error {
	return k.loadFrom(ctx, k.cfg.Store, false)
}

// loadFrom loads the keys from store; newer keeps the keys in memory when
// store holds no newer version than theirs (a lagging replica).
func (k *Keys) loadFrom(ctx context.Context, store KeyStore, newer bool) error {
	stored, version, err := store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("oidc: load keys: %w", err)
	}
	keys := make([]*signingKey, 0, len(stored))
	for _, s := range stored {
		sk, err := k.open(s)
		if err != nil {
			return fmt.Errorf("oidc: %w", err)
		}
		keys = append(keys, sk)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].signFrom.After(keys[j].signFrom) })
	k.mu.Lock()
	if newer && version <= k.version {
		k.mu.Unlock()
		return nil
	}
	k.keys, k.version = keys, version
	k.jwks = k.renderLocked()
	k.mu.Unlock()
	return nil
}

// Refresh reloads the keys when another replica changed them (from
// KeysConfig.Reads when set). Versions only grow: an older one than the
// keys in memory is a lagging replica's, and ignored.
func (k *Keys) Refresh(ctx context.Context) (bool, error) {
	store := k.cfg.Store
	if k.cfg.Reads != nil {
		store = k.cfg.Reads
	}
	v, err := store.KeysVersion(ctx)
	if err != nil {
		return false, err
	}
	k.mu.RLock()
	same := v <= k.version
	k.mu.RUnlock()
	if same {
		return false, nil
	}
	return true, k.loadFrom(ctx, store, true)
}

// Run polls the key version every interval until ctx ends.
func (k *Keys) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := k.Refresh(ctx); err != nil && ctx.Err() == nil {
				k.cfg.Logger.ErrorContext(ctx, "refresh signing keys", "error", err)
			}
		}
	}
}

// Rotate adds a new key per algorithm. It is in the JWKS at once and signs
// from now+SignDelay; the keys it replaces sign until then and stay
// published for Retention afterwards.
func (k *Keys) Rotate(ctx context.Context) error {
	signFrom := k.now().Add(k.cfg.SignDelay)
	fresh, err := k.generate(signFrom)
	if err != nil {
		return err
	}
	if _, err := k.cfg.Store.AddKeys(ctx, fresh, signFrom, false); err != nil {
		return fmt.Errorf("oidc: rotate keys: %w", err)
	}
	return k.load(ctx)
}

// Prune deletes keys no token can still need.
func (k *Keys) Prune(ctx context.Context) (int64, error) {
	n, err := k.cfg.Store.DeleteKeysRetiredBefore(ctx, k.now().Add(-k.cfg.Retention))
	if err != nil || n == 0 {
		return n, err
	}
	return n, k.load(ctx)
}

// published reports whether a key belongs in the JWKS at t.
func (k *Keys) published(sk *signingKey, t time.Time) bool {
	return sk.retireAt == nil || t.Before(sk.retireAt.Add(k.cfg.Retention))
}

func (k *Keys) renderLocked() jwksState {
	now := k.now()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	validUntil := now.Add(24 * time.Hour)
	for _, sk := range k.keys {
		if k.published(sk, now) {
			set.Keys = append(set.Keys, sk.pub)
			if sk.retireAt != nil {
				if end := sk.retireAt.Add(k.cfg.Retention); end.Before(validUntil) {
					validUntil = end
				}
			}
		}
	}
	doc, _ := json.Marshal(set)
	return jwksState{doc: doc, validUntil: validUntil}
}

// JWKS returns the pre-rendered public key set (RFC 7517).
func (k *Keys) JWKS() []byte {
	now := k.now()
	k.mu.RLock()
	st := k.jwks
	k.mu.RUnlock()
	if now.Before(st.validUntil) {
		return st.doc
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !now.Before(k.jwks.validUntil) {
		k.jwks = k.renderLocked()
	}
	return k.jwks.doc
}

// Version is the key-set version last loaded.
func (k *Keys) Version() int64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.version
}

// current is the key that signs for alg now: the newest whose SignFrom has
// passed.
func (k *Keys) current(alg string) (*signingKey, error) {
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, sk := range k.keys {
		if sk.alg == alg && !sk.signFrom.After(now) {
			return sk, nil
		}
	}
	return nil, fmt.Errorf("%w for %s", ErrNoSigningKey, alg)
}

func (k *Keys) byKID(kid string) (*signingKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, sk := range k.keys {
		if sk.kid == kid {
			return sk, true
		}
	}
	return nil, false
}

// Sign signs claims as a compact JWS with the current key for alg, kid set
// and typ JWT.
func (k *Keys) Sign(alg string, claims any) (string, error) {
	return k.SignType(alg, "JWT", claims)
}

// SignType is Sign with another typ header, for explicitly typed JWTs (RFC
// 8725 §3.11): logout tokens (logout+jwt), consent receipts. The key is the
// one ID tokens use, so the JWKS verifies them.
func (k *Keys) SignType(alg, typ string, claims any) (string, error) {
	if typ == "" {
		return "", errors.New("oidc: typ is required")
	}
	sk, err := k.current(alg)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: sk.priv},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", sk.kid))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Verify checks a JWS signed by one of our keys (published or not yet
// pruned) and returns its payload. It does not check expiry, nor what kind
// of token it is: ID tokens, logout tokens and consent receipts share the
// keys, so a caller expecting one kind uses VerifyType.
func (k *Keys) Verify(token string) ([]byte, error) {
	return k.VerifyType(token, "")
}

// VerifyType is Verify for one kind of token: the typ header must be typ
// (compared case-insensitively, "application/" prefix allowed, RFC 7515
// §4.1.9). With typ "JWT" (ID tokens) a token without typ is accepted too;
// explicitly typed tokens (logout+jwt, consent-receipt+jwt) never pass for
// another kind (RFC 8725 §3.11). An empty typ checks no header.
func (k *Keys) VerifyType(token, typ string) ([]byte, error) {
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(obj.Signatures) != 1 {
		return nil, errors.New("oidc: want exactly one signature")
	}
	if typ != "" {
		got, _ := obj.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string)
		got = strings.TrimPrefix(strings.ToLower(got), "application/")
		if got != strings.ToLower(typ) && !(got == "" && strings.EqualFold(typ, "JWT")) {
			return nil, fmt.Errorf("oidc: token type %q, want %q", got, typ)
		}
	}
	sk, ok := k.byKID(obj.Signatures[0].Header.KeyID)
	if !ok {
		return nil, errors.New("oidc: unknown kid")
	}
	if obj.Signatures[0].Header.Algorithm != sk.alg {
		return nil, errors.New("oidc: alg does not match key")
	}
	return obj.Verify(sk.priv.Public())
}

// idTokenAlgHint is a private session header naming the client's ID-token
// algorithm; the signer reads and removes it.
const idTokenAlgHint = "x-dinhdanh-alg"

type extraClaimsKey struct{}

// WithIDTokenClaims returns a context whose ID tokens also carry claims (the
// values of claims the client requested for the ID token). They are computed
// per token response and never stored with the grant.
func WithIDTokenClaims(ctx context.Context, claims map[string]any) context.Context {
	return context.WithValue(ctx, extraClaimsKey{}, claims)
}

// Signer is the jwt.Signer fosite's OpenID Connect strategy signs ID tokens
// with. fosite's DefaultSigner only knows go-jose v3 key types and sets no
// kid, so it gets the raw private key of the right algorithm and the kid is
// set here.
type Signer struct{ Keys *Keys }

var _ jwt.Signer = (*Signer)(nil)

// Generate implements jwt.Signer.
func (s *Signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	h := header.ToMap()
	alg, _ := h[idTokenAlgHint].(string)
	delete(h, idTokenAlgHint)
	if alg == "" {
		alg = ES256
	}
	sk, err := s.Keys.current(alg)
	if err != nil {
		return "", "", err
	}
	h["kid"] = sk.kid
	if extra, ok := ctx.Value(extraClaimsKey{}).(map[string]any); ok {
		for name, v := range extra {
			if _, taken := claims[name]; !taken {
				claims[name] = v
			}
		}
	}
	return s.fixed(sk).Generate(ctx, claims, &jwt.Headers{Extra: h})
}

func (s *Signer) fixed(sk *signingKey) *jwt.DefaultSigner {
	return &jwt.DefaultSigner{GetPrivateKey: func(context.Context) (any, error) { return sk.priv, nil }}
}

// keyFor finds the key named by the token's kid; the signature is checked
// by the caller.
func (s *Signer) keyFor(token string) (*signingKey, error) {
	obj, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil || len(obj.Signatures) != 1 {
		return nil, errors.New("oidc: malformed token")
	}
	sk, ok := s.Keys.byKID(obj.Signatures[0].Header.KeyID)
	if !ok {
		return nil, errors.New("oidc: unknown kid")
	}
	return sk, nil
}

// Validate implements jwt.Signer.
func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	sk, err := s.keyFor(token)
	if err != nil {
		return "", err
	}
	return s.fixed(sk).Validate(ctx, token)
}

// Decode implements jwt.Signer (used for id_token_hint).
func (s *Signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	sk, err := s.keyFor(token)
	if err != nil {
		return nil, err
	}
	return s.fixed(sk).Decode(ctx, token)
}

// Hash implements jwt.Signer.
func (s *Signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSignature implements jwt.Signer.
func (s *Signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("oidc: malformed token")
	}
	return parts[2], nil
}

// GetSigningMethodLength implements jwt.Signer: ES256 and RS256 both hash
// with SHA-256, which at_hash uses.
func (s *Signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
