// Package browsertest holds the end-to-end tests that drive a real headless
// Chromium through the whole product: the demo relying party, the gateway's
// sign-in, second factor and consent pages, the citizen's account page, and
// the token endpoint behind them. The package has no code of its own; its
// tests start PostgreSQL (testsupport/pgtest), the gateway (package gateway)
// and the demo relying party (gateway/demorp) in-process.
//
// The tests need Chromium (or Chrome). They fail, never skip, when it is
// missing; CHROMIUM names the binary when it is not on the PATH. With
// DINHDANH_SCREENSHOTS set to a folder they also save the screenshots used by
// the documentation:
//
//	DINHDANH_SCREENSHOTS=$PWD/docs/screenshots go test ./gateway/browsertest/
package browsertest
