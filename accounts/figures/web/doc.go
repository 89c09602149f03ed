// Package web serves the operators' figures page of the staff console
// (issue 17 item 2): accounts registered, activated and issued (activated
// and signed in at least once) per province and per month as charts drawn
// on the server (internal/svgchart), each with a CSV of exactly the numbers
// it draws, and a table per province and district sorted in Vietnamese
// order or by any column through plain links.
//
// The numbers come from accounts.Reports, the queries `dinhdanh report
// activation` prints. They are aggregates: no citizen is named, and
// reading them is not a use of anyone's account.
//
// The staff console's session, CSRF and roles belong to staff/web, which
// this package does not import: the top floor hands it Principal and
// Require as functions.
package web
