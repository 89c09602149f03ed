// Package population imports the national population registry's extract and
// generates demo citizens. It loads population records, their integrated
// documents and (for demo and test data) accounts from CSV or JSON lines
// files into the built-in registries. Import takes a file all or nothing
// (every bad line reported with its number, nothing written unless every
// line is good); ImportBatches streams a file of any size batch by batch,
// each batch all or nothing in its own transaction, stopping at the first
// refused batch with the line to resume at. It also generates
// deterministic synthetic citizens (Generate, or a Generator for millions
// in bounded memory, ImportGenerated straight into the database) and loads
// the demo data set (demo/population.jsonl, embedded) for `dinhdanh dev`.
//
// It spans domains (accounts, attributes) and writes the tables of
// attributes/postgres and accounts/postgres in one transaction, which is
// why it is its own top-level package rather than part of attributes. It
// never imports package biometrics: demo biometric sentinels are seeded
// through the small SentinelSeeder interface that cmd satisfies with
// biometrics/postgres.
package population
