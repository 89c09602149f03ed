package web

import (
	"context"
	"encoding/json"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
)

// Session keys of the sign-in flow. The completed sign-in itself is
// websession.Login.
const (
	keyPending  = "signin.pending"   // pendingSignIn (JSON)
	keyReturnTo = "signin.return_to" // where to go after signing in
	keyLang     = "signin.lang"      // the language chosen for the flow
)

// pendingSignIn is a sign-in whose password was verified and that waits for
// a second factor.
type pendingSignIn struct {
	AccountID  string            `json:"account_id"`
	Level      assurance.Level   `json:"level"`
	Factors    []accounts.Factor `json:"factors"`
	PasswordAt time.Time         `json:"password_at"`
	// Method is the factor the page shows; SMSSentTo the masked phone a
	// code went to.
	Method    accounts.Factor `json:"method"`
	SMSSentTo string          `json:"sms_sent_to,omitempty"`
}

func (p pendingSignIn) has(f accounts.Factor) bool {
	for _, x := range p.Factors {
		if x == f {
			return true
		}
	}
	return false
}

func getPending(ctx context.Context, sm *scs.SessionManager) (pendingSignIn, bool) {
	s := sm.GetString(ctx, keyPending)
	if s == "" {
		return pendingSignIn{}, false
	}
	var p pendingSignIn
	if err := json.Unmarshal([]byte(s), &p); err != nil || p.AccountID == "" {
		return pendingSignIn{}, false
	}
	return p, true
}

func putPending(ctx context.Context, sm *scs.SessionManager, p pendingSignIn) {
	b, _ := json.Marshal(p)
	sm.Put(ctx, keyPending, string(b))
}
