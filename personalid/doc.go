// Package personalid owns the rules of the 12-digit personal identification
// number (số định danh cá nhân): its shape, the province codes of birth
// registration, and the century-and-gender digit that must agree with a
// person's year of birth and gender.
//
// It is pure: no storage, no HTTP, no I/O. Accounts, the chip card reader
// and the population importer all check numbers here, so that a number is
// valid by one rule everywhere.
package personalid
