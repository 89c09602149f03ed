package accounts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: the RFC 6238 defaults every authenticator app supports.
const (
	totpPeriod = 30
	totpSkew   = 1 // one step either side (RFC 6238 §5.2 recommends at most one)
	totpDigits = otp.DigitsSix
)

// TOTPEnrolment is what the holder scans into an authenticator app. It is
// returned once, when enrolling, and never stored in the clear.
type TOTPEnrolment struct {
	URL    string // otpauth://totp/... for a QR code
	Secret string // base32, for typing in by hand
}

// totpCipher seals and opens TOTP secrets with AES-256-GCM.
type totpCipher struct{ aead cipher.AEAD }

func newTOTPCipher(key []byte) (*totpCipher, error) {
	if len(key) != 32 {
		return nil, errors.New("accounts: TOTP key must be 32 bytes (AES-256)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("accounts: TOTP key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("accounts: TOTP key: %w", err)
	}
	return &totpCipher{aead: aead}, nil
}

// seal encrypts the base32 secret; the account id is the additional data, so
// a sealed secret moved to another row fails to open.
func (c *totpCipher) seal(accountID, secret string) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(secret)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("accounts: TOTP nonce: %w", err)
	}
	return c.aead.Seal(nonce, nonce, []byte(secret), []byte(accountID)), nil
}

func (c *totpCipher) open(accountID string, sealed []byte) (string, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n+c.aead.Overhead() {
		return "", errors.New("accounts: sealed TOTP secret too short")
	}
	plain, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(accountID))
	if err != nil {
		return "", fmt.Errorf("accounts: open TOTP secret: %w", err)
	}
	return string(plain), nil
}

// NormalizeTOTPSecret upper-cases a base32 secret, drops spaces and padding,
// and checks that it decodes to at least 10 bytes (80 bits, RFC 4226 §4 R6
// asks for at least 128 and recommends 160; 80 is what older apps issued).
func NormalizeTOTPSecret(s string) (string, error) {
	s = strings.ToUpper(strings.TrimRight(strings.ReplaceAll(s, " ", ""), "="))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(b) < 10 {
		return "", fmt.Errorf("%w: TOTP secret must be base32 of at least 10 bytes", ErrInvalid)
	}
	return s, nil
}

// generateTOTP creates a fresh 160-bit secret for accountName.
func generateTOTP(issuer, accountName string) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: accountName, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("accounts: generate TOTP secret: %w", err)
	}
	return TOTPEnrolment{URL: key.URL(), Secret: key.Secret()}, nil
}

// matchTOTP returns the time step whose code equals code, trying the current
// step and one either side, or ok=false.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for _, s := range []int64{cur, cur - totpSkew, cur + totpSkew} {
		if s < 0 {
			continue
		}
		good, err := hotp.ValidateCustom(code, uint64(s), secret, hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && good {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode computes the code of secret at t: for tests and the demo page.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}
