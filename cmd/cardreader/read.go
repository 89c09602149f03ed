package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/pcsc"
)

// cardFlags are the flags every command that touches the card shares.
type cardFlags struct {
	socket, reader, can, mrzKey string
	wait                        time.Duration
}

// pollEvery is how often --wait asks pcscd for a card: the PC/SC client
// has no card events.
const pollEvery = 250 * time.Millisecond

func (c *cardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.socket, "socket", "", "pcscd socket (default /run/pcscd/pcscd.comm)")
	fs.StringVar(&c.reader, "reader", "", "reader name or part of it (default: the first reader holding a card)")
	fs.StringVar(&c.can, "can", "", "card access number, for PACE")
	fs.StringVar(&c.mrzKey, "mrz-key", "", "DOCNO,DOB,EXPIRY (dates YYMMDD), for BAC")
	fs.DurationVar(&c.wait, "wait", 0, "how long to wait for a card to be put on the reader (0: not at all)")
}

// request checks the access key flags: exactly one of --can, --mrz-key.
func (c *cardFlags) request() (chipRequest, error) {
	switch {
	case c.can != "" && c.mrzKey != "":
		return chipRequest{}, fmt.Errorf("%w: give --can or --mrz-key, not both", errUsage)
	case c.can != "":
		if len(c.can) != 6 || strings.Trim(c.can, "0123456789") != "" {
			return chipRequest{}, fmt.Errorf("%w: --can is 6 digits", errUsage)
		}
		return chipRequest{CAN: c.can}, nil
	case c.mrzKey != "":
		k, err := parseMRZKey(c.mrzKey)
		if err != nil {
			return chipRequest{}, err
		}
		return chipRequest{Key: k}, nil
	}
	return chipRequest{}, fmt.Errorf("%w: an access key is needed: --can or --mrz-key", errUsage)
}

// parseMRZKey reads DOCNO,DOB,EXPIRY. A 12-digit ID number stands for its
// last 9 digits, the CCCD's MRZ document number.
func parseMRZKey(s string) (cardreader.Key, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return cardreader.Key{}, fmt.Errorf("%w: --mrz-key is DOCNO,DOB,EXPIRY", errUsage)
	}
	for i := range parts {
		parts[i] = strings.ToUpper(strings.TrimSpace(parts[i]))
	}
	doc := parts[0]
	if len(doc) == 12 && strings.Trim(doc, "0123456789") == "" {
		doc = doc[3:]
	}
	for _, d := range []struct{ name, v string }{{"date of birth", parts[1]}, {"expiry", parts[2]}} {
		if _, err := time.Parse("060102", d.v); err != nil {
			return cardreader.Key{}, fmt.Errorf("%w: --mrz-key: the %s is not a YYMMDD date", errUsage, d.name)
		}
	}
	k := cardreader.Key{DocumentNumber: doc, BirthDate: parts[1], ExpiryDate: parts[2]}
	if _, err := k.MRZInformation(); err != nil {
		// The error names the field, never the value.
		return cardreader.Key{}, fmt.Errorf("%w: --mrz-key: %w", errUsage, err)
	}
	return k, nil
}

// connect opens the card through pcscd. release disconnects (resetting
// the card, so no secure messaging session outlives the read) and closes
// the context; it is safe to call twice, as a second Disconnect is not
// (the client waits seconds for pcscd's answer to it).
func (c *cardFlags) connect(ctx context.Context) (card *pcsc.Card, release func(), err error) {
	x, err := pcsc.Establish(c.socket)
	if err != nil {
		return nil, nil, err
	}
	deadline := time.Now().Add(c.wait)
	for {
		card, err = x.Connect(ctx, c.reader)
		if err == nil || !errors.Is(err, pcsc.ErrNoCard) || time.Now().Add(pollEvery).After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(pollEvery):
			continue
		}
		break
	}
	if err != nil {
		_ = x.Close()
		return nil, nil, err
	}
	var once sync.Once
	return card, func() {
		once.Do(func() {
			_ = card.Close()
			_ = x.Close()
		})
	}, nil
}

func runRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cardreader read", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf cardFlags
	cf.register(fs)
	face := fs.String("face", "", "write the portrait (DG2's image) to this file")
	trust := fs.String("trust", "", "CSCA list for passive authentication: a master list or PEM file, or a folder of PEM and CRL files")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	req, err := cf.request()
	if err != nil {
		return err
	}
	req.Portrait = *face != ""
	var ts *cardreader.TrustStore
	if *trust != "" {
		// Loaded before the card is touched: a bad list fails at once.
		if ts, err = cardreader.LoadTrust(*trust); err != nil {
			return fmt.Errorf("--trust: %w", err)
		}
	}

	card, release, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	defer release()
	r, err := readChip(ctx, card, req)
	if err != nil {
		return err
	}
	release()
	out := report(card.Reader, r)
	var failed error
	if ts != nil {
		failed = verify(&out, r, ts)
	}
	if *face != "" && failed == nil {
		// A portrait from a chip that failed verification is not written:
		// nothing says it is the holder's.
		img, format, err := portraitImage(r.Portrait)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*face, img, 0o600); err != nil {
			return err
		}
		out.Face = &faceFile{File: *face, Format: format, Bytes: len(img)}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	return failed
}

// readOutput is what `cardreader read` prints. It has no portrait field.
type readOutput struct {
	Reader        string   `json:"reader"`
	AccessControl string   `json:"access_control"`
	Identity      identity `json:"identity"`
	// Checks are the verifications really made. The read's own checks all
	// passed (a failed one ends the read with an error instead); a failed
	// passive or active authentication is listed with passed false and its
	// reason, and the command then ends with that error (exit code 1).
	Checks []check `json:"checks"`
	// Verification is what passive and active authentication established
	// (--trust only): the document signer, its CSCA, the data groups whose
	// hashes matched.
	Verification *cardreader.Verification `json:"verification,omitempty"`
	// NotChecked names the verifications this read did not make, and why.
	NotChecked []check    `json:"not_checked"`
	DataGroups []int      `json:"data_groups_listed"`
	ChipFiles  []string   `json:"chip_files_read"`
	Face       *faceFile  `json:"face,omitempty"`
	ReadAt     time.Time  `json:"read_at"`
	Card       *cardDates `json:"card"`
}

type identity struct {
	Document         string `json:"document"` // "id_card" or "passport"
	IssuingState     string `json:"issuing_state,omitempty"`
	PersonalID       string `json:"personal_id"`
	DocumentNumber   string `json:"document_number"`
	FullName         string `json:"full_name"`
	MRZName          string `json:"mrz_name"`
	BirthDate        string `json:"birth_date"`
	Gender           string `json:"gender"`
	Nationality      string `json:"nationality"`
	Ethnicity        string `json:"ethnicity,omitempty"`
	Religion         string `json:"religion,omitempty"`
	PlaceOfOrigin    string `json:"place_of_origin,omitempty"`
	Residence        string `json:"residence,omitempty"`
	IdentifyingMarks string `json:"identifying_marks,omitempty"`
	FatherName       string `json:"father_name,omitempty"`
	MotherName       string `json:"mother_name,omitempty"`
	SpouseName       string `json:"spouse_name,omitempty"`
	OldID            string `json:"old_id,omitempty"`
}

type cardDates struct {
	IssueDate  string `json:"issue_date,omitempty"`
	ExpiryDate string `json:"expiry_date"`
	Expired    bool   `json:"expired"`
	LDSVersion string `json:"lds_version,omitempty"`
}

type check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

type faceFile struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Bytes  int    `json:"bytes"`
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// report turns a read into the printed JSON, checks included.
func report(reader string, r *chipRead) readOutput {
	if r.Passport != nil {
		return reportPassport(reader, r)
	}
	c := r.Card
	out := readOutput{
		Reader:        reader,
		AccessControl: r.Chip.AccessControl,
		Identity: identity{
			Document: "id_card", IssuingState: c.MRZ.IssuingState, PersonalID: c.PersonalID, DocumentNumber: c.DocumentNumber, FullName: c.FullName,
			MRZName: c.MRZName, BirthDate: day(c.BirthDate), Gender: string(c.Gender),
			Nationality: c.Nationality, Ethnicity: c.Ethnicity, Religion: c.Religion,
			PlaceOfOrigin: c.PlaceOfOrigin, Residence: c.Residence, IdentifyingMarks: c.IdentifyingMarks,
			FatherName: c.FatherName, MotherName: c.MotherName, SpouseName: c.SpouseName, OldID: c.OldID,
		},
		Card: &cardDates{IssueDate: day(c.IssueDate), ExpiryDate: day(c.ExpiryDate),
			Expired: !c.ExpiryDate.IsZero() && r.At.After(c.ExpiryDate.AddDate(0, 0, 1)), LDSVersion: c.LDSVersion},
		DataGroups: c.DataGroups,
		ChipFiles:  r.Files,
		ReadAt:     r.At,
	}
	out.Checks = append(out.Checks,
		check{Name: "access_control", Passed: true, Detail: r.Chip.AccessControl +
			": the chip proved it knows the access key; every answer carried a valid secure messaging MAC"},
		check{Name: "mrz", Passed: true, Detail: "DG1's check digits are valid and DG1 repeats the access key"},
		check{Name: "personal_id", Passed: true, Detail: "the ID number agrees with the document number, date of birth and sex"},
	)
	if c.HasDG13 {
		out.Checks = append(out.Checks, check{Name: "dg13_matches_dg1", Passed: true,
			Detail: "DG13 agrees with DG1 on ID number, date of birth, sex, expiry and name"})
	}
	// Without a CSCA list (--trust) nothing proves the data's origin.
	out.NotChecked = append(out.NotChecked,
		check{Name: checkPassiveAuth, Detail: "no --trust: nothing proves the data groups were signed by the issuer"},
		check{Name: checkActiveAuth, Detail: "no --trust: the chip's answer proves nothing without a DG15 the issuer signed, so a copied chip is not ruled out"},
	)
	return out
}

// reportPassport is report for a passport: the MRZ's identity (no
// personal ID number, no DG13).
func reportPassport(reader string, r *chipRead) readOutput {
	p := r.Passport
	out := readOutput{
		Reader:        reader,
		AccessControl: r.Chip.AccessControl,
		Identity: identity{Document: "passport", IssuingState: p.IssuingState, DocumentNumber: p.DocumentNumber,
			FullName: p.Name(), MRZName: p.Name(), BirthDate: day(p.BirthDate), Gender: string(p.Gender),
			Nationality: p.Nationality},
		Card: &cardDates{ExpiryDate: day(p.ExpiryDate),
			Expired: r.At.After(p.ExpiryDate.AddDate(0, 0, 1)), LDSVersion: p.LDSVersion},
		DataGroups: p.DataGroups,
		ChipFiles:  r.Files,
		ReadAt:     r.At,
	}
	out.Checks = append(out.Checks,
		check{Name: "access_control", Passed: true, Detail: r.Chip.AccessControl +
			": the chip proved it knows the access key; every answer carried a valid secure messaging MAC"},
		check{Name: "mrz", Passed: true, Detail: "DG1's TD3 check digits are valid and DG1 repeats the access key"},
	)
	out.NotChecked = append(out.NotChecked,
		check{Name: checkPassiveAuth, Detail: "no --trust: nothing proves the data groups were signed by the issuer"},
		check{Name: checkActiveAuth, Detail: "no --trust: the chip's answer proves nothing without a DG15 the issuer signed, so a copied chip is not ruled out"},
	)
	return out
}

// Check names of passive and active authentication, as the gateway names
// them.
const (
	checkPassiveAuth = "passive_authentication"
	checkActiveAuth  = "active_authentication"
)

// verify runs passive authentication (ICAO 9303-11 §5.1) against ts and
// active authentication (§6.1) over the challenge the reader drew, and
// reports both in out's checks instead of its not_checked. DG2, when read
// for --face, must match its hash in EF.SOD too. It returns the first
// failure (wrapping cardreader.ErrUnknownSigner, ErrDataGroupHash,
// ErrClone, ...), or nil.
func verify(out *readOutput, r *chipRead, ts *cardreader.TrustStore) error {
	v, err := cardreader.Verify(r.Chip, ts, r.At)
	if err == nil && len(r.Portrait) > 0 {
		if err = portraitSigned(r.Chip.SOD, r.Portrait); err != nil {
			v.PassiveAuth, v.ActiveAuth = false, false
		} else {
			v.DataGroups = append(v.DataGroups, 2)
			slices.Sort(v.DataGroups)
		}
	}
	out.Verification = &v
	out.NotChecked = slices.DeleteFunc(out.NotChecked, func(c check) bool {
		return c.Name == checkPassiveAuth || c.Name == checkActiveAuth
	})
	reason := func(err error) string { return strings.ReplaceAll(err.Error(), "cardreader: ", "") }
	pa := check{Name: checkPassiveAuth, Passed: v.PassiveAuth}
	if v.PassiveAuth {
		dgs := make([]string, len(v.DataGroups))
		for i, n := range v.DataGroups {
			dgs[i] = fmt.Sprintf("DG%d", n)
		}
		pa.Detail = fmt.Sprintf("EF.SOD is signed by %s, issued by the trusted CSCA %s; %s match their hashes",
			v.Signer, v.CSCA, strings.Join(dgs, ", "))
	} else {
		pa.Detail = reason(err)
	}
	out.Checks = append(out.Checks, pa)
	aa := check{Name: checkActiveAuth, Passed: err == nil && v.ActiveAuth}
	switch {
	case aa.Passed:
		aa.Detail = "the chip signed a fresh challenge with the key of its DG15, which the issuer signed: it is not a copy"
		out.Checks = append(out.Checks, aa)
	case !v.PassiveAuth:
		aa.Detail = "not attempted: passive authentication failed"
		out.NotChecked = append(out.NotChecked, aa)
	case err == nil:
		aa.Detail = "the card has no DG15 (no active authentication key): a copied chip is not ruled out"
		out.NotChecked = append(out.NotChecked, aa)
	default:
		aa.Detail = reason(err)
		out.Checks = append(out.Checks, aa)
	}
	switch {
	case err == nil:
		return nil
	case !v.PassiveAuth:
		return fmt.Errorf("the chip failed passive authentication: %w", err)
	}
	return fmt.Errorf("the chip failed active authentication: %w", err)
}

// portraitSigned checks DG2 against its hash in EF.SOD (whose signature
// Verify checked).
func portraitSigned(sodRaw, dg2 []byte) error {
	sod, err := cardreader.ParseSOD(sodRaw)
	if err != nil {
		return err
	}
	want, ok := sod.DataGroupHashes[2]
	if !ok {
		return fmt.Errorf("%w: dg2 has no hash in the sod", cardreader.ErrDataGroupHash)
	}
	h := sod.HashAlgorithm.New()
	h.Write(dg2)
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: dg2", cardreader.ErrDataGroupHash)
	}
	return nil
}
