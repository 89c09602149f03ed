package cardreader

import (
	"crypto/subtle"
	"fmt"
	"slices"
	"time"
)

// Verification is the outcome of Verify. Its JSON form is what
// `cardreader read` prints.
type Verification struct {
	// Signer is the document signer certificate (subject and serial, e.g.
	// "CN=Test Document Signer VN,O=Test State,C=VN, serial 1A2B"), CSCA
	// the trusted certificate it chains to.
	Signer string `json:"signer,omitempty"`
	CSCA   string `json:"csca,omitempty"`
	// DataGroups are the numbers of the data groups whose hashes matched,
	// in ascending order.
	DataGroups []int `json:"data_groups,omitempty"`
	// PassiveAuth is true when passive authentication passed as a whole
	// (signature, chain, validity, every data group's hash): an error
	// beside it is active authentication's.
	PassiveAuth bool `json:"passive_auth"`
	// ActiveAuth is true when the chip answered the challenge with its
	// DG15 key (ICAO 9303-11 §6.1), i.e. the data did not come from a copy.
	ActiveAuth bool `json:"active_auth"`
}

// mandatoryDataGroups must be in every verified read of an ID card: the
// MRZ and the Vietnamese personal data. A passport (DG1 holding a TD3 MRZ,
// which the SOD's hash of DG1 binds) needs DG1 only.
var mandatoryDataGroups, passportDataGroups = []int{1, 13}, []int{1}

// Verify runs passive authentication (ICAO 9303-11 §5.1) and, when the chip
// has DG15, active authentication (§6.1) over chip, trusting the CSCAs of
// ts at time now:
//
//  1. EF.SOD decodes (else ErrSOD) and carries the document signer
//     certificate, which a CSCA of ts issued (else ErrUnknownSigner);
//  2. the SOD's message digest attribute is the hash of the
//     LDSSecurityObject and its signature verifies with the document
//     signer's key (ErrSOD);
//  3. the document signer is not on its CSCA's CRL (ErrRevoked), and both
//     certificates are valid at now (ErrSignerExpired);
//  4. DG1 and DG13 (DG1 only for a passport) are present (ErrDataGroup), and every data group in
//     chip.DataGroups has a hash in the SOD equal to its hash
//     (ErrDataGroupHash);
//  5. if the SOD covers DG15, DG15 must be present and
//     chip.ActiveAuthSignature must verify over chip.Challenge with its key
//     (ErrClone), so that leaving DG15 out cannot skip the check.
//
// The caller must check that chip.Challenge is the challenge it chose
// itself (fresh, never reused): Verify cannot know it. On error the
// Verification holds what was established before the failure (Signer and
// CSCA when known).
func Verify(chip ChipData, ts *TrustStore, now time.Time) (Verification, error) {
	var v Verification
	sod, err := ParseSOD(chip.SOD)
	if err != nil {
		return v, err
	}
	ds, err := sod.cms.signerCertificate()
	if err != nil {
		return v, fmt.Errorf("%w: %v", ErrUnknownSigner, err)
	}
	v.Signer = ds.label()
	if ts == nil {
		return v, fmt.Errorf("%w: no trusted csca", ErrUnknownSigner)
	}
	// Chain first: the SOD's own key is the sender's choice, a trusted
	// CSCA's key is not, so unknown signers cost one verification only.
	csca, revoked := ts.issuerOf(ds)
	if csca == nil {
		return v, fmt.Errorf("%w: no trusted csca issued %s", ErrUnknownSigner, v.Signer)
	}
	v.CSCA = csca.label()
	if err := sod.cms.verify(ds); err != nil {
		return v, fmt.Errorf("%w: %v", ErrSOD, err)
	}
	if revoked {
		return v, fmt.Errorf("%w: %s", ErrRevoked, v.Signer)
	}
	if !ds.validAt(now) {
		return v, fmt.Errorf("%w: document signer valid %s to %s", ErrSignerExpired,
			ds.notBefore.UTC().Format(time.DateOnly), ds.notAfter.UTC().Format(time.DateOnly))
	}
	if !csca.validAt(now) {
		return v, fmt.Errorf("%w: csca valid %s to %s", ErrSignerExpired,
			csca.notBefore.UTC().Format(time.DateOnly), csca.notAfter.UTC().Format(time.DateOnly))
	}
	mandatory := mandatoryDataGroups
	if m, err := ParseDG1(chip.DataGroups[1]); err == nil && m.Passport() {
		mandatory = passportDataGroups
	}
	for _, n := range mandatory {
		if len(chip.DataGroups[n]) == 0 {
			return v, fmt.Errorf("%w: dg%d not read", ErrDataGroup, n)
		}
	}
	// An empty entry counts as not read. Data groups are checked in order,
	// so the error names the same one on every run.
	var read []int
	for n, b := range chip.DataGroups {
		if len(b) > 0 {
			read = append(read, n)
		}
	}
	slices.Sort(read)
	for _, n := range read {
		b := chip.DataGroups[n]
		want, ok := sod.DataGroupHashes[n]
		if !ok {
			return v, fmt.Errorf("%w: dg%d has no hash in the sod", ErrDataGroupHash, n)
		}
		h := sod.HashAlgorithm.New()
		h.Write(b)
		if subtle.ConstantTimeCompare(h.Sum(nil), want) != 1 {
			return v, fmt.Errorf("%w: dg%d", ErrDataGroupHash, n)
		}
		v.DataGroups = append(v.DataGroups, n)
	}
	v.PassiveAuth = true
	dg15 := chip.DataGroups[15]
	has15 := len(dg15) > 0
	if _, signed15 := sod.DataGroupHashes[15]; signed15 && !has15 {
		return v, fmt.Errorf("%w: the sod covers dg15 but it was not read", ErrClone)
	}
	if has15 {
		if err := verifyActiveAuth(dg15, chip.DataGroups[14], chip.Challenge, chip.ActiveAuthSignature); err != nil {
			return v, err
		}
		v.ActiveAuth = true
	}
	return v, nil
}
