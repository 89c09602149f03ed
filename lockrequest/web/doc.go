// Package web serves the staff pages of locks by authorities under
// /staff/locks: the list of requests to decide (supervisors) and those filed
// (officers), the filing form, one request with its approve, refuse and
// withdraw buttons, and the unlock form that takes a chip read id. It gets
// the signed-in staff member from a function the top floor passes in (the
// staff console's sign-in), never by importing another web package; every
// rule lives in package lockrequest.
package web
