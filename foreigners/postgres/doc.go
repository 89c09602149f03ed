// Package postgres is the foreigners' registry on pgx: the
// foreign_residents table, its lookups and the import's bulk write.
package postgres
