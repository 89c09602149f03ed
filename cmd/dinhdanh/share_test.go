package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/sharing"
)

type shareRegistry struct{}

func (shareRegistry) Person(_ context.Context, id string) (attributes.Person, error) {
	return attributes.Person{PersonalID: id, FullName: "Trần Thị Bình", BirthDate: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)}, nil
}
func (shareRegistry) Dependents(context.Context, string) ([]attributes.Dependent, error) {
	return nil, nil
}
func (shareRegistry) Documents(context.Context, string, ...attributes.DocumentKind) ([]attributes.Document, error) {
	return nil, nil
}

type shareSigner struct{ key *ecdsa.PrivateKey }

func (s shareSigner) SignType(alg, typ string, claims any) (string, error) {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", "k1"))
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(claims)
	obj, err := sig.Sign(b)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func TestShareVerify(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	svc, err := sharing.New(sharing.Config{Signer: shareSigner{key}, Registry: shareRegistry{}, Documents: shareRegistry{},
		Audit: &audittest.Spy{}, Issuer: "https://id.example.vn",
		Holders: sharing.HolderFunc(func(context.Context, string) (sharing.Holder, error) {
			return sharing.Holder{PersonalID: "001190000001", Level: 1, Active: true}, nil
		})})
	require.NoError(t, err)
	c, err := svc.Issue(t.Context(), sharing.Request{AccountID: "a", Level: 1, Claims: []string{"name", "birthdate"}, Challenge: "AB12CD"})
	require.NoError(t, err)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	file := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(file, jwks, 0o600))

	var out, errb bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"share", "verify", "-jwks", file, "-challenge", "ab12-cd", c.Token}, &out, &errb))
	require.Contains(t, out.String(), `"name": "Trần Thị Bình"`)
	require.Contains(t, out.String(), `"acr": "urn:vn:eid:loa:1"`)

	err = run(t.Context(), []string{"share", "verify", "-jwks", file, "-challenge", "ZZ99ZZ", c.Token}, &out, &errb)
	require.ErrorIs(t, err, sharing.ErrNonce)
	// The compact form of the share page verifies the same way.
	cc, err := svc.Issue(t.Context(), sharing.Request{AccountID: "a", Level: 1, Claims: []string{"name"}, Format: sharing.FormatCompact})
	require.NoError(t, err)
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"share", "verify", "-jwks", file, cc.Token}, &out, &errb))
	require.Contains(t, out.String(), `"name": "Trần Thị Bình"`)

	err = run(t.Context(), []string{"share", "verify", c.Token}, &out, &errb)
	require.ErrorContains(t, err, "usage: dinhdanh share verify")
}
