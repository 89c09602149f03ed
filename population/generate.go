package population

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
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
// GeneratedPassword and a unique phone +8498xxxxxxx). It holds them all:
// for millions, use a Generator.
func Generate(n int, seed uint64) []Record {
	g := NewGenerator(seed, GenerateOptions{})
	out := make([]Record, 0, n)
	for range n {
		out = append(out, g.Next())
	}
	return out
}

// MaxGenerated is how many citizens one seed can give unique account
// phones to (+849[1-8] and seven digits).
const MaxGenerated = 80_000_000

// GenerateOptions tune a Generator.
type GenerateOptions struct {
	// Documents gives about a third of the adults a driving licence and
	// one in five a vehicle registration, drawn from a second random
	// stream, so that the people are the same with or without them.
	Documents bool
}

// guardianWindow is how many of the latest adults a child's guardian is
// drawn from. Generate's first 65,536 adults are drawn from all earlier
// ones, as before the window existed, so small data sets (the demo's 3,000)
// are unchanged.
const guardianWindow = 1 << 16

type adult struct {
	pid       string
	residence Residence
}

// Generator yields Generate's citizens one at a time in bounded memory:
// the last guardianWindow adults, and the serials already used, 4 bytes
// per citizen generated (about 40 MB for 10 million), kept sorted per
// province, century, gender and year of birth so that no personal id
// number repeats.
type Generator struct {
	rng, docRng *rand.Rand
	provinces   []personalid.Province
	used        map[int][]uint32
	adults      []adult
	nAdults     int
	i           int
	opts        GenerateOptions
}

// NewGenerator starts the sequence of seed.
func NewGenerator(seed uint64, opts GenerateOptions) *Generator {
	return &Generator{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		docRng:    rand.New(rand.NewPCG(seed^0x2545f4914f6cdd1d, seed)),
		provinces: personalid.Provinces(),
		used:      map[int][]uint32{},
		opts:      opts,
	}
}

// Next returns the next citizen. Past MaxGenerated the account phones
// would repeat: callers bound n.
func (g *Generator) Next() Record {
	rng := g.rng
	i := g.i
	g.i++
	gender := attributes.Male
	if rng.IntN(2) == 1 {
		gender = attributes.Female
	}
	child := g.nAdults > 0 && rng.IntN(10) == 0
	var birth time.Time
	if child {
		birth = generatedEpoch.AddDate(-1-rng.IntN(12), -rng.IntN(12), -rng.IntN(28))
	} else {
		birth = generatedEpoch.AddDate(-15-rng.IntN(70), -rng.IntN(12), -rng.IntN(28))
	}
	prov := g.provinces[rng.IntN(len(g.provinces))]
	cg, _ := personalid.CenturyGenderDigit(birth.Year(), gender)
	pc, _ := strconv.Atoi(prov.Code)
	bucket := pc*1000 + cg*100 + birth.Year()%100
	var serial uint32
	for {
		serial = uint32(100000 + rng.IntN(900000))
		used := g.used[bucket]
		at, found := slices.BinarySearch(used, serial)
		if !found {
			g.used[bucket] = slices.Insert(used, at, serial)
			break
		}
	}
	pid := fmt.Sprintf("%s%d%02d%06d", prov.Code, cg, birth.Year()%100, serial)
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
		guardian := g.adults[rng.IntN(min(g.nAdults, guardianWindow))]
		r.GuardianID, r.GuardianRelation = guardian.pid, "child"
		r.Residence = guardian.residence
		return r
	}
	a := adult{r.PersonalID, r.Residence}
	if len(g.adults) < guardianWindow {
		g.adults = append(g.adults, a)
	} else {
		g.adults[g.nAdults%guardianWindow] = a
	}
	g.nAdults++
	r.IssueDate = birth.AddDate(14+rng.IntN(10), rng.IntN(12), 0).Format(time.DateOnly)
	if r.IssueDate > generatedEpoch.Format(time.DateOnly) {
		r.IssueDate = generatedEpoch.AddDate(0, -1-rng.IntN(24), 0).Format(time.DateOnly)
	}
	if rng.IntN(10) < 7 {
		// +8498 and the index for the first ten million, then +8497...
		r.Phone = fmt.Sprintf("+849%d%07d", 8-i/10_000_000, i%10_000_000)
		status := "active"
		if rng.IntN(4) == 0 {
			status = "pending"
		}
		r.Account = &AccountRecord{Level: 1 + rng.IntN(2), Status: status, Password: GeneratedPassword}
	}
	if g.opts.Documents {
		r.Documents = g.documents(i, r, birth)
	}
	return r
}

// documents gives an adult a driving licence (about one in three) and a
// vehicle registration (one in five), numbered after the citizen's index
// so that numbers never repeat.
func (g *Generator) documents(i int, r Record, birth time.Time) []DocumentRecord {
	rng := g.docRng
	var out []DocumentRecord
	if rng.IntN(3) == 0 {
		issued := birth.AddDate(18+rng.IntN(20), rng.IntN(12), 0)
		if issued.After(generatedEpoch) {
			issued = generatedEpoch.AddDate(0, -1-rng.IntN(36), 0)
		}
		classes := []string{"A1", "A1,B2", "B2", "A1,C"}[rng.IntN(4)]
		out = append(out, DocumentRecord{Kind: string(attributes.DrivingLicence), Number: fmt.Sprintf("%s%09d", r.PersonalID[:3], i),
			IssuedOn: issued.Format(time.DateOnly), ExpiresOn: issued.AddDate(10, 0, 0).Format(time.DateOnly),
			Issuer: "Sở Giao thông vận tải " + r.Residence.Province, Fields: map[string]string{"classes": classes}})
	}
	if rng.IntN(5) == 0 {
		issued := generatedEpoch.AddDate(0, -1-rng.IntN(120), 0)
		makes := [][2]string{{"Honda", "Wave Alpha"}, {"Yamaha", "Sirius"}, {"Toyota", "Vios"}, {"VinFast", "VF 5"}, {"Kia", "Morning"}}
		mk := makes[rng.IntN(len(makes))]
		out = append(out, DocumentRecord{Kind: string(attributes.VehicleRegistration), Number: fmt.Sprintf("VR-%09d", i),
			IssuedOn: issued.Format(time.DateOnly), Issuer: "Phòng Cảnh sát giao thông " + r.Residence.Province,
			Fields: map[string]string{"plate": fmt.Sprintf("%02dA-%03d.%02d", 11+rng.IntN(89), (i/100)%1000, i%100), "make": mk[0], "model": mk[1]}})
	}
	return out
}
