package population

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// GeneratedPassword is the password of every generated citizen's account.
const GeneratedPassword = "Demo@12345"

// generatedEpoch is the date ages are counted from, fixed so that output
// does not depend on the day it runs.
var generatedEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	familyNames = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
		"Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Mai", "Tạ"}
	maleMiddle   = []string{"Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Đình", "Gia"}
	femaleMiddle = []string{"Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Bảo", "Khánh", "Mai", "Kim"}
	maleGiven    = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh", "Khoa",
		"Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Trung", "Tuấn", "Việt"}
	femaleGiven = []string{"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan",
		"Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Trang", "Uyên", "Vân", "Yến"}
	streets = []string{"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
		"Nguyễn Trãi", "Lê Duẩn", "Điện Biên Phủ", "Hùng Vương", "Phan Đình Phùng", "Bà Triệu"}
	foreign = []struct {
		country string
		names   [2][]string // male, female
	}{
		{"KR", [2][]string{{"Kim Min-jun", "Lee Seo-jun", "Park Ji-ho"}, {"Kim Seo-yeon", "Choi Ji-woo", "Park Min-seo"}}},
		{"JP", [2][]string{{"Sato Haruto", "Suzuki Ren"}, {"Takahashi Yui", "Tanaka Hina"}}},
		{"CN", [2][]string{{"Wang Wei", "Li Hao"}, {"Zhang Min", "Liu Yang"}}},
		{"US", [2][]string{{"James Miller", "Michael Brown"}, {"Emily Johnson", "Sarah Davis"}}},
		{"FR", [2][]string{{"Lucas Martin", "Hugo Bernard"}, {"Emma Dubois", "Léa Moreau"}}},
	}
)

// Generate returns n synthetic people, the same for the same seed: valid
// personal id numbers (serials 100000 and up, so they never meet the demo
// file's), Vietnamese names and the 63 provinces, about 10% children under
// 14 registered under an earlier adult, 2% foreign residents, and accounts
// for about 70% of the adults (level 1 or 2, three in four activated, with
// GeneratedPassword and a unique phone +8498xxxxxxx).
func Generate(n int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	provinces := personalid.Provinces()
	used := map[string]bool{}
	var adults []int
	out := make([]Record, 0, n)
	for i := range n {
		gender := attributes.Male
		if rng.IntN(2) == 1 {
			gender = attributes.Female
		}
		child := len(adults) > 0 && rng.IntN(10) == 0
		var birth time.Time
		if child {
			birth = generatedEpoch.AddDate(-1-rng.IntN(12), -rng.IntN(12), -rng.IntN(28))
		} else {
			birth = generatedEpoch.AddDate(-15-rng.IntN(70), -rng.IntN(12), -rng.IntN(28))
		}
		prov := provinces[rng.IntN(len(provinces))]
		g, _ := personalid.CenturyGenderDigit(birth.Year(), gender)
		var pid string
		for {
			pid = fmt.Sprintf("%s%d%02d%06d", prov.Code, g, birth.Year()%100, 100000+rng.IntN(900000))
			if !used[pid] {
				used[pid] = true
				break
			}
		}
		r := Record{
			PersonalID: pid, BirthDate: birth.Format(time.DateOnly), Gender: string(gender), Nationality: "VN",
			Residence: Residence{
				Street: fmt.Sprintf("Số %d %s", 1+rng.IntN(300), streets[rng.IntN(len(streets))]),
				Ward:   fmt.Sprintf("Phường %d", 1+rng.IntN(20)), District: fmt.Sprintf("Quận %d", 1+rng.IntN(12)),
				Province: prov.Name, Country: "VN",
			},
		}
		gi := 0
		if gender == attributes.Female {
			gi = 1
		}
		if !child && rng.IntN(50) == 0 {
			f := foreign[rng.IntN(len(foreign))]
			r.Nationality = f.country
			r.FullName = f.names[gi][rng.IntN(len(f.names[gi]))]
			r.PassportNo = fmt.Sprintf("%s%07d", f.country[:1], rng.IntN(10_000_000))
			r.Residence.Province = "Hà Nội"
		} else {
			family := familyNames[rng.IntN(len(familyNames))]
			if gender == attributes.Male {
				r.FullName = family + " " + maleMiddle[rng.IntN(len(maleMiddle))] + " " + maleGiven[rng.IntN(len(maleGiven))]
			} else {
				r.FullName = family + " " + femaleMiddle[rng.IntN(len(femaleMiddle))] + " " + femaleGiven[rng.IntN(len(femaleGiven))]
			}
		}
		if child {
			guardian := out[adults[rng.IntN(len(adults))]]
			r.GuardianID, r.GuardianRelation = guardian.PersonalID, "child"
			r.Residence = guardian.Residence
		} else {
			adults = append(adults, i)
			r.IssueDate = birth.AddDate(14+rng.IntN(10), rng.IntN(12), 0).Format(time.DateOnly)
			if r.IssueDate > generatedEpoch.Format(time.DateOnly) {
				r.IssueDate = generatedEpoch.AddDate(0, -1-rng.IntN(24), 0).Format(time.DateOnly)
			}
			if rng.IntN(10) < 7 {
				r.Phone = fmt.Sprintf("+8498%07d", i)
				status := "active"
				if rng.IntN(4) == 0 {
					status = "pending"
				}
				r.Account = &AccountRecord{Level: 1 + rng.IntN(2), Status: status, Password: GeneratedPassword}
			}
		}
		out = append(out, r)
	}
	return out
}
