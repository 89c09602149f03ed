// Package websession holds the typed session keys shared by the web layers
// (sign-in pages, OIDC endpoints, account pages). Only */web packages and cmd
// import it.
package websession

import (
	"context"
	"encoding/json"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// Login is a completed sign-in of a citizen in this browser session.
type Login struct {
	AccountID string          `json:"account_id"`
	Level     assurance.Level `json:"level"`    // the account's level when signing in (1 or 2)
	Strength  assurance.Level `json:"strength"` // 1 after a password, 2 after password and second factor
	AMR       []string        `json:"amr"`      // "pwd", "otp" (TOTP), "sms"
	AuthTime  time.Time       `json:"auth_time"`
	SID       string          `json:"sid"` // session id used in ID tokens and logout
}

// ACRLevel is min(account level, sign-in strength).
func (l Login) ACRLevel() assurance.Level { return assurance.Of(l.Level, l.Strength) }

const keyLogin = "login"

// PutLogin records a completed sign-in. Callers renew the session token first.
func PutLogin(ctx context.Context, sm *scs.SessionManager, l Login) {
	b, _ := json.Marshal(l)
	sm.Put(ctx, keyLogin, string(b))
}

// GetLogin returns the session's sign-in, if any.
func GetLogin(ctx context.Context, sm *scs.SessionManager) (Login, bool) {
	s := sm.GetString(ctx, keyLogin)
	if s == "" {
		return Login{}, false
	}
	var l Login
	if err := json.Unmarshal([]byte(s), &l); err != nil || l.AccountID == "" {
		return Login{}, false
	}
	return l, true
}

// ClearLogin signs the browser session out.
func ClearLogin(ctx context.Context, sm *scs.SessionManager) { sm.Remove(ctx, keyLogin) }
