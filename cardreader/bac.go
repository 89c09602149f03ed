package cardreader

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // ICAO 9303-11 §9.7.1 fixes SHA-1 for BAC key derivation
	"crypto/subtle"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/personalid"
)

// Key is the Basic Access Control key material printed in the MRZ
// (ICAO 9303-11 §4.3.2): document number, date of birth and date of
// expiry, dates as YYMMDD. It is guessable for a CCCD (§6.2 of the
// feasibility notes): treat it as "knowledge of the card", not a secret,
// and never log it.
type Key struct {
	DocumentNumber string // MRZ document number, e.g. the last 9 digits of a CCCD's ID
	BirthDate      string // YYMMDD
	ExpiryDate     string // YYMMDD
}

// KeyFromPersonalID builds the BAC key of a chip ID card from the 12-digit
// personal identification number (its last 9 digits are the MRZ document
// number), the date of birth and the date of expiry printed on the card.
func KeyFromPersonalID(id string, birth, expiry time.Time) (Key, error) {
	if _, err := personalid.Parse(id); err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrMRZ, err)
	}
	return Key{DocumentNumber: id[3:], BirthDate: birth.Format("060102"), ExpiryDate: expiry.Format("060102")}, nil
}

// MRZInformation returns document number ‖ check digit ‖ date of birth ‖
// check digit ‖ date of expiry ‖ check digit (ICAO 9303-11 §9.7.2). A
// document number shorter than 9 characters is padded with '<'; a longer
// one is used whole.
func (k Key) MRZInformation() (string, error) {
	doc := strings.ToUpper(k.DocumentNumber)
	if len(doc) == 0 || len(doc) > 22 {
		// Longer than 9: the full number is used (ICAO 9303-11 §9.7.2);
		// a TD1 has room for 9 + 14 characters.
		return "", fmt.Errorf("%w: document number must have 1 to 22 characters", ErrMRZ)
	}
	if len(doc) < 9 {
		doc += strings.Repeat("<", 9-len(doc))
	}
	if !isDigits(k.BirthDate, 6) || !isDigits(k.ExpiryDate, 6) {
		return "", fmt.Errorf("%w: dates must be YYMMDD", ErrMRZ)
	}
	var b strings.Builder
	for _, f := range []string{doc, k.BirthDate, k.ExpiryDate} {
		cd, err := CheckDigit(f)
		if err != nil {
			return "", err
		}
		b.WriteString(f)
		b.WriteByte(cd)
	}
	return b.String(), nil
}

// BACKeys are the document basic access keys (ICAO 9303-11 §9.7.2).
type BACKeys struct {
	Seed []byte // K_seed: first 16 bytes of SHA-1(MRZ_information)
	Enc  []byte // K_enc
	MAC  []byte // K_mac
}

// DeriveBACKeys derives K_seed, K_enc and K_mac from k.
func DeriveBACKeys(k Key) (BACKeys, error) {
	info, err := k.MRZInformation()
	if err != nil {
		return BACKeys{}, err
	}
	sum := sha1.Sum([]byte(info)) //nolint:gosec // mandated by the specification
	seed := sum[:16]
	return BACKeys{Seed: seed, Enc: DeriveKey(seed, 1), MAC: DeriveKey(seed, 2)}, nil
}

// Session keys after BAC: ICAO 9303-11 §9.7.4 and §9.8.
type sessionKeys struct {
	enc, mac []byte
	ssc      [8]byte
}

// BAC runs Basic Access Control (ICAO 9303-11 §4.3) over t: GET CHALLENGE,
// then MUTUAL AUTHENTICATE with E.IFD ‖ M.IFD, then checks the card's
// answer and derives the session keys and send sequence counter. rnd
// supplies RND.IFD (8 bytes) then K.IFD (16 bytes); pass crypto/rand.Reader
// in production. The eMRTD application must already be selected.
func BAC(ctx context.Context, t Transport, k Key, rnd io.Reader) (*SecureMessaging, error) {
	keys, err := DeriveBACKeys(k)
	if err != nil {
		return nil, err
	}
	ch, err := transmitPlain(ctx, t, Command{CLA: 0x00, INS: InsGetChallenge, Ne: 8})
	if err != nil {
		return nil, fmt.Errorf("cardreader: get challenge: %w", err)
	}
	if err := statusErr("get challenge", ch); err != nil {
		return nil, err
	}
	if len(ch.Data) != 8 {
		return nil, fmt.Errorf("%w: challenge of %d bytes", ErrAPDU, len(ch.Data))
	}
	rndIC := ch.Data
	buf := make([]byte, 24)
	if _, err := io.ReadFull(rnd, buf); err != nil {
		return nil, fmt.Errorf("cardreader: random: %w", err)
	}
	rndIFD, kIFD := buf[:8], buf[8:]
	cmdData, err := MutualAuthData(keys, rndIFD, rndIC, kIFD)
	if err != nil {
		return nil, err
	}
	r, err := transmitPlain(ctx, t, Command{CLA: 0x00, INS: InsMutualAuth, Data: cmdData, Ne: 40})
	if err != nil {
		return nil, fmt.Errorf("cardreader: mutual authenticate: %w", err)
	}
	switch r.SW {
	case SWOK:
	case SWAuthenticationFailed, SWSecurityNotSatisfied, SWSMObjectsIncorrect, SWConditionsNotSatisfied:
		// 6300 on most chips, 6988 on some emulators, 6982/6985 elsewhere:
		// all mean the key did not match.
		return nil, fmt.Errorf("%w: %w", ErrAccessDenied, &StatusError{Op: "mutual authenticate", SW: r.SW})
	default:
		return nil, &StatusError{Op: "mutual authenticate", SW: r.SW}
	}
	if len(r.Data) != 40 {
		return nil, fmt.Errorf("%w: mutual authenticate answer of %d bytes", ErrAccessDenied, len(r.Data))
	}
	eIC, mIC := r.Data[:32], r.Data[32:]
	if !VerifyMAC(keys.MAC, eIC, mIC) {
		return nil, fmt.Errorf("%w: card's mac does not verify", ErrAccessDenied)
	}
	plain, err := DecryptTDES(keys.Enc, eIC)
	if err != nil {
		return nil, err
	}
	// R = RND.IC ‖ RND.IFD ‖ K.IC (ICAO 9303-11 §9.7.3 step 8).
	if subtle.ConstantTimeCompare(plain[:8], rndIC) != 1 || subtle.ConstantTimeCompare(plain[8:16], rndIFD) != 1 {
		return nil, fmt.Errorf("%w: card did not echo the challenges", ErrAccessDenied)
	}
	return NewSecureMessaging(SessionSeed(kIFD, plain[16:32]), rndIC, rndIFD), nil
}

// MutualAuthData builds the MUTUAL AUTHENTICATE command data E.IFD ‖ M.IFD
// (ICAO 9303-11 §9.7.3 steps 1–3): S = RND.IFD ‖ RND.IC ‖ K.IFD encrypted
// under K_enc, then MAC'd under K_mac.
func MutualAuthData(keys BACKeys, rndIFD, rndIC, kIFD []byte) ([]byte, error) {
	s := bytes.Join([][]byte{rndIFD, rndIC, kIFD}, nil)
	if len(s) != 32 {
		return nil, fmt.Errorf("cardreader: mutual authentication input must have 32 bytes")
	}
	e, err := EncryptTDES(keys.Enc, s)
	if err != nil {
		return nil, err
	}
	m, err := MAC(keys.MAC, e)
	if err != nil {
		return nil, err
	}
	return append(e, m...), nil
}

// SessionSeed returns KS_seed = K.IFD xor K.IC (ICAO 9303-11 §9.7.3).
func SessionSeed(kIFD, kIC []byte) []byte {
	out := make([]byte, len(kIFD))
	subtle.XORBytes(out, kIFD, kIC)
	return out
}

func transmitPlain(ctx context.Context, t Transport, c Command) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	b, err := c.Bytes()
	if err != nil {
		return Response{}, err
	}
	raw, err := t.Transmit(ctx, b)
	if err != nil {
		return Response{}, err
	}
	return ParseResponse(raw)
}
