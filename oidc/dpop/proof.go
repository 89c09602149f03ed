package dpop

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Prover makes proofs, as a client does: for tests, the load benchmark and
// tools that talk to the gateway. The server never signs proofs.
type Prover struct {
	Key crypto.Signer
	Alg jose.SignatureAlgorithm
}

// ProofOptions are the claims of one proof; zero values are left out.
type ProofOptions struct {
	Method, URL, AccessToken, Nonce, JTI string
	IssuedAt                             time.Time
}

// Proof returns a signed proof for the options (jti random when empty, iat
// now when zero).
func (p Prover) Proof(o ProofOptions) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: p.Alg, Key: p.Key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType(Type))
	if err != nil {
		return "", fmt.Errorf("dpop: signer: %w", err)
	}
	claims := map[string]any{"htm": o.Method, "htu": o.URL}
	if o.JTI == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		o.JTI = base64.RawURLEncoding.EncodeToString(b[:])
	}
	claims["jti"] = o.JTI
	if o.IssuedAt.IsZero() {
		o.IssuedAt = time.Now()
	}
	claims["iat"] = o.IssuedAt.Unix()
	if o.AccessToken != "" {
		claims["ath"] = TokenHash(o.AccessToken)
	}
	if o.Nonce != "" {
		claims["nonce"] = o.Nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("dpop: sign: %w", err)
	}
	return obj.CompactSerialize()
}

// JKT is the thumbprint of the prover's key (cnf.jkt).
func (p Prover) JKT() string {
	jwk := jose.JSONWebKey{Key: p.Key.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}
