// Package audit owns the usage history: typed events, the batched,
// hash-chained writer with signed checkpoints, verification and retention.
// Every other capability records through Recorder. It speaks no HTTP.
package audit
