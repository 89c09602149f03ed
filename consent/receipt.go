package consent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Signer signs a JWT with the gateway's current signing key, setting kid and
// the given typ header, so that it verifies against the published JWKS. The
// OIDC key service implements it.
type Signer interface {
	Sign(ctx context.Context, claims map[string]any, typ string) (string, error)
}

// ReceiptType is the typ header of signed consent receipts.
const ReceiptType = "consent-receipt+jwt"

// ReceiptVersion names the receipt format.
const ReceiptVersion = "dinhdanh-consent-receipt/1"

// Client is a relying party as the consent screen, the account page and
// receipts present it.
type Client struct {
	ID string
	// Name and Purpose are Vietnamese; NameEN and PurposeEN English (empty
	// falls back to Vietnamese).
	Name, NameEN       string
	LogoURI            string
	Kind               string // e.g. "public_service", "bank"
	Purpose, PurposeEN string
	PurposeVersion     string
}

// Purpose is the purpose statement a receipt records.
type Purpose struct {
	Version string `json:"version"`
	Text    string `json:"text"`
	TextEN  string `json:"text_en,omitempty"`
}

// Receipt is a consent receipt: what a citizen granted a relying party, for
// the citizen to keep. It names claims, never their values, and carries no
// internal account id: Subject is an identifier the caller chooses (the
// citizen's pairwise subject at that client, which the client already knows).
type Receipt struct {
	Version    string   `json:"receipt_version"`
	ID         string   `json:"jti"`
	Issuer     string   `json:"iss"`
	Subject    string   `json:"sub"`
	IssuedAt   int64    `json:"iat"`
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name"`
	NameEN     string   `json:"client_name_en,omitempty"`
	Scopes     []string `json:"scopes"`
	Claims     []string `json:"claims"`
	Purpose    Purpose  `json:"purpose"`
	GrantedAt  string   `json:"granted_at"` // RFC 3339, UTC
	ExpiresAt  string   `json:"expires_at"`
	RevokedAt  string   `json:"revoked_at,omitempty"`
	Status     Status   `json:"status"`
}

// NewReceipt describes grant g of client c as it stands at now.
func NewReceipt(g Grant, c Client, issuer, subject, id string, now time.Time) Receipt {
	r := Receipt{
		Version: ReceiptVersion, ID: id, Issuer: issuer, Subject: subject, IssuedAt: now.Unix(),
		ClientID: g.ClientID, ClientName: c.Name, NameEN: c.NameEN,
		Scopes: nonNil(g.Scopes), Claims: nonNil(g.Claims),
		Purpose:   Purpose{Version: g.PurposeVersion},
		GrantedAt: g.GrantedAt.UTC().Format(time.RFC3339), ExpiresAt: g.ExpiresAt.UTC().Format(time.RFC3339),
		Status: g.Status(now),
	}
	// The purpose text is the client's current one; it is the text shown
	// only when the versions agree.
	if c.PurposeVersion == g.PurposeVersion {
		r.Purpose.Text, r.Purpose.TextEN = c.Purpose, c.PurposeEN
	}
	if !g.RevokedAt.IsZero() {
		r.RevokedAt = g.RevokedAt.UTC().Format(time.RFC3339)
	}
	return r
}

// JWTClaims returns the receipt as JWT claims.
func (r Receipt) JWTClaims() (map[string]any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("consent: encode receipt: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("consent: encode receipt: %w", err)
	}
	// Through float64 iat would be written as 1.7953992e+09, which JWT
	// libraries reject as a NumericDate.
	m["iat"] = r.IssuedAt
	return m, nil
}

// ReceiptRequest asks for a citizen's receipt for one client.
type ReceiptRequest struct {
	AccountID string
	Client    Client
	// Subject identifies the citizen in the receipt (see Receipt).
	Subject string
	By      Actor
}

// Receipt signs a receipt for the citizen's consent to the client, as it
// stands now (a revoked or expired one too), as a compact JWS with typ
// consent-receipt+jwt. The download is audited; if the audit fails no
// receipt is returned. ErrNotFound if nothing was ever granted.
func (s *Service) Receipt(ctx context.Context, rr ReceiptRequest) (string, Receipt, error) {
	if s.signer == nil {
		return "", Receipt{}, errors.New("consent: receipt: no signer configured")
	}
	g, err := s.store.Current(ctx, rr.AccountID, rr.Client.ID)
	if err != nil {
		return "", Receipt{}, fmt.Errorf("consent: receipt for %s of %s: %w", rr.Client.ID, rr.AccountID, err)
	}
	now := s.now().UTC()
	r := NewReceipt(g, rr.Client, s.issuer, rr.Subject, s.newID(), now)
	claims, err := r.JWTClaims()
	if err != nil {
		return "", Receipt{}, err
	}
	jws, err := s.signer.Sign(ctx, claims, ReceiptType)
	if err != nil {
		return "", Receipt{}, fmt.Errorf("consent: sign receipt: %w", err)
	}
	err = s.record(ctx, audit.Event{
		Type: audit.ReceiptDownloaded, Outcome: audit.Success, AccountID: rr.AccountID, ClientID: rr.Client.ID,
		Scopes: g.Scopes, Claims: g.Claims, Detail: map[string]string{"receipt_id": r.ID, "status": string(r.Status)},
	}, citizenUnlessSet(rr.By, rr.AccountID))
	if err != nil {
		return "", Receipt{}, fmt.Errorf("consent: receipt for %s of %s: %w", rr.Client.ID, rr.AccountID, err)
	}
	return jws, r, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
