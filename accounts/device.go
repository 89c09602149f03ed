package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// DeviceTTL is how long a known-device token lasts after the sign-in that
// earned it; each sign-in from the device renews it.
const DeviceTTL = 180 * 24 * time.Hour

// maxDevices bounds the device tokens one request may present.
const maxDevices = 8

// DeviceToken returns a signed "known device" token for accountID, earned
// by a complete sign-in (password and second factor): failures of
// strangers never slow down a browser that holds one (see LockoutPolicy).
// When presented holds a valid token of the account, it is renewed under
// the same device id. The token is "v1.<account id>.<device id>.<issued
// unix>.<HMAC-SHA-256>" under Config.DeviceKey; empty when the service has
// no DeviceKey.
func (s *Service) DeviceToken(accountID string, presented []string) string {
	if len(s.deviceKey) == 0 {
		return ""
	}
	now := s.clock()
	id := s.knownDevice(presented, accountID, now)
	if id == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = base64.RawURLEncoding.EncodeToString(b[:])
	}
	body := "v1." + accountID + "." + id + "." + strconv.FormatInt(now.Unix(), 10)
	return body + "." + s.deviceMAC(body)
}

// DeviceID is the device id a token names (for naming its cookie), or ""
// for a malformed token. It does not verify the token.
func DeviceID(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != "v1" {
		return ""
	}
	return parts[2]
}

func (s *Service) deviceMAC(body string) string {
	m := hmac.New(sha256.New, s.deviceKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// knownDevice returns the device id of the first token among presented that
// is valid for accountID at now, or "".
func (s *Service) knownDevice(presented []string, accountID string, now time.Time) string {
	if len(s.deviceKey) == 0 || accountID == "" {
		return ""
	}
	for i, t := range presented {
		if i == maxDevices {
			break
		}
		parts := strings.Split(t, ".")
		if len(parts) != 5 || parts[0] != "v1" || parts[1] != accountID || parts[2] == "" {
			continue
		}
		mac := s.deviceMAC(strings.Join(parts[:4], "."))
		if !hmac.Equal([]byte(mac), []byte(parts[4])) {
			continue
		}
		issued, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil || now.Sub(time.Unix(issued, 0)) > DeviceTTL {
			continue
		}
		return parts[2]
	}
	return ""
}
