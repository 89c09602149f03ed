package browsertest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/population"
)

// TestForeignerRegistration (issue 13 item 3): a foreigner registers from
// passport data on /register/foreigner, in Vietnamese and in English. A
// detail that differs from the foreigners' registry is refused with words
// that do not say which; the right details lead through the SMS code and
// the password to the account, whose login (the number the registry
// assigned) is shown.
func TestForeignerRegistration(t *testing.T) {
	e := newEnv(t)
	// A second resident for the English run: the demo extract's Anna Müller
	// registers in Vietnamese.
	jean := foreigners.Resident{ID: "001090000031", PassportNo: "24FX12345", IssuingCountry: "FRA", Nationality: "FRA",
		PrimaryName: "DUPONT", SecondaryName: "JEAN LUC", BirthDate: time.Date(1990, 7, 14, 0, 0, 0, 0, time.UTC), Sex: "M",
		PassportExpiry: time.Date(2032, 1, 9, 0, 0, 0, 0, time.UTC), PermitKind: foreigners.TemporaryResidenceCard,
		PermitNumber: "TT20261234", PermitExpiry: time.Now().UTC().AddDate(1, 0, 0)}
	require.NoError(t, foreignerspg.NewStore(e.db.App).Put(t.Context(), jean))
	anna, err := foreignerspg.NewStore(e.db.App).ByID(t.Context(), population.DemoForeignerRegistrationID)
	require.NoError(t, err)

	type passport struct {
		number, issuing, nationality, surname, given, birth, sex, expiry, permit, permitExpiry, phone string
	}
	for _, tc := range []struct {
		lang     string
		who      passport
		login    string
		mismatch string
		done     string
		loginIs  string
	}{
		{"vi", passport{"c01x00t47", "DEU", "deu", "Müller", "Anna", "03/02/1991", "F", "31/08/2030", "VN2468135",
			anna.PermitExpiry.Format("02/01/2006"), "0909100001"}, population.DemoForeignerRegistrationID,
			"Thông tin không khớp với Cơ sở dữ liệu quốc gia về xuất nhập cảnh", "Đã đăng ký tài khoản", "Tên đăng nhập của bạn"},
		{"en", passport{"24FX12345", "FR", "FRA", "Dupont", "Jean-Luc", "14/07/1990", "M", "09/01/2032", "TT20261234",
			jean.PermitExpiry.Format("02/01/2006"), "0909100002"}, jean.ID,
			"The details do not match the national immigration database", "Your account is registered", "Your login is"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			b := newBrowser(t, tc.lang)
			b.open(e.gatewayURL+"/register?ui_locales="+tc.lang, "#foreigner-link")
			b.follow("#foreigner-link", "#passport_no")
			require.Contains(t, b.html(), `<html lang="`+tc.lang+`">`)
			b.axe()
			fill := func(p passport) {
				t.Helper()
				for _, f := range [][2]string{{"#passport_no", p.number}, {"#issuing_country", p.issuing}, {"#nationality", p.nationality},
					{"#primary_name", p.surname}, {"#secondary_name", p.given}, {"#birth_date", p.birth},
					{"#passport_expiry", p.expiry}, {"#permit_number", p.permit}, {"#permit_expiry", p.permitExpiry}, {"#phone", p.phone}} {
					b.do("type "+f[0], chromedp.Clear(chromedp.CSS(f[0])), chromedp.SendKeys(chromedp.CSS(f[0]), f[1]))
				}
				b.do("choose the sex", chromedp.SetValue(chromedp.CSS("#sex"), p.sex))
			}

			// One detail wrong (the permit's expiry a day later): refused,
			// without saying which detail.
			wrong := tc.who
			pe, err := time.Parse("02/01/2006", tc.who.permitExpiry)
			require.NoError(t, err)
			wrong.permitExpiry = pe.AddDate(0, 0, 1).Format("02/01/2006")
			fill(wrong)
			b.follow("#register-submit", "p.alert")
			alert := b.text("p.alert")
			require.Contains(t, alert, tc.mismatch)
			// The same words as for an unknown passport: nothing names the
			// detail that differs.
			require.NotContains(t, strings.ToLower(alert), "hết hạn")
			require.NotContains(t, strings.ToLower(alert), "expired")
			require.Equal(t, tc.who.surname, b.value("#primary_name"), "the form keeps what was typed")
			require.Zero(t, e.smsCount(t, "+84"+tc.who.phone[1:]), "no code for a mismatch")

			// The details as printed: the code, the password, the login.
			fill(tc.who)
			b.follow("#register-submit", "#code")
			b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, "+84"+tc.who.phone[1:])))
			b.follow("#register-confirm", "#password")
			b.do("choose a password",
				chromedp.SendKeys(chromedp.CSS("#password"), "một mật khẩu dài 2026"),
				chromedp.SendKeys(chromedp.CSS("#password2"), "một mật khẩu dài 2026"))
			b.follow("#register-create", "#register-login")
			require.Contains(t, b.text("#register-done"), tc.done)
			require.Equal(t, tc.login, b.text("#register-login"))
			require.Contains(t, b.text("main"), tc.loginIs)
			a, err := e.g.Accounts.ByPersonalID(t.Context(), tc.login)
			require.NoError(t, err)
			require.Equal(t, "+84"+tc.who.phone[1:], a.Phone)
		})
	}
}

// value is the current value of the form field sel.
func (b *browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("read the value of %s: %v", sel, err)
	}
	return v
}

// TestDemoForeignerSharesPassport: in the demo (`make run`), Kim Min-jun
// signs in to the demo relying party through its "foreigner" link, which
// asks for the passport and residence_permit scopes; the consent screen
// lists his passport and residence card, and the relying party receives
// them with his nationality from the passport.
func TestDemoForeignerSharesPassport(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, "en")
	b.open(e.rpURL+"/", "#login-passport")
	b.follow("#login-passport", "#personal_id")
	b.do("type the assigned number and password",
		chromedp.SendKeys(chromedp.CSS("#personal_id"), population.DemoForeignerID),
		chromedp.SendKeys(chromedp.CSS("#password"), population.DemoPassword))
	b.follow(`form[action="/login"] button[type=submit]`, `form[action="/login/sms"] button[type=submit]`)
	b.follow(`form[action="/login/sms"] button[type=submit]`, "#code")
	b.do("type the SMS code", chromedp.SendKeys(chromedp.CSS("#code"), e.lastSMSCode(t, "+84901000003")))
	b.follow(`form[action="/login/verify"] button[type=submit]`, `form[action="/consent"]`)
	items := b.text("table.items")
	require.Contains(t, items, "Passport (number, issuing country, expiry)")
	require.Contains(t, items, "M12345678 · South Korea · expires 14 March 2031")
	require.Contains(t, items, "Temporary residence card · TT01234567 · expires 30 June 2028")
	b.follow(`button[name=action][value=approve]`, "#message")
	userinfo := jsonOf(t, b.text("#userinfo"))
	require.Equal(t, map[string]any{"number": "M12345678", "issuing_country": "KOR", "expiry": "2031-03-14"}, userinfo["passport"])
	require.Equal(t, map[string]any{"kind": "temporary_residence_card", "number": "TT01234567", "expiry": "2028-06-30"}, userinfo["residence_permit"])
	require.Equal(t, "KR", userinfo["nationality"])
}
