// Package gateway is the top floor: the one package that knows every other
// and assembles the product from its configuration and a database pool.
//
// It has two constructions. New builds the serving product (templates,
// sessions, metrics, the HTTP handler of gateway/server, and the background
// loops: signing-key refresh, back-channel logout delivery, maintenance);
// `dinhdanh serve`, `dinhdanh dev`, the browser tests and the benchmark run
// it, so that all of them run the same gateway. NewOps builds an operations
// set for operator commands: each service on first use, with the same
// constructors, and never a page, a handler or a goroutine.
//
// Below it, gateway/server mounts the feature handlers, gateway/schema lists
// every domain's migrations, gateway/demorp is the demo relying party and
// gateway/browsertest drives the whole product in Chromium. Nothing outside
// gateway/, cmd/, bench/ and testsupport/ imports them (internal/archtest).
package gateway
