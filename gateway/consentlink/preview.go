package consentlink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
)

// Preview implements consent/web.ValuePreview: the citizen's values of the
// claims the scopes and claims would release, read through the release
// policy (attributes.Release, which cannot reach biometric data) at the
// account's level, formatted for display. A claim the registries hold no
// value for is left out (the screen still names it).
func (l *Provider) Preview(ctx context.Context, accountID string, scopes, claims []string) ([]consentweb.Item, error) {
	a, err := l.cfg.Accounts.Get(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview: load account: %w", err)
	}
	names := attributes.ClaimsFor(scopes, claims)
	vals, _, err := attributes.Release(ctx, l.cfg.Registry, l.cfg.Documents, a.PersonalID, a.Level, names)
	if errors.Is(err, attributes.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consentlink: preview: %w", err)
	}
	var out []consentweb.Item
	for _, n := range names {
		v, ok := vals[n]
		if !ok {
			continue
		}
		if s := display(n, v); s != "" {
			out = append(out, consentweb.Item{Claim: n, Value: s})
		}
	}
	return out, nil
}

// display formats a released value as a Vietnamese citizen reads it: dates
// dd/mm/yyyy, the address on one line, documents by number and issuer.
// Document fields (licence classes, plates…) are not shown.
func display(claim string, v any) string {
	switch claim {
	case attributes.ClaimBirthdate:
		s, _ := v.(string)
		return date(s)
	case attributes.ClaimGender:
		switch v {
		case string(attributes.Male):
			return "Nam"
		case string(attributes.Female):
			return "Nữ"
		}
	case attributes.ClaimNationality:
		if v == "VN" {
			return "Việt Nam"
		}
	case attributes.ClaimPhoneNumberVerified:
		if b, _ := v.(bool); b {
			return "✓"
		}
		return ""
	case attributes.ClaimAddress:
		m, _ := v.(map[string]any)
		s, _ := m["formatted"].(string)
		return s
	case attributes.ClaimDependents:
		list, _ := v.([]map[string]any)
		var parts []string
		for _, d := range list {
			name, _ := d["name"].(string)
			born, _ := d["birthdate"].(string)
			parts = append(parts, strings.TrimSpace(name+" ("+date(born)+")"))
		}
		return strings.Join(parts, "; ")
	case attributes.ClaimDrivingLicence, attributes.ClaimVehicleRegistration,
		attributes.ClaimHealthInsurance, attributes.ClaimSocialInsurance:
		list, _ := v.([]map[string]any)
		var parts []string
		for _, d := range list {
			number, _ := d["number"].(string)
			issuer, _ := d["issuer"].(string)
			if issuer != "" {
				number += " (" + issuer + ")"
			}
			parts = append(parts, number)
		}
		return strings.Join(parts, "; ")
	}
	switch x := v.(type) {
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// date turns yyyy-mm-dd into dd/mm/yyyy.
func date(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}
