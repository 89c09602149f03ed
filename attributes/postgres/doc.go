// Package postgres is the built-in population registry and document
// registries on PostgreSQL: it implements attributes.Registry and
// attributes.DocumentSource on the population and documents tables, and bulk
// writes them (COPY) for the importer. Nothing above it sees pgx.
package postgres
