package browsertest_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// The bank tests run a relying party the project did not write: panva's
// openid-client (npm, pinned in .ci/node/package-lock.json) driven by
// testdata/bankrp.mjs. Without Node.js or the package they skip, except
// under CI=true, where they fail (as TestAxe does without axe-core).

// bankNode is the node binary and the folder holding the pinned packages.
func bankNode(t *testing.T) (node, dir string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", ".ci", "node"))
	require.NoError(t, err)
	node, err = exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "openid-client", "package.json"))
	}
	if err != nil {
		msg := fmt.Sprintf("the bank tests need Node.js and openid-client (%v): run `npm ci --prefix .ci/node` (make test and .ci/run do)", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, dir
}

// bankKey is a bank's key pair as a JWK: the private one goes to the
// relying party, the public one to its registration.
type bankKey struct{ priv, pub jose.JSONWebKey }

func newBankKey(t *testing.T, alg, use string) bankKey {
	t.Helper()
	var k crypto.Signer
	var err error
	switch {
	case strings.HasPrefix(alg, "ES"), strings.HasPrefix(alg, "ECDH"):
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	require.NoError(t, err)
	priv := jose.JSONWebKey{Key: k, KeyID: use + "-" + strings.ToLower(alg), Algorithm: alg, Use: use}
	return bankKey{priv: priv, pub: priv.Public()}
}

// jwks is the public JSON Web Key Set of keys.
func jwks(t *testing.T, keys ...bankKey) json.RawMessage {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.pub)
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	return b
}

// bank is a registered bank and the place its browser comes back to.
type bank struct {
	id       string
	sig      bankKey
	redirect string
}

// newBank registers a bank (kind bank, private_key_jwt with an ES256 key,
// or one of token_endpoint_auth_signing_alg in meta)
// with meta merged into its registration, as JSON so that metadata the
// registration does not know yet is simply ignored; and serves its
// callback page.
func newBank(t *testing.T, e *env, id string, meta map[string]any, encKeys ...bankKey) *bank {
	t.Helper()
	ln := listen(t)
	alg := "ES256"
	if a, ok := meta["token_endpoint_auth_signing_alg"].(string); ok {
		alg = a
	}
	b := &bank{id: id, sig: newBankKey(t, alg, "sig"), redirect: "http://" + ln.Addr().String() + "/callback"}
	serve(t, ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<!doctype html><title>bank</title><p id="bank-callback">back at the bank</p>`)
	}))
	reg := map[string]any{
		"client_id":                       id,
		"name":                            map[string]string{"vi": "Ngân hàng thử " + id, "en": "Test bank " + id},
		"purpose":                         map[string]string{"vi": "Xác minh khách hàng (KYC).", "en": "Know your customer."},
		"kind":                            oidc.KindBank,
		"redirect_uris":                   []string{b.redirect},
		"scopes":                          []string{"openid", "profile", "personal_id", "offline_access"},
		"token_endpoint_auth_method":      oidc.AuthPrivateKeyJWT,
		"token_endpoint_auth_signing_alg": alg,
		"jwks":                            jwks(t, append([]bankKey{b.sig}, encKeys...)...),
	}
	for k, v := range meta {
		reg[k] = v
	}
	raw, err := json.Marshal(reg)
	require.NoError(t, err)
	var c oidc.Client
	require.NoError(t, json.Unmarshal(raw, &c))
	_, _, err = e.g.Clients.Create(t.Context(), "test", c)
	require.NoError(t, err, "register the bank")
	return b
}

// bankProbe is one refusal probe's answer.
type bankProbe struct {
	Status          int            `json:"status"`
	Error           string         `json:"error"`
	WWWAuthenticate string         `json:"www_authenticate"`
	DPoPNonce       bool           `json:"dpop_nonce"`
	FirstStatus     int            `json:"first_status"`
	LocationError   string         `json:"location_error"`
	Location        string         `json:"location"`
	Thrown          map[string]any `json:"thrown"`
}

// bankResult is what the relying party saw.
type bankResult struct {
	Error           map[string]any       `json:"error"`
	AuthorizeParams []string             `json:"authorize_params"`
	CallbackParams  []string             `json:"callback_params"`
	TokenType       string               `json:"token_type"`
	Scope           string               `json:"scope"`
	IDToken         map[string]any       `json:"id_token"`
	IDTokenDecrypt  bool                 `json:"id_token_decrypted"`
	Userinfo        map[string]any       `json:"userinfo"`
	UserinfoDecrypt bool                 `json:"userinfo_decrypted"`
	Refreshed       map[string]any       `json:"refreshed"`
	Probes          map[string]bankProbe `json:"probes"`
	raw             string
}

// bankRun is one run of the relying party with cfg (issuer, client_id,
// client_key, redirect_uri and scope are filled in). When it asks, the
// browser b goes through the authorization: it signs the level 2 demo
// citizen in (unless already signed in), approves the consent screen and
// lands on the bank's callback, which goes back to the relying party.
func bankRun(t *testing.T, e *env, b *browser, bk *bank, cfg map[string]any) bankResult {
	t.Helper()
	node, dir := bankNode(t)
	priv, err := json.Marshal(bk.sig.priv)
	require.NoError(t, err)
	full := map[string]any{
		"issuer": e.gatewayURL, "client_id": bk.id, "client_key": json.RawMessage(priv),
		"redirect_uri": bk.redirect, "scope": "openid profile personal_id offline_access",
	}
	for k, v := range cfg {
		full[k] = v
	}
	raw, err := json.Marshal(full)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "bank.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "bankrp.mjs"), path)
	cmd.Env = append(os.Environ(), "BANKRP_NODE_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Wait() }()
	defer func() {
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("relying party's stderr:\n%s", stderr.String())
		}
	}()

	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for lines.Scan() {
		var step struct {
			Step string `json:"step"`
			URL  string `json:"url"`
		}
		require.NoError(t, json.Unmarshal(lines.Bytes(), &step), "relying party said %q", lines.Text())
		switch step.Step {
		case "authorize":
			callback := b.authorizeBank(step.URL, bk.redirect)
			_, err := io.WriteString(stdin, callback+"\n")
			require.NoError(t, err)
		case "result":
			var res bankResult
			require.NoError(t, json.Unmarshal(lines.Bytes(), &res))
			res.raw = lines.Text()
			_ = stdin.Close()
			return res
		default:
			t.Fatalf("relying party: unknown step %q", lines.Text())
		}
	}
	t.Fatalf("the relying party stopped without a result (%v): %s", lines.Err(), stderr.String())
	return bankResult{}
}

// authorizeBank follows an authorization request to the bank's callback,
// signing the level 2 demo citizen in and approving consent on the way.
func (b *browser) authorizeBank(authorizeURL, callback string) string {
	b.t.Helper()
	const (
		login   = "#personal_id"
		code    = "#code"
		consent = `form[action="/consent"]`
		back    = "#bank-callback"
	)
	b.do("open the authorization request", chromedp.Navigate(authorizeURL))
	for range 6 {
		b.do("wait for the next page", chromedp.WaitVisible(chromedp.CSS(strings.Join([]string{login, code, consent, back}, ", "))))
		loc := b.location()
		switch {
		case strings.HasPrefix(loc, callback):
			return loc
		case b.present(login):
			b.do("type the personal id number and password",
				chromedp.SendKeys(chromedp.CSS(login), population.DemoLevel2ID),
				chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword),
			)
			b.follow(`form[action="/login"] button[type=submit]`, code)
		case b.present(code):
			otp, err := totp.GenerateCode(population.DemoTOTPSecret, time.Now())
			require.NoError(b.t, err)
			b.do("type the authenticator code", chromedp.SendKeys(chromedp.CSS(code), otp))
			if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button[type=submit]`))); err != nil {
				b.fatalf("send the code: %v", err)
			}
		case b.present(consent):
			if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`button[name=action][value=approve]`))); err != nil {
				b.fatalf("approve: %v", err)
			}
		}
	}
	b.fatalf("never reached the bank's callback %s", callback)
	return ""
}

// present reports whether sel is on the page now.
func (b *browser) present(sel string) bool {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		b.fatalf("look for %s: %v", sel, err)
	}
	return n
}

// on is the browser reporting to t, a subtest of the test that started it:
// a test's FailNow must run on its own goroutine.
func (b *browser) on(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}
