package templates

// Messages of the app API's device binding and sign-in (accounts/api):
// "appapi.error.<code>" is the sentence for each stable error code.
func init() {
	Register(map[string][2]string{
		"appapi.error.invalid_request": {"Yêu cầu không hợp lệ.", "The request is not valid."},
		"appapi.error.invalid_device_key": {"Khóa thiết bị phải là khóa công khai EC P-256 (JWK), không kèm phần bí mật.",
			"The device key must be an EC P-256 public key (JWK) without its private part."},
		"appapi.error.bad_device_signature": {"Chữ ký của thiết bị không hợp lệ.", "The device signature does not verify."},
		"appapi.error.device_bound_elsewhere": {"Thiết bị này đang gắn với một tài khoản khác. Mỗi thiết bị chỉ giữ một tài khoản.",
			"This device is bound to another account. One device holds one account."},
		"appapi.error.unknown_device": {"Thiết bị này không gắn với tài khoản nào (có thể tài khoản đã chuyển sang thiết bị khác). Hãy kích hoạt lại trên thiết bị này.",
			"No account is bound to this device (the account may have moved to another device). Activate again on this device."},
		"appapi.error.no_device":         {"Tài khoản chưa gắn thiết bị nào.", "No device is bound to this account."},
		"appapi.error.invalid_challenge": {"Thử thách đăng nhập không hợp lệ hoặc đã được dùng. Hãy xin thử thách mới.", "The sign-in challenge is unknown or was already used. Ask for a new one."},
		"appapi.error.challenge_expired": {"Thử thách đăng nhập đã hết hạn. Hãy xin thử thách mới.", "The sign-in challenge expired. Ask for a new one."},
		"appapi.error.wrong_passcode":    {"Mật mã 6 số không đúng.", "The 6-digit passcode is wrong."},
		"appapi.error.invalid_token":     {"Phiên đăng nhập của ứng dụng không hợp lệ hoặc đã kết thúc. Hãy đăng nhập lại.", "The app session is not valid or has ended. Sign in again."},
		"appapi.error.account_locked":    {"Tài khoản đang bị khóa.", "The account is locked."},
		"appapi.error.not_activated":     {"Tài khoản chưa được kích hoạt.", "The account is not activated."},
		"appapi.error.locked_out": {"Quá nhiều lần thử sai. Vui lòng thử lại sau %d phút.",
			"Too many failed attempts. Please try again in %d minutes."},
		"appapi.error.slow_down":           {"Quá nhiều yêu cầu từ địa chỉ này; hãy thử lại sau một phút.", "Too many requests from this address; try again in a minute."},
		"appapi.error.busy":                {"Hệ thống đang bận, vui lòng thử lại sau giây lát.", "The service is busy; please try again shortly."},
		"appapi.error.activation_mismatch": {"Không có tài khoản nào khớp với số định danh và số điện thoại này.", "No account matches this personal identification number and phone number."},
		"appapi.error.already_active": {"Tài khoản đã được kích hoạt. Để dùng trên thiết bị này, hãy chuyển tài khoản sang thiết bị mới.",
			"The account is already active. To use it on this device, move the account to this device."},
		"appapi.error.not_identified":     {"Tài khoản chưa được định danh (mức 0); chưa thể kích hoạt.", "The account is not yet identified (level 0) and cannot be activated yet."},
		"appapi.error.weak_passcode":      {"Mật mã phải gồm 6 chữ số, không lặp lại hay liên tiếp.", "The passcode must be 6 digits, not repeated or in sequence."},
		"appapi.error.security_questions": {"Hãy chọn hai câu hỏi bảo mật khác nhau và trả lời cả hai.", "Choose two different security questions and answer both."},
		"appapi.error.weak_password":      {"Mật khẩu quá yếu.", "The password is too weak."},
		"appapi.error.activation_expired": {"Phiên kích hoạt đã hết hạn. Vui lòng bắt đầu lại.", "The activation expired. Please start again."},
		"appapi.error.wrong_code":         {"Mã xác thực không đúng.", "The code is wrong."},
		"appapi.error.code_expired":       {"Mã đã hết hạn hoặc đã được dùng. Vui lòng xin mã mới.", "The code has expired or was already used. Ask for a new one."},
		"appapi.error.move_unavailable": {"Không thể chuyển tài khoản trực tuyến cho số định danh này (không có tài khoản hoặc chưa đăng ký số điện thoại).",
			"The account cannot be moved online for this number (no account, or no phone number on record)."},
		"appapi.error.move_expired":  {"Phiên chuyển thiết bị đã hết hạn hoặc đã được dùng. Vui lòng bắt đầu lại.", "The device move expired or was already used. Please start again."},
		"appapi.error.wrong_answers": {"Câu trả lời bảo mật hoặc mật mã không đúng.", "The security answers or the passcode are wrong."},
		"appapi.error.not_found":     {"Không tìm thấy.", "Not found."},
		"appapi.error.server_error":  {"Lỗi hệ thống, vui lòng thử lại sau.", "A server error occurred; please try again later."},
	})
}
