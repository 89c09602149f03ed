// Package orgs owns the organisations operators follow (issue 17, item 3):
// a ministry, a bank or a provincial department whose staff should all
// hold a level 2 account. An organisation is either a relying party's owner
// (named by the registration code on its relying party) or one an operator
// creates. An operator uploads the organisation's staff list (personal
// identification numbers) and sees, for each number, only which of three
// groups it falls in: no activated account, level 1 only, or level 2.
// Nothing else about anyone is shown, the list itself is never stored, and
// each upload is audited: once as the operator's action, and once in the
// history of every citizen whose account was looked up, so a citizen sees
// which organisation checked their level and when.
//
// It knows nothing of HTTP, configuration or pgx: orgs/postgres stores it
// and orgs/web serves its console pages.
package orgs
