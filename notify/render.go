package notify

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// Message is a rendered notification. An SMS carries Text; an e-mail has
// Subject, Text and Footer.
type Message struct {
	Subject string
	Text    string
	Footer  string
}

// tags maps languages to catalogue tags.
var tags = map[Lang]language.Tag{VI: language.Vietnamese, EN: language.English}

// entry is one message in both languages; a string or a plural selection.
type entry struct {
	key    string
	vi, en catalog.Message
}

func s(text string) catalog.Message { return catalog.String(text) }

// entries are the templates: per kind a subject and a text, in Vietnamese
// and English. Keys are stable names, never shown.
var entries = []entry{
	{"footer", s("Định danh điện tử. Đây là thư tự động, vui lòng không trả lời."),
		s("Electronic identity. This is an automatic message; please do not reply.")},
	{"reason", s(" Lý do: %s."), s(" Reason: %s.")},

	{"registration_result.subject", s("Kết quả đăng ký tài khoản định danh điện tử"), s("Result of your electronic identity registration")},
	{"registration_result.approved", s("Yêu cầu đăng ký tài khoản định danh điện tử của bạn đã được chấp thuận. Hãy kích hoạt tài khoản để sử dụng."),
		s("Your electronic identity registration was accepted. Activate your account to use it.")},
	{"registration_result.refused", s("Yêu cầu đăng ký tài khoản định danh điện tử của bạn chưa được chấp thuận."),
		s("Your electronic identity registration was not accepted.")},

	{"activation_result.subject", s("Kết quả kích hoạt tài khoản định danh điện tử"), s("Result of your electronic identity activation")},
	{"activation_result.approved", s("Tài khoản định danh điện tử của bạn đã được kích hoạt."),
		s("Your electronic identity account has been activated.")},
	{"activation_result.refused", s("Kích hoạt tài khoản định danh điện tử của bạn không thành công."),
		s("Activation of your electronic identity account failed.")},

	{"recovery.subject", s("Mật khẩu tài khoản định danh điện tử đã được đặt lại"), s("Your electronic identity password was reset")},
	{"recovery.text",
		plural.Selectf(1, "%d",
			"=0", "Mật khẩu tài khoản định danh điện tử của bạn vừa được đặt lại. Nếu không phải bạn, hãy khoá tài khoản ngay.",
			"other", "Mật khẩu tài khoản định danh điện tử của bạn vừa được đặt lại; %[1]d phiên đăng nhập đã kết thúc. Nếu không phải bạn, hãy khoá tài khoản ngay."),
		plural.Selectf(1, "%d",
			"=0", "The password of your electronic identity account was just reset. If this was not you, lock your account at once.",
			"=1", "The password of your electronic identity account was just reset and one sign-in was ended. If this was not you, lock your account at once.",
			"other", "The password of your electronic identity account was just reset and %[1]d sign-ins were ended. If this was not you, lock your account at once.")},

	{"password_changed.subject", s("Mật khẩu tài khoản định danh điện tử đã được thay đổi"), s("Your electronic identity password was changed")},
	{"password_changed.text", s("Mật khẩu tài khoản định danh điện tử của bạn vừa được thay đổi và mọi phiên đăng nhập khác đã kết thúc. Nếu không phải bạn, hãy khoá tài khoản ngay."),
		s("The password of your electronic identity account was just changed and every other sign-in was ended. If this was not you, lock your account at once.")},

	{"email_changed.subject", s("Địa chỉ thư điện tử của tài khoản định danh điện tử đã thay đổi"), s("Your electronic identity e-mail address was changed")},
	{"email_changed.text", s("Địa chỉ thư điện tử của tài khoản định danh điện tử của bạn vừa được thay đổi. Nếu không phải bạn, hãy khoá tài khoản ngay và liên hệ Công an xã, phường."),
		s("The e-mail address of your electronic identity account was just changed. If this was not you, lock your account at once and contact your commune police.")},

	{"device_changed.subject", s("Tài khoản định danh điện tử đã chuyển sang thiết bị mới"), s("Your electronic identity moved to a new device")},
	{"device_changed.text", s("Tài khoản định danh điện tử của bạn vừa được chuyển sang thiết bị mới%s; thiết bị cũ đã bị đăng xuất. Nếu không phải bạn, hãy khoá tài khoản ngay."),
		s("Your electronic identity account was just moved to a new device%s; the old device was signed out. If this was not you, lock your account at once.")},
	{"device_changed.device", s(" (%s)"), s(" (%s)")},

	{"locked.subject", s("Tài khoản định danh điện tử đã bị khoá"), s("Your electronic identity account was locked")},
	{"locked.text", s("Tài khoản định danh điện tử của bạn đã bị khoá và mọi phiên đăng nhập đã kết thúc.%s"),
		s("Your electronic identity account has been locked and every sign-in has ended.%s")},
	{"locked.reason.holder_request", s("theo yêu cầu của bạn"), s("at your request")},
	{"locked.reason.too_many_failures", s("do đăng nhập sai quá nhiều lần"), s("after too many failed sign-ins")},
	{"locked.reason.lost_phone", s("do mất điện thoại"), s("because the phone was lost")},
	{"locked.reason.authority", s("theo quyết định của cơ quan có thẩm quyền"), s("by decision of the competent authority")},
	{"locked.reason.card_revoked", s("do thẻ căn cước bị thu hồi"), s("because the identity card was revoked")},
	{"locked.reason.permit_expired", s("do thị thực hoặc thẻ tạm trú đã hết hạn; tài khoản được mở lại khi cơ quan xuất nhập cảnh ghi nhận giấy tờ gia hạn"),
		s("because your visa or residence card expired; the account reopens once the immigration office records the renewed one")},
	{"permit_expiring.subject", s("Thị thực hoặc thẻ tạm trú sắp hết hạn"), s("Your visa or residence card expires soon")},
	{"permit_expiring.text",
		plural.Selectf(2, "%d",
			"=0", "Thị thực hoặc thẻ tạm trú của bạn hết hạn hôm nay (%[1]s). Tài khoản định danh điện tử sẽ bị khoá khi hết hạn; hãy gia hạn tại cơ quan quản lý xuất nhập cảnh.",
			"other", "Thị thực hoặc thẻ tạm trú của bạn hết hạn ngày %[1]s, còn %[2]d ngày. Tài khoản định danh điện tử sẽ bị khoá khi hết hạn; hãy gia hạn tại cơ quan quản lý xuất nhập cảnh."),
		plural.Selectf(2, "%d",
			"=0", "Your visa or residence card expires today (%[1]s). Your electronic identity account will be locked when it expires; renew it at the immigration office.",
			"=1", "Your visa or residence card expires on %[1]s, in one day. Your electronic identity account will be locked when it expires; renew it at the immigration office.",
			"other", "Your visa or residence card expires on %[1]s, in %[2]d days. Your electronic identity account will be locked when it expires; renew it at the immigration office.")},

	{"unlocked.subject", s("Tài khoản định danh điện tử đã được mở khoá"), s("Your electronic identity account was unlocked")},
	{"unlocked.text", s("Tài khoản định danh điện tử của bạn đã được mở khoá. Nếu không phải bạn yêu cầu, hãy liên hệ cơ quan công an ngay."),
		s("Your electronic identity account has been unlocked. If you did not ask for this, contact the police at once.")},

	{"service_connected.subject", s("Dịch vụ mới được kết nối với tài khoản định danh điện tử"), s("A new service is connected to your electronic identity")},
	{"service_connected.text",
		s("Bạn vừa đồng ý cung cấp %[2]d thông tin từ tài khoản định danh điện tử cho dịch vụ %[1]s."),
		plural.Selectf(2, "%d",
			"=1", "%[1]s now receives one item of information from your electronic identity account.",
			"other", "%[1]s now receives %[2]d items of information from your electronic identity account.")},

	{"enrolment_result.subject", s("Kết quả xác thực tài khoản định danh điện tử"), s("Result of your electronic identity verification")},
	{"enrolment_result.approved", s("Tài khoản định danh điện tử của bạn đã được xác thực mức %d."),
		s("Your electronic identity account has been verified at level %d.")},
	{"enrolment_result.refused", s("Yêu cầu xác thực tài khoản định danh điện tử mức %d chưa được chấp thuận."),
		s("Your request to verify your electronic identity account at level %d was not approved.")},
}

// cat holds the templates; built once, read only afterwards.
var cat = func() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(language.Vietnamese))
	for _, e := range entries {
		for tag, m := range map[language.Tag]catalog.Message{language.Vietnamese: e.vi, language.English: e.en} {
			if err := b.Set(tag, e.key, m); err != nil {
				panic(fmt.Sprintf("notify: template %s: %v", e.key, err))
			}
		}
	}
	return b
}()

// Render writes the notification in its language. It refuses kinds off
// the allow-list and malformed parameters (Validate).
func Render(n Notification) (Message, error) {
	if err := n.Validate(); err != nil {
		return Message{}, err
	}
	p := message.NewPrinter(tags[n.Lang], message.Catalog(cat))
	k, par := string(n.Kind), n.Params
	num := func(name string) int { v, _ := strconv.Atoi(par[name]); return v }
	reason := ""
	if r := par["reason"]; r != "" {
		reason = p.Sprintf("reason", r)
	}
	var text string
	switch n.Kind {
	case RegistrationResult, ActivationResult:
		if par["approved"] == "true" {
			text = p.Sprintf(k + ".approved")
		} else {
			text = p.Sprintf(k+".refused") + reason
		}
	case EnrolmentResult:
		if par["approved"] == "true" {
			text = p.Sprintf(k+".approved", num("level"))
		} else {
			text = p.Sprintf(k+".refused", num("level")) + reason
		}
	case Recovery:
		text = p.Sprintf(k+".text", num("sessions"))
	case DeviceChanged:
		device := ""
		if d := par["device"]; d != "" {
			device = p.Sprintf(k+".device", d)
		}
		text = p.Sprintf(k+".text", device)
	case Locked:
		// Only reasons with a wording are told; other codes are for officers.
		why, r := "", par["reason"]
		if strings.HasPrefix(r, "authority_") {
			r = "authority"
		}
		if key := k + ".reason." + r; r != "" && hasKey(key) {
			why = p.Sprintf("reason", p.Sprintf(key))
		}
		text = p.Sprintf(k+".text", why)
	case Unlocked, PasswordChanged, EmailChanged:
		text = p.Sprintf(k + ".text")
	case ServiceConnected:
		text = p.Sprintf(k+".text", par["service"], num("claims"))
	case PermitExpiring:
		text = p.Sprintf(k+".text", par["expiry"], num("days"))
	default:
		return Message{}, fmt.Errorf("%w: no template for %q", ErrKindNotAllowed, n.Kind)
	}
	return Message{Subject: p.Sprintf(k + ".subject"), Text: text, Footer: p.Sprintf("footer")}, nil
}

func hasKey(key string) bool {
	for _, e := range entries {
		if e.key == key {
			return true
		}
	}
	return false
}
