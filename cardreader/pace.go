package cardreader

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"
)

// PACE Generic Mapping with ECDH and AES-128 (ICAO 9303-11 §4.4 and
// §9.2.5), as pure functions either side can call: a reader talking to a
// card, or a software card answering a reader. The APDU choreography
// (MSE:Set AT, then four GENERAL AUTHENTICATE commands) is the caller's.

// OIDPACEECDHGMAES128 is the DER content of id-PACE-ECDH-GM-AES-CBC-CMAC-128,
// 0.4.0.127.0.7.2.2.4.2.2 (ICAO 9303-11 §9.2.3).
var OIDPACEECDHGMAES128 = []byte{0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02}

// Tags inside the dynamic authentication data object 7C (ICAO 9303-11
// §4.4.4): the encrypted nonce, the mapping keys, the ephemeral keys and
// the authentication tokens.
const (
	TagEncryptedNonce  = 0x80
	TagMappingPCD      = 0x81
	TagMappingPICC     = 0x82
	TagEphemeralPCD    = 0x83
	TagEphemeralPICC   = 0x84
	TagAuthTokenPCD    = 0x85
	TagAuthTokenPICC   = 0x86
	tagDynamicAuthData = 0x7C
	tagPublicKeyObject = 0x7F49
	tagOID             = 0x06
	tagECPublicPoint   = 0x86
)

// EncryptNonce encrypts the chip's nonce s under K_π, AES-CBC with a zero
// IV (ICAO 9303-11 §4.4.3.1). s must be a whole number of blocks.
func EncryptNonce(kPi, s []byte) ([]byte, error) {
	return cbcAES(kPi, s, cipher.NewCBCEncrypter)
}

// DecryptNonce recovers s from the encrypted nonce z.
func DecryptNonce(kPi, z []byte) ([]byte, error) {
	return cbcAES(kPi, z, cipher.NewCBCDecrypter)
}

func cbcAES(key, data []byte, mode func(cipher.Block, []byte) cipher.BlockMode) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPACE, err)
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: aes input of %d bytes is not block aligned", ErrPACE, len(data))
	}
	out := make([]byte, len(data))
	mode(c, make([]byte, aes.BlockSize)).CryptBlocks(out, data)
	return out, nil
}

// MapGenerator performs the Generic Mapping (ICAO 9303-11 §4.4.3.3.1): with
// this side's mapping private key sk and the other side's mapping public
// key, H = sk·peer and the mapped generator is G' = s·G + H. Both sides
// get the same G'.
func MapGenerator(c *Curve, s, sk []byte, peer Point) (Point, error) {
	if err := c.Validate(peer); err != nil {
		return Point{}, err
	}
	h := c.ScalarMult(peer, sk)
	if h.Infinity() {
		return Point{}, fmt.Errorf("%w: mapping produced infinity", ErrPACE)
	}
	g := c.Add(c.ScalarBaseMult(s), h)
	if g.Infinity() {
		return Point{}, fmt.Errorf("%w: mapped generator is infinity", ErrPACE)
	}
	return g, nil
}

// SharedSecret returns the x-coordinate of sk·peer, ByteLen bytes, the
// ECDH shared secret of the key agreement on the mapped generator
// (ICAO 9303-11 §4.4.3.3.2). peer must differ from this side's own public
// key (mine), which the caller passes to enforce ICAO's check.
func SharedSecret(c *Curve, sk []byte, mine, peer Point) ([]byte, error) {
	if err := c.Validate(peer); err != nil {
		return nil, err
	}
	if peer.Equal(mine) {
		return nil, fmt.Errorf("%w: the other side echoed our public key", ErrPACE)
	}
	k := c.ScalarMult(peer, sk)
	if k.Infinity() {
		return nil, fmt.Errorf("%w: shared secret is infinity", ErrPACE)
	}
	return k.X.FillBytes(make([]byte, c.ByteLen())), nil
}

// SessionKeysAES128 derives KS_enc and KS_mac from the shared secret
// (ICAO 9303-11 §9.7.1).
func SessionKeysAES128(secret []byte) (enc, mac []byte) {
	return DeriveKeyAES128(secret, KDFEnc), DeriveKeyAES128(secret, KDFMAC)
}

// PublicKeyObject encodes the authentication token input for an EC key
// (ICAO 9303-11 §4.4.3.4, §9.4.2): 7F49 { 06 oid, 86 uncompressed point }.
func PublicKeyObject(c *Curve, oid []byte, pub Point) []byte {
	inner := AppendTLV(nil, tagOID, oid)
	inner = AppendTLV(inner, tagECPublicPoint, c.Marshal(pub))
	return AppendTLV(nil, tagPublicKeyObject, inner)
}

// AuthToken computes the authentication token over the other side's
// ephemeral public key: the first 8 bytes of AES-CMAC under KS_mac of its
// public key data object. The terminal's T_PCD covers PK_PICC and the
// chip's T_PICC covers PK_PCD.
func AuthToken(c *Curve, ksMAC, oid []byte, peer Point) ([]byte, error) {
	if err := c.Validate(peer); err != nil {
		return nil, err
	}
	return MAC8(ksMAC, PublicKeyObject(c, oid, peer))
}

// VerifyAuthToken checks the other side's token, computed over this
// side's own public key, in constant time.
func VerifyAuthToken(c *Curve, ksMAC, oid []byte, mine Point, token []byte) error {
	want, err := AuthToken(c, ksMAC, oid, mine)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, token) != 1 {
		return fmt.Errorf("%w: authentication token does not verify", ErrPACE)
	}
	return nil
}

// DynamicAuthData wraps one data object in 7C, the GENERAL AUTHENTICATE
// command or response data (ICAO 9303-11 §4.4.4). An empty value gives the
// empty 7C00 object of the first step.
func DynamicAuthData(tag byte, value []byte) []byte {
	if value == nil {
		return []byte{tagDynamicAuthData, 0x00}
	}
	return AppendTLV(nil, tagDynamicAuthData, AppendTLV(nil, uint32(tag), value))
}

// ParseDynamicAuthData reads a 7C object holding exactly one data object
// tagged tag and returns its value.
func ParseDynamicAuthData(b []byte, tag byte) ([]byte, error) {
	outer, rest, err := parseTLV(b)
	if err != nil || len(rest) != 0 || outer.tag != tagDynamicAuthData {
		return nil, fmt.Errorf("%w: malformed dynamic authentication data", ErrPACE)
	}
	inner, rest, err := parseTLV(outer.value)
	if err != nil || len(rest) != 0 || inner.tag != uint32(tag) {
		return nil, fmt.Errorf("%w: dynamic authentication data without %02X", ErrPACE, tag)
	}
	return inner.value, nil
}

// The PACE protocol run by a reader (ICAO 9303-11 §4.4.4): MSE:Set AT,
// then four GENERAL AUTHENTICATE commands, chained with CLA 10 but the
// last.

// Instructions of the PACE run.
const (
	InsMSE                  byte = 0x22 // MANAGE SECURITY ENVIRONMENT; P1P2 C1A4 is Set AT for PACE
	InsGeneralAuthenticate  byte = 0x86
	claChaining             byte = 0x10
	mseSetATPACEP1          byte = 0xC1
	mseSetATPACEP2          byte = 0xA4
	tagMSEProtocol               = 0x80
	tagMSEPasswordReference      = 0x83
	tagMSEDomainParameters       = 0x84
)

// Password references of MSE:Set AT (ICAO 9303-11 §9.5.2).
const (
	PasswordMRZ byte = 0x01
	PasswordCAN byte = 0x02
)

// PACEPassword is the shared password of a PACE run and which one it is.
type PACEPassword struct {
	Ref    byte   // PasswordMRZ or PasswordCAN
	Secret []byte // MRZPassword or CANPassword
}

// PACEParams are the inputs of a PACE run.
type PACEParams struct {
	// Info is the PACEInfo chosen from EF.CardAccess
	// (CardAccess.SupportedPACE); its ParameterID picks the curve.
	Info     PACEInfo
	Password PACEPassword
	// IdentifyParameters sends the domain parameter ID in MSE:Set AT (tag
	// 84), which ICAO requires when EF.CardAccess offers several.
	IdentifyParameters bool
	// Rand supplies the two ephemeral private keys (mapping, then key
	// agreement); nil means crypto/rand.Reader.
	Rand io.Reader
}

// PACE runs PACE Generic Mapping with ECDH and AES-128 over t and returns
// the AES secure messaging session it establishes. A wrong password
// surfaces as ErrAccessDenied: the chip refuses the terminal's token (6300
// on most chips), or the chip's token does not verify.
func PACE(ctx context.Context, t Transport, p PACEParams) (*SecureMessaging, error) {
	if !p.Info.Protocol.Equal(OIDPACEGMAES128) {
		return nil, fmt.Errorf("%w: protocol %s is not supported", ErrPACE, p.Info.Protocol)
	}
	c := PACECurve(p.Info.ParameterID)
	if c == nil {
		return nil, fmt.Errorf("%w: domain parameters %d are not supported", ErrPACE, p.Info.ParameterID)
	}
	if p.Password.Ref != PasswordMRZ && p.Password.Ref != PasswordCAN {
		return nil, fmt.Errorf("%w: password reference %d", ErrPACE, p.Password.Ref)
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	oid := OIDPACEECDHGMAES128

	// MSE:Set AT (§4.4.4.1).
	mse := AppendTLV(nil, tagMSEProtocol, oid)
	mse = AppendTLV(mse, tagMSEPasswordReference, []byte{p.Password.Ref})
	if p.IdentifyParameters {
		mse = AppendTLV(mse, tagMSEDomainParameters, []byte{byte(p.Info.ParameterID)})
	}
	r, err := transmitPlain(ctx, t, Command{INS: InsMSE, P1: mseSetATPACEP1, P2: mseSetATPACEP2, Data: mse})
	if err != nil {
		return nil, fmt.Errorf("cardreader: mse set at: %w", err)
	}
	if err := statusErr("mse set at", r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPACE, err)
	}

	// 1. Encrypted nonce.
	z, err := generalAuthenticate(ctx, t, "encrypted nonce", true, nil, TagEncryptedNonce, TagEncryptedNonce)
	if err != nil {
		return nil, err
	}
	s, err := DecryptNonce(PasswordKey(p.Password.Secret), z)
	if err != nil {
		return nil, err
	}

	// 2. Mapping: G' = s·G + sk·PK_PICC,map.
	skMap, err := randomScalar(c, rnd)
	if err != nil {
		return nil, err
	}
	pkMap := c.ScalarBaseMult(skMap)
	b, err := generalAuthenticate(ctx, t, "map nonce", true, c.Marshal(pkMap), TagMappingPCD, TagMappingPICC)
	if err != nil {
		return nil, err
	}
	pkPICCMap, err := c.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	if pkPICCMap.Equal(pkMap) {
		return nil, fmt.Errorf("%w: the chip echoed the mapping key", ErrPACE)
	}
	g, err := MapGenerator(c, s, skMap, pkPICCMap)
	if err != nil {
		return nil, err
	}

	// 3. Key agreement on G'.
	sk, err := randomScalar(c, rnd)
	if err != nil {
		return nil, err
	}
	pk := c.ScalarMult(g, sk)
	b, err = generalAuthenticate(ctx, t, "key agreement", true, c.Marshal(pk), TagEphemeralPCD, TagEphemeralPICC)
	if err != nil {
		return nil, err
	}
	pkPICC, err := c.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	secret, err := SharedSecret(c, sk, pk, pkPICC)
	if err != nil {
		return nil, err
	}
	ksEnc, ksMAC := SessionKeysAES128(secret)

	// 4. Mutual authentication.
	tPCD, err := AuthToken(c, ksMAC, oid, pkPICC)
	if err != nil {
		return nil, err
	}
	tPICC, err := generalAuthenticate(ctx, t, "mutual authentication", false, tPCD, TagAuthTokenPCD, TagAuthTokenPICC)
	if err != nil {
		return nil, err
	}
	if err := VerifyAuthToken(c, ksMAC, oid, pk, tPICC); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAccessDenied, err)
	}
	return NewAESSecureMessaging(ksEnc, ksMAC)
}

// generalAuthenticate sends one GENERAL AUTHENTICATE step: value in a 7C
// data object tagged tag (7C00 when value is nil), and returns the value
// tagged want in the answer. Only the last step may be refused for a wrong
// password; other data objects the chip adds to its last answer (87, 88:
// certification authority references for Terminal Authentication) are
// skipped.
func generalAuthenticate(ctx context.Context, t Transport, step string, chained bool, value []byte, tag, want byte) ([]byte, error) {
	cla := byte(0x00)
	if chained {
		cla = claChaining
	}
	data := DynamicAuthData(tag, value)
	r, err := transmitPlain(ctx, t, Command{CLA: cla, INS: InsGeneralAuthenticate, Data: data, Ne: maxShortNe})
	if err != nil {
		return nil, fmt.Errorf("cardreader: general authenticate (%s): %w", step, err)
	}
	if !r.OK() {
		se := &StatusError{Op: "general authenticate (" + step + ")", SW: r.SW}
		if !chained && (r.SW&0xFFF0 == 0x63C0 || r.SW == SWAuthenticationFailed || r.SW == SWSecurityNotSatisfied ||
			r.SW == SWConditionsNotSatisfied || r.SW == SWWrongData) {
			return nil, fmt.Errorf("%w: %w", ErrAccessDenied, se)
		}
		return nil, fmt.Errorf("%w: %w", ErrPACE, se)
	}
	outer, rest, err := parseTLV(r.Data)
	if err != nil || len(rest) != 0 || outer.tag != tagDynamicAuthData {
		return nil, fmt.Errorf("%w: %s: malformed dynamic authentication data", ErrPACE, step)
	}
	dos, err := parseTLVs(outer.value)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: malformed dynamic authentication data", ErrPACE, step)
	}
	if len(dos) > 0 && dos[0].tag == uint32(want) && (len(dos) == 1 || !chained) {
		return dos[0].value, nil
	}
	return nil, fmt.Errorf("%w: %s: no data object %02X", ErrPACE, step, want)
}

// randomScalar draws a private key in [1, n−1] by rejection, so that the
// bytes read are the key itself (tests feed ICAO's fixed keys).
func randomScalar(c *Curve, rnd io.Reader) ([]byte, error) {
	buf := make([]byte, (c.N.BitLen()+7)/8)
	for range 64 {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return nil, fmt.Errorf("cardreader: random: %w", err)
		}
		k := new(big.Int).SetBytes(buf)
		if k.Sign() > 0 && k.Cmp(c.N) < 0 {
			return bytes.Clone(buf), nil
		}
	}
	return nil, fmt.Errorf("cardreader: random source gives no valid scalar")
}
