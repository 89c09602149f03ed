package proofing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/foreigners"
)

// verifyChip runs every check on chip data, in order, and returns the read
// with one Check per test; it stops early only when the data cannot be
// parsed at all. It writes nothing.
func (s *Service) verifyChip(ctx context.Context, chip cardreader.ChipData) (ChipRead, error) {
	now := s.now()
	r := ChipRead{ID: uuid.NewString(), Document: DocumentIDCard, AccessControl: chip.AccessControl, CreatedAt: now}
	if len(chip.DataGroups[1]) == 0 || len(chip.SOD) == 0 {
		return ChipRead{}, fmt.Errorf("%w: the chip data needs EF.SOD and DG1", ErrInvalid)
	}
	// A passport's DG2 (the portrait) comes for the officer's visual
	// comparison; an ID card's never does, nor anyone's DG3.
	mrz, mrzErr := cardreader.ParseDG1(chip.DataGroups[1])
	passport := mrzErr == nil && mrz.Passport()
	for n := range chip.DataGroups {
		if n == 3 || n == 2 && !passport {
			return ChipRead{}, fmt.Errorf("%w: biometric data groups are never sent", ErrInvalid)
		}
	}
	if passport {
		r.Document = DocumentPassport
	}

	// 1. Passive and active authentication.
	res, err := s.cfg.Chips.VerifyChip(chip, now)
	pa := accounts.Check{Name: CheckPassiveAuth, OK: err == nil || errors.Is(err, cardreader.ErrClone)}
	aa := accounts.Check{Name: CheckActiveAuth, OK: err == nil && res.ActiveAuth}
	switch {
	case err != nil && !pa.OK:
		pa.Detail, aa.Detail = err.Error(), "not attempted: passive authentication failed"
	case err != nil:
		aa.Detail = err.Error()
	case !res.ActiveAuth:
		aa.Detail = "the card proved no key of its own (no DG15)"
	default:
		pa.Detail = "signed by " + res.Signer
	}
	r.Signer, r.CSCA = res.Signer, res.CSCA
	r.Checks = append(r.Checks, pa, aa)
	if passport {
		return s.verifyPassport(ctx, chip, mrz, r, pa.OK)
	}

	// 2. DG1 against DG13 and the ID number's rules.
	card, cerr := cardFrom(chip)
	cc := accounts.Check{Name: CheckCardData, OK: cerr == nil}
	if cerr != nil {
		cc.Detail = cerr.Error()
		r.Checks = append(r.Checks, cc)
		return r, nil
	}
	r.Checks = append(r.Checks, cc)
	r.PersonalID, r.DocumentNumber, r.DocumentExpiry = card.PersonalID, card.DocumentNumber, card.ExpiryDate
	r.IssuingState = card.MRZ.IssuingState
	r.Person = card.Person()

	// 3. The population registry, field by field.
	reg := accounts.Check{Name: CheckRegistry}
	p, err := s.cfg.Registry.Person(ctx, card.PersonalID)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		reg.Detail = "no population record for this personal ID number"
	case err != nil:
		return ChipRead{}, fmt.Errorf("proofing: registry: %w", err)
	default:
		r.Mismatches = compare(card, p)
		reg.OK = len(r.Mismatches) == 0
		if !reg.OK {
			reg.Detail = "differs from the registry: " + strings.Join(r.Mismatches, ", ")
		}
	}
	r.Checks = append(r.Checks, reg)

	// 4. The card has not expired.
	dv := accounts.Check{Name: CheckDocumentValid, OK: !card.ExpiryDate.IsZero() && !now.After(card.ExpiryDate.AddDate(0, 0, 1))}
	if !dv.OK {
		dv.Detail = "the card expired on " + card.ExpiryDate.Format(time.DateOnly)
	}
	r.Checks = append(r.Checks, dv)
	return r, nil
}

// cardFrom parses DG1 and DG13 and checks them against each other.
func cardFrom(chip cardreader.ChipData) (*cardreader.Card, error) {
	mrz, err := cardreader.ParseDG1(chip.DataGroups[1])
	if err != nil {
		return nil, err
	}
	com := cardreader.COM{DataGroups: slices.Sorted(maps.Keys(chip.DataGroups))}
	var dg13 *cardreader.DG13
	if b := chip.DataGroups[13]; len(b) > 0 {
		d, err := cardreader.ParseDG13(b)
		if err != nil {
			return nil, err
		}
		dg13 = &d
	}
	return cardreader.NewCard(com, mrz, dg13)
}

// compare names the identity fields where the card and the registry
// disagree (names compared without case or spacing differences).
func compare(c *cardreader.Card, p attributes.Person) []string {
	var bad []string
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	if c.HasDG13 && norm(c.FullName) != norm(p.FullName) {
		bad = append(bad, "full_name")
	}
	if !c.BirthDate.Equal(p.BirthDate) {
		bad = append(bad, "birth_date")
	}
	if c.Gender != p.Gender {
		bad = append(bad, "gender")
	}
	if p.Nationality != "" && c.Nationality != p.Nationality {
		bad = append(bad, "nationality")
	}
	if c.OldID != "" && p.OldID != "" && c.OldID != p.OldID {
		bad = append(bad, "old_id")
	}
	if !c.IssueDate.IsZero() && !p.IssueDate.IsZero() && !c.IssueDate.Equal(p.IssueDate) {
		bad = append(bad, "issue_date")
	}
	return bad
}

// verifyPassport continues verifyChip for a foreigner's passport: the
// MRZ (and the portrait the reader sent), the foreigners' registry field
// by field, and the expiry. paOK says passive authentication passed: only
// then is DG2's portrait known to be the issuer's and kept for the
// officer.
func (s *Service) verifyPassport(ctx context.Context, chip cardreader.ChipData, mrz cardreader.MRZ, r ChipRead, paOK bool) (ChipRead, error) {
	now := r.CreatedAt
	p, err := cardreader.NewPassport(cardreader.COM{}, mrz)
	pd := accounts.Check{Name: CheckPassportData, OK: err == nil, Detail: "the TD3 MRZ's check digits are valid"}
	if err != nil {
		pd.Detail = err.Error()
		r.Checks = append(r.Checks, pd)
		return r, nil
	}
	switch dg2 := chip.DataGroups[2]; {
	case len(dg2) == 0:
		pd.OK, pd.Detail = false, "the reader sent no portrait (DG2) of the passport, which the officer must compare: cardreader enrol sends it"
	case paOK:
		img, format, err := cardreader.PortraitImage(dg2)
		if err != nil {
			pd.OK, pd.Detail = false, err.Error()
			break
		}
		r.Portrait, r.PortraitFormat = img, map[string]string{"jpeg": "image/jpeg", "jpeg2000": "image/jp2"}[format]
		pd.Detail += "; the chip's portrait (DG2) is signed by the issuing state"
	}
	r.Checks = append(r.Checks, pd)
	r.DocumentNumber, r.IssuingState, r.DocumentExpiry = p.DocumentNumber, p.IssuingState, p.ExpiryDate
	r.Person = attributes.Person{FullName: p.Name(), BirthDate: p.BirthDate, Gender: p.Gender,
		Nationality: foreigners.Alpha2(p.Nationality), PassportNo: p.DocumentNumber}

	// The foreigners' registry, field by field. Its country codes are
	// ICAO alpha-3 like the MRZ's, except Germany's "D" (CountryCode).
	reg := accounts.Check{Name: CheckForeignersRegistry}
	issuing, ierr := foreigners.CountryCode(p.IssuingState)
	switch {
	case s.cfg.Foreigners == nil:
		reg.Detail = "no foreigners' registry is configured"
	case ierr != nil:
		reg.Detail = "the issuing state is not a country the registry knows"
	default:
		res, err := s.cfg.Foreigners.ByPassport(ctx, issuing, p.DocumentNumber)
		switch {
		case errors.Is(err, foreigners.ErrNotFound):
			reg.Detail = "no foreigners' registry record for this passport"
		case err != nil:
			return ChipRead{}, fmt.Errorf("proofing: foreigners' registry: %w", err)
		default:
			r.PersonalID = res.ID
			r.Mismatches = comparePassport(p, res)
			reg.OK = len(r.Mismatches) == 0
			if reg.OK {
				reg.Detail = "the registry's passport, nationality, name, birth date, sex and expiry agree; assigned number " + res.ID
				r.Person.PersonalID = res.ID
			} else {
				reg.Detail = "differs from the foreigners' registry: " + strings.Join(r.Mismatches, ", ")
			}
		}
	}
	r.Checks = append(r.Checks, reg)

	dv := accounts.Check{Name: CheckDocumentValid, OK: !now.After(p.ExpiryDate.AddDate(0, 0, 1))}
	if !dv.OK {
		dv.Detail = "the passport expired on " + p.ExpiryDate.Format(time.DateOnly)
	}
	r.Checks = append(r.Checks, dv)
	return r, nil
}

// comparePassport names the fields where the passport's MRZ and the
// foreigners' registry disagree (names compared in MRZ form).
func comparePassport(p *cardreader.Passport, res foreigners.Resident) []string {
	var bad []string
	if issuing, _ := foreigners.CountryCode(p.IssuingState); issuing != res.IssuingCountry {
		bad = append(bad, "issuing_country")
	}
	if nat, _ := foreigners.CountryCode(p.Nationality); nat != res.Nationality {
		bad = append(bad, "nationality")
	}
	if foreigners.MRZName(p.PrimaryID) != res.PrimaryName || foreigners.MRZName(p.SecondaryID) != res.SecondaryName {
		bad = append(bad, "name")
	}
	if !p.BirthDate.Equal(res.BirthDate) {
		bad = append(bad, "birth_date")
	}
	sex := p.Sex
	if sex == "<" {
		sex = foreigners.SexUnspecified
	}
	if sex != res.Sex {
		bad = append(bad, "sex")
	}
	if !p.ExpiryDate.Equal(res.PassportExpiry) {
		bad = append(bad, "passport_expiry")
	}
	return bad
}
