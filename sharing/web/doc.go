// Package web serves the sharing pages: /account/share, where a signed-in
// citizen picks attributes and gets a QR credential (package sharing), and
// /verify, where anyone pastes a scanned credential and sees what it proves,
// checked against the gateway's own JWKS as an offline verifier app would
// check it against a cached copy.
//
// It renders through package templates and decides nothing about what may
// be shared: package sharing does, through the release policy of package
// attributes, which has no way to reach biometric data. Credentials are
// never logged and never kept in the session.
package web
