// Package foreigners is the foreigners' registry as the gateway sees it: the
// national system that holds foreigners entering and residing in Vietnam
// (passport, visa or residence card, address in Vietnam) and the
// identification number assigned to each of them, which is their login.
//
// It owns the Resident record, the Registry lookups (by passport, by
// assigned number), the rules of its fields (ICAO 9303 country codes and
// MRZ names, the assigned number's shape, permit kinds), the comparison of
// passport data a person types with the registry's record, and the
// conversion of a Resident into the attributes.Person the release policy
// reads.
//
// It is a domain package: no net/http, no pgx, no templates. The tables
// live in foreigners/postgres.
package foreigners
