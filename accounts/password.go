package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters (RFC 9106 §4).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params are the OWASP Password Storage Cheat Sheet's argon2id
// baseline (19 MiB, 2 passes, 1 lane; RFC 9106 §4 allows trading memory for
// passes), about 50 ms on one core: a sign-in burst must not starve a
// two-core replica. Raise them with Config.Argon2Params; existing hashes
// are upgraded at the next sign-in.
var DefaultArgon2Params = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// ErrMalformedHash: a stored password hash cannot be read.
var ErrMalformedHash = errors.New("accounts: malformed password hash")

const (
	minPasswordRunes = 8
	maxPasswordBytes = 256 // argon2 takes any length; a bound stops abuse
)

// CheckPasswordRules enforces the minimum password rules: 8 characters or
// more, at most 256 bytes, and not only digits (which would invite the
// holder's birth date or ID number).
func CheckPasswordRules(pw string) error {
	if utf8.RuneCountInString(pw) < minPasswordRunes || len(pw) > maxPasswordBytes {
		return fmt.Errorf("%w: use 8 to 256 characters", ErrWeakPassword)
	}
	if strings.Trim(pw, "0123456789") == "" {
		return fmt.Errorf("%w: use more than digits", ErrWeakPassword)
	}
	return nil
}

// HashPassword hashes pw with argon2id and a random salt, returning a PHC
// string: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
func HashPassword(pw string, p Argon2Params) (string, error) {
	if p.SaltLen == 0 || p.KeyLen == 0 || p.Time == 0 || p.Threads == 0 || p.Memory == 0 {
		return "", errors.New("accounts: argon2 parameters must all be positive")
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a PHC string in constant time. rehash
// reports that the hash was made with parameters other than want, so the
// caller should store a fresh hash now that it knows the password.
func VerifyPassword(pw, encoded string, want Argon2Params) (ok, rehash bool, err error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	rehash = p.Memory != want.Memory || p.Time != want.Time || p.Threads != want.Threads ||
		uint32(len(key)) != want.KeyLen || uint32(len(salt)) != want.SaltLen
	return true, rehash, nil
}

func decodeHash(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return Argon2Params{}, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: version", ErrMalformedHash)
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: parameters", ErrMalformedHash)
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4*1024*1024 || p.Time > 64 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: parameters out of range", ErrMalformedHash)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
