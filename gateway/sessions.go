package gateway

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/templates"
)

// sessionServices lists, for the account's sessions page, the relying
// parties that hold tokens for the account (signing out everywhere ends
// them) or a consent in force (which stays), by name in the page language.
func (g *Gateway) sessionServices(ctx context.Context, accountID string, lang templates.Lang) ([]templates.SessionsService, error) {
	now := g.Consent.Now()
	holders, err := g.OIDCStore.TokenHolders(ctx, accountID, now)
	if err != nil {
		return nil, err
	}
	grants, err := g.Consent.Connections(ctx, accountID)
	if err != nil {
		return nil, err
	}
	byClient := map[string]*templates.SessionsService{}
	var order []string
	since := map[string]time.Time{}
	add := func(clientID string) *templates.SessionsService {
		if s, ok := byClient[clientID]; ok {
			return s
		}
		s := &templates.SessionsService{ClientID: clientID, Name: clientID}
		if c, err := g.Clients.Get(ctx, clientID); err == nil {
			s.Name = c.Name.VI
			if lang == templates.EN && c.Name.EN != "" {
				s.Name = c.Name.EN
			}
		}
		byClient[clientID] = s
		order = append(order, clientID)
		return s
	}
	for _, gr := range grants {
		if gr.Status(now) != consent.StatusActive {
			continue
		}
		s := add(gr.ClientID)
		s.Consent = true
		since[gr.ClientID] = gr.GrantedAt
		for _, c := range gr.Claims {
			if !biometricClaim(c) {
				s.Claims = append(s.Claims, "consent.claim."+c)
			}
		}
	}
	ids := make([]string, 0, len(holders))
	for id := range holders {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := add(id)
		s.Tokens = true
		if t, ok := since[id]; !ok || holders[id].Before(t) {
			since[id] = holders[id]
		}
	}
	out := make([]templates.SessionsService, 0, len(order))
	for _, id := range order {
		s := byClient[id]
		s.Since = formatTime(since[id], lang)
		out = append(out, *s)
	}
	return out, nil
}

// biometricClaim: claims never shown to anyone (as on the account page).
func biometricClaim(claim string) bool {
	c := strings.ToLower(claim)
	for _, s := range []string{"portrait", "picture", "photo", "face", "fingerprint", "biometric"} {
		if strings.Contains(c, s) {
			return true
		}
	}
	return false
}

func formatTime(t time.Time, l templates.Lang) string {
	if t.IsZero() {
		return ""
	}
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04")
	}
	return webpage.Minute(t)
}

// boundDevice is the sessions page's app device: the phone the account is
// bound to (accounts.Service.BoundDevice), nil when none.
func (g *Gateway) boundDevice(ctx context.Context, accountID string, lang templates.Lang) (*templates.SessionsDevice, error) {
	d, err := g.Accounts.BoundDevice(ctx, accountID)
	if errors.Is(err, accounts.ErrNoDevice) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		if lang == templates.EN {
			return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04")
		}
		return webpage.Minute(t)
	}
	name := d.Name
	switch {
	case name == "":
		name = d.Model
	case d.Model != "" && d.Model != name:
		name += " (" + d.Model + ")"
	}
	out := &templates.SessionsDevice{Name: name, BoundAt: when(d.BoundAt)}
	if d.LastSignInAt != nil {
		out.LastSeen = when(*d.LastSignInAt)
	}
	return out, nil
}
