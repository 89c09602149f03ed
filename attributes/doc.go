// Package attributes owns where a citizen's attributes come from (the
// population registry and the document registries, behind small interfaces
// with built-in implementations on real tables) and the release policy that
// maps scopes and claims requests to released values.
//
// It never imports oidc, consent or biometrics: biometric data cannot reach a
// claim because no code path here can read it.
package attributes
