package audit

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// Key is the audit log's own Ed25519 signing key: it signs checkpoints and
// retention anchors and nothing else (never share it with token signing).
// Persist it with SaveKey / LoadKey (PKCS #8 PEM) and give its public half,
// and every retired public half, to verifiers and third parties.
type Key struct {
	priv ed25519.PrivateKey
	id   string
}

// GenerateKey makes a fresh audit key.
func GenerateKey() (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit: generate key: %w", err)
	}
	return NewKey(priv)
}

// NewKey wraps an existing Ed25519 private key.
func NewKey(priv ed25519.PrivateKey) (*Key, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: key: not an Ed25519 private key")
	}
	id, err := keyID(priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	return &Key{priv: priv, id: id}, nil
}

// ID is the key id put in checkpoint signatures: the RFC 7638 JWK
// thumbprint (SHA-256, base64url) of the public key.
func (k *Key) ID() string { return k.id }

// Public returns the verifying half.
func (k *Key) Public() PublicKey {
	return PublicKey{ID: k.id, Key: k.priv.Public().(ed25519.PublicKey)}
}

// MarshalPEM encodes the private key as a PKCS #8 "PRIVATE KEY" PEM block.
func (k *Key) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey decodes a PKCS #8 PEM Ed25519 private key (as written by
// MarshalPEM or `openssl genpkey -algorithm ed25519`).
func ParseKey(b []byte) (*Key, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("audit: parse key: no PRIVATE KEY PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit: parse key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit: parse key: %T is not an Ed25519 key", k)
	}
	return NewKey(priv)
}

// LoadKey reads a key written by SaveKey.
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: load key: %w", err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return k, nil
}

// SaveKey writes k to path with mode 0600. It refuses to overwrite an
// existing file: replacing the audit key by accident would leave old
// checkpoints verifiable only with the lost public key.
func SaveKey(path string, k *Key) error {
	b, err := k.MarshalPEM()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit: save key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("audit: save key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("audit: save key: %w", err)
	}
	return nil
}

// PublicKey verifies checkpoints signed by the Key with the same ID.
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// MarshalPEM encodes the public key as a PKIX "PUBLIC KEY" PEM block, the
// form to hand a third party together with exported checkpoints.
func (p PublicKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(p.Key)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// KeySet holds the public keys a verifier accepts, by key id: the current
// audit key and every retired one.
type KeySet map[string]ed25519.PublicKey

// NewKeySet builds a key set.
func NewKeySet(keys ...PublicKey) KeySet {
	ks := KeySet{}
	for _, k := range keys {
		ks[k.ID] = k.Key
	}
	return ks
}

// ParsePublicKeys reads every PEM block of b into a key set: "PUBLIC KEY"
// blocks, and the public half of "PRIVATE KEY" blocks.
func ParsePublicKeys(b []byte) (KeySet, error) {
	ks := KeySet{}
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		var pub ed25519.PublicKey
		switch block.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("audit: parse public key: %w", err)
			}
			var ok bool
			if pub, ok = k.(ed25519.PublicKey); !ok {
				return nil, fmt.Errorf("audit: parse public key: %T is not an Ed25519 key", k)
			}
		case "PRIVATE KEY":
			k, err := ParseKey(pem.EncodeToMemory(block))
			if err != nil {
				return nil, err
			}
			pub = k.Public().Key
		default:
			continue
		}
		id, err := keyID(pub)
		if err != nil {
			return nil, err
		}
		ks[id] = pub
	}
	if len(ks) == 0 {
		return nil, errors.New("audit: parse public keys: no key found")
	}
	return ks, nil
}

// LoadPublicKeys reads and merges the key files at paths.
func LoadPublicKeys(paths ...string) (KeySet, error) {
	ks := KeySet{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("audit: load public keys: %w", err)
		}
		more, err := ParsePublicKeys(b)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, p)
		}
		for id, k := range more {
			ks[id] = k
		}
	}
	return ks, nil
}

func keyID(pub ed25519.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("audit: key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
