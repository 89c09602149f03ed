// Package sharing owns the selective-disclosure credentials a citizen shows
// as a QR code so that a third party (a person, a hotel, a bank branch) can
// read chosen identity attributes and check them offline (MISSION
// "Sharing": identity information may be shared "except biometric
// information"; "Beyond the anchors": "selective-disclosure QR credentials
// that a verifier checks offline").
//
// # Credential format
//
// A credential is an SD-JWT (RFC 9901, Selective Disclosure for JWTs) without
// key binding, in its compact serialization:
//
//	<issuer-signed JWT>~<disclosure>~<disclosure>~…~
//
// The issuer-signed JWT is a JWS (ES256 only, for short signatures) made with
// the gateway's current ES256 signing key, the one ID tokens use, so the
// gateway's published JWKS (/jwks.json) verifies it. Its protected header is
//
//	{"alg":"ES256","kid":"<kid>","typ":"dc+sd-jwt"}
//
// (explicit typing, RFC 8725 §3.11, with the media type of SD-JWT VC,
// draft-ietf-oauth-sd-jwt-vc: it never passes for an ID token, which is typ
// JWT and carries an aud). Its payload holds, in this order:
//
//	iss    the gateway's issuer URL
//	iat    issue time (NumericDate)
//	exp    expiry: iat + TTL, 10 minutes by default
//	jti    16 random bytes, base64url: names the credential in the audit log
//	       and lets a verifier refuse a second presentation
//	vct    "urn:vn:eid:share:1" (CredentialType), the credential type
//	acr    the assurance level of the sign-in that issued it,
//	       urn:vn:eid:loa:1 or urn:vn:eid:loa:2
//	nonce  (optional) the verifier's challenge code, when the verifier showed
//	       one and the citizen typed it in: proof the credential was made for
//	       this presentation and is not a replay of an earlier one
//	_sd    the SHA-256 digests of the disclosures, sorted (RFC 9901 §4.2.4)
//
// _sd_alg is left out: its default is sha-256 (RFC 9901 §4.1.1). There is no
// sub: the credential names the citizen only through the attributes they
// chose (a personal_id_number among them, or not).
//
// Every attribute is one object-property disclosure (RFC 9901 §4.2.1):
// base64url (no padding) of the compact JSON array [salt, name, value], with a
// 128-bit random salt. Names and values are those of the OpenID Connect
// claims of package attributes (name, birthdate, gender, nationality,
// personal_id_number, address, driving_licence, vehicle_registration,
// health_insurance, social_insurance), read through the release policy
// (attributes.Release), which has no way to reach biometric data; document
// fields that look biometric are dropped there as well. The address keeps
// only formatted and country (formatted already spells out the street,
// locality and region), to keep the QR code small. Structured values
// (address, document lists) are disclosed whole: there is no recursive
// selective disclosure and no decoy digests, so a verifier can count how many
// attributes the citizen chose but read only those disclosed.
//
// Only the attributes the citizen ticked get a digest. The holder may still
// drop disclosures from the text before showing it (that is the point of
// selective disclosure): what remains verifies.
//
// # Deviations from SD-JWT VC
//
// There is no holder key (cnf) and no key-binding JWT: the holder is a
// citizen in front of a browser, not a wallet with a key. Freshness comes
// instead from the short expiry and, when the verifier wants it, from the
// verifier's challenge code signed into the credential as nonce. A
// credential with a key-binding JWT appended is refused. There is no status
// list: a credential lives minutes, not years.
//
// # Size
//
// A QR code holds at most 2331 bytes at error correction level M and 2953
// at level L (version 40). Issue refuses a credential larger than
// Config.MaxSize (2953 by default); sharing/web draws level M when the
// credential fits, L otherwise. Measured (TestSize, a Hà Nội address):
// name and date of birth 656 bytes, the identity card set (name, date of
// birth, gender, nationality, personal identification number, address)
// 1343 bytes, all ten attributes of a level 2 account with four documents
// and a challenge 2412 bytes (drawn at level L). Each attribute costs its
// disclosure (a 22-character salt, name and value, base64url) plus 61 bytes
// of digest in the signed part; the header is 84 bytes, the signature 86.
//
// # Compact form (what the share page shows)
//
// A phone camera reads a small QR code far more easily than a large one, and
// the citizen already chose what to share before the credential is made, so
// the share page issues a compact form instead (Request.Format
// FormatCompact; VerifyCompact, VerifyAny):
//
//	DD1:<base45>
//
// CompactPrefix names the form and its version. The base45 text (RFC 9285)
// uses only the characters of a QR code's alphanumeric mode, which packs
// 5.5 bits per character instead of 8 for base64url's byte mode. It encodes
// a compact JWS as raw bytes: the 64-byte ES256 signature, then, compressed
// with DEFLATE (RFC 1951), the protected header and the payload, each after
// its length as a uvarint. A verifier rebuilds the JWS from these bytes
// (base64url of header and payload as sent), so any changed byte fails the
// signature: the form is as tamper-evident as the JWS. The header is
//
//	{"alg":"ES256","kid":"<kid>","typ":"share+jwt"}
//
// (CompactType: never taken for an SD-JWT credential, an ID token or a
// receipt) and the payload
//
//	iss, iat, exp, nonce  as above
//	jti    12 random bytes, base64url
//	loa    the sign-in's assurance level, 1 or 2 (acr urn:vn:eid:loa:N)
//	c      the chosen attributes with short keys: n name, b birthdate,
//	       g gender, c nationality, i personal_id_number, a address (its
//	       formatted line), dl, vr, hi, si the documents (members n number,
//	       o issued_on, e expires_on, by issuer, s status, f fields)
//
// There is no selective disclosure after issuance (every attribute it holds
// is shown) and no salt or digest, which is where the SD-JWT's size went.
// The parser refuses unknown keys, a header over 256 bytes, a payload over
// 4 KB, and compressed data inflating past them. Measured (sharing/web
// TestShareQRSize, a Hà Nội address): the identity card set is 534
// characters, a version 15 QR code (77 modules) at level M, against 1288
// bytes and version 30 (137 modules) as an SD-JWT; all ten attributes of a
// level 2 account with four documents take 790 characters against 2387.
//
// # Verification
//
// Verify checks a credential offline against a JWKS a verifier has cached:
// signature and kid, typ and vct, expiry, issuer, the digest of every
// disclosure, that no disclosure is repeated or unknown, and the nonce. It
// needs no network and no database.
//
// The package speaks no HTTP and knows no SQL: the pages are in
// sharing/web. It keeps no state: a credential is audited when issued
// (audit.CredentialIssued, claim names only, never values) and needs no
// storage afterwards.
package sharing
