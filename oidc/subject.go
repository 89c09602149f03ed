package oidc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Subjects computes the sub claim (OIDC Core §8).
type Subjects struct{ key []byte }

// NewSubjects returns a subject calculator keyed with the pairwise key.
func NewSubjects(pairwiseKey []byte) *Subjects {
	return &Subjects{key: append([]byte(nil), pairwiseKey...)}
}

// For returns the subject of accountID at client c: pairwise by default,
// base64url(HMAC-SHA-256(key, sector ‖ 0x00 ‖ account id)), so the same
// citizen has one sub per sector and none can be linked across sectors; the
// account's opaque id for clients registered as public. Never the personal
// identification number.
func (s *Subjects) For(c *Client, accountID string) string {
	if c.SubjectType == SubjectPublic {
		return accountID
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(c.Sector()))
	m.Write([]byte{0})
	m.Write([]byte(accountID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
