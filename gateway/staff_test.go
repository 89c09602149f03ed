package gateway_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/staff"
)

var staffCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// The staff console runs on its own session: signing in there opens
// nothing on the citizens' side, and its cookie stays under /staff.
func TestStaffConsoleMounted(t *testing.T) {
	srv, g, _ := newGatewayWithParts(t)
	ctx := t.Context()
	_, enr, err := g.Staff.Bootstrap(ctx, staff.NewMember{Username: "admin", Name: "Quản trị viên", Password: "Quan-tri-vien-1"},
		staff.Unit{Code: "01", Name: "Công an TP Hà Nội", Level: staff.Province}, "test")
	require.NoError(t, err)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}
	get := func(path string) (string, *http.Response) {
		resp, err := c.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp
	}
	post := func(page, path string, form url.Values) (string, *http.Response) {
		m := staffCSRF.FindStringSubmatch(page)
		require.NotNil(t, m, page)
		form.Set("csrf_token", html.UnescapeString(m[1]))
		resp, err := c.PostForm(srv.URL+path, form)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp
	}
	body, resp := get("/staff/members")
	require.Equal(t, "/staff/login", resp.Request.URL.Path)
	body, resp = post(body, "/staff/login", url.Values{"username": {"admin"}, "password": {enr.Password}})
	require.Equal(t, "/staff/login/verify", resp.Request.URL.Path, body)
	code, err := staff.TOTPCode(enr.TOTPSecret, time.Now())
	require.NoError(t, err)
	body, resp = post(body, "/staff/login/verify", url.Values{"code": {code}})
	require.Equal(t, "/staff/members", resp.Request.URL.Path, body)
	assert.Contains(t, body, `data-username="admin"`)

	u, _ := url.Parse(srv.URL + "/staff")
	var names []string
	for _, ck := range jar.Cookies(u) {
		names = append(names, ck.Name)
	}
	assert.Contains(t, names, "dinhdanh_staff")
	root, _ := url.Parse(srv.URL + "/account")
	for _, ck := range jar.Cookies(root) {
		assert.NotEqual(t, "dinhdanh_staff", ck.Name, "the staff cookie stays under /staff")
	}
	_, resp = get("/account")
	assert.True(t, strings.HasPrefix(resp.Request.URL.Path, "/login"), "a staff sign-in is no citizen sign-in")
}
