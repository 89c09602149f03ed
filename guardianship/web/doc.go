// Package web serves the guardian's pages of package guardianship under
// /account/dependents (the list, registration, one dependent's shares and
// recent history, revoking a share on its behalf) and the officers' page of
// guardianship records under /staff/guardianship. Handlers decode, call one
// guardianship function and render; the rules are the domain's.
package web
