package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// NoncePeriod is how long one server nonce is handed out; the previous one
// is accepted for another period, so a nonce lives 5 to 10 minutes.
const NoncePeriod = 5 * time.Minute

// Nonces issues and checks server nonces (RFC 9449 §8, §9) without state: a
// nonce is the number of its time window and an HMAC of it under Key. Every
// replica with the same key issues the same nonce in the same window and
// accepts the others'; rotation is the next window.
type Nonces struct {
	key []byte
	now func() time.Time
}

// NewNonces returns nonces keyed with key (32 bytes, derived from a secret
// all replicas share); now is the clock (time.Now when nil).
func NewNonces(key []byte, now func() time.Time) *Nonces {
	if now == nil {
		now = time.Now
	}
	return &Nonces{key: append([]byte(nil), key...), now: now}
}

func (n *Nonces) window(t time.Time) uint64 {
	return uint64(t.Unix()) / uint64(NoncePeriod/time.Second)
}

func (n *Nonces) make(w uint64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], w)
	m := hmac.New(sha256.New, n.key)
	m.Write([]byte("dpop-nonce"))
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Current is the nonce to send in DPoP-Nonce now.
func (n *Nonces) Current() string { return n.make(n.window(n.now())) }

// Valid reports a nonce of the current or the previous window.
func (n *Nonces) Valid(nonce string) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return false
	}
	w := binary.BigEndian.Uint64(b[:8])
	cur := n.window(n.now())
	if w != cur && w+1 != cur {
		return false
	}
	return hmac.Equal([]byte(n.make(w)), []byte(nonce))
}
