package browsertest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/population"
)

// exchangeResult is what testdata/exchangerp.mjs saw.
type exchangeResult struct {
	Error         map[string]any            `json:"error"`
	GrantTypes    []string                  `json:"grant_types_supported"`
	ChildIDToken  map[string]any            `json:"child_id_token"`
	OwnIDToken    map[string]any            `json:"own_id_token"`
	Exchange      map[string]any            `json:"exchange"`
	Userinfo      map[string]any            `json:"userinfo"`
	Introspection map[string]any            `json:"introspection"`
	Probes        map[string]map[string]any `json:"probes"`
}

// TestTokenExchangeIndependentClient runs the RFC 8693 token exchange grant
// from a relying party the project did not write (openid-client's
// genericGrantRequest): a confidential client registered to accept
// dependents signs the demo guardian in once for his child (learning the
// child's sub) and once as himself, then exchanges his access token for one
// acting for the child; userinfo and introspection agree with the ID token
// (sub the child's, act the guardian's); wrong requests get RFC 8693's
// errors.
func TestTokenExchangeIndependentClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	require.NoError(t, e.g.DemoDependents(ctx))
	node, dir := bankNode(t)

	ln := listen(t)
	redirect := "http://" + ln.Addr().String() + "/callback"
	serve(t, ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `<!doctype html><title>rp</title><p id="rp-callback">back at the service</p>`)
	}))
	reg, secret, err := e.g.Clients.Create(ctx, "test", oidc.Client{
		ID: "school-portal", Name: oidc.Text{VI: "Cổng trường học", EN: "School portal"},
		Purpose: oidc.Text{VI: "Đăng ký học cho học sinh.", EN: "Pupils' enrolment."}, Kind: oidc.KindPublicService,
		RedirectURIs: []string{redirect}, Scopes: []string{"openid", "profile", "personal_id"},
		TokenEndpointAuthMethod: oidc.AuthClientSecretBasic, AcceptDependents: true,
	})
	require.NoError(t, err)

	raw, err := json.Marshal(map[string]any{"issuer": e.gatewayURL, "client_id": reg.ID, "client_secret": secret,
		"redirect_uri": redirect, "scope": "openid profile personal_id"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "rp.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	b := newBrowser(t, "vi")
	rctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, node, filepath.Join("testdata", "exchangerp.mjs"), path)
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

	var res exchangeResult
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for lines.Scan() {
		var step struct {
			Step   string `json:"step"`
			URL    string `json:"url"`
			Choose string `json:"choose"`
		}
		require.NoError(t, json.Unmarshal(lines.Bytes(), &step), "relying party said %q", lines.Text())
		if step.Step == "result" {
			require.NoError(t, json.Unmarshal(lines.Bytes(), &res))
			_ = stdin.Close()
			break
		}
		require.Equal(t, "authorize", step.Step)
		_, err := io.WriteString(stdin, b.authorizeChoosing(step.URL, redirect, step.Choose)+"\n")
		require.NoError(t, err)
	}
	require.Nil(t, res.Error, "relying party error: %v", res.Error)
	assert.Contains(t, res.GrantTypes, oidc.GrantTokenExchange, "discovery advertises the grant")

	childSub, _ := res.ChildIDToken["sub"].(string)
	ownSub, _ := res.OwnIDToken["sub"].(string)
	require.NotEmpty(t, childSub)
	assert.Equal(t, map[string]any{"sub": ownSub}, res.ChildIDToken["act"])
	assert.Nil(t, res.OwnIDToken["act"])

	require.NotNil(t, res.Exchange["access_token"], "exchange: %v", res.Exchange)
	assert.Equal(t, oidc.TokenTypeAccessToken, res.Exchange["issued_token_type"])
	assert.Equal(t, "bearer", strings.ToLower(res.Exchange["token_type"].(string)))
	assert.Equal(t, "openid profile", res.Exchange["scope"])
	assert.Nil(t, res.Exchange["refresh_token"])
	assert.Equal(t, childSub, res.Userinfo["sub"])
	assert.Equal(t, map[string]any{"sub": ownSub}, res.Userinfo["act"])
	assert.Equal(t, "Nguyễn Minh Khôi", res.Userinfo["name"])
	assert.Nil(t, res.Userinfo["personal_id_number"], "no more than the scopes asked")
	assert.Equal(t, true, res.Introspection["active"])
	assert.Equal(t, childSub, res.Introspection["sub"])
	assert.Equal(t, map[string]any{"sub": ownSub}, res.Introspection["act"])

	for name, want := range map[string]string{
		"unknown_subject": "invalid_target", "bad_subject_token": "invalid_grant",
		"no_subject_token_type": "invalid_request", "wider_scope": "invalid_scope",
	} {
		p := res.Probes[name]
		require.NotNil(t, p, name)
		assert.Equal(t, want, p["error"], "%s: %v", name, p)
		assert.EqualValues(t, http.StatusBadRequest, p["status"], "%s: %v", name, p)
	}
}

// authorizeChoosing follows an authorization request to callback, signing
// the level 2 demo citizen in, choosing on the choice page ("self" or
// "dependent": his first dependent) and approving consent on the way.
func (b *browser) authorizeChoosing(authorizeURL, callback, choose string) string {
	b.t.Helper()
	const (
		login   = "#personal_id"
		code    = "#code"
		choice  = "form#choose"
		consent = `form[action="/consent"]`
		back    = "#rp-callback"
	)
	b.do("open the authorization request", chromedp.Navigate(authorizeURL))
	for range 8 {
		b.do("wait for the next page", chromedp.WaitVisible(chromedp.CSS(strings.Join([]string{login, code, choice, consent, back}, ", "))))
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
		case b.present(choice):
			sel := `input[name=acting_for][value="self"]`
			if choose == "dependent" {
				sel = `input[name=acting_for]:not([value="self"])`
			}
			b.do("choose "+choose, chromedp.Click(chromedp.CSS(sel)))
			if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(choice+" button[type=submit]"))); err != nil {
				b.fatalf("choose: %v", err)
			}
		case b.present(consent):
			if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`button[name=action][value=approve]`))); err != nil {
				b.fatalf("approve: %v", err)
			}
		}
	}
	b.fatalf("never reached the callback %s", callback)
	return ""
}
