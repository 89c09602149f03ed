// Package audit owns the usage history: typed events, the batched,
// hash-chained writer (Log) with signed checkpoints, verification that names
// the first tampered event, retention rules, the citizen's history query
// types and its CSV/JSON export. Every other capability records through
// Recorder.
//
// The chain: every event gets the next sequence number and hash =
// SHA-256(previous hash ‖ AppendCanonical(event)). Checkpoints sign
// (sequence number, hash) with a dedicated Ed25519 audit key, so even a
// database superuser cannot rewrite history without the verifier (or a third
// party holding exported checkpoints) noticing. Every committed batch also
// stores its new head signed with the same key (a Seal) in its own
// transaction, so the newest events are covered the moment they are
// acknowledged; a Witness keeps checkpoints outside the database.
//
// It speaks no HTTP and imports no database driver: storage is the Store,
// ChainSource and HistoryReader interfaces, implemented by audit/postgres.
package audit
