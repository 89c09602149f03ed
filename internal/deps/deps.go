//go:build tools

// Package deps pins modules chosen for the product before code uses them, so
// that parallel work does not race on go.mod. Remove entries once imported.
package deps

import (
	_ "github.com/alexedwards/scs/pgxstore"
	_ "github.com/alexedwards/scs/v2"
	_ "github.com/chromedp/chromedp"
	_ "github.com/coreos/go-oidc/v3/oidc"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/google/uuid"
	_ "github.com/gorilla/mux"
	_ "github.com/ory/fosite"
	_ "github.com/ory/fosite/compose"
	_ "github.com/pquerna/otp/totp"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/skip2/go-qrcode"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/text/language"
	_ "golang.org/x/time/rate"
	_ "gopkg.in/yaml.v3"
)
