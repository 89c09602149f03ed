// Package web serves the citizen's usage history: /account/history (HTML,
// newest first, filters and keyset paging) and its CSV and JSON downloads.
// It reads through audit.HistoryReader and learns who is signed in from a
// function the caller provides; it makes no decisions about what is
// recorded and never shows another account's events.
package web
