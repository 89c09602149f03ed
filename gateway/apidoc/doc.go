// Package apidoc is the OpenAPI 3.1 description of every JSON API the
// gateway serves (openapi.yaml: the admin, counter, app and registry APIs
// and the citizen's history download), and the handler that serves it at
// /openapi.json and /openapi.yaml. The gateway's tests hold it to the
// router: every JSON route is described, every described route exists, and
// real answers validate against it.
package apidoc
