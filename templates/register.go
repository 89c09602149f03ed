package templates

import (
	"net/http"
	"strings"
)

// Steps of the registration page.
const (
	RegisterDetails  = "details"  // personal id number, identity data, phone (or the card's QR text)
	RegisterCode     = "code"     // the SMS code
	RegisterPassword = "password" // the password
	RegisterDone     = "done"     // the account exists, at level 0
	// RegisterForeigner is a foreigner's first step: passport data, the
	// visa or residence card, phone.
	RegisterForeigner = "foreigner"
)

// RegisterPage is the web self-registration (MISSION "Level 1", on a
// computer where the citizen has no suitable smartphone).
type RegisterPage struct {
	Base
	// Step is one of RegisterDetails, RegisterCode, RegisterPassword,
	// RegisterDone.
	Step string
	// Form values echoed back: BirthDate as dd/mm/yyyy, Gender "male" or
	// "female". The QR text and passwords never are.
	PersonalID string
	FullName   string
	BirthDate  string
	Gender     string
	Phone      string
	// Email is the contact instead of Phone, for a citizen with no phone.
	Email string
	// A foreigner's passport data echoed back (dates as dd/mm/yyyy, Sex M,
	// F or X).
	PassportNo     string
	IssuingCountry string
	Nationality    string
	PrimaryName    string
	SecondaryName  string
	Sex            string
	PassportExpiry string
	PermitNumber   string
	PermitExpiry   string
	// Foreigner: the registration is a foreigner's; at RegisterDone, Login
	// is the identification number assigned to them, their login.
	Foreigner bool
	Login     string
	// MaskedPhone is where the code went (+84*****004, or t***@example.vn
	// for a registration by e-mail).
	MaskedPhone string
	// ByEmail: the contact being confirmed is an e-mail address (set by
	// Register at the code step from MaskedPhone; by the handler after).
	ByEmail bool
	// Error and Notice are message keys; an Error with RetryMinutes > 0 is
	// formatted with it.
	Error        string
	RetryMinutes int
	Notice       string
}

// Register renders a registration step.
func (s *Set) Register(w http.ResponseWriter, status int, p RegisterPage) error {
	if p.Title == "" {
		p.Title = "register.title"
	}
	if p.Step == "" {
		p.Step = RegisterDetails
	}
	if p.Step == RegisterCode && strings.Contains(p.MaskedPhone, "@") {
		p.ByEmail = true
	}
	return s.render(w, status, "register", p)
}

func init() {
	Register(map[string][2]string{
		"register.title":             {"Đăng ký tài khoản định danh điện tử", "Register for an electronic identity account"},
		"register.link":              {"Chưa có tài khoản? Đăng ký", "No account yet? Register"},
		"register.intro":             {"Dành cho công dân từ đủ 14 tuổi đã có thẻ căn cước gắn chip. Thông tin của bạn được đối chiếu với Cơ sở dữ liệu quốc gia về dân cư.", "For citizens aged 14 or more who hold a chip ID card. Your details are checked against the national population database."},
		"register.qr":                {"Nội dung mã QR trên thẻ căn cước (không bắt buộc)", "Text of the QR code on your ID card (optional)"},
		"register.qr_hint":           {"Quét mã QR bằng máy quét rồi dán vào đây: các ô bên dưới sẽ được điền tự động.", "Scan the QR code with a scanner and paste it here: the fields below are filled in for you."},
		"register.qr_fill":           {"Điền từ mã QR", "Fill in from the QR code"},
		"register.qr_filled":         {"Đã điền thông tin từ mã QR. Vui lòng kiểm tra và nhập số điện thoại.", "Filled in from the QR code. Please check the details and enter your phone number."},
		"register.qr_invalid":        {"Không đọc được mã QR của thẻ căn cước. Vui lòng quét lại hoặc nhập thông tin bằng tay.", "The ID card's QR code could not be read. Please scan it again or type your details."},
		"register.full_name":         {"Họ, chữ đệm và tên", "Full name"},
		"register.birth_date":        {"Ngày sinh", "Date of birth"},
		"register.date_hint":         {"ngày/tháng/năm, ví dụ 14/02/1992", "day/month/year, for example 14/02/1992"},
		"register.gender":            {"Giới tính", "Gender"},
		"register.male":              {"Nam", "Male"},
		"register.female":            {"Nữ", "Female"},
		"register.phone":             {"Số điện thoại di động", "Mobile phone number"},
		"register.phone_hint":        {"Mã xác thực sẽ được gửi qua SMS tới số này. Mỗi số điện thoại chỉ dùng cho một tài khoản.", "A code will be sent to this number by SMS. Each phone number can hold one account only."},
		"register.continue":          {"Tiếp tục", "Continue"},
		"register.missing":           {"Vui lòng nhập đủ số định danh cá nhân, họ tên, ngày sinh, giới tính và số điện thoại.", "Please enter your personal identification number, full name, date of birth, gender and phone number."},
		"register.bad_date":          {"Ngày sinh không hợp lệ. Vui lòng nhập theo dạng ngày/tháng/năm.", "The date of birth is not valid. Please write it as day/month/year."},
		"register.bad_pid":           {"Số định danh cá nhân không hợp lệ: phải gồm 12 chữ số, bắt đầu bằng mã tỉnh nơi đăng ký khai sinh.", "The personal identification number is not valid: it has 12 digits and begins with the code of the province where the birth was registered."},
		"register.pid_disagrees":     {"Số định danh cá nhân không khớp với năm sinh hoặc giới tính đã nhập.", "The personal identification number does not agree with the year of birth or gender you entered."},
		"register.bad_phone":         {"Số điện thoại không hợp lệ. Ví dụ: 0901 234 567 hoặc +84901234567.", "The phone number is not valid. For example: 0901 234 567 or +84901234567."},
		"register.mismatch":          {"Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư. Vui lòng kiểm tra lại số định danh, họ tên, ngày sinh và giới tính như trên thẻ căn cước.", "The details do not match the national population database. Please check the identification number, name, date of birth and gender as printed on your ID card."},
		"register.under_14":          {"Công dân dưới 14 tuổi chưa thể tự đăng ký tài khoản. Cha, mẹ hoặc người giám hộ đăng ký cho trẻ trong tài khoản định danh điện tử của mình.", "Citizens under 14 cannot register an account of their own. A parent or guardian registers the child under their own electronic identity account."},
		"register.already":           {"Số định danh cá nhân này đã được đăng ký tài khoản. Vui lòng đăng nhập hoặc kích hoạt tài khoản. Nếu bạn không đăng ký, hãy liên hệ Công an xã, phường nơi cư trú.", "This personal identification number is already registered. Please sign in or activate the account. If you did not register it, please contact your commune or ward police."},
		"register.code_intro":        {"Mã xác thực đã được gửi tới số %s. Mã có hiệu lực trong 5 phút.", "A code was sent to %s. It is valid for 5 minutes."},
		"register.code":              {"Mã xác thực", "Verification code"},
		"register.confirm":           {"Xác nhận", "Confirm"},
		"register.bad_code":          {"Mã xác thực không đúng.", "The code is wrong."},
		"register.code_expired":      {"Mã đã hết hạn hoặc không còn hiệu lực. Vui lòng đăng ký lại từ đầu.", "The code has expired or is no longer valid. Please start the registration again."},
		"register.expired":           {"Phiên đăng ký đã hết hạn. Vui lòng đăng ký lại từ đầu.", "Your registration has expired. Please start again."},
		"register.phone_taken":       {"Số điện thoại này đã được dùng cho một tài khoản định danh điện tử khác. Mỗi số điện thoại chỉ dùng cho một tài khoản: vui lòng dùng số khác, hoặc đổi số của tài khoản kia tại Công an xã, phường.", "This phone number already belongs to another electronic identity account. A phone number can hold one account only: please use another number, or have the other account's number changed at the commune or ward police."},
		"register.start_again":       {"Đăng ký lại", "Start again"},
		"register.password_intro":    {"Số điện thoại đã được xác nhận. Hãy đặt mật khẩu: từ 8 ký tự trở lên, không chỉ gồm chữ số.", "Your phone number is confirmed. Choose a password: 8 characters or more, not only digits."},
		"register.password":          {"Mật khẩu", "Password"},
		"register.password2":         {"Nhập lại mật khẩu", "Repeat the password"},
		"register.password_mismatch": {"Hai mật khẩu không giống nhau.", "The two passwords differ."},
		"register.weak_password":     {"Mật khẩu quá yếu: cần từ 8 ký tự trở lên và không chỉ gồm chữ số.", "The password is too weak: use 8 characters or more, not only digits."},
		"register.create":            {"Tạo tài khoản", "Create the account"},
		"register.done":              {"Đã đăng ký tài khoản. Tài khoản của bạn chưa được định danh (mức 0): chưa thể dùng để đăng nhập dịch vụ.", "Your account is registered. It is not yet identified (level 0): it cannot be used to sign in to services yet."},
		"register.done_level1":       {"Để đạt mức 1, cần kiểm tra chip của thẻ căn cước và chụp ảnh chân dung. Việc này không làm được trên máy tính: hãy dùng ứng dụng VNeID trên điện thoại có NFC, hoặc đến Công an xã, phường nơi cư trú mang theo thẻ căn cước để cán bộ xác thực.", "Level 1 needs the chip of your ID card to be read and a portrait photo to be taken. That cannot be done on a computer: use the VNeID app on a phone with NFC, or bring your ID card to your commune or ward police, where an officer will verify you."},
		"register.done_then":         {"Khi tài khoản đạt mức 1, hãy kích hoạt tài khoản, rồi đăng nhập.", "Once your account is at level 1, activate it, then sign in."},
	})
}

// Messages of registration by e-mail.
func init() {
	Register(map[string][2]string{
		"register.email":                {"Hoặc địa chỉ thư điện tử, nếu bạn không có điện thoại di động", "Or an e-mail address, if you have no mobile phone"},
		"register.email_hint":           {"Khi không nhập số điện thoại, mã xác thực được gửi tới địa chỉ này. Để kích hoạt tài khoản vẫn cần một số điện thoại di động.", "When no phone number is given, the code is sent to this address. Activating the account still needs a mobile phone number."},
		"register.bad_email":            {"Địa chỉ thư điện tử không hợp lệ. Ví dụ: ten@example.vn.", "The e-mail address is not valid. For example: name@example.vn."},
		"register.no_email":             {"Hiện chưa thể đăng ký bằng thư điện tử. Vui lòng nhập số điện thoại di động.", "Registration by e-mail is not available at the moment. Please enter a mobile phone number."},
		"register.code_intro_email":     {"Mã xác thực đã được gửi tới địa chỉ thư điện tử %s. Mã có hiệu lực trong 5 phút.", "A code was sent to the e-mail address %s. It is valid for 5 minutes."},
		"register.password_intro_email": {"Địa chỉ thư điện tử đã được xác nhận. Hãy đặt mật khẩu: từ 8 ký tự trở lên, không chỉ gồm chữ số.", "Your e-mail address is confirmed. Choose a password: 8 characters or more, not only digits."},
	})
}

// Messages of a foreigner's registration from passport data.
func init() {
	Register(map[string][2]string{
		"register.foreigner_title":       {"Đăng ký tài khoản cho người nước ngoài", "Registration for foreigners"},
		"register.foreigner_link":        {"Người nước ngoài: đăng ký bằng hộ chiếu", "Foreigner? Register with your passport"},
		"register.citizen_link":          {"Công dân Việt Nam: đăng ký bằng thẻ căn cước", "Vietnamese citizen? Register with your ID card"},
		"register.foreigner_intro":       {"Dành cho người nước ngoài từ đủ 14 tuổi đang cư trú tại Việt Nam. Nhập thông tin như in trên hộ chiếu (dòng mã MRZ) và trên thị thực hoặc thẻ tạm trú: thông tin được đối chiếu với Cơ sở dữ liệu quốc gia về xuất nhập cảnh.", "For foreigners aged 14 or more residing in Viet Nam. Enter your details as printed in your passport (its MRZ lines) and on your visa or residence card: they are checked against the national immigration database."},
		"register.passport_no":           {"Số hộ chiếu", "Passport number"},
		"register.issuing_country":       {"Quốc gia cấp hộ chiếu", "Issuing country"},
		"register.nationality":           {"Quốc tịch", "Nationality"},
		"register.country_hint":          {"Mã 3 chữ cái như trên hộ chiếu, ví dụ KOR, DEU, USA", "The three-letter code as in the passport, for example KOR, DEU, USA"},
		"register.primary_name":          {"Họ (như trên hộ chiếu)", "Surname (as in the passport)"},
		"register.secondary_name":        {"Tên (như trên hộ chiếu)", "Given names (as in the passport)"},
		"register.sex":                   {"Giới tính", "Sex"},
		"register.sex_x":                 {"Không xác định (X)", "Unspecified (X)"},
		"register.passport_expiry":       {"Ngày hết hạn hộ chiếu", "Passport expiry date"},
		"register.permit_number":         {"Số thị thực hoặc thẻ tạm trú", "Visa or temporary residence card number"},
		"register.permit_expiry":         {"Ngày hết hạn thị thực hoặc thẻ tạm trú", "Visa or residence card expiry date"},
		"register.foreigner_missing":     {"Vui lòng nhập đủ số hộ chiếu, quốc gia cấp, quốc tịch, họ, ngày sinh, giới tính, ngày hết hạn hộ chiếu, số và ngày hết hạn thị thực hoặc thẻ tạm trú, và số điện thoại.", "Please enter the passport number, issuing country, nationality, surname, date of birth, sex, passport expiry, the visa or residence card number and expiry, and a phone number."},
		"register.bad_foreigner_date":    {"Một ngày không hợp lệ. Vui lòng nhập theo dạng ngày/tháng/năm.", "A date is not valid. Please write dates as day/month/year."},
		"register.bad_passport":          {"Không đọc được thông tin hộ chiếu: số hộ chiếu gồm chữ và số, quốc gia là mã 3 chữ cái như KOR.", "The passport details cannot be read: the number has letters and digits, countries are three-letter codes such as KOR."},
		"register.foreigner_mismatch":    {"Thông tin không khớp với Cơ sở dữ liệu quốc gia về xuất nhập cảnh. Vui lòng kiểm tra lại từng thông tin như trên hộ chiếu và thị thực hoặc thẻ tạm trú.", "The details do not match the national immigration database. Please check each detail as printed in your passport and on your visa or residence card."},
		"register.permit_expired":        {"Thị thực hoặc thẻ tạm trú của bạn đã hết hạn. Vui lòng gia hạn tại cơ quan quản lý xuất nhập cảnh rồi đăng ký lại.", "Your visa or residence card has expired. Please renew it at the immigration office, then register again."},
		"register.passport_expired":      {"Hộ chiếu của bạn đã hết hạn. Vui lòng đăng ký lại với hộ chiếu mới sau khi cơ quan quản lý xuất nhập cảnh cập nhật.", "Your passport has expired. Please register again with your new passport once the immigration office has recorded it."},
		"register.foreigner_already":     {"Người nước ngoài này đã được đăng ký tài khoản. Vui lòng đăng nhập hoặc kích hoạt tài khoản.", "This person already has an account. Please sign in or activate the account."},
		"register.foreigner_under_14":    {"Người dưới 14 tuổi chưa thể tự đăng ký tài khoản.", "People under 14 cannot register an account of their own."},
		"register.login_is":              {"Tên đăng nhập của bạn là số định danh được cấp cho người nước ngoài:", "Your login is the identification number assigned to you as a foreigner:"},
		"register.login_keep":            {"Hãy ghi lại số này: bạn dùng nó cùng mật khẩu để đăng nhập.", "Write this number down: you sign in with it and your password."},
		"register.done_level1_foreigner": {"Để đạt mức 1, hãy mang hộ chiếu và thị thực hoặc thẻ tạm trú đến cơ quan Công an nơi bạn cư trú để cán bộ xác thực.", "For level 1, bring your passport and your visa or residence card to the police office where you reside, where an officer will verify you."},
	})
}
