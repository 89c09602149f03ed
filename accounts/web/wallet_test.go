package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts/web"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

// The wallet page lists the integrated documents, integrates one by its
// number (or says why not, in the page's language) and removes one; each
// form needs its CSRF token.
func TestWalletPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	ctx := t.Context()
	other := "001085000002"
	exp := accountstest.Start.AddDate(5, 0, 0)
	require.NoError(t, s.env.Registry.Write(ctx, []attributes.Person{accountstest.Person(t, other, "Trần Thị Bình")}, []attributes.Document{
		{Kind: attributes.SocialInsurance, Number: "0112345678", HolderID: pid, IssuedOn: accountstest.Start.AddDate(-5, 0, 0), Status: "valid"},
		{Kind: attributes.DrivingLicence, Number: "010000000001", HolderID: pid, IssuedOn: accountstest.Start, ExpiresOn: &exp, Status: "valid"},
		{Kind: attributes.DrivingLicence, Number: "010000000002", HolderID: other, IssuedOn: accountstest.Start, ExpiresOn: &exp, Status: "valid"},
		{Kind: attributes.DrivingLicence, Number: "010000000003", HolderID: pid, IssuedOn: accountstest.Start, ExpiresOn: &exp, Status: "withdrawn"},
	}))
	// The licences came from the registry's feed: not integrated yet.
	_, err := s.db.App.Exec(ctx, `UPDATE documents SET wallet = 'none' WHERE kind = 'driving_licence'`)
	require.NoError(t, err)

	p := s.browser(t).get(web.PathDocuments)
	require.Equal(t, "/login", p.url.Path, "signed out: sign in first")

	b := s.browser(t)
	b.signedIn(s)
	p = b.get(web.PathDocuments)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "Giấy tờ tích hợp")
	require.Contains(t, p.body, "0112345678")
	require.NotContains(t, p.body, "010000000001")

	require.Equal(t, http.StatusForbidden, b.post(web.PathDocuments, url.Values{"kind": {"driving_licence"}, "number": {"010000000001"}}).status, "no CSRF token")

	unknown := ""
	for _, tc := range []struct {
		name, kind, number, code string
		status                   int
	}{
		{"malformed", "driving_licence", "0100", "wallet.malformed_number", http.StatusBadRequest},
		{"not found", "driving_licence", "019999999999", "wallet.unknown_document", http.StatusNotFound},
		{"not yours", "driving_licence", "010000000002", "wallet.unknown_document", http.StatusNotFound},
		{"withdrawn", "driving_licence", "010000000003", "wallet.withdrawn", http.StatusConflict},
		{"already integrated", "social_insurance", "0112345678", "wallet.already_integrated", http.StatusConflict},
	} {
		r := b.submit(p, web.PathDocuments, url.Values{"kind": {tc.kind}, "number": {tc.number}})
		require.Equal(t, tc.status, r.status, tc.name)
		require.Equal(t, tc.code, errorCode(t, r), tc.name)
		require.Contains(t, r.body, `value="`+tc.number+`"`, "the form keeps what was typed")
		if tc.code == "wallet.unknown_document" {
			msg := alertOf(t, r)
			if unknown == "" {
				unknown = msg
			}
			require.Equal(t, unknown, msg, "not found and not yours read the same")
		}
	}
	require.Empty(t, s.env.Audit.Of("document.integrated"))

	r := b.submit(p, web.PathDocuments, url.Values{"kind": {"driving_licence"}, "number": {"0100 0000 0001"}, "ui_locales": {"en"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, `data-done="integrated"`)
	require.Contains(t, r.body, "The document was integrated.")
	require.Contains(t, r.body, "010000000001")
	require.Len(t, s.env.Audit.Of("document.integrated"), 1)

	r = b.submit(r, web.PathDocumentsRemove, url.Values{"kind": {"driving_licence"}, "number": {"010000000001"}, "ui_locales": {"vi"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	require.Contains(t, r.body, `data-done="removed"`)
	require.Contains(t, r.body, "Đã gỡ giấy tờ")
	require.NotContains(t, r.body, "010000000001")
	require.Len(t, s.env.Audit.Of("document.removed"), 1)

	r = b.submit(r, web.PathDocumentsRemove, url.Values{"kind": {"driving_licence"}, "number": {"010000000001"}})
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "wallet.not_integrated", errorCode(t, r))

	// Unknown numbers are throttled per account, with Retry-After.
	s.env.Clock.Advance(time.Second)
	var last page
	for range 10 {
		last = b.submit(p, web.PathDocuments, url.Values{"kind": {"driving_licence"}, "number": {"019999999999"}})
		if last.status == http.StatusTooManyRequests {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, last.status)
	require.Equal(t, "wallet.throttled", errorCode(t, last))
	require.NotEmpty(t, last.header.Get("Retry-After"))
}

var alertText = regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`)

// alertOf is the text of the page's alert.
func alertOf(t *testing.T, p page) string {
	t.Helper()
	m := alertText.FindStringSubmatch(p.body)
	require.NotNil(t, m, "no alert in page:\n%s", p.body)
	return m[1]
}
