// Package notify tells citizens what happened to their account: results of
// registration, activation and enrolment, recovery, a change of device, a
// lock or an unlock, a newly connected service. Every notification goes
// through one outbox (Store, kept in PostgreSQL by notify/postgres): it is
// written first, then a worker (Service.Run) claims due rows, renders the
// message in the citizen's language (Vietnamese or English), sends it
// through a Channel (SMS or e-mail), and records the outcome, retrying with
// exponential backoff up to a limit. Nothing is lost when the gateway
// stops: rows stay pending and any replica's worker delivers them later.
//
// One-time codes never go through the outbox: a sign-in or activation code
// is useless minutes later and must not rest in a table, so
// accounts.Sender sends it straight to the SMS gateway. The rule is
// enforced here: kinds are a closed allow-list (Kinds) with no code among
// them, and each kind accepts only its own named parameters, none of which
// carries a code.
//
// The package speaks neither HTTP nor SQL and reads no configuration: the
// top floor (gateway) builds the channels (an adapter over accounts.Sender
// for SMS, notify/smtpmail for e-mail) and the store.
package notify
