package attributes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// Scope names a relying party may ask for (MISSION "Fixed names"). openid and
// offline_access carry no claims of their own.
const (
	ScopeOpenID              = "openid"
	ScopeProfile             = "profile"
	ScopePersonalID          = "personal_id"
	ScopeAddress             = "address"
	ScopePhone               = "phone"
	ScopeEmail               = "email"
	ScopeDrivingLicence      = "documents.driving_licence"
	ScopeVehicleRegistration = "documents.vehicle_registration"
	ScopeHealthInsurance     = "documents.health_insurance"
	ScopeSocialInsurance     = "documents.social_insurance"
	ScopeDependents          = "dependents"
	// ScopePassport releases a foreigner's passport; ScopeResidencePermit
	// their visa or residence card. Two scopes, so that a service that
	// needs one (a hotel the passport, an employer the permit) is not
	// given the other.
	ScopePassport        = "passport"
	ScopeResidencePermit = "residence_permit"
	ScopeOfflineAccess   = "offline_access"
)

// Claim names released by this gateway. OIDC Core §5.1 names where one
// exists; personal_id_number and the document claims are ours.
const (
	ClaimName                = "name"
	ClaimBirthdate           = "birthdate"
	ClaimGender              = "gender"
	ClaimNationality         = "nationality"
	ClaimPersonalIDNumber    = "personal_id_number"
	ClaimAddress             = "address"
	ClaimPhoneNumber         = "phone_number"
	ClaimPhoneNumberVerified = "phone_number_verified"
	ClaimEmail               = "email"
	ClaimDrivingLicence      = "driving_licence"
	ClaimVehicleRegistration = "vehicle_registration"
	ClaimHealthInsurance     = "health_insurance"
	ClaimSocialInsurance     = "social_insurance"
	ClaimDependents          = "dependents"
	// ClaimPassport is {number, issuing_country, expiry}; ClaimResidencePermit
	// is {kind, number, expiry}. Foreigners only; nationality comes from the
	// passport for them.
	ClaimPassport        = "passport"
	ClaimResidencePermit = "residence_permit"
)

// ClaimPolicy says which scope releases a claim and the assurance level
// (acr) the sign-in must have reached for it.
type ClaimPolicy struct {
	Claim    string
	Scope    string
	MinLevel assurance.Level
}

// policy is the whole release policy. There is deliberately no entry that
// could carry a portrait or a fingerprint: those are not attributes.
var policy = []ClaimPolicy{
	{ClaimName, ScopeProfile, assurance.Level1},
	{ClaimBirthdate, ScopeProfile, assurance.Level1},
	{ClaimGender, ScopeProfile, assurance.Level1},
	{ClaimNationality, ScopeProfile, assurance.Level1},
	{ClaimPersonalIDNumber, ScopePersonalID, assurance.Level1},
	{ClaimAddress, ScopeAddress, assurance.Level1},
	{ClaimPhoneNumber, ScopePhone, assurance.Level1},
	{ClaimPhoneNumberVerified, ScopePhone, assurance.Level1},
	{ClaimEmail, ScopeEmail, assurance.Level1},
	{ClaimPassport, ScopePassport, assurance.Level1},
	{ClaimResidencePermit, ScopeResidencePermit, assurance.Level1},
	{ClaimDrivingLicence, ScopeDrivingLicence, assurance.Level2},
	{ClaimVehicleRegistration, ScopeVehicleRegistration, assurance.Level2},
	{ClaimHealthInsurance, ScopeHealthInsurance, assurance.Level2},
	{ClaimSocialInsurance, ScopeSocialInsurance, assurance.Level2},
	{ClaimDependents, ScopeDependents, assurance.Level1},
}

var (
	byClaim = map[string]ClaimPolicy{}
	scopes  = map[string]assurance.Level{ScopeOpenID: assurance.Level1, ScopeOfflineAccess: assurance.Level1}
)

func init() {
	for _, p := range policy {
		byClaim[p.Claim] = p
		if p.MinLevel > scopes[p.Scope] {
			scopes[p.Scope] = p.MinLevel
		}
	}
}

// Scopes returns every scope the gateway knows, sorted.
func Scopes() []string {
	out := make([]string, 0, len(scopes))
	for s := range scopes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// KnownScope reports whether scope is one of Scopes().
func KnownScope(scope string) bool { _, ok := scopes[scope]; return ok }

// CitizenScope reports whether scope concerns a citizen (everything but
// none): machine clients using client credentials may ask for none of them.
func CitizenScope(scope string) bool { return KnownScope(scope) }

// ScopeLevel is the assurance level a scope needs (1 or 2); 0 when unknown.
func ScopeLevel(scope string) assurance.Level { return scopes[scope] }

// Claims returns every releasable claim name, sorted.
func Claims() []string {
	out := make([]string, 0, len(policy))
	for _, p := range policy {
		out = append(out, p.Claim)
	}
	sort.Strings(out)
	return out
}

// Policy returns the policy of claim, if it is releasable at all.
func Policy(claim string) (ClaimPolicy, bool) {
	p, ok := byClaim[claim]
	return p, ok
}

// ClaimsForScopes lists the claims the given scopes release (OIDC Core §5.4),
// sorted and without duplicates.
func ClaimsForScopes(scopeList []string) []string {
	want := map[string]bool{}
	for _, s := range scopeList {
		want[s] = true
	}
	var out []string
	for _, p := range policy {
		if want[p.Scope] {
			out = append(out, p.Claim)
		}
	}
	sort.Strings(out)
	return out
}

// ClaimsFor lists every claim a request could release: those its scopes
// imply and those requested one by one (claims parameter), sorted and
// without duplicates. Unknown names are kept; Release drops them.
func ClaimsFor(scopeList, claims []string) []string {
	out := append(ClaimsForScopes(scopeList), claims...)
	sort.Strings(out)
	return slices.Compact(out)
}

// Release reads the named claims of the person with personalID from the
// registries. level is the assurance level of the sign-in (acr); claims that
// need more are withheld, as are unknown names. It returns the values and
// the names actually released (sorted). It reads only the population and
// document registries: it has no way to reach biometric data.
func Release(ctx context.Context, reg Registry, docs DocumentSource, personalID string, level assurance.Level, names []string) (map[string]any, []string, error) {
	out := map[string]any{}
	want := map[string]bool{}
	var kinds []DocumentKind
	needPerson := false
	for _, n := range names {
		p, ok := byClaim[n]
		if !ok || p.MinLevel > level || want[n] {
			continue
		}
		want[n] = true
		switch n {
		case ClaimDrivingLicence:
			kinds = append(kinds, DrivingLicence)
		case ClaimVehicleRegistration:
			kinds = append(kinds, VehicleRegistration)
		case ClaimHealthInsurance:
			kinds = append(kinds, HealthInsurance)
		case ClaimSocialInsurance:
			kinds = append(kinds, SocialInsurance)
		case ClaimDependents:
		default:
			needPerson = true
		}
	}
	if len(want) == 0 {
		return out, nil, nil
	}
	if needPerson {
		person, err := reg.Person(ctx, personalID)
		if err != nil {
			return nil, nil, fmt.Errorf("attributes: release: read person: %w", err)
		}
		personClaims(person, want, out)
	}
	if want[ClaimDependents] {
		deps, err := reg.Dependents(ctx, personalID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, nil, fmt.Errorf("attributes: release: read dependents: %w", err)
		}
		list := make([]map[string]any, 0, len(deps))
		for _, d := range deps {
			list = append(list, map[string]any{
				"name":      d.FullName,
				"birthdate": date(d.BirthDate),
				"gender":    string(d.Gender),
				"relation":  d.Relation,
			})
		}
		out[ClaimDependents] = list
	}
	if len(kinds) > 0 {
		found, err := docs.Documents(ctx, personalID, kinds...)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, nil, fmt.Errorf("attributes: release: read documents: %w", err)
		}
		byKind := map[DocumentKind][]map[string]any{}
		for _, d := range found {
			byKind[d.Kind] = append(byKind[d.Kind], documentClaim(d))
		}
		for _, k := range kinds {
			list := byKind[k]
			if list == nil {
				list = []map[string]any{}
			}
			out[string(k)] = list
		}
	}
	released := make([]string, 0, len(out))
	for n := range out {
		released = append(released, n)
	}
	sort.Strings(released)
	return out, released, nil
}

func personClaims(p Person, want map[string]bool, out map[string]any) {
	set := func(name string, v any, ok bool) {
		if want[name] && ok {
			out[name] = v
		}
	}
	set(ClaimName, p.FullName, p.FullName != "")
	set(ClaimBirthdate, date(p.BirthDate), !p.BirthDate.IsZero())
	set(ClaimGender, string(p.Gender), p.Gender != "")
	set(ClaimNationality, p.Nationality, p.Nationality != "")
	set(ClaimPersonalIDNumber, p.PersonalID, p.PersonalID != "")
	set(ClaimAddress, addressClaim(p.Residence), p.Residence != (Address{}))
	set(ClaimPhoneNumber, p.Phone, p.Phone != "")
	set(ClaimPhoneNumberVerified, true, p.Phone != "")
	set(ClaimEmail, p.Email, p.Email != "")
	if p.Passport != nil {
		set(ClaimPassport, map[string]any{"number": p.Passport.Number, "issuing_country": p.Passport.IssuingCountry,
			"expiry": date(p.Passport.Expiry)}, true)
	}
	if p.ResidencePermit != nil {
		set(ClaimResidencePermit, map[string]any{"kind": p.ResidencePermit.Kind, "number": p.ResidencePermit.Number,
			"expiry": date(p.ResidencePermit.Expiry)}, true)
	}
}

// addressClaim renders OIDC Core §5.1.1's address claim.
func addressClaim(a Address) map[string]any {
	var parts []string
	for _, s := range []string{a.Street, a.Ward, a.District, a.Province} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	m := map[string]any{"formatted": strings.Join(parts, ", ")}
	if a.Street != "" {
		m["street_address"] = a.Street
	}
	if loc := strings.Join(nonEmpty(a.Ward, a.District), ", "); loc != "" {
		m["locality"] = loc
	}
	if a.Province != "" {
		m["region"] = a.Province
	}
	if a.Country != "" {
		m["country"] = a.Country
	}
	return m
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// biometricField reports document fields that must never leave the gateway,
// whatever an importer put there.
func biometricField(k string) bool {
	k = strings.ToLower(k)
	for _, bad := range []string{"portrait", "photo", "face", "finger", "biometric", "image"} {
		if strings.Contains(k, bad) {
			return true
		}
	}
	return false
}

func documentClaim(d Document) map[string]any {
	m := map[string]any{"number": d.Number}
	if !d.IssuedOn.IsZero() {
		m["issued_on"] = date(d.IssuedOn)
	}
	if d.ExpiresOn != nil {
		m["expires_on"] = date(*d.ExpiresOn)
	}
	if d.Issuer != "" {
		m["issuer"] = d.Issuer
	}
	// The status is always part of the claim: a suspended, withdrawn or
	// expired document is released as such, never as valid.
	status := d.Status
	if status == "" {
		status = StatusValid
	}
	m["status"] = status
	if len(d.Fields) > 0 {
		f := map[string]string{}
		for k, v := range d.Fields {
			if !biometricField(k) {
				f[k] = v
			}
		}
		if len(f) > 0 {
			m["fields"] = f
		}
	}
	return m
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// rank is each claim's place when claims are listed to a person: the
// policy's order, which is the identity card's (name, date of birth, sex,
// nationality, ID number, residence), then contact details, documents and
// dependents.
var rank = func() map[string]int {
	m := make(map[string]int, len(policy))
	for i, p := range policy {
		m[p.Claim] = i
	}
	return m
}()

// CompareClaims orders claim names as they are listed to a person (on the
// consent screen, the account page, receipts, the sharing pages): known
// claims in the policy's order, unknown names after them, alphabetically.
func CompareClaims(a, b string) int {
	ra, okA := rank[a]
	rb, okB := rank[b]
	switch {
	case okA && okB:
		return ra - rb
	case okA:
		return -1
	case okB:
		return 1
	}
	return strings.Compare(a, b)
}

// DisplayOrder returns a copy of names in the order they are listed to a
// person (CompareClaims), without duplicates.
func DisplayOrder(names []string) []string {
	out := slices.Clone(names)
	slices.SortFunc(out, CompareClaims)
	return slices.Compact(out)
}
