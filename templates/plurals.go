package templates

// The messages whose words depend on a number (RegisterPlural): one message
// each instead of hand-made singular and plural pairs. Vietnamese nouns do
// not change with the count, so Vietnamese has one form.
func init() {
	RegisterPlural(map[string]Plural{
		"register.locked_out": {
			VI: Forms{Other: "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút."},
			EN: Forms{One: "Too many failed attempts. Please try again in %d minute.", Other: "Too many failed attempts. Please try again in %d minutes."},
		},
		"register.sms_limit": {
			VI: Forms{Other: "Đã gửi quá nhiều mã SMS. Vui lòng thử lại sau %d phút."},
			EN: Forms{One: "Too many SMS codes were sent. Please try again in %d minute.", Other: "Too many SMS codes were sent. Please try again in %d minutes."},
		},
		"signin.locked_out": {
			VI: Forms{Other: "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau %d phút."},
			EN: Forms{One: "Too many failed attempts. Please try again in %d minute.", Other: "Too many failed attempts. Please try again in %d minutes."},
		},
		"signin.slow": {
			VI: Forms{Other: "Hệ thống đang phát hiện nhiều lần đăng nhập sai từ nhiều nơi. Để bảo vệ tài khoản, vui lòng chờ %d phút rồi đăng nhập lại."},
			EN: Forms{One: "Many failed sign-ins are coming from many places. To protect accounts, please wait %d minute and sign in again.",
				Other: "Many failed sign-ins are coming from many places. To protect accounts, please wait %d minutes and sign in again."},
		},
		"signin.factor.sms_limit": {
			VI: Forms{Other: "Bạn đã yêu cầu quá nhiều mã SMS. Vui lòng thử lại sau %d phút."},
			EN: Forms{One: "You asked for too many SMS codes. Please try again in %d minute.", Other: "You asked for too many SMS codes. Please try again in %d minutes."},
		},
		"staff.signin.locked": {
			VI: Forms{Other: "Quá nhiều lần thử sai. Vui lòng thử lại sau %d phút."},
			EN: Forms{One: "Too many failed attempts. Please try again in %d minute.", Other: "Too many failed attempts. Please try again in %d minutes."},
		},
		"share.ttl": {
			VI: Forms{Other: "Mã QR có hiệu lực trong %d phút."},
			EN: Forms{One: "The QR code is valid for %d minute.", Other: "The QR code is valid for %d minutes."},
		},
		"share.credential.size": {
			VI: Forms{Other: "%d ký tự"},
			EN: Forms{One: "%d character", Other: "%d characters"},
		},
		"share.verify.undisclosed": {
			VI: Forms{Other: "Người dân không hiển thị %d thông tin khác có trong mã."},
			EN: Forms{One: "The citizen chose not to show %d other item in the code.", Other: "The citizen chose not to show %d other items in the code."},
		},
		"account.services.count": {
			VI: Forms{Other: "%d dịch vụ"},
			EN: Forms{One: "%d service", Other: "%d services"},
		},
	})
}
