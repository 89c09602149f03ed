package web

import "github.com/dinhdanh/dinhdanh/audit"

// typeOrder is the order of the type filter's options.
var typeOrder = []audit.EventType{
	audit.SignInSucceeded, audit.SignInFailed, audit.SecondFactorOK, audit.SecondFactorFailed,
	audit.SignInLockedOut, audit.SignedOut, audit.OTPSent, audit.TokenIssued, audit.TokenRefreshed,
	audit.TokenRevoked, audit.RefreshReuse, audit.UserinfoRead, audit.Introspected, audit.AuthorizeDenied,
	audit.ConsentGranted, audit.ConsentRefused, audit.ConsentRevoked, audit.ReceiptDownloaded,
	audit.AccountRegistered, audit.AccountActivated, audit.AccountLocked, audit.AccountUnlocked,
	audit.PasswordChanged, audit.PhoneChanged, audit.DeviceChanged, audit.FactorChanged, audit.HistoryViewed,
	audit.OfficerAction, audit.OperatorAction, audit.RetentionApplied, audit.ClientChanged, audit.KeyRotated,
}

// labels describe event types to the citizen, in Vietnamese.
var labels = map[audit.EventType]string{
	audit.SignInSucceeded:    "Đăng nhập thành công",
	audit.SignInFailed:       "Đăng nhập không thành công",
	audit.SecondFactorOK:     "Xác thực bước hai thành công",
	audit.SecondFactorFailed: "Xác thực bước hai không thành công",
	audit.SignInLockedOut:    "Tạm khóa đăng nhập do nhập sai nhiều lần",
	audit.SignedOut:          "Đăng xuất",
	audit.OTPSent:            "Gửi mã OTP",
	audit.TokenIssued:        "Cấp quyền truy cập cho dịch vụ",
	audit.TokenRefreshed:     "Gia hạn quyền truy cập",
	audit.TokenRevoked:       "Thu hồi quyền truy cập",
	audit.RefreshReuse:       "Phát hiện dùng lại mã gia hạn",
	audit.UserinfoRead:       "Dịch vụ đọc thông tin",
	audit.Introspected:       "Dịch vụ kiểm tra mã truy cập",
	audit.AuthorizeDenied:    "Từ chối yêu cầu của dịch vụ",
	audit.ConsentGranted:     "Đồng ý chia sẻ thông tin",
	audit.ConsentRefused:     "Từ chối chia sẻ thông tin",
	audit.ConsentRevoked:     "Rút lại sự đồng ý",
	audit.ReceiptDownloaded:  "Tải biên nhận đồng ý",
	audit.AccountRegistered:  "Đăng ký tài khoản",
	audit.AccountActivated:   "Kích hoạt tài khoản",
	audit.AccountLocked:      "Khóa tài khoản",
	audit.AccountUnlocked:    "Mở khóa tài khoản",
	audit.PasswordChanged:    "Đổi mật khẩu",
	audit.PhoneChanged:       "Đổi số điện thoại",
	audit.DeviceChanged:      "Đổi thiết bị",
	audit.FactorChanged:      "Thay đổi phương thức xác thực",
	audit.HistoryViewed:      "Cán bộ xem lịch sử sử dụng",
	audit.OfficerAction:      "Thao tác của cán bộ",
	audit.OperatorAction:     "Thao tác của quản trị viên",
	audit.RetentionApplied:   "Xóa lịch sử quá hạn lưu trữ",
	audit.ClientChanged:      "Thay đổi dịch vụ kết nối",
	audit.KeyRotated:         "Thay khóa ký",
}

// label names an event type for the citizen; unknown (newer) types show
// their code.
func label(t audit.EventType) string {
	if l, ok := labels[t]; ok {
		return l
	}
	return string(t)
}
