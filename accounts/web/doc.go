// Package web serves the sign-in pages: personal identification number and
// password, then a TOTP or SMS code, ending in a websession.Login; browser
// sign-out; and, in development mode only, the SMS inbox at /dev/sms.
//
// It decides nothing about credentials (package accounts does) and renders
// through package templates. Its routes must run inside the session
// manager's LoadAndSave and httpx.CSRF's middleware.
package web
