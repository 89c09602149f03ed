// Package httpx is the HTTP plumbing every web layer shares: request ids,
// access logs, security headers, CSRF protection, metrics, client address.
// It holds no domain rules.
package httpx
