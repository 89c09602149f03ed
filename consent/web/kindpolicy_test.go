package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/consent/web"
)

// TestConsentScreenShowsKindPolicy: the consent screen says which kind of
// service asks and that the gateway's policy allows that kind the documents
// it asks for, in both languages; without a document scope it says nothing
// of the policy.
func TestConsentScreenShowsKindPolicy(t *testing.T) {
	insurer := dvc
	insurer.ID, insurer.Name, insurer.NameEN, insurer.Kind = "bhx", "Bảo hiểm X", "X Insurance", "insurer"
	cases := []struct {
		name, uiLocales string
		scopes          []string
		want, not       []string
	}{
		{"vi", "", []string{"openid", "documents.health_insurance", "documents.vehicle_registration"},
			[]string{"Công ty bảo hiểm",
				`id="kind-policy">Loại dịch vụ: Công ty bảo hiểm. Quy định của cổng định danh cho phép loại dịch vụ này đọc các giấy tờ được đề nghị: Thẻ bảo hiểm y tế, Đăng ký xe.</p>`}, nil},
		{"en", "en", []string{"openid", "documents.social_insurance"},
			[]string{">Insurer<",
				`id="kind-policy">Kind of service: Insurer. The gateway&#39;s policy allows this kind of service to read the documents asked for: Social insurance book.</p>`}, nil},
		{"no document", "", []string{"openid", "profile"}, []string{"Công ty bảo hiểm"}, []string{`id="kind-policy"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pending("c1", func(p *web.Pending) {
				p.Client, p.Scopes, p.Essential, p.UILocales = insurer, tc.scopes, nil, tc.uiLocales
			})
			b := f.browser(t, "acc-1")
			p := do(t, b, http.MethodGet, f.srv.URL+"/consent?challenge=c1", nil, nil)
			require.Equal(t, http.StatusOK, p.status, p.body)
			for _, w := range tc.want {
				require.Contains(t, p.body, w)
			}
			for _, w := range tc.not {
				require.NotContains(t, p.body, w)
			}
		})
	}
}
