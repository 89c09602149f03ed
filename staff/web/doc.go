// Package web serves the staff console under /staff: sign-in with a
// password and a TOTP code, sign-out, the home page listing what the
// member's roles open, the members pages where operators create,
// change and disable staff members, and the operators' pages of the kind
// policy and of the vehicle-registry reconciliation. It runs on a session of its own (its
// own cookie), never the citizens', with CSRF on every form.
//
// The top floor wraps every /staff route in Handler.Middleware; other web
// packages serving console pages (counter, lock requests) must not import
// this package: the top floor hands them Principal and Require as plain
// functions.
package web
