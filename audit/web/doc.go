// Package web serves the citizen's usage history: /account/history (HTML on
// the shared page layout, Vietnamese or English, newest first, filters by
// service and activity, keyset paging) and its CSV and JSON downloads. It
// reads through audit.HistoryReader and learns who is signed in from a
// function the caller provides; it never shows another account's events.
//
// It also serves the officers' lookup of a citizen's history
// (/admin/api/history, with the officer's own credential): each lookup is
// recorded in the citizen's own history before any data is returned.
package web
