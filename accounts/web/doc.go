// Package web serves the sign-in pages: personal identification number and
// password, then a TOTP or SMS code, ending in a websession.Login; browser
// sign-out; self-registration at /register (identity checked against the
// population registry, typed or read from the chip ID card's QR code, SMS
// code, password: a level 0 account); activation at /activate (SMS code to
// the phone on record, password if none, passcode, two security
// questions); and, in development mode only, the SMS inbox at /dev/sms.
//
// It decides nothing about credentials (package accounts does) and renders
// through package templates. Its routes must run inside the session
// manager's LoadAndSave and httpx.CSRF's middleware.
package web
