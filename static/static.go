// Package static holds the CSS and images served under /static/, embedded.
package static

import "embed"

// FS is the static files, rooted at this folder (css/..., js/..., img/...).
//
//go:embed css js img
var FS embed.FS
