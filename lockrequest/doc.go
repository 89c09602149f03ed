// Package lockrequest owns locks by authorities (issue 10, item 6): an
// officer files a request to lock a citizen's account (misuse, a revoked
// card, death, a court's order), a supervisor of the officer's unit or a
// unit above it approves or refuses it, and only an approval locks, through
// the accounts domain's own lock (tokens, sessions and back-channel logout
// end at once). A locked account is unlocked at the counter, by an officer,
// only after a verified chip read of that same citizen.
//
// Every step is audited with the staff member's identity and names the
// citizen's account, so it shows in the citizen's own history. Each state
// change commits in one transaction with its audit record.
//
// It knows nothing of HTTP, configuration or pgx: lockrequest/postgres
// stores it and lockrequest/web serves its pages.
package lockrequest
