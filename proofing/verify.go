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
)

// verifyChip runs every check on chip data, in order, and returns the read
// with one Check per test; it stops early only when the data cannot be
// parsed at all. It writes nothing.
func (s *Service) verifyChip(ctx context.Context, chip cardreader.ChipData) (ChipRead, error) {
	now := s.now()
	r := ChipRead{ID: uuid.NewString(), AccessControl: chip.AccessControl, CreatedAt: now}
	if len(chip.DataGroups[1]) == 0 || len(chip.SOD) == 0 {
		return ChipRead{}, fmt.Errorf("%w: the chip data needs EF.SOD and DG1", ErrInvalid)
	}
	for n := range chip.DataGroups {
		if n == 2 || n == 3 {
			return ChipRead{}, fmt.Errorf("%w: biometric data groups are never sent", ErrInvalid)
		}
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
